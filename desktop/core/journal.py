"""The upload journal: what was sent to Register and what came back, durable across crashes.

One SQLite file in the user's data folder (user-only permissions, WAL, ``synchronous=FULL``,
``secure_delete`` so a forgotten batch is overwritten, not just unlinked). Before each request the
row's state becomes ``sending`` (committed); after the answer its outcome and Register's trainee
id are committed. So after a crash or a kill at any instant each row is in exactly one of:

* ``pending``: never left this computer → send it;
* ``sending`` / ``unknown``: may have reached Register → look it up, then re-send (Register's
  duplicate rule answers 409 with the trainee the first attempt created);
* ``created`` / ``already_registered`` / ``rejected``: final → never sent again.

It keeps no names, dates of birth or other row contents: a keyed fingerprint of the row's
identity, a keyed hash of the body, the spreadsheet row number, the academic cycle (for
reconciliation), the outcome, Register's messages and trainee ids.

Times of sending (``first_sent_at``, ``last_sent_at``) are on Register's clock as far as it is
known (``RegisterClient.server_now()``: Register's last ``Date`` header plus the time elapsed on
this computer's monotonic clock), so a look-up after this computer's clock has jumped, or after
a restart, still searches the right window. Every other time is this computer's clock in UTC.

A write that fails (disk full, the file locked or damaged) raises ``JournalError`` and is rolled
back: before a request the row is not sent at all; after an answer the row stays ``sending`` and
is looked up before it could be sent again. ``desktop.core.retention`` purges finished batches.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import secrets
import sqlite3
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import IO, Any

from desktop.core.errors import UserFacingError
from desktop.core.paths import data_dir

SCHEMA_VERSION = 1
FILE_NAME = "upload-journal.sqlite3"


class ItemState(StrEnum):
    PENDING = "pending"  # not sent yet
    SENDING = "sending"  # a request was on its way (at a crash: outcome unknown)
    UNKNOWN = "unknown"  # sent, no usable answer (timeout, reset, 5xx): maybe created
    CREATED = "created"  # Register created it (201, or proven by 409 / a look-up after an unknown outcome)
    ALREADY = "already_registered"  # 409 for a row this app never sent: Register held it already
    REJECTED = "rejected"  # 422 / 400: Register's messages say why


FINAL = frozenset({ItemState.CREATED, ItemState.ALREADY, ItemState.REJECTED})


class JournalError(UserFacingError):
    title = "The upload journal cannot be used"


class BatchBusyError(UserFacingError):
    title = "This upload is already running"


def utc_now() -> str:
    """This computer's wall clock in UTC, as ISO text (read through ``time.time()``, which tests move)."""
    return iso_time(time.time())


