"""The trainee ledger: each trainee sent to a Register environment, once, whatever file it came from.

Stored in the upload journal (``desktop.core.journal``, table ``trainee``). A trainee is known by

* the **environment** (``Environment.origin``: ``production``, ``sandbox``, ``practice`` or a custom
  address's normalised origin),
* the **account** the token belongs to, where Register tells it (``GET /info`` does not in
  v2026.1; an entry recorded without one matches any account of the environment), and
* the **trainee key**: a keyed hash of its HESA ID (mandatory on create, unique per student) and
  the academic cycle of its ITT start date (``desktop.validation.cycles``), plus a registration
  number for the rare genuine second registration (an explicit, recorded override).

Besides the key, an entry keeps per-field keyed hashes of what was sent (to say which fields a row
changed since, without keeping the values), keyed hashes of Register's duplicate rule's identity
(§5.12: date of birth, surname, route, cycle, and first name or e-mail — so a row whose HESA ID
was corrected is still recognised), Register's ``trainee_id`` and state, and where and when it
was sent. Never names or other row contents.

The API other features build on (sync, updates, withdraw/defer/recommend):

* ``identity_of(row, journal)`` → ``TraineeIdentity`` (in memory only; holds the HESA ID for look-ups);
* ``Ledger(journal, environment, account)``: ``find(identity)``, ``entry(id)``, ``entries()``;
* ``mark_sending`` / ``mark_unknown`` / ``mark_not_sent`` / ``record_created`` / ``record_already_registered``
  / ``record_rejected`` (the create path, each atomic with the batch row it concerns);
* ``record_held(entry_id, field_hashes)``: what Register holds now (after a sync or an update);
  ``record_found(identity, …)``: a trainee found in Register that the ledger did not know
  (``identity_of_record`` makes the identity of one read from Register, e.g. by an action);
* ``begin_request`` / ``settle_request`` / ``record_request`` / ``done_request`` / ``open_requests``: every
  request other than a creation (an update, a degree or placement, withdraw, defer, recommend) is
  journalled ``sending`` on the trainee's entry before it leaves — fenced by the lease, like a
  creation — and settled after its answer, or after reading the trainee back when the answer was
  lost; an outcome reached without sending (Register already shows it, its state refuses it) is
  recorded too. ``done_request`` is what stops the same request being sent twice, ``open_requests``
  what a later run settles before anything else;
* ``Lease``: one writer per environment (below) — whatever the writer: ``upload``, ``sync``,
  ``withdraw``, ``defer`` or ``recommend``.

**One writer per environment.** ``Lease`` holds an operating-system lock on a file beside the
journal (the ``filelock`` library: ``fcntl.flock`` / ``msvcrt.locking``; the OS releases it when the
process dies, even by SIGKILL, and keeps it while the process lives, even paused or asleep) and,
in one SQLite ``BEGIN IMMEDIATE`` transaction, writes the lease row (owner id, process id, host,
start time, and what is writing). Every "sending" mark checks in its own transaction that the lease is still ours, so
a process that lost it can never journal — and so never send — a request. The file lock is what
tells a live holder from a dead one without trusting process ids (they are reused) or clocks (a
heartbeat would expire under a paused process that then wakes up and sends); the SQLite row is
what readers show ("an upload is running in another window (pid N)", or "a sync …") and what fences writers.
Neither alone is enough, so both are kept. A dead holder's lease is taken over at once, but its
in-flight trainees are looked up only after the settle rule (``desktop.core.upload``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import re
import socket
import sqlite3
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from desktop.core.journal import (
    FIELD_HASH_SCHEME,
    IN_FLIGHT,
    BatchBusyError,
    ItemState,
    Journal,
    JournalError,
    parse_time,
    utc_now,
)
from desktop.validation.cycles import cycle_of, start_cycle

IN_REGISTER = frozenset({ItemState.CREATED.value, ItemState.ALREADY.value})


# ---------------------------------------------------------------------- identity
def normalise_hesa_id(value: str) -> str:
    return re.sub(r"\s+", "", value or "").upper()


def first_name_key(name: str) -> str:
    """Register's first-name comparison (SPEC §5.12): lower case, a–z and spaces only, first word."""
    cleaned = re.sub(r"[^a-z ]", "", (name or "").strip().lower())
    return cleaned.split(" ")[0] if cleaned else ""


@dataclass(frozen=True)
class TraineeIdentity:
    """Who a row is, as the ledger knows it. Kept in memory only (``hesa_id`` is never written)."""

    key: str  # keyed hash of HESA ID + cycle of the ITT start date
    hesa_id: str  # normalised; for look-ups in Register
    itt_cycle: int | None  # the ledger's cycle (and Register's duplicate rule's)
    cycle: int | None  # start cycle: GET /trainees files the trainee under it
    match_name: str  # keyed hash of §5.12's identity with the first-name key
    match_email: str | None  # … with the e-mail instead (None without one)
    legacy: str  # the identity hash of journal schema 1 (to adopt old entries)
    fields: Mapping[str, str]  # per-field keyed hashes of the row as it would be sent
    body_hash: str


def identity_of(row: Mapping[str, str], journal: Journal, body_hash: str = "") -> TraineeIdentity:
    """The ledger identity of a template-shaped row (a valid one: HESA ID and ITT start date present)."""
    hesa = normalise_hesa_id(row.get("hesa_id", ""))
    itt = (row.get("itt_start_date") or "").strip()
    itt_cycle = cycle_of(itt)
    key = journal.keyed_hash("trainee", hesa, str(itt_cycle if itt_cycle is not None else itt))
    dob = (row.get("date_of_birth") or "").strip()
    last = (row.get("last_name") or "").strip().casefold()
    route = (row.get("training_route") or "").strip()
    common = (dob, last, route, str(itt_cycle))
    email = (row.get("email") or "").strip().lower()
    legacy = journal.keyed_hash(row.get("hesa_id", ""), row.get("date_of_birth", ""),
                                row.get("last_name", "").casefold(), row.get("first_names", "").casefold(),
                                row.get("training_route", ""), row.get("itt_start_date", ""))
    return TraineeIdentity(
        key=key, hesa_id=hesa, itt_cycle=itt_cycle,
        cycle=start_cycle(row.get("trainee_start_date"), row.get("itt_start_date")),
        match_name=journal.keyed_hash("dup-name", *common, first_name_key(row.get("first_names", ""))),
        match_email=journal.keyed_hash("dup-email", *common, email) if email else None,
        legacy=legacy, fields=journal.field_hashes(hesa, {k: str(v).strip() for k, v in row.items()}),
        body_hash=body_hash)


