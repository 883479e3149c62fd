"""The upload journal: what was sent to Register and what came back, durable across crashes.

One SQLite file in the user's data folder (user-only permissions, WAL, ``synchronous=FULL``,
``secure_delete`` so a forgotten batch is overwritten, not just unlinked). It holds three things:

* the **trainee ledger** (table ``trainee``, API in ``desktop.core.ledger``): each trainee this app
  has sent to an environment, by a stable identity (environment, account, keyed hash of HESA ID +
  academic cycle), with Register's trainee id and per-field keyed hashes of what was sent. It is
  what makes "exactly once" hold across files, sheets, batches, edits and machine sessions;
* **requests** (table ``request``): every request that changes Register, journalled before it is
  sent and settled after its answer (or a look-up);
* **batches** (tables ``batch`` and ``item``): views for progress, receipts and history — one
  upload of one file, its rows and their outcomes. A batch no longer decides what is sent.

Before each request the row's state becomes ``sending`` (committed, in the ledger and the
batch); after the answer its outcome and Register's trainee id are committed. So after a crash
or a kill at any instant each row is in exactly one of:

* ``pending``: never left this computer → send it (unless the ledger already holds its trainee);
* ``sending`` / ``unknown``: may have reached Register → look it up once Register has had time
  to finish (see ``desktop.core.upload``), then re-send only if it is not there;
* ``created`` / ``already_registered`` / ``already_sent`` / ``rejected``: final → never sent again.

It keeps no names, dates of birth or other row contents: keyed hashes of the row's identity and
body (keyed with this journal's secret salt; per-field hashes also with the trainee's HESA ID, so
a field's value cannot be guessed without it), the spreadsheet row number, the academic cycle,
the outcome, Register's messages and trainee ids.

Times of sending (``first_sent_at``, ``last_sent_at``) are on Register's clock as far as it is
known (``RegisterClient.server_now()``: Register's last ``Date`` header plus the time elapsed on
this computer's monotonic clock), so a look-up or a settle wait after this computer's clock has
jumped, or after a restart, still measures the right span. Every other time is this computer's
clock in UTC.

A write that fails (disk full, the file locked or damaged) raises ``JournalError`` and is rolled
back: before a request the row is not sent at all; after an answer the row stays ``sending`` and
is looked up before it could be sent again. ``desktop.core.retention`` purges finished batches;
the ledger stays (it is what stops a trainee being sent twice).

Schema 1 (releases before the ledger) is migrated in place on opening: every batch and row is
kept, and every trainee the old journal knew as created or possibly sent becomes a ledger entry,
matched to its row by the old identity hash the next time the row is seen. Schema 2 gains the
columns requests other than creations need (run, row, target, fields, Register's answer), runs and
the kind of writer holding a lease (``_migrate_2_to_3`` says what becomes of the tables an
unreleased build of sync kept beside the ledger).

**Runs** (table ``run``) are to sync, withdraw, defer and recommend what batches are to uploads: a
view of one command over one file, for receipts and ``history --runs``; each of their requests is a
row of ``request`` (on the trainee's ledger entry) carrying the run's id.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import hmac
import json
import os
import secrets
import sqlite3
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from desktop.core.errors import UserFacingError
from desktop.core.paths import data_dir

SCHEMA_VERSION = 3
#: marks per-field hashes with how they were made (a later scheme must not read as "every field changed")
FIELD_HASH_SCHEME = ("_scheme", "hmac-blake2b-64")
FILE_NAME = "upload-journal.sqlite3"


class ItemState(StrEnum):
    PENDING = "pending"  # not sent yet
    SENDING = "sending"  # a request was on its way (at a crash: outcome unknown)
    UNKNOWN = "unknown"  # sent, no usable answer (timeout, reset, 5xx): maybe created
    CREATED = "created"  # Register created it (201, or proven by 409 / a look-up after an unknown outcome)
    ALREADY = "already_registered"  # 409 for a row this app never sent: Register held it already
    ALREADY_SENT = "already_sent"  # the ledger holds this trainee, sent earlier (another batch, row or file)
    REJECTED = "rejected"  # 422 / 400: Register's messages say why


FINAL = frozenset({ItemState.CREATED, ItemState.ALREADY, ItemState.ALREADY_SENT, ItemState.REJECTED})
IN_FLIGHT = frozenset({ItemState.SENDING, ItemState.UNKNOWN})


class JournalError(UserFacingError):
    title = "The upload journal cannot be used"


class BatchBusyError(UserFacingError):
    title = "An upload is running"


def utc_now() -> str:
    """This computer's wall clock in UTC, as ISO text (read through ``time.time()``, which tests move)."""
    return iso_time(time.time())