def iso_time(timestamp: float) -> str:
    return dt.datetime.fromtimestamp(timestamp, dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


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


@dataclass(frozen=True)
class NewItem:
    source_row: int
    position: int
    fingerprint: str
    payload_hash: str
    cycle: int | None


@dataclass(frozen=True)
class Item:
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
    confirmed_by: str | None  # "201", "409", "lookup"
    messages: tuple[str, ...]
    updated_at: str | None

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
    receipt_path TEXT
);
CREATE INDEX IF NOT EXISTS batch_key ON batch (key);
CREATE TABLE IF NOT EXISTS item (
    batch_id INTEGER NOT NULL REFERENCES batch (id) ON DELETE CASCADE,
    source_row INTEGER NOT NULL,
    position INTEGER NOT NULL,
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
    PRIMARY KEY (batch_id, source_row)
);
"""


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
            self._db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            self._db.row_factory = sqlite3.Row
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._db.execute("PRAGMA secure_delete=ON")
            with self._tx():
                for stmt in _SCHEMA.split(";"):
                    if stmt.strip():
                        self._db.execute(stmt)
                self._db.execute("INSERT OR IGNORE INTO meta (key, value) VALUES ('schema', ?)", (str(SCHEMA_VERSION),))
                self._db.execute("INSERT OR IGNORE INTO meta (key, value) VALUES ('salt', ?)", (secrets.token_hex(32),))
            version = int(self._meta("schema"))
        except sqlite3.DatabaseError as exc:
            raise JournalError(
                f"The upload journal at {self.path} cannot be opened ({exc}). If another copy of the app is "
                "uploading, wait for it to finish; if the file is damaged, move it aside (past uploads will "
                "then not be resumed).") from None
        if version > SCHEMA_VERSION:
            raise JournalError(f"The upload journal at {self.path} was written by a newer version of this app.")
        self.salt = bytes.fromhex(self._meta("salt"))

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _meta(self, key: str) -> str:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return str(row[0])

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

    # ------------------------------------------------------------------ batches
    def start_batch(self, meta: BatchMeta, items: Sequence[NewItem]) -> int:
        """A new batch with every row ``pending``, in one transaction (a crash leaves no half batch)."""
        now = utc_now()
        with self._tx():
            cur = self._db.execute(
                "INSERT INTO batch (key, status, created_at, updated_at, environment, environment_label, base_url,"
                " file_name, file_hash, sheet, template_version, reference_data, app_version, account)"
                " VALUES (?, 'open', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (meta.key, now, now, meta.environment, meta.environment_label, meta.base_url, meta.file_name,
                 meta.file_hash, meta.sheet, meta.template_version, meta.reference_data, meta.app_version, meta.account))
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
            "INSERT INTO item (batch_id, source_row, position, fingerprint, payload_hash, cycle, state, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, 'pending', ?)",
            [(batch_id, i.source_row, i.position, i.fingerprint, i.payload_hash, i.cycle, now) for i in items])

    def latest_batch(self, key: str) -> Batch | None:
        row = self._db.execute("SELECT id FROM batch WHERE key = ? ORDER BY id DESC LIMIT 1", (key,)).fetchone()
        return self.batch(int(row[0])) if row else None

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
        outstanding = self._db.execute(
            "SELECT COUNT(*) FROM item WHERE batch_id = ? AND state NOT IN (?, ?, ?)",
            (batch_id, *[s.value for s in FINAL])).fetchone()[0]
        status = "open" if outstanding else "complete"
        now = utc_now()
        with self._tx():
            self._db.execute(
                "UPDATE batch SET status = ?, updated_at = ?, finished_at = CASE WHEN ? = 'complete' THEN"
                " COALESCE(finished_at, ?) ELSE NULL END WHERE id = ?", (status, now, status, now, batch_id))
        return status

    def forget(self, batch_id: int) -> bool:
        """Delete a batch and its rows for good (overwritten on disk). Returns False when there was none."""
        with self._tx():
            self._db.execute("DELETE FROM item WHERE batch_id = ?", (batch_id,))
            cur = self._db.execute("DELETE FROM batch WHERE id = ?", (batch_id,))
        with contextlib.suppress(sqlite3.DatabaseError):
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return cur.rowcount > 0

    # ------------------------------------------------------------------ items
    def items(self, batch_id: int) -> list[Item]:
        return [_item(r) for r in self._db.execute(
            "SELECT * FROM item WHERE batch_id = ? ORDER BY position, source_row", (batch_id,))]

    def item(self, batch_id: int, source_row: int) -> Item:
        row = self._db.execute("SELECT * FROM item WHERE batch_id = ? AND source_row = ?",
                               (batch_id, source_row)).fetchone()
        if row is None:
            raise KeyError((batch_id, source_row))
        return _item(row)

    def update_pending(self, batch_id: int, source_row: int, *, position: int, fingerprint: str,
                       payload_hash: str, cycle: int | None) -> None:
        """A row not yet sent changed (re-mapped or edited): remember its new body."""
        with self._tx():
            self._db.execute(
                "UPDATE item SET position = ?, fingerprint = ?, payload_hash = ?, cycle = ?, updated_at = ?"
                " WHERE batch_id = ? AND source_row = ? AND state = 'pending'",
                (position, fingerprint, payload_hash, cycle, utc_now(), batch_id, source_row))

    def reopen_rejected(self, batch_id: int, source_row: int, *, position: int, fingerprint: str,
                        payload_hash: str, cycle: int | None) -> None:
        """A rejected row was changed since: Register stored nothing, so it may be sent again."""
        with self._tx():
            self._db.execute(
                "UPDATE item SET state = 'pending', http_status = NULL, messages = '[]', position = ?, fingerprint = ?,"
                " payload_hash = ?, cycle = ?, updated_at = ? WHERE batch_id = ? AND source_row = ? AND state = 'rejected'",
                (position, fingerprint, payload_hash, cycle, utc_now(), batch_id, source_row))
            self._db.execute("UPDATE batch SET status = 'open', finished_at = NULL WHERE id = ?", (batch_id,))

    def mark_sending(self, batch_id: int, source_row: int, payload_hash: str, *, sent_at: float | None = None) -> None:
        """Committed before every transmission: from here until an answer the outcome is unknown.

        ``sent_at`` is Register's clock now (seconds since the epoch; default: ours): the send times
        are kept on Register's clock, so a later look-up is right even if this computer's clock jumps.
        """
        now = utc_now()
        sent = now if sent_at is None else iso_time(sent_at)
        with self._tx():
            self._db.execute(
                "UPDATE item SET state = 'sending', payload_hash = ?, attempts = attempts + 1,"
                " first_sent_at = COALESCE(first_sent_at, ?), last_sent_at = ?, updated_at = ?"
                " WHERE batch_id = ? AND source_row = ?", (payload_hash, sent, sent, now, batch_id, source_row))

    def mark_unknown(self, batch_id: int, source_row: int, http_status: int | None) -> None:
        """The request may have reached Register but no usable answer came back."""
        with self._tx():
            self._db.execute(
                "UPDATE item SET state = 'unknown', maybe_sent = 1, http_status = ?, updated_at = ?"
                " WHERE batch_id = ? AND source_row = ?", (http_status, utc_now(), batch_id, source_row))

    def mark_not_sent(self, batch_id: int, source_row: int) -> None:
        """The attempt certainly did not reach Register (cancelled while waiting, 401, 403, 404, 429)."""
        with self._tx():
            self._db.execute(
                "UPDATE item SET state = CASE WHEN maybe_sent = 1 THEN 'unknown' ELSE 'pending' END, updated_at = ?"
                " WHERE batch_id = ? AND source_row = ? AND state = 'sending'", (utc_now(), batch_id, source_row))

    def mark_result(self, batch_id: int, source_row: int, state: ItemState, *, http_status: int | None,
                    trainee_id: str | None = None, trainee_state: str | None = None,
                    confirmed_by: str | None = None, messages: Sequence[str] = ()) -> None:
        if state not in FINAL:
            raise ValueError(f"{state} is not an outcome")
        with self._tx():
            self._db.execute(
                "UPDATE item SET state = ?, http_status = ?, trainee_id = ?, trainee_state = ?, confirmed_by = ?,"
                " messages = ?, updated_at = ? WHERE batch_id = ? AND source_row = ?",
                (state.value, http_status, trainee_id, trainee_state, confirmed_by,
                 json.dumps(list(messages), ensure_ascii=False), utc_now(), batch_id, source_row))

    def set_trainee_states(self, batch_id: int, states: dict[str, str]) -> None:
        """Reconciliation: Register's current state of each trainee id."""
        with self._tx():
            self._db.executemany("UPDATE item SET trainee_state = ? WHERE batch_id = ? AND trainee_id = ?",
                                 [(s, batch_id, tid) for tid, s in states.items()])

    # ------------------------------------------------------------------ one uploader per batch
    @contextlib.contextmanager
    def lock(self, batch_id: int) -> Iterator[None]:
        """Hold the batch for this process; the OS releases it if the process dies (even by SIGKILL)."""
        lock_dir = self.path.parent / "journal-locks"
        lock_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        path = lock_dir / f"batch-{batch_id}.lock"
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)  # user-only, like every file we write
        fh = os.fdopen(fd, "a+b")  # held open for the lock's lifetime
        try:
            if not _try_lock(fh):
                raise BatchBusyError(
                    "Another window or command is uploading this file to the same environment right now. "
                    "Wait for it to finish (it resumes where it stopped).")
            try:
                yield
            finally:
                _unlock(fh)
        finally:
            fh.close()