def identity_of_record(record: Mapping[str, str], journal: Journal, trainee_id: str) -> TraineeIdentity:
    """The identity of a trainee as Register holds it (read by an action or a sync), for ``record_found``.

    Its per-field hashes are left empty: Register's form of a value is not always the file's (codes,
    dates), so nothing is claimed about which fields a row changed. A trainee with no HESA ID
    (possible for one made in Register's web service) is known by Register's own id instead.
    """
    identity = identity_of(record, journal)
    if not identity.hesa_id:
        identity = replace(identity, key=journal.keyed_hash("trainee-id", trainee_id))
    return replace(identity, fields={})


def fields_text(names: Sequence[str], most: int = 6) -> str:
    """'email, first_names' — or the first few and how many more."""
    names = list(names)
    if len(names) <= most:
        return ", ".join(names)
    return f"{', '.join(names[:most])} and {len(names) - most} more fields"


# ---------------------------------------------------------------------- entries
@dataclass(frozen=True)
class LedgerEntry:
    id: int
    environment: str
    account: str
    trainee_key: str
    registration: int
    state: str  # sending, unknown, created, already_registered, rejected, not_sent
    trainee_id: str | None
    trainee_state: str | None
    cycle: int | None
    sent_hashes: dict[str, str]
    held_hashes: dict[str, str] | None  # what Register holds, when known to differ from what was sent
    body_hash: str | None
    batch_id: int | None
    source_row: int | None
    owner: str | None
    attempts: int
    first_sent_at: str | None
    last_sent_at: str | None
    confirmed_by: str | None
    override: str | None
    created_at: str
    updated_at: str
    settled_at: str | None
    match_keys: tuple[str, ...] = ()  # keyed hashes of §5.12's identity (with first name; with e-mail)

    @property
    def in_register(self) -> bool:
        """Register holds this trainee (created by this app, or held already): never POST it again."""
        return self.state in IN_REGISTER

    @property
    def in_flight(self) -> bool:
        """A request may have reached Register and no answer says what became of it."""
        return self.state in (ItemState.SENDING.value, ItemState.UNKNOWN.value)

    @property
    def sent_on(self) -> str:
        """The day it was sent (UTC), as people read it."""
        when = parse_time(self.first_sent_at) or parse_time(self.settled_at) or parse_time(self.created_at)
        return when.date().isoformat() if when else "an earlier day"

    def differs(self, fields: Mapping[str, str]) -> list[str]:
        """Fields whose value now differs from what Register holds (as far as the ledger knows)."""
        held = self.held_hashes if self.held_hashes is not None else self.sent_hashes
        scheme = FIELD_HASH_SCHEME[0]
        if not held or held.get(scheme) != fields.get(scheme):
            return []  # nothing known, or made another way: cannot tell, so nothing is claimed
        return sorted(name for name in set(fields) | set(held) if name != scheme and fields.get(name) != held.get(name))

    def describe(self) -> str:
        """'already sent on DATE in batch N (trainee id X)' — or, for a trainee this app did not send but found
        in Register (by a sync or an action), 'already in Register (found on DATE, trainee id X)'."""
        tid = self.trainee_id or "not known"
        if self.batch_id is None and self.first_sent_at is None and self.confirmed_by in FOUND_BY:
            return f"already in Register (found on {self.sent_on}, trainee id {tid})"
        where = f" in batch {self.batch_id}" if self.batch_id is not None else ""
        return f"already sent on {self.sent_on}{where} (trainee id {tid})"


#: how a trainee the app did not send came to be in the ledger (``record_found``)
FOUND_BY = frozenset({"sync", "lookup", "action"})
#: states of a request: ``sending``/``unknown`` are open (it may have reached Register; settle before repeating)
OPEN_REQUEST = ("sending", "unknown")
#: outcomes after which the same request is never sent again: Register did it, or already showed it
SETTLED_REQUEST = ("done", "already")
REQUEST_STATES = frozenset({*OPEN_REQUEST, *SETTLED_REQUEST, "failed", "rejected", "refused", "not_found",
                            "not_sent"})


@dataclass(frozen=True)
class Request:
    """A request that changes Register, journalled before it was sent (or an outcome reached without sending)."""

    id: int
    trainee: int  # ledger entry
    kind: str  # create, update, add_degree, change_degree, add_placement, withdraw, defer, recommend
    body_hash: str | None
    state: str  # sending, unknown, done, already, failed, rejected, refused, not_found, not_sent
    owner: str | None
    sent_at: str | None  # Register's clock
    http_status: int | None
    detail: str | None
    created_at: str
    updated_at: str
    run_id: int | None = None  # the sync or action run that sent it (None: an upload's creation)
    row_key: str = ""  # keyed hash of how the file named the trainee (an action's identifier)
    target: str = ""  # the degree, or the placement ("URN#n": the n-th at that school)
    source_row: int | None = None
    fields: tuple[str, ...] = ()  # the fields it changes (names only)
    messages: tuple[str, ...] = ()  # Register's words
    confirmed_by: str | None = None  # answer, lookup, register, journal
    attempts: int = 0
    trainee_id: str | None = None  # Register's id of the trainee (from the ledger entry)

    @property
    def open(self) -> bool:
        return self.state in OPEN_REQUEST

    @property
    def day(self) -> str:
        return (self.sent_at or self.updated_at)[:10]