def iso_time(timestamp: float) -> str:
    return dt.datetime.fromtimestamp(timestamp, dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_time(text: str | None) -> dt.datetime | None:
    """ISO text (ours or Register's) as an aware UTC datetime; None when absent or unreadable."""
    if not text:
        return None
    try:
        t = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return t if t.tzinfo else t.replace(tzinfo=dt.UTC)


@dataclass(frozen=True)
class BatchMeta:
    """What a receipt says about a batch (who, when, where, what)."""

    key: str
    environment: str  # environment name
    environment_label: str
    base_url: str
    file_name: str
    file_hash: str
    sheet: str | None
    template_version: str
    reference_data: str
    app_version: str
    account: str
    scope: str = ""  # the ledger environment (normalised origin) the batch belongs to


@dataclass(frozen=True)
class NewItem:
    source_row: int
    position: int
    fingerprint: str  # the identity hash of schema 1 (kept to adopt old ledger entries)
    payload_hash: str
    cycle: int | None  # start cycle (GET /trainees files the trainee under it)
    trainee_key: str = ""


@dataclass(frozen=True)
class Item:
    id: int
    batch_id: int
    source_row: int
    position: int
    fingerprint: str
    payload_hash: str
    cycle: int | None
    state: ItemState
    maybe_sent: bool  # an earlier attempt may have reached Register
    attempts: int
    first_sent_at: str | None
    last_sent_at: str | None
    http_status: int | None
    trainee_id: str | None
    trainee_state: str | None
    confirmed_by: str | None  # "201", "409", "lookup", "ledger"
    messages: tuple[str, ...]
    updated_at: str | None
    trainee_key: str = ""
    ledger_id: int | None = None
    differs: tuple[str, ...] = ()  # already sent: the fields whose value differs from what was sent

    @property
    def final(self) -> bool:
        return self.state in FINAL

    @property
    def outstanding(self) -> bool:
        return not self.final


@dataclass(frozen=True)
class Batch:
    id: int
    meta: BatchMeta
    status: str  # "open" (rows outstanding) or "complete"
    created_at: str
    updated_at: str
    finished_at: str | None
    receipt_path: str | None
    counts: dict[str, int]  # per ItemState value

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def outstanding(self) -> int:
        return sum(n for s, n in self.counts.items() if s not in FINAL)

    @property
    def sent(self) -> int:
        """Rows with an answer or an attempt (everything except never-sent ``pending`` rows)."""
        return self.total - self.counts.get(ItemState.PENDING, 0)


@dataclass(frozen=True)
class Run:
    """One sync, withdraw, defer or recommend command over one file (a view, like a batch)."""

    id: int
    environment: str
    environment_label: str
    kind: str
    file_name: str
    app_version: str
    created_at: str
    finished_at: str | None
    counts: dict[str, int]
    receipt_path: str | None


_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS batch (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    finished_at TEXT,
    environment TEXT NOT NULL,
    environment_label TEXT NOT NULL,
    base_url TEXT NOT NULL,
    file_name TEXT NOT NULL,
    file_hash TEXT NOT NULL,
    sheet TEXT,
    template_version TEXT NOT NULL,
    reference_data TEXT NOT NULL,
    app_version TEXT NOT NULL,
    account TEXT NOT NULL,
    receipt_path TEXT,
    scope TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS batch_key ON batch (key);
CREATE TABLE IF NOT EXISTS item (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    batch_id INTEGER NOT NULL REFERENCES batch (id) ON DELETE CASCADE,
    source_row INTEGER NOT NULL,
    position INTEGER NOT NULL,
    trainee_key TEXT NOT NULL DEFAULT '',
    fingerprint TEXT NOT NULL,
    payload_hash TEXT NOT NULL,
    cycle INTEGER,
    state TEXT NOT NULL,
    maybe_sent INTEGER NOT NULL DEFAULT 0,
    attempts INTEGER NOT NULL DEFAULT 0,
    first_sent_at TEXT,
    last_sent_at TEXT,
    http_status INTEGER,
    trainee_id TEXT,
    trainee_state TEXT,
    confirmed_by TEXT,
    messages TEXT NOT NULL DEFAULT '[]',
    updated_at TEXT,
    ledger_id INTEGER,
    differs TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX IF NOT EXISTS item_batch ON item (batch_id, source_row);
CREATE INDEX IF NOT EXISTS item_ledger ON item (ledger_id);
CREATE TABLE IF NOT EXISTS trainee (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    environment TEXT NOT NULL,
    account TEXT NOT NULL DEFAULT '',
    trainee_key TEXT NOT NULL,
    registration INTEGER NOT NULL DEFAULT 1,
    legacy_fingerprint TEXT,
    match_name TEXT,
    match_email TEXT,
    state TEXT NOT NULL,
    trainee_id TEXT,
    trainee_state TEXT,
    cycle INTEGER,
    sent_hashes TEXT NOT NULL DEFAULT '{}',
    held_hashes TEXT,
    body_hash TEXT,
    batch_id INTEGER,
    source_row INTEGER,
    owner TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    first_sent_at TEXT,
    last_sent_at TEXT,
    confirmed_by TEXT,
    override TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    settled_at TEXT
);
CREATE INDEX IF NOT EXISTS trainee_identity ON trainee (environment, trainee_key);
CREATE INDEX IF NOT EXISTS trainee_match_name ON trainee (environment, match_name);
CREATE INDEX IF NOT EXISTS trainee_match_email ON trainee (environment, match_email);
CREATE INDEX IF NOT EXISTS trainee_legacy ON trainee (environment, legacy_fingerprint);
CREATE TABLE IF NOT EXISTS request (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    trainee INTEGER NOT NULL,
    kind TEXT NOT NULL,
    body_hash TEXT,
    state TEXT NOT NULL,
    owner TEXT,
    sent_at TEXT,
    http_status INTEGER,
    detail TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    run_id INTEGER,
    row_key TEXT NOT NULL DEFAULT '',
    target TEXT NOT NULL DEFAULT '',
    source_row INTEGER,
    fields TEXT NOT NULL DEFAULT '[]',
    messages TEXT NOT NULL DEFAULT '[]',
    confirmed_by TEXT,
    attempts INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS request_trainee ON request (trainee);
CREATE INDEX IF NOT EXISTS request_row ON request (row_key, kind);
CREATE INDEX IF NOT EXISTS request_run ON request (run_id);
CREATE TABLE IF NOT EXISTS run (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    environment TEXT NOT NULL,
    environment_label TEXT NOT NULL,
    kind TEXT NOT NULL,
    file_name TEXT NOT NULL,
    app_version TEXT NOT NULL,
    created_at TEXT NOT NULL,
    finished_at TEXT,
    counts TEXT NOT NULL DEFAULT '{}',
    receipt_path TEXT
);
CREATE TABLE IF NOT EXISTS lease (
    environment TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    pid INTEGER NOT NULL,
    host TEXT NOT NULL,
    started_at TEXT NOT NULL,
    heartbeat_at TEXT NOT NULL,
    what TEXT NOT NULL DEFAULT 'upload'
);
"""

#: columns schema 3 added to tables of schema 2 (``_migrate_2_to_3``)
_ADDED_IN_3 = {
    "request": ("run_id INTEGER", "row_key TEXT NOT NULL DEFAULT ''", "target TEXT NOT NULL DEFAULT ''",
                "source_row INTEGER", "fields TEXT NOT NULL DEFAULT '[]'", "messages TEXT NOT NULL DEFAULT '[]'",
                "confirmed_by TEXT", "attempts INTEGER NOT NULL DEFAULT 0"),
    "lease": ("what TEXT NOT NULL DEFAULT 'upload'",),
}


class Journal:
    """One connection, used from one thread (the upload's). Open another ``Journal`` to read elsewhere."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or (data_dir() / FILE_NAME)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if not self.path.exists():  # create it user-only before SQLite does (its -wal/-shm copy the mode)
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600)
            os.close(fd)
        with contextlib.suppress(OSError):
            self.path.chmod(0o600)
        try:
            self._db = sqlite3.connect(self.path, timeout=10, isolation_level=None)
            self._db.row_factory = sqlite3.Row
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._db.execute("PRAGMA secure_delete=ON")
            version = self._open_schema()
        except sqlite3.DatabaseError as exc:
            raise JournalError(
                f"The upload journal at {self.path} cannot be opened ({exc}). If another copy of the app is "
                "uploading, wait for it to finish; if the file is damaged, move it aside (past uploads will "
                "then not be resumed).") from None
        if version > SCHEMA_VERSION:
            raise JournalError(f"The upload journal at {self.path} was written by a newer version of this app.")
        self.salt = bytes.fromhex(self._meta("salt"))

    def _open_schema(self) -> int:
        """Create, or migrate in place, in one transaction; the schema version found (after migrating)."""
        row = self._db.execute("SELECT name FROM sqlite_master WHERE type='table' AND name='meta'").fetchone()
        version = int(self._meta("schema")) if row is not None and self._has_meta("schema") else SCHEMA_VERSION
        if version > SCHEMA_VERSION:
            return version
        with self._tx():
            if version < 2 and row is not None:
                _migrate_1_to_2(self._db)
            elif version < 3 and row is not None:
                _migrate_2_to_3(self._db)
            for stmt in _SCHEMA.split(";"):
                if stmt.strip():
                    self._db.execute(stmt)
            self._db.execute("INSERT OR IGNORE INTO meta (key, value) VALUES ('schema', ?)", (str(SCHEMA_VERSION),))
            self._db.execute("UPDATE meta SET value = ? WHERE key = 'schema'", (str(SCHEMA_VERSION),))
            self._db.execute("INSERT OR IGNORE INTO meta (key, value) VALUES ('salt', ?)", (secrets.token_hex(32),))
        return SCHEMA_VERSION

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _has_meta(self, key: str) -> bool:
        return self._db.execute("SELECT 1 FROM meta WHERE key = ?", (key,)).fetchone() is not None

    def _meta(self, key: str) -> str:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return str(row[0])

    @property
    def db(self) -> sqlite3.Connection:
        """The connection (``desktop.core.ledger`` writes through ``transaction()``)."""
        return self._db

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """``BEGIN IMMEDIATE`` … ``COMMIT``: one writer at a time; a SQLite failure becomes ``JournalError``."""
        with self._tx():
            yield self._db

    @contextlib.contextmanager
    def _tx(self) -> Iterator[None]:
        """One transaction; a SQLite failure (disk full, locked, damaged) becomes a ``JournalError``."""
        try:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
        except sqlite3.Error as exc:
            with contextlib.suppress(sqlite3.Error):
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
            raise self._write_error(exc) from None

    def _write_error(self, exc: sqlite3.Error) -> JournalError:
        text = str(exc).lower()
        if "full" in text or "disk i/o" in text:
            why = ("the disk is full or cannot be written. Free some space (or ask IT), then run the upload "
                   "again")
        elif "locked" in text or "busy" in text:
            why = ("another copy of the app is using it. Wait for the other upload to finish, then run the "
                   "upload again")
        elif "readonly" in text or "read-only" in text:
            why = "the data folder is read-only. Ask IT to make it writable, then run the upload again"
        else:
            why = f"SQLite reported: {exc}. Run the upload again; if this repeats, contact your IT desk"
        return JournalError(
            f"The upload journal at {self.path} could not be written: {why}. The upload stopped: no row was "
            "sent without being recorded first, and a row whose answer could not be recorded is looked up in "
            "Register before it could be sent again, so nothing will be sent twice.")

    # ------------------------------------------------------------------ hashing
    def keyed_hash(self, *parts: str) -> str:
        """A hash keyed with this journal's secret salt (so it cannot be looked up in a table of names)."""
        h = hashlib.sha256(self.salt)
        for p in parts:
            h.update(b"\x1f" + p.encode("utf-8"))
        return h.hexdigest()

    def field_hashes(self, secret: str, fields: dict[str, str]) -> dict[str, str]:
        """Per-field keyed hashes (64 bits each), keyed with the salt *and* ``secret`` (the HESA ID).

        Enough to say which fields changed since a trainee was sent; without the HESA ID a field's
        value cannot be tested against them even by someone holding the journal file.
        """
        key = hmac.new(self.salt, b"fields\x1f" + secret.encode("utf-8"), hashlib.sha256).digest()
        out = {name: hashlib.blake2b(f"{name}\x1f{value}".encode(), key=key, digest_size=8).hexdigest()
               for name, value in fields.items()}
        out[FIELD_HASH_SCHEME[0]] = FIELD_HASH_SCHEME[1]  # hashes of another scheme are never compared with these
        return out

    # ------------------------------------------------------------------ batches
    def start_batch(self, meta: BatchMeta, items: Sequence[NewItem] = ()) -> int:
        """A new batch with every row ``pending``, in one transaction (a crash leaves no half batch)."""
        now = utc_now()
        with self._tx():
            cur = self._db.execute(
                "INSERT INTO batch (key, status, created_at, updated_at, environment, environment_label, base_url,"
                " file_name, file_hash, sheet, template_version, reference_data, app_version, account, scope)"
                " VALUES (?, 'open', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (meta.key, now, now, meta.environment, meta.environment_label, meta.base_url, meta.file_name,
                 meta.file_hash, meta.sheet, meta.template_version, meta.reference_data, meta.app_version,
                 meta.account, meta.scope))
            batch_id = int(cur.lastrowid or 0)
            self._insert_items(batch_id, items, now)
        return batch_id

    def add_items(self, batch_id: int, items: Sequence[NewItem]) -> None:
        if not items:
            return
        with self._tx():
            self._insert_items(batch_id, items, utc_now())
            self._db.execute("UPDATE batch SET status = 'open', finished_at = NULL WHERE id = ?", (batch_id,))

    def _insert_items(self, batch_id: int, items: Sequence[NewItem], now: str) -> None:
        self._db.executemany(
            "INSERT INTO item (batch_id, source_row, position, trainee_key, fingerprint, payload_hash, cycle, state,"
            " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?)",
            [(batch_id, i.source_row, i.position, i.trainee_key, i.fingerprint, i.payload_hash, i.cycle, now)
             for i in items])

    def latest_batch(self, key: str) -> Batch | None:
        row = self._db.execute("SELECT id FROM batch WHERE key = ? ORDER BY id DESC LIMIT 1", (key,)).fetchone()
        return self.batch(int(row[0])) if row else None

    def batch_for_file(self, scope: str, file_name: str, sheet: str | None, file_hash: str) -> Batch | None:
        """The batch an upload of this file continues: the newest one for the file (by name and sheet) in
        this environment that is unfinished or holds exactly these bytes; None for a new batch."""
        for row in self._db.execute(
                "SELECT id, status, file_hash FROM batch WHERE scope = ? AND file_name = ? AND COALESCE(sheet, '') = ?"
                " ORDER BY id DESC", (scope, file_name, sheet or "")):
            if row["status"] != "complete" or row["file_hash"] == file_hash:
                return self.batch(int(row["id"]))
            return None  # the newest batch of this name is finished and the file has changed since: a new one
        return None

    def batch(self, batch_id: int) -> Batch | None:
        row = self._db.execute("SELECT * FROM batch WHERE id = ?", (batch_id,)).fetchone()
        if row is None:
            return None
        counts = {str(r[0]): int(r[1]) for r in self._db.execute(
            "SELECT state, COUNT(*) FROM item WHERE batch_id = ? GROUP BY state", (batch_id,))}
        return _batch(row, counts)

    def batches(self) -> list[Batch]:
        """Every batch, newest first, with its counts."""
        counts: dict[int, dict[str, int]] = {}
        for r in self._db.execute("SELECT batch_id, state, COUNT(*) FROM item GROUP BY batch_id, state"):
            counts.setdefault(int(r[0]), {})[str(r[1])] = int(r[2])
        return [_batch(r, counts.get(int(r["id"]), {}))
                for r in self._db.execute("SELECT * FROM batch ORDER BY id DESC")]

    def set_receipt(self, batch_id: int, path: str) -> None:
        with self._tx():
            self._db.execute("UPDATE batch SET receipt_path = ?, updated_at = ? WHERE id = ?", (path, utc_now(), batch_id))

    def refresh_status(self, batch_id: int) -> str:
        """``complete`` once every row has a final outcome, else ``open``."""
        with self._tx():
            return self._refresh_status(batch_id)

    def _refresh_status(self, batch_id: int) -> str:  # inside a transaction
        outstanding = self._db.execute(
            f"SELECT COUNT(*) FROM item WHERE batch_id = ? AND state NOT IN ({','.join('?' * len(FINAL))})",
            (batch_id, *[s.value for s in FINAL])).fetchone()[0]
        status = "open" if outstanding else "complete"
        now = utc_now()
        self._db.execute(
            "UPDATE batch SET status = ?, updated_at = ?, finished_at = CASE WHEN ? = 'complete' THEN"
            " COALESCE(finished_at, ?) ELSE NULL END WHERE id = ?", (status, now, status, now, batch_id))
        return status

    def forget(self, batch_id: int) -> bool:
        """Delete a batch and its rows for good (overwritten on disk). Returns False when there was none.

        The ledger keeps its entries (keyed hashes and Register's trainee ids): forgetting a batch
        must not let its trainees be sent again.
        """
        with self._tx():
            self._db.execute("DELETE FROM item WHERE batch_id = ?", (batch_id,))
            cur = self._db.execute("DELETE FROM batch WHERE id = ?", (batch_id,))
        with contextlib.suppress(sqlite3.DatabaseError):
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return cur.rowcount > 0

    # ------------------------------------------------------------------ items
    def items(self, batch_id: int) -> list[Item]:
        return [_item(r) for r in self._db.execute(
            "SELECT * FROM item WHERE batch_id = ? ORDER BY position, source_row, id", (batch_id,))]

    def item(self, item_id: int) -> Item:
        row = self._db.execute("SELECT * FROM item WHERE id = ?", (item_id,)).fetchone()
        if row is None:
            raise KeyError(item_id)
        return _item(row)

    def item_at(self, batch_id: int, source_row: int) -> Item:
        """The batch's row at this spreadsheet row (the newest, if rows moved)."""
        row = self._db.execute("SELECT * FROM item WHERE batch_id = ? AND source_row = ? ORDER BY id DESC LIMIT 1",
                               (batch_id, source_row)).fetchone()
        if row is None:
            raise KeyError((batch_id, source_row))
        return _item(row)

    # ------------------------------------------------------------------ runs (sync and the actions)
    def start_run(self, kind: str, *, environment: str, environment_label: str, file_name: str,
                  app_version: str) -> int:
        with self._tx():
            cur = self._db.execute(
                "INSERT INTO run (environment, environment_label, kind, file_name, app_version, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?)", (environment, environment_label, kind, file_name, app_version, utc_now()))
        return int(cur.lastrowid or 0)

    def finish_run(self, run_id: int, counts: dict[str, int], receipt_path: str | None = None) -> None:
        with self._tx():
            self._db.execute("UPDATE run SET finished_at = ?, counts = ?, receipt_path = COALESCE(?, receipt_path)"
                             " WHERE id = ?", (utc_now(), json.dumps(counts), receipt_path, run_id))

    def runs(self) -> list[Run]:
        """Every run, oldest first."""
        return [_run(r) for r in self._db.execute("SELECT * FROM run ORDER BY id")]

    def forget_runs(self, finished_before: str) -> int:
        """Delete finished runs older than ``finished_before`` (ISO time; retention's period for batches). Their
        requests stay on the trainee ledger: they are what stops the same request being sent again."""
        with self._tx():
            cur = self._db.execute("DELETE FROM run WHERE finished_at IS NOT NULL AND finished_at < ?",
                                   (finished_before,))
            self._db.execute("UPDATE request SET run_id = NULL WHERE run_id IS NOT NULL AND run_id NOT IN"
                             " (SELECT id FROM run)")
        return cur.rowcount

    def run(self, run_id: int) -> Run | None:
        row = self._db.execute("SELECT * FROM run WHERE id = ?", (run_id,)).fetchone()
        return _run(row) if row is not None else None

    def set_trainee_states(self, batch_id: int, states: dict[str, str]) -> None:
        """Reconciliation: Register's current state of each trainee id."""
        with self._tx():
            self._db.executemany("UPDATE item SET trainee_state = ? WHERE batch_id = ? AND trainee_id = ?",
                                 [(s, batch_id, tid) for tid, s in states.items()])
            self._db.executemany("UPDATE trainee SET trainee_state = ? WHERE trainee_id = ?",
                                 [(s, tid) for tid, s in states.items()])


def _batch(row: sqlite3.Row, counts: dict[str, int]) -> Batch:
    meta = BatchMeta(
        key=row["key"], environment=row["environment"], environment_label=row["environment_label"],
        base_url=row["base_url"], file_name=row["file_name"], file_hash=row["file_hash"], sheet=row["sheet"],
        template_version=row["template_version"], reference_data=row["reference_data"],
        app_version=row["app_version"], account=row["account"], scope=row["scope"])
    return Batch(id=int(row["id"]), meta=meta, status=row["status"], created_at=row["created_at"],
                 updated_at=row["updated_at"], finished_at=row["finished_at"], receipt_path=row["receipt_path"],
                 counts=counts)


def _run(row: sqlite3.Row) -> Run:
    return Run(id=int(row["id"]), environment=row["environment"], environment_label=row["environment_label"],
               kind=row["kind"], file_name=row["file_name"], app_version=row["app_version"],
               created_at=row["created_at"], finished_at=row["finished_at"],
               counts=json.loads(row["counts"] or "{}"), receipt_path=row["receipt_path"])


def _item(row: sqlite3.Row) -> Item:
    state = ItemState(row["state"])
    messages: Any = json.loads(row["messages"] or "[]")
    differs: Any = json.loads(row["differs"] or "[]")
    return Item(
        id=int(row["id"]), batch_id=int(row["batch_id"]), source_row=int(row["source_row"]),
        position=int(row["position"]), fingerprint=row["fingerprint"], payload_hash=row["payload_hash"],
        cycle=row["cycle"], state=state,
        # a row left "sending" by a crash may have reached Register
        maybe_sent=bool(row["maybe_sent"]) or state in IN_FLIGHT,
        attempts=int(row["attempts"]), first_sent_at=row["first_sent_at"], last_sent_at=row["last_sent_at"],
        http_status=row["http_status"], trainee_id=row["trainee_id"], trainee_state=row["trainee_state"],
        confirmed_by=row["confirmed_by"], messages=tuple(str(m) for m in messages), updated_at=row["updated_at"],
        trainee_key=row["trainee_key"], ledger_id=row["ledger_id"], differs=tuple(str(d) for d in differs))


# ---------------------------------------------------------------------- migration
def scope_of_batch(environment: str, base_url: str) -> str:
    """The ledger environment of a batch (schema 1 kept only the name and the address)."""
    if environment != "custom":
        return environment
    from urllib.parse import urlsplit

    parts = urlsplit(base_url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return f"{parts.scheme}://{(parts.hostname or '').lower()}:{port}"


def _migrate_1_to_2(db: sqlite3.Connection) -> None:
    """Schema 1 → 2 inside the caller's transaction: every batch and row kept; the ledger seeded.

    Rows of schema 1 were keyed by (batch, spreadsheet row) and identified by a keyed hash of
    HESA ID, date of birth, names, route and ITT start date. That hash cannot be turned into the
    new ledger key, so each trainee created (or possibly sent) becomes a ledger entry carrying it as
    ``legacy_fingerprint``: ``desktop.core.ledger`` adopts the entry when a row with that hash is
    next seen, and until then it can only block, never allow, a send.
    """
    db.execute("ALTER TABLE batch ADD COLUMN scope TEXT NOT NULL DEFAULT ''")
    for b in db.execute("SELECT id, environment, base_url FROM batch").fetchall():
        db.execute("UPDATE batch SET scope = ? WHERE id = ?", (scope_of_batch(b["environment"], b["base_url"]), b["id"]))
    db.execute("ALTER TABLE item RENAME TO item_v1")
    for stmt in _SCHEMA.split(";"):
        if stmt.strip() and ("TABLE IF NOT EXISTS item " in stmt or "TABLE IF NOT EXISTS item(" in stmt):
            db.execute(stmt)
    db.execute(
        "INSERT INTO item (batch_id, source_row, position, trainee_key, fingerprint, payload_hash, cycle, state,"
        " maybe_sent, attempts, first_sent_at, last_sent_at, http_status, trainee_id, trainee_state, confirmed_by,"
        " messages, updated_at) SELECT batch_id, source_row, position, '', fingerprint, payload_hash, cycle, state,"
        " maybe_sent, attempts, first_sent_at, last_sent_at, http_status, trainee_id, trainee_state, confirmed_by,"
        " messages, updated_at FROM item_v1 ORDER BY batch_id, source_row")
    db.execute("DROP TABLE item_v1")
    for stmt in _SCHEMA.split(";"):
        if stmt.strip() and "TABLE IF NOT EXISTS trainee" in stmt:
            db.execute(stmt)
    now = utc_now()
    rows = db.execute(
        "SELECT item.*, batch.scope AS scope FROM item JOIN batch ON batch.id = item.batch_id"
        " WHERE item.state IN ('created', 'already_registered', 'sending', 'unknown') ORDER BY item.id").fetchall()
    for it in rows:
        state = "unknown" if it["state"] == "sending" else it["state"]
        cur = db.execute(
            "INSERT INTO trainee (environment, account, trainee_key, legacy_fingerprint, state, trainee_id,"
            " trainee_state, cycle, body_hash, batch_id, source_row, owner, attempts, first_sent_at, last_sent_at,"
            " confirmed_by, created_at, updated_at, settled_at) VALUES (?, '', ?, ?, ?, ?, ?, ?, ?, ?, ?, 'schema-1',"
            " ?, ?, ?, ?, ?, ?, ?)",
            (it["scope"], f"legacy:{it['fingerprint']}", it["fingerprint"], state, it["trainee_id"],
             it["trainee_state"], it["cycle"], it["payload_hash"], it["batch_id"], it["source_row"], it["attempts"],
             it["first_sent_at"], it["last_sent_at"], it["confirmed_by"], it["updated_at"] or now, now,
             (it["updated_at"] or now) if state in ("created", "already_registered") else None))
        db.execute("UPDATE item SET ledger_id = ?, state = CASE WHEN state = 'sending' THEN 'unknown' ELSE state END,"
                   " maybe_sent = CASE WHEN state IN ('sending', 'unknown') THEN 1 ELSE maybe_sent END WHERE id = ?",
                   (cur.lastrowid, it["id"]))


def _migrate_2_to_3(db: sqlite3.Connection) -> None:
    """Schema 2 → 3 inside the caller's transaction: every request may carry its run, row, target and answer;
    runs of sync and actions (table ``run``); the lease says what holds it.

    Journals of main before this schema may also hold the tables an earlier build of sync and the
    actions kept beside the ledger (``year_run``, ``year_request``, ``year_trainee``). That build
    never shipped in a release, and what those tables protected is also held by Register itself —
    sync compares with Register before sending (a done update reads as unchanged, a done placement
    as held) and the actions read the trainee's state first (a done withdrawal reads as withdrawn) —
    so they are dropped rather than translated (their keys cannot be turned into ledger keys: they
    hashed other parts, and named environments in another form). Their receipts stay on disk.
    """
    for table, columns in _ADDED_IN_3.items():
        have = {r[1] for r in db.execute(f"PRAGMA table_info({table})")}
        if not have:
            continue  # created whole from _SCHEMA afterwards
        for column in columns:
            if column.split()[0] not in have:
                db.execute(f"ALTER TABLE {table} ADD COLUMN {column}")
    for table in ("year_request", "year_run", "year_trainee"):
        db.execute(f"DROP TABLE IF EXISTS {table}")
