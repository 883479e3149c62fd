"""Every request that changes a trainee Register already holds, journalled before it is sent.

Updates (``PUT``), degrees, placements, withdrawals, deferrals and recommendations are recorded in
the upload journal's SQLite file (table ``year_request``, one connection of our own beside the
journal's), by the same rules as creations:

* before a request is sent its row is written ``sending`` (committed); after the answer, its
  outcome (``done``, ``rejected``, ``refused``, ``not_found``, or ``unknown`` when the answer was
  lost). A request found ``sending``/``unknown`` by a later run is settled by reading the trainee
  back (never by sending again first);
* a request is identified by the environment, the trainee (Register's ``trainee_id``), its kind,
  its target (a degree or placement) and a keyed hash of its body, so the same request is done at
  most once whatever file, run or machine session it comes from; ``row_key`` (a keyed hash of the
  identifier the file used) lets a repeated command skip a done row without asking Register;
* runs (one command over one file) are views for receipts and ``history``.

No names, dates or other row contents are kept: keyed hashes, field names, Register's ids, states,
messages and times. Send times are on Register's clock (``RegisterClient.server_now``).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from desktop.core.journal import Journal, JournalError, utc_now

OPEN = ("sending", "unknown")
#: outcomes after which the same request is never sent again
SETTLED = ("done", "already")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS year_run (
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
CREATE TABLE IF NOT EXISTS year_request (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id INTEGER,
    environment TEXT NOT NULL,
    trainee_id TEXT NOT NULL,
    row_key TEXT NOT NULL DEFAULT '',
    kind TEXT NOT NULL,
    target TEXT NOT NULL DEFAULT '',
    body_hash TEXT NOT NULL,
    state TEXT NOT NULL,
    source_row INTEGER,
    fields TEXT NOT NULL DEFAULT '[]',
    http_status INTEGER,
    messages TEXT NOT NULL DEFAULT '[]',
    confirmed_by TEXT,
    detail TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    sent_at TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS year_request_trainee ON year_request (environment, trainee_id, kind);
CREATE INDEX IF NOT EXISTS year_request_row ON year_request (environment, row_key, kind);
CREATE TABLE IF NOT EXISTS year_trainee (
    environment TEXT NOT NULL,
    row_key TEXT NOT NULL,
    trainee_id TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (environment, row_key)
);
"""


@dataclass(frozen=True)
class LoggedRequest:
    id: int
    run_id: int | None
    environment: str
    trainee_id: str
    row_key: str
    kind: str
    target: str
    body_hash: str
    state: str
    source_row: int | None
    fields: tuple[str, ...]
    http_status: int | None
    messages: tuple[str, ...]
    confirmed_by: str | None
    detail: str | None
    attempts: int
    sent_at: str | None
    created_at: str
    updated_at: str

    @property
    def open(self) -> bool:
        return self.state in OPEN

    @property
    def day(self) -> str:
        return (self.sent_at or self.updated_at)[:10]


@dataclass(frozen=True)
class Run:
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