class LedgerIndex:
    """``Ledger.find`` over entries read once (the plan of a big file asks for every row)."""

    def __init__(self, entries: Sequence[LedgerEntry]) -> None:
        self.by_key: dict[str, LedgerEntry] = {}
        self.by_legacy: dict[str, LedgerEntry] = {}
        self.by_match: dict[str, LedgerEntry] = {}
        self._entries = {e.id: e for e in entries}
        for e in sorted(entries, key=lambda e: (e.registration, e.id)):  # the latest registration wins
            if e.trainee_key.startswith("legacy:"):
                self.by_legacy[e.trainee_key[len("legacy:"):]] = e
            else:
                self.by_key[e.trainee_key] = e
            if e.in_register:
                for m in e.match_keys:
                    self.by_match[m] = e

    def find(self, identity: TraineeIdentity) -> LedgerEntry | None:
        found = self.by_key.get(identity.key) or self.by_legacy.get(identity.legacy)
        if found is None:
            found = self.by_match.get(identity.match_name) or (
                self.by_match.get(identity.match_email) if identity.match_email else None)
        return found

    def entry(self, entry_id: int) -> LedgerEntry | None:
        return self._entries.get(entry_id)


class LeaseLost(JournalError):
    title = "Another upload took over"


class Ledger:
    """The ledger of one environment (and account, where known), over a ``Journal``'s connection."""

    def __init__(self, journal: Journal, environment: str, account: str = "") -> None:
        self.journal = journal
        self.environment = environment
        self.account = account

    @property
    def _db(self) -> sqlite3.Connection:
        return self.journal.db

    def _where(self) -> tuple[str, tuple[Any, ...]]:
        if not self.account:
            return "environment = ?", (self.environment,)
        return "environment = ? AND account IN ('', ?)", (self.environment, self.account)

    # ------------------------------------------------------------------ reads
    def entry(self, entry_id: int) -> LedgerEntry:
        row = self._db.execute("SELECT * FROM trainee WHERE id = ?", (entry_id,)).fetchone()
        if row is None:
            raise KeyError(entry_id)
        return _entry(row)

    def get(self, entry_id: int | None) -> LedgerEntry | None:
        """The entry, or None when there is none (never recorded, or forgotten with Practice's data)."""
        if entry_id is None:
            return None
        row = self._db.execute("SELECT * FROM trainee WHERE id = ?", (entry_id,)).fetchone()
        return _entry(row) if row is not None else None

    def entries(self) -> list[LedgerEntry]:
        where, args = self._where()
        return [_entry(r) for r in self._db.execute(f"SELECT * FROM trainee WHERE {where} ORDER BY id", args)]

    def in_flight(self) -> list[LedgerEntry]:
        where, args = self._where()
        return [_entry(r) for r in self._db.execute(
            f"SELECT * FROM trainee WHERE {where} AND state IN ('sending', 'unknown') ORDER BY id", args)]

    def index(self) -> LedgerIndex:
        """Every entry of this environment in memory, for deciding many rows at once (``find`` per row)."""
        return LedgerIndex(self.entries())

    def find(self, identity: TraineeIdentity) -> LedgerEntry | None:
        """The ledger's entry for this trainee: by key (latest registration), else an old journal's
        entry by its identity hash, else a trainee in Register matching §5.12's identity (a row whose
        HESA ID or ITT start date was corrected after it was sent)."""
        where, args = self._where()
        row = self._db.execute(
            f"SELECT * FROM trainee WHERE {where} AND trainee_key = ? ORDER BY registration DESC, id DESC LIMIT 1",
            (*args, identity.key)).fetchone()
        if row is None:
            row = self._db.execute(
                f"SELECT * FROM trainee WHERE {where} AND legacy_fingerprint = ? AND trainee_key LIKE 'legacy:%'"
                " ORDER BY id DESC LIMIT 1", (*args, identity.legacy)).fetchone()
        if row is None:
            emails = (identity.match_email,) if identity.match_email else ()
            row = self._db.execute(
                f"SELECT * FROM trainee WHERE {where} AND state IN ('created', 'already_registered') AND"
                f" (match_name = ?{' OR match_email = ?' if emails else ''}) ORDER BY id DESC LIMIT 1",
                (*args, identity.match_name, *emails)).fetchone()
        return _entry(row) if row is not None else None

    def adopt(self, entry: LedgerEntry, identity: TraineeIdentity) -> LedgerEntry:
        """An old journal's entry seen again: give it the trainee key, cycle and field hashes it lacked."""
        if not entry.trainee_key.startswith("legacy:"):
            return entry
        with self.journal.transaction() as db:
            db.execute("UPDATE trainee SET trainee_key = ?, match_name = ?, match_email = ?, cycle = COALESCE(cycle, ?),"
                       " sent_hashes = CASE WHEN sent_hashes = '{}' THEN ? ELSE sent_hashes END, updated_at = ?"
                       " WHERE id = ?", (identity.key, identity.match_name, identity.match_email, identity.cycle,
                                          json.dumps(dict(identity.fields)), utc_now(), entry.id))
        return self.entry(entry.id)

    # ------------------------------------------------------------------ the create path
    def mark_sending(self, identity: TraineeIdentity, *, item_id: int | None, sent_at: str, owner: str | None,
                     batch_id: int | None = None, source_row: int | None = None, new_registration: str | None = None,
                     entry_id: int | None = None) -> int:
        """Committed right before a ``POST /trainees``: from here until an answer the outcome is unknown.

        Fenced: raises ``LeaseLost`` if ``owner`` no longer holds the environment's lease, and
        ``AlreadyInRegister`` if the ledger meanwhile holds the trainee (nothing is then sent).
        ``new_registration`` (who asked, when) records a genuine second registration. Returns the entry id.
        """
        now = utc_now()
        with self.journal.transaction() as db:
            self._check_lease(db, owner)
            if entry_id is None and new_registration is None:
                current = self.find(identity)
                if current is not None:
                    if current.in_register:
                        raise AlreadyInRegister(current)
                    entry_id = current.id  # an earlier attempt (rejected, not sent, or in flight): the same entry
            known = db.execute("SELECT * FROM trainee WHERE id = ?", (entry_id,)).fetchone() if entry_id else None
            if known is None:
                entry_id = None  # never recorded, or forgotten (Practice's data purged): a new entry
            if entry_id is not None and known is not None:
                current = _entry(known)
                if current.in_register:
                    raise AlreadyInRegister(current)
                db.execute(
                    "UPDATE trainee SET state = 'sending', owner = ?, attempts = attempts + 1, body_hash = ?,"
                    " sent_hashes = ?, match_name = ?, match_email = ?, cycle = ?, first_sent_at = COALESCE(first_sent_at, ?),"
                    " last_sent_at = ?, batch_id = COALESCE(?, batch_id), source_row = COALESCE(?, source_row),"
                    " updated_at = ? WHERE id = ?",
                    (owner, identity.body_hash, json.dumps(dict(identity.fields)), identity.match_name,
                     identity.match_email, identity.cycle, sent_at, sent_at, batch_id, source_row, now, entry_id))
            else:
                registration = 1
                if new_registration is not None:
                    top = db.execute(f"SELECT MAX(registration) FROM trainee WHERE {self._where()[0]} AND trainee_key = ?",
                                     (*self._where()[1], identity.key)).fetchone()[0]
                    registration = int(top or 0) + 1
                cur = db.execute(
                    "INSERT INTO trainee (environment, account, trainee_key, registration, match_name, match_email, state,"
                    " cycle, sent_hashes, body_hash, batch_id, source_row, owner, attempts, first_sent_at, last_sent_at,"
                    " override, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 'sending', ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?)",
                    (self.environment, self.account, identity.key, registration, identity.match_name,
                     identity.match_email, identity.cycle, json.dumps(dict(identity.fields)), identity.body_hash,
                     batch_id, source_row, owner, sent_at, sent_at, new_registration, now, now))
                entry_id = int(cur.lastrowid or 0)
            db.execute("INSERT INTO request (trainee, kind, body_hash, state, owner, sent_at, created_at, updated_at)"
                       " VALUES (?, 'create', ?, 'sending', ?, ?, ?, ?)",
                       (entry_id, identity.body_hash, owner, sent_at, now, now))
            if item_id is not None:
                db.execute(
                    "UPDATE item SET state = 'sending', ledger_id = ?, payload_hash = ?, attempts = attempts + 1,"
                    " first_sent_at = COALESCE(first_sent_at, ?), last_sent_at = ?, updated_at = ? WHERE id = ?",
                    (entry_id, identity.body_hash, sent_at, sent_at, now, item_id))
        return entry_id

    def mark_unknown(self, entry_id: int, item_id: int | None, http_status: int | None) -> None:
        """The request may have reached Register but no usable answer came back."""
        now = utc_now()
        with self.journal.transaction() as db:
            db.execute("UPDATE trainee SET state = 'unknown', updated_at = ? WHERE id = ? AND state IN ('sending', 'unknown')",
                       (now, entry_id))
            self._settle_open(db, entry_id, "unknown", http_status, now)
            if item_id is not None:
                db.execute("UPDATE item SET state = 'unknown', maybe_sent = 1, http_status = ?, updated_at = ? WHERE id = ?",
                           (http_status, now, item_id))

    def mark_not_sent(self, entry_id: int, item_id: int | None) -> None:
        """The attempt certainly did not reach Register (cancelled while waiting, 401, 403, 404, 429)."""
        now = utc_now()
        with self.journal.transaction() as db:
            maybe = db.execute("SELECT COUNT(*) FROM request WHERE trainee = ? AND kind = 'create' AND state = 'unknown'",
                               (entry_id,)).fetchone()[0]
            self._settle_open(db, entry_id, "not_sent", None, now, only_state="sending")
            if maybe:
                db.execute("UPDATE trainee SET state = 'unknown', updated_at = ? WHERE id = ? AND state = 'sending'",
                           (now, entry_id))
            else:  # nothing of it ever reached Register
                db.execute("UPDATE trainee SET state = 'not_sent', updated_at = ? WHERE id = ? AND state = 'sending'",
                           (now, entry_id))
            if item_id is not None:
                db.execute("UPDATE item SET state = CASE WHEN maybe_sent = 1 THEN 'unknown' ELSE 'pending' END,"
                           " updated_at = ? WHERE id = ? AND state = 'sending'", (now, item_id))

    def record_created(self, entry_id: int, item_id: int | None, *, trainee_id: str | None, trainee_state: str | None,
                       confirmed_by: str, http_status: int | None) -> None:
        self._record(entry_id, item_id, ItemState.CREATED, trainee_id=trainee_id, trainee_state=trainee_state,
                     confirmed_by=confirmed_by, http_status=http_status)

    def record_already_registered(self, entry_id: int, item_id: int | None, *, trainee_id: str | None,
                                  trainee_state: str | None, http_status: int | None, messages: Sequence[str]) -> None:
        """Register already held this trainee before this app sent it (a 409, or a look-up found an older one)."""
        self._record(entry_id, item_id, ItemState.ALREADY, trainee_id=trainee_id, trainee_state=trainee_state,
                     confirmed_by=str(http_status or "lookup"), http_status=http_status, messages=messages)

    def record_rejected(self, entry_id: int, item_id: int | None, *, http_status: int | None,
                        messages: Sequence[str]) -> None:
        """Register stored nothing (422/400): the trainee is not in Register."""
        self._record(entry_id, item_id, ItemState.REJECTED, trainee_id=None, trainee_state=None,
                     confirmed_by=None, http_status=http_status, messages=messages)

    def _record(self, entry_id: int, item_id: int | None, state: ItemState, *, trainee_id: str | None,
                trainee_state: str | None, confirmed_by: str | None, http_status: int | None,
                messages: Sequence[str] = ()) -> None:
        now = utc_now()
        with self.journal.transaction() as db:
            settled = now if state in (ItemState.CREATED, ItemState.ALREADY) else None
            db.execute("UPDATE trainee SET state = ?, trainee_id = COALESCE(?, trainee_id), trainee_state = ?,"
                       " confirmed_by = ?, settled_at = COALESCE(?, settled_at), updated_at = ? WHERE id = ?",
                       (state.value, trainee_id, trainee_state, confirmed_by, settled, now, entry_id))
            self._settle_open(db, entry_id, "failed" if state == ItemState.REJECTED else "done", http_status, now,
                              detail=confirmed_by)
            if item_id is not None:
                db.execute("UPDATE item SET state = ?, http_status = ?, trainee_id = ?, trainee_state = ?, confirmed_by = ?,"
                           " messages = ?, ledger_id = ?, updated_at = ? WHERE id = ?",
                           (state.value, http_status, trainee_id, trainee_state, confirmed_by,
                            json.dumps(list(messages), ensure_ascii=False), entry_id, now, item_id))

    def mark_item_already_sent(self, item_id: int, entry: LedgerEntry, differs: Sequence[str]) -> None:
        """A batch row whose trainee the ledger holds (sent from elsewhere, or settled since): not sent."""
        message = f"This trainee was {entry.describe()}"
        if differs:
            message += f"; the row now differs in {fields_text(differs)} (not sent: Register keeps what was sent)"
        with self.journal.transaction() as db:
            db.execute("UPDATE item SET state = 'already_sent', trainee_id = ?, trainee_state = ?, confirmed_by = 'ledger',"
                       " ledger_id = ?, messages = ?, differs = ?, updated_at = ? WHERE id = ?",
                       (entry.trainee_id, entry.trainee_state, entry.id, json.dumps([message], ensure_ascii=False),
                        json.dumps(list(differs)), utc_now(), item_id))

    def set_item_differs(self, item_id: int, entry: LedgerEntry, differs: Sequence[str]) -> None:
        """A batch row sent earlier whose values changed since (or changed back): say which fields."""
        note = [f"Already sent on {entry.sent_on} in batch {entry.batch_id} (trainee id {entry.trainee_id}); the row "
                f"now differs in {fields_text(differs)} (not sent again: Register keeps what was sent)"] if differs else []
        with self.journal.transaction() as db:
            db.execute("UPDATE item SET differs = ?, messages = CASE WHEN state = 'created' THEN ? ELSE messages END,"
                       " updated_at = ? WHERE id = ?",
                       (json.dumps(list(differs)), json.dumps(note, ensure_ascii=False), utc_now(), item_id))

    def link_item(self, item_id: int, entry: LedgerEntry) -> None:
        """A batch row whose trainee is in flight from an earlier run: it becomes that request's row."""
        with self.journal.transaction() as db:
            db.execute("UPDATE item SET state = 'unknown', maybe_sent = 1, ledger_id = ?, first_sent_at = ?,"
                       " last_sent_at = ?, updated_at = ? WHERE id = ?",
                       (entry.id, entry.first_sent_at, entry.last_sent_at, utc_now(), item_id))

    def mark_item_created(self, item_id: int, entry: LedgerEntry) -> None:
        """A batch row whose own request the ledger has meanwhile settled as created."""
        with self.journal.transaction() as db:
            db.execute("UPDATE item SET state = ?, trainee_id = ?, trainee_state = ?, confirmed_by = ?, ledger_id = ?,"
                       " updated_at = ? WHERE id = ?", (entry.state, entry.trainee_id, entry.trainee_state,
                                                        entry.confirmed_by, entry.id, utc_now(), item_id))

    # ------------------------------------------------------------------ what Register holds (sync)
    def record_held(self, entry_id: int, field_hashes: Mapping[str, str], *, trainee_state: str | None = None) -> None:
        """Register now holds these values (after an update, or read back by a sync)."""
        with self.journal.transaction() as db:
            db.execute("UPDATE trainee SET held_hashes = ?, trainee_state = COALESCE(?, trainee_state), updated_at = ?"
                       " WHERE id = ?", (json.dumps(dict(field_hashes)), trainee_state, utc_now(), entry_id))

    def record_found(self, identity: TraineeIdentity, *, trainee_id: str, trainee_state: str | None,
                     found_by: str = "lookup", in_register_before: bool = True,
                     held: Mapping[str, str] | None = None) -> int:
        """A trainee found in Register (by a look-up, a sync or an action) that the ledger did not know: remember
        it, so that no upload ever posts it. ``held``: per-field hashes of what Register holds, where known
        (default: the identity's, i.e. the row's; ``{}``: not known, so no field is ever said to differ)."""
        now = utc_now()
        state = ItemState.ALREADY.value if in_register_before else ItemState.CREATED.value
        held_hashes = dict(identity.fields) if held is None else dict(held)
        with self.journal.transaction() as db:
            cur = db.execute(
                "INSERT INTO trainee (environment, account, trainee_key, match_name, match_email, state, trainee_id,"
                " trainee_state, cycle, sent_hashes, held_hashes, confirmed_by, created_at, updated_at, settled_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, '{}', ?, ?, ?, ?, ?)",
                (self.environment, self.account, identity.key, identity.match_name, identity.match_email, state,
                 trainee_id, trainee_state, identity.cycle, json.dumps(held_hashes), found_by, now, now, now))
        return int(cur.lastrowid or 0)

    def by_trainee_id(self, trainee_id: str) -> LedgerEntry | None:
        """The entry of the trainee Register knows by this id (the latest, if several were made)."""
        where, args = self._where()
        row = self._db.execute(f"SELECT * FROM trainee WHERE {where} AND trainee_id = ? AND state IN"
                               " ('created', 'already_registered') ORDER BY registration DESC, id DESC LIMIT 1",
                               (*args, trainee_id)).fetchone()
        return _entry(row) if row is not None else None

    # ------------------------------------------------------------------ any other request (sync, actions)
    def begin_request(self, entry_id: int, kind: str, *, body_hash: str | None, sent_at: str, owner: str | None,
                      run_id: int | None = None, row_key: str = "", target: str = "", source_row: int | None = None,
                      fields: Sequence[str] = (), request_id: int | None = None) -> int:
        """Journal a request about a trainee before sending it — committed, and fenced by the lease like a
        creation (``LeaseLost`` when ``owner`` no longer holds the environment: then nothing may be sent).
        ``request_id`` repeats an open request of this run (a retry after an answer that said it never arrived)."""
        now = utc_now()
        with self.journal.transaction() as db:
            self._check_lease(db, owner)
            if request_id is not None:
                db.execute("UPDATE request SET state = 'sending', owner = ?, attempts = attempts + 1,"
                           " sent_at = COALESCE(sent_at, ?), run_id = COALESCE(?, run_id), updated_at = ? WHERE id = ?",
                           (owner, sent_at, run_id, now, request_id))
                return request_id
            cur = db.execute(
                "INSERT INTO request (trainee, kind, body_hash, state, owner, sent_at, created_at, updated_at, run_id,"
                " row_key, target, source_row, fields, attempts) VALUES (?, ?, ?, 'sending', ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)",
                (entry_id, kind, body_hash, owner, sent_at, now, now, run_id, row_key, target, source_row,
                 json.dumps(list(fields))))
        return int(cur.lastrowid or 0)

    def settle_request(self, request_id: int, state: str, *, http_status: int | None = None,
                       detail: str | None = None, messages: Sequence[str] = (), confirmed_by: str | None = None,
                       run_id: int | None = None) -> None:
        """The outcome of a journalled request: ``unknown`` (no usable answer: read the trainee back later),
        ``done``, ``already``, ``failed``/``rejected``/``refused``/``not_found`` (Register's answer, kept in
        ``messages``) or ``not_sent`` (it certainly never reached Register)."""
        if state not in REQUEST_STATES or state == "sending":
            raise ValueError(state)
        with self.journal.transaction() as db:
            db.execute("UPDATE request SET state = ?, http_status = COALESCE(?, http_status), detail = COALESCE(?, detail),"
                       " messages = CASE WHEN ? = '[]' THEN messages ELSE ? END, confirmed_by = COALESCE(?, confirmed_by),"
                       " run_id = COALESCE(?, run_id), updated_at = ? WHERE id = ?",
                       (state, http_status, detail, json.dumps(list(messages)), json.dumps(list(messages)),
                        confirmed_by, run_id, utc_now(), request_id))

    def record_request(self, entry_id: int, kind: str, state: str, *, body_hash: str | None, run_id: int | None = None,
                       row_key: str = "", target: str = "", source_row: int | None = None, fields: Sequence[str] = (),
                       messages: Sequence[str] = (), confirmed_by: str | None = None) -> int:
        """An outcome reached without sending: ``already`` (Register shows it done), ``refused`` (its state
        forbids it), ``rejected`` (its rules, checked with the trainee's data). Kept for receipts, history and
        — for ``already`` — so that the same request is never sent."""
        if state not in ("already", "refused", "rejected", "not_found"):
            raise ValueError(state)
        now = utc_now()
        with self.journal.transaction() as db:
            cur = db.execute(
                "INSERT INTO request (trainee, kind, body_hash, state, created_at, updated_at, run_id, row_key, target,"
                " source_row, fields, messages, confirmed_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (entry_id, kind, body_hash, state, now, now, run_id, row_key, target, source_row,
                 json.dumps(list(fields)), json.dumps(list(messages)), confirmed_by))
        return int(cur.lastrowid or 0)

    def _requests_where(self, kinds: Sequence[str] | None, states: Sequence[str], **match: Any) -> list[Request]:
        where, args = self._where()
        sql = [f"trainee.{where}", f"request.state IN ({','.join('?' * len(states))})"]
        params: list[Any] = [*args, *states]
        if kinds:
            sql.append(f"request.kind IN ({','.join('?' * len(kinds))})")
            params.extend(kinds)
        for column, value in match.items():
            if value is not None:
                sql.append(f"{'trainee' if column == 'trainee_id' else 'request'}.{column} = ?")
                params.append(value)
        return [_request(r) for r in self._db.execute(
            "SELECT request.*, trainee.trainee_id AS trainee_id FROM request JOIN trainee ON trainee.id = request.trainee"
            f" WHERE {' AND '.join(sql)} ORDER BY request.id", params)]

    def done_request(self, kind: str, body_hash: str, *, trainee_id: str | None = None, row_key: str | None = None,
                     target: str | None = None) -> Request | None:
        """The same request (kind and body) already done for this trainee — by Register's id, or by the
        identifier the file used — if any: then it is never sent again."""
        found = self._requests_where((kind,), SETTLED_REQUEST, body_hash=body_hash, trainee_id=trainee_id,
                                     row_key=row_key, target=target)
        return found[-1] if found else None

    def open_requests(self, kind: str | Sequence[str] | None = None) -> list[Request]:
        """Requests with no known outcome (left by a crash or a lost answer): look each up before repeating it."""
        kinds = (kind,) if isinstance(kind, str) else kind
        return self._requests_where(kinds, OPEN_REQUEST)

    def request(self, request_id: int) -> Request:
        row = self._db.execute("SELECT request.*, trainee.trainee_id AS trainee_id FROM request JOIN trainee"
                               " ON trainee.id = request.trainee WHERE request.id = ?", (request_id,)).fetchone()
        if row is None:
            raise KeyError(request_id)
        return _request(row)

    def requests(self, entry_id: int) -> list[Request]:
        return [_request(r) for r in self._db.execute(
            "SELECT request.*, trainee.trainee_id AS trainee_id FROM request JOIN trainee ON trainee.id = request.trainee"
            " WHERE request.trainee = ? ORDER BY request.id", (entry_id,))]

    def trainee_named_by(self, row_key: str) -> str | None:
        """Register's id of the trainee an earlier run found for this identifier of a file (no look-up needed)."""
        found = self._requests_where(None, tuple(REQUEST_STATES), row_key=row_key)
        ids = [r.trainee_id for r in found if r.trainee_id]
        return ids[-1] if ids else None

    # ------------------------------------------------------------------ plumbing
    def _settle_open(self, db: sqlite3.Connection, entry_id: int, state: str, http_status: int | None, now: str, *,
                     only_state: str | None = None, detail: str | None = None) -> None:
        states = (only_state,) if only_state else ("sending", "unknown")
        db.execute(f"UPDATE request SET state = ?, http_status = COALESCE(?, http_status), detail = COALESCE(?, detail),"
                   f" updated_at = ? WHERE trainee = ? AND kind = 'create' AND state IN ({','.join('?' * len(states))})",
                   (state, http_status, detail, now, entry_id, *states))

    def _check_lease(self, db: sqlite3.Connection, owner: str | None) -> None:
        if owner is None:
            return
        row = db.execute("SELECT owner, pid FROM lease WHERE environment = ?", (self.environment,)).fetchone()
        if row is None or row["owner"] != owner:
            raise LeaseLost(
                f"Another upload to this environment (process {row['pid'] if row else 'unknown'}) took over, so this one "
                "stopped without sending anything more. Nothing will be sent twice.")