def _try_lock(fh: IO[bytes]) -> bool:
    if sys.platform == "win32":
        import msvcrt

        try:
            fh.seek(0)
            msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


def _unlock(fh: IO[bytes]) -> None:
    with contextlib.suppress(OSError):
        if sys.platform == "win32":
            import msvcrt

            fh.seek(0)
            msvcrt.locking(fh.fileno(), msvcrt.LK_UNLCK, 1)
        else:
            import fcntl

            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def _batch(row: sqlite3.Row, counts: dict[str, int]) -> Batch:
    meta = BatchMeta(
        key=row["key"], environment=row["environment"], environment_label=row["environment_label"],
        base_url=row["base_url"], file_name=row["file_name"], file_hash=row["file_hash"], sheet=row["sheet"],
        template_version=row["template_version"], reference_data=row["reference_data"],
        app_version=row["app_version"], account=row["account"])
    return Batch(id=int(row["id"]), meta=meta, status=row["status"], created_at=row["created_at"],
                 updated_at=row["updated_at"], finished_at=row["finished_at"], receipt_path=row["receipt_path"],
                 counts=counts)


def _item(row: sqlite3.Row) -> Item:
    state = ItemState(row["state"])
    messages: Any = json.loads(row["messages"] or "[]")
    return Item(
        batch_id=int(row["batch_id"]), source_row=int(row["source_row"]), position=int(row["position"]),
        fingerprint=row["fingerprint"], payload_hash=row["payload_hash"], cycle=row["cycle"], state=state,
        # a row left "sending" by a crash may have reached Register
        maybe_sent=bool(row["maybe_sent"]) or state in (ItemState.SENDING, ItemState.UNKNOWN),
        attempts=int(row["attempts"]), first_sent_at=row["first_sent_at"], last_sent_at=row["last_sent_at"],
        http_status=row["http_status"], trainee_id=row["trainee_id"], trainee_state=row["trainee_state"],
        confirmed_by=row["confirmed_by"], messages=tuple(str(m) for m in messages), updated_at=row["updated_at"])