class RequestLog:
    """The ``year_request`` table of one journal, for one environment."""

    def __init__(self, journal: Journal, environment: str) -> None:
        self.journal = journal
        self.environment = environment
        try:
            self._db = sqlite3.connect(journal.path, timeout=30, isolation_level=None)
            self._db.row_factory = sqlite3.Row
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            with self._tx():
                for stmt in _SCHEMA.split(";"):
                    if stmt.strip():
                        self._db.execute(stmt)
        except sqlite3.Error as exc:
            raise JournalError(f"The upload journal {journal.path} cannot be used ({exc}).") from None

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> RequestLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _tx(self) -> Iterator[None]:
        try:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
        except sqlite3.Error as exc:
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
            raise JournalError(
                f"The upload journal could not be written ({exc}). Nothing was sent for this request; free some "
                "disk space or close other copies of the app, then run the command again.") from None

    def key(self, *parts: str) -> str:
        return self.journal.keyed_hash("year", *parts)

    # ------------------------------------------------------------------ runs
    def start_run(self, kind: str, *, file_name: str, environment_label: str, app_version: str) -> int:
        with self._tx():
            cur = self._db.execute(
                "INSERT INTO year_run (environment, environment_label, kind, file_name, app_version, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?)", (self.environment, environment_label, kind, file_name, app_version,
                                                utc_now()))
        return int(cur.lastrowid or 0)

    def finish_run(self, run_id: int, counts: dict[str, int], receipt_path: str | None = None) -> None:
        with self._tx():
            self._db.execute("UPDATE year_run SET finished_at = ?, counts = ?, receipt_path = COALESCE(?, receipt_path)"
                             " WHERE id = ?", (utc_now(), json.dumps(counts), receipt_path, run_id))

    def runs(self, *, all_environments: bool = True) -> list[Run]:
        sql = "SELECT * FROM year_run" + ("" if all_environments else " WHERE environment = ?") + " ORDER BY id"
        args: tuple[Any, ...] = () if all_environments else (self.environment,)
        return [_run(r) for r in self._db.execute(sql, args)]

    def run(self, run_id: int) -> Run | None:
        row = self._db.execute("SELECT * FROM year_run WHERE id = ?", (run_id,)).fetchone()
        return _run(row) if row else None

    def run_requests(self, run_id: int) -> list[LoggedRequest]:
        return [_request(r) for r in self._db.execute("SELECT * FROM year_request WHERE run_id = ? ORDER BY id",
                                                      (run_id,))]

    # ------------------------------------------------------------------ trainees found in Register
    def remember_trainee(self, row_key: str, trainee_id: str) -> None:
        with self._tx():
            self._db.execute("INSERT INTO year_trainee (environment, row_key, trainee_id, updated_at) VALUES (?, ?, ?, ?)"
                             " ON CONFLICT (environment, row_key) DO UPDATE SET trainee_id = excluded.trainee_id,"
                             " updated_at = excluded.updated_at", (self.environment, row_key, trainee_id, utc_now()))

    def known_trainee(self, row_key: str) -> str | None:
        row = self._db.execute("SELECT trainee_id FROM year_trainee WHERE environment = ? AND row_key = ?",
                               (self.environment, row_key)).fetchone()
        return str(row["trainee_id"]) if row else None

    # ------------------------------------------------------------------ requests
    def settled(self, *, kind: str, body_hash: str, trainee_id: str | None = None, row_key: str | None = None,
                target: str | None = None) -> LoggedRequest | None:
        """The same request already done (by trainee, or by the row's identifier), if any."""
        where = ["environment = ?", "kind = ?", "body_hash = ?", f"state IN ({','.join('?' * len(SETTLED))})"]
        args: list[Any] = [self.environment, kind, body_hash, *SETTLED]
        if trainee_id is not None:
            where.append("trainee_id = ?")
            args.append(trainee_id)
        if row_key is not None:
            where.append("row_key = ?")
            args.append(row_key)
        if target is not None:
            where.append("target = ?")
            args.append(target)
        row = self._db.execute(f"SELECT * FROM year_request WHERE {' AND '.join(where)} ORDER BY id DESC LIMIT 1",
                               args).fetchone()
        return _request(row) if row else None

    def open_for(self, *, kind: str, row_key: str, body_hash: str) -> LoggedRequest | None:
        """This row's same request, left ``sending``/``unknown`` (a crash, a lost answer)."""
        row = self._db.execute("SELECT * FROM year_request WHERE environment = ? AND kind = ? AND row_key = ? AND"
                               " body_hash = ? AND state IN ('sending', 'unknown') ORDER BY id DESC LIMIT 1",
                               (self.environment, kind, row_key, body_hash)).fetchone()
        return _request(row) if row else None

    def latest(self, trainee_id: str, kind: str) -> LoggedRequest | None:
        row = self._db.execute("SELECT * FROM year_request WHERE environment = ? AND trainee_id = ? AND kind = ?"
                               " ORDER BY id DESC LIMIT 1", (self.environment, trainee_id, kind)).fetchone()
        return _request(row) if row else None

    def open_requests(self, kinds: Sequence[str] | None = None) -> list[LoggedRequest]:
        sql = "SELECT * FROM year_request WHERE environment = ? AND state IN ('sending', 'unknown')"
        args: list[Any] = [self.environment]
        if kinds:
            sql += f" AND kind IN ({','.join('?' * len(kinds))})"
            args.extend(kinds)
        return [_request(r) for r in self._db.execute(sql + " ORDER BY id", args)]

    def begin(self, *, run_id: int | None, trainee_id: str, kind: str, body_hash: str, sent_at: str,
              row_key: str = "", target: str = "", source_row: int | None = None,
              fields: Sequence[str] = (), request_id: int | None = None) -> int:
        """Journal a request as ``sending`` before it leaves (or a repeat of an open one)."""
        now = utc_now()
        with self._tx():
            if request_id is not None:
                self._db.execute("UPDATE year_request SET state = 'sending', attempts = attempts + 1, sent_at ="
                                 " COALESCE(sent_at, ?), run_id = COALESCE(?, run_id), updated_at = ? WHERE id = ?",
                                 (sent_at, run_id, now, request_id))
                return request_id
            cur = self._db.execute(
                "INSERT INTO year_request (run_id, environment, trainee_id, row_key, kind, target, body_hash, state,"
                " source_row, fields, attempts, sent_at, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, 'sending', ?, ?, 1, ?, ?, ?)",
                (run_id, self.environment, trainee_id, row_key, kind, target, body_hash, source_row,
                 json.dumps(list(fields)), sent_at, now, now))
        return int(cur.lastrowid or 0)

    def record(self, *, run_id: int | None, trainee_id: str, kind: str, body_hash: str, state: str,
               row_key: str = "", target: str = "", source_row: int | None = None, fields: Sequence[str] = (),
               messages: Sequence[str] = (), confirmed_by: str | None = None) -> int:
        """An outcome reached without sending (already so in Register, refused by its state offline)."""
        now = utc_now()
        with self._tx():
            cur = self._db.execute(
                "INSERT INTO year_request (run_id, environment, trainee_id, row_key, kind, target, body_hash, state,"
                " source_row, fields, messages, confirmed_by, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (run_id, self.environment, trainee_id, row_key, kind, target, body_hash, state, source_row,
                 json.dumps(list(fields)), json.dumps(list(messages)), confirmed_by, now, now))
        return int(cur.lastrowid or 0)

    def settle(self, request_id: int, state: str, *, http_status: int | None = None, messages: Sequence[str] = (),
               confirmed_by: str | None = None, detail: str | None = None, run_id: int | None = None) -> None:
        with self._tx():
            self._db.execute(
                "UPDATE year_request SET state = ?, http_status = COALESCE(?, http_status), messages = ?,"
                " confirmed_by = COALESCE(?, confirmed_by), detail = COALESCE(?, detail),"
                " run_id = COALESCE(?, run_id), updated_at = ? WHERE id = ?",
                (state, http_status, json.dumps(list(messages)), confirmed_by, detail, run_id, utc_now(), request_id))

    def request(self, request_id: int) -> LoggedRequest:
        row = self._db.execute("SELECT * FROM year_request WHERE id = ?", (request_id,)).fetchone()
        if row is None:
            raise KeyError(request_id)
        return _request(row)


def _request(row: sqlite3.Row) -> LoggedRequest:
    return LoggedRequest(
        id=row["id"], run_id=row["run_id"], environment=row["environment"], trainee_id=row["trainee_id"],
        row_key=row["row_key"], kind=row["kind"], target=row["target"], body_hash=row["body_hash"],
        state=row["state"], source_row=row["source_row"], fields=tuple(json.loads(row["fields"] or "[]")),
        http_status=row["http_status"], messages=tuple(json.loads(row["messages"] or "[]")),
        confirmed_by=row["confirmed_by"], detail=row["detail"], attempts=row["attempts"], sent_at=row["sent_at"],
        created_at=row["created_at"], updated_at=row["updated_at"])


def _run(row: sqlite3.Row) -> Run:
    return Run(id=row["id"], environment=row["environment"], environment_label=row["environment_label"],
               kind=row["kind"], file_name=row["file_name"], app_version=row["app_version"],
               created_at=row["created_at"], finished_at=row["finished_at"],
               counts=json.loads(row["counts"] or "{}"), receipt_path=row["receipt_path"])