class AlreadyInRegister(Exception):
    """The ledger holds the trainee already (found at the moment of sending): nothing is sent."""

    def __init__(self, entry: LedgerEntry) -> None:
        super().__init__(entry.describe())
        self.entry = entry


def _entry(row: sqlite3.Row) -> LedgerEntry:
    held = row["held_hashes"]
    return LedgerEntry(
        id=int(row["id"]), environment=row["environment"], account=row["account"], trainee_key=row["trainee_key"],
        registration=int(row["registration"]), state=row["state"], trainee_id=row["trainee_id"],
        trainee_state=row["trainee_state"], cycle=row["cycle"], sent_hashes=json.loads(row["sent_hashes"] or "{}"),
        held_hashes=json.loads(held) if held else None, body_hash=row["body_hash"], batch_id=row["batch_id"],
        source_row=row["source_row"], owner=row["owner"], attempts=int(row["attempts"]),
        first_sent_at=row["first_sent_at"], last_sent_at=row["last_sent_at"], confirmed_by=row["confirmed_by"],
        override=row["override"], created_at=row["created_at"], updated_at=row["updated_at"],
        settled_at=row["settled_at"], match_keys=tuple(m for m in (row["match_name"], row["match_email"]) if m))


def _request(row: sqlite3.Row) -> Request:
    keys = row.keys()
    return Request(id=int(row["id"]), trainee=int(row["trainee"]), kind=row["kind"], body_hash=row["body_hash"],
                   state=row["state"], owner=row["owner"], sent_at=row["sent_at"], http_status=row["http_status"],
                   detail=row["detail"], created_at=row["created_at"], updated_at=row["updated_at"],
                   run_id=row["run_id"], row_key=row["row_key"] or "", target=row["target"] or "",
                   source_row=row["source_row"], fields=tuple(json.loads(row["fields"] or "[]")),
                   messages=tuple(json.loads(row["messages"] or "[]")), confirmed_by=row["confirmed_by"],
                   attempts=int(row["attempts"] or 0), trainee_id=row["trainee_id"] if "trainee_id" in keys else None)


def run_requests(journal: Journal, run_id: int) -> list[Request]:
    """The requests of one sync or action run, in the order they were made (for receipts and ``history``)."""
    return [_request(r) for r in journal.db.execute(
        "SELECT request.*, trainee.trainee_id AS trainee_id FROM request JOIN trainee ON trainee.id = request.trainee"
        " WHERE request.run_id = ? ORDER BY request.id", (run_id,))]


# ---------------------------------------------------------------------- one writer per environment
#: what may hold an environment's lease (every command that sends to Register), as people read it
WRITERS = {"upload": "an upload", "sync": "a sync", "withdraw": "a withdrawal", "defer": "a deferral",
           "recommend": "a recommendation for QTS or EYTS"}


@dataclass(frozen=True)
class LeaseInfo:
    environment: str
    owner: str
    pid: int
    host: str
    started_at: str
    what: str = "upload"  # upload, sync, withdraw, defer or recommend

    def describe(self) -> str:
        """'an upload is running in another window (pid N, started HH:MM:SS UTC)' — or a sync, a withdrawal, …"""
        started = (parse_time(self.started_at) or dt.datetime.now(dt.UTC)).strftime("%H:%M:%S UTC")
        where = "" if self.host == socket.gethostname() else f" on {self.host}"
        return f"{WRITERS.get(self.what, 'an upload')} is running in another window (pid {self.pid}{where}, started {started})"


class UploadRunningError(BatchBusyError):
    """Another process holds the environment's lease (an upload, a sync or an action: one writer per environment)."""

    title = "Another window is sending to Register"

    def __init__(self, info: LeaseInfo | None, environment_label: str) -> None:
        what = info.describe() if info is not None else "an upload is running in another window"
        super().__init__(
            f"{what[0].upper()}{what[1:]} to {environment_label}. Only one upload, sync, withdrawal, deferral or "
            "recommendation at a time may send to an environment, so nothing was sent from here: wait for it to "
            "finish, then run this again (what it has sent is never sent twice).")
        self.info = info


def lock_path(journal_path: Path, environment: str) -> Path:
    digest = hashlib.sha256(environment.encode("utf-8")).hexdigest()[:20]
    return journal_path.parent / "journal-locks" / f"env-{digest}.lock"


def _file_lock(path: Path) -> Any:
    from filelock import FileLock

    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        return FileLock(str(path), mode=0o600, fallback_to_soft=False)
    except TypeError:  # an older filelock without the option: its OS locks are the default anyway
        return FileLock(str(path), mode=0o600)


class Lease:
    """Hold an environment for this process (see the module docstring). A context manager."""

    def __init__(self, journal: Journal, environment: str, *, label: str | None = None, what: str = "upload") -> None:
        self.journal = journal
        self.environment = environment
        self.label = label or environment
        self.what = what
        self.owner = uuid.uuid4().hex
        self.previous: LeaseInfo | None = None  # a dead holder's lease taken over
        self._lock = _file_lock(lock_path(journal.path, environment))
        self.held = False

    def acquire(self) -> Lease:
        from filelock import Timeout

        try:  # a reader probing the lock holds it for an instant: wait that out, never a running upload
            self._lock.acquire(timeout=0.5, poll_interval=0.02)
        except Timeout:
            raise UploadRunningError(read_lease(self.journal, self.environment), self.label) from None
        try:
            now = utc_now()
            with self.journal.transaction() as db:
                row = db.execute("SELECT * FROM lease WHERE environment = ?", (self.environment,)).fetchone()
                if row is not None:
                    self.previous = _lease(row)
                db.execute("INSERT OR REPLACE INTO lease (environment, owner, pid, host, started_at, heartbeat_at, what)"
                           " VALUES (?, ?, ?, ?, ?, ?, ?)",
                           (self.environment, self.owner, os.getpid(), socket.gethostname(), now, now, self.what))
        except BaseException:
            self._lock.release()
            raise
        self.held = True
        return self

    def release(self) -> None:
        if not self.held:
            return
        self.held = False
        try:
            with contextlib.suppress(JournalError), self.journal.transaction() as db:
                db.execute("DELETE FROM lease WHERE environment = ? AND owner = ?", (self.environment, self.owner))
        finally:
            self._lock.release()

    def __enter__(self) -> Lease:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


def account_key(journal: Journal, account: str | None) -> str:
    """The ledger's account: a keyed hash of the provider Register names for the token ('' where it names none)."""
    return journal.keyed_hash("account", account) if account else ""


@contextlib.contextmanager
def holding(journal: Journal, environment: str, *, label: str, what: str, lease: Lease | None = None) -> Iterator[Lease]:
    """The environment's lease for a run: ``lease`` when the caller holds it already (a sync creating its new
    trainees through the upload's path), else acquired here and released at the end."""
    if lease is not None:
        yield lease
        return
    with Lease(journal, environment, label=label, what=what) as held:
        yield held


def forget_environment(journal: Journal, environment: str) -> int:
    """Forget what was sent to one environment: its ledger entries and requests, its sync and action runs, and its
    finished batches (an unfinished batch is kept, as always; its rows stay as they are).

    Only for Practice, when the practice Register's own trainees are purged: a ledger that remembered
    trainees the practice Register no longer holds would stop a rehearsal for no reason. Returns the
    number of ledger entries forgotten.
    """
    with journal.transaction() as db:
        ids = [r[0] for r in db.execute("SELECT id FROM batch WHERE (scope = ? OR (scope = '' AND environment = ?))"
                                        " AND status = 'complete'", (environment, environment))]
        for batch_id in ids:
            db.execute("DELETE FROM item WHERE batch_id = ?", (batch_id,))
            db.execute("DELETE FROM batch WHERE id = ?", (batch_id,))
        db.execute("DELETE FROM request WHERE trainee IN (SELECT id FROM trainee WHERE environment = ?)", (environment,))
        db.execute("DELETE FROM run WHERE environment = ?", (environment,))  # their requests went just above
        cur = db.execute("DELETE FROM trainee WHERE environment = ?", (environment,))
    return cur.rowcount


def read_lease(journal: Journal, environment: str) -> LeaseInfo | None:
    row = journal.db.execute("SELECT * FROM lease WHERE environment = ?", (environment,)).fetchone()
    return _lease(row) if row is not None else None


def running_uploads(journal: Journal) -> list[LeaseInfo]:
    """Uploads running now in other processes (for readers: never waits, answers at once)."""
    from filelock import Timeout

    out = []
    for row in journal.db.execute("SELECT * FROM lease ORDER BY environment").fetchall():
        info = _lease(row)
        probe = _file_lock(lock_path(journal.path, info.environment))
        try:
            probe.acquire(blocking=False)
        except Timeout:
            out.append(info)  # its holder is alive
            continue
        probe.release()  # nobody holds it: a lease left by a process that died
    return out


def running_upload(journal: Journal, environment: str) -> LeaseInfo | None:
    for info in running_uploads(journal):
        if info.environment == environment:
            return info
    return None


def _lease(row: sqlite3.Row) -> LeaseInfo:
    return LeaseInfo(environment=row["environment"], owner=row["owner"], pid=int(row["pid"]), host=row["host"],
                     started_at=row["started_at"], what=row["what"] or "upload")


@contextlib.contextmanager
def hold_batch(journal: Journal, batch_id: int) -> Iterator[None]:
    """Hold the environment of a batch (to forget or purge it): ``UploadRunningError`` while an upload runs there."""
    batch = journal.batch(batch_id)
    if batch is None:
        yield
        return
    with Lease(journal, batch.meta.scope or batch.meta.environment, label=batch.meta.environment_label):
        yield


__all__ = [
    "IN_FLIGHT",
    "AlreadyInRegister",
    "Lease",
    "LeaseInfo",
    "LeaseLost",
    "Ledger",
    "LedgerEntry",
    "Request",
    "TraineeIdentity",
    "UploadRunningError",
    "hold_batch",
    "holding",
    "identity_of",
    "identity_of_record",
    "read_lease",
    "running_upload",
    "running_uploads",
]
