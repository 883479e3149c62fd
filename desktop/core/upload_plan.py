"""What an upload would do now, row by row: the one decision the command line, the window and the upload share.

``prepare_rows`` turns the session's sendable rows into request bodies with their ledger identity;
``decide`` sets each row against the file's batch and the trainee ledger (``desktop.core.ledger``):

* ``send`` — nothing of this trainee is in Register as far as the ledger knows;
* ``again`` — the user asked for a genuine second registration of a trainee the ledger holds;
* ``check`` — an earlier request for it may have reached Register (a crash, a lost answer): it is
  looked up once Register has had time to finish, and sent only if it is not there;
* ``already_sent`` — the ledger holds the trainee, sent from another batch, row or file: never
  posted again (the fields that differ since are named);
* ``done`` — this batch already has Register's answer for the row (``created`` from the ledger, a
  rejection of the same body, …).

``plan_upload`` counts them (with the time at the rate limit and whether another window is
uploading); ``TimeLeft`` is the time remaining both front ends show; ``counts_text`` the batch's
counts in words. The window's Upload step only shows these.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from desktop.api.environments import Environment
from desktop.api.payload import build_payload, payload_hash
from desktop.api.ratelimit import RateLimiter
from desktop.core.journal import FINAL, IN_FLIGHT, Batch, Item, ItemState, Journal
from desktop.core.ledger import LeaseInfo, Ledger, LedgerEntry, TraineeIdentity, identity_of, running_upload
from desktop.core.session import ImportSession

#: the states in which a row has Register's final answer (never sent again)
FINAL_STATES = FINAL


# ---------------------------------------------------------------------- rows
@dataclass(frozen=True)
class PreparedRow:
    position: int  # frame row
    source_row: int  # spreadsheet row
    payload: dict[str, Any]
    payload_hash: str
    identity: TraineeIdentity
    provider_trainee_id: str

    @property
    def cycle(self) -> int | None:
        return self.identity.cycle


def file_sha256(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def batch_key(file_hash: str, sheet: str | None, environment: Environment) -> str:
    """A label of the file's bytes, sheet and environment (kept in history; batches no longer depend on it)."""
    return hashlib.sha256(f"{file_hash}\x1f{sheet or ''}\x1f{environment.origin}".encode()).hexdigest()


def sendable_positions(session: ImportSession) -> np.ndarray:
    """Rows with no error except Register's own earlier answers (``api.*``).

    A row Register rejected keeps its ``api.rejected`` finding until it is sent again; once the
    user has changed it, it must be sendable (the journal then reopens it), so those findings do
    not block it here.
    """
    return session.valid_positions(ignore_api=True)


def prepare_rows(session: ImportSession, journal: Journal, positions: Collection[int] | None = None) -> list[PreparedRow]:
    """The sendable rows (only those of ``positions`` when given) with their bodies and ledger identities."""
    out = []
    source_rows = session.source_rows
    only = None if positions is None else {int(p) for p in positions}
    for pos in sendable_positions(session):
        position = int(pos)
        if only is not None and position not in only:
            continue
        row = session.row(position)
        payload = build_payload(row, session.template)
        body = payload_hash(payload, journal.salt)
        out.append(PreparedRow(position=position, source_row=int(source_rows[position]), payload=payload,
                               payload_hash=body, identity=identity_of(row, journal, body),
                               provider_trainee_id=row["provider_trainee_id"]))
    return out


# ---------------------------------------------------------------------- decisions
@dataclass(frozen=True)
class Decision:
    row: PreparedRow
    action: str  # send, again, check, already_sent, done
    item: Item | None  # the batch's row for it, if any yet
    entry: LedgerEntry | None  # the ledger's entry, if any
    differs: tuple[str, ...] = ()


def match_items(rows: Iterable[PreparedRow], items: Iterable[Item]) -> tuple[dict[int, Item], list[Item]]:
    """The batch's existing row for each prepared row (by trainee, not by spreadsheet row, so sorting or
    inserting rows in the file moves nothing), and the batch rows no longer in the file."""
    by_key: dict[str, list[Item]] = {}
    by_legacy: dict[str, list[Item]] = {}
    for it in items:
        if it.trainee_key:
            by_key.setdefault(it.trainee_key, []).append(it)
        else:  # a row of an old journal: known only by its old identity hash
            by_legacy.setdefault(it.fingerprint, []).append(it)
    matched: dict[int, Item] = {}
    for r in rows:
        for pool in (by_key.get(r.identity.key), by_legacy.get(r.identity.legacy)):
            if pool:
                matched[r.position] = pool.pop(0)
                break
    rest = [it for pool in (*by_key.values(), *by_legacy.values()) for it in pool]
    return matched, rest


def decide(rows: Iterable[PreparedRow], items: Iterable[Item], ledger: Ledger,
           again: Collection[int] = ()) -> tuple[list[Decision], list[Item]]:
    """Each row's action (see the module docstring), and the batch rows no longer in the file."""
    rows = list(rows)
    matched, rest = match_items(rows, items)
    index = ledger.index()
    out = []
    for r in rows:
        item = matched.get(r.position)
        entry = index.find(r.identity)
        if item is not None and item.ledger_id is not None and (entry is None or entry.id != item.ledger_id):
            with_item = index.entry(item.ledger_id) or ledger.get(item.ledger_id)
            if with_item is not None and (entry is None or not entry.in_register or with_item.in_register):
                entry = with_item
        out.append(_decide(r, item, entry, r.source_row in again))
    return out, rest


def _decide(r: PreparedRow, item: Item | None, entry: LedgerEntry | None, again: bool) -> Decision:
    state = item.state if item is not None else None
    if again and entry is not None and entry.in_register and state in (None, ItemState.PENDING, ItemState.ALREADY_SENT):
        return Decision(r, "again", item, entry)
    if state is not None and state in FINAL and state != ItemState.ALREADY_SENT:
        if state == ItemState.REJECTED and item is not None and item.payload_hash != r.payload_hash:
            if entry is not None and entry.in_register:  # meanwhile sent from elsewhere
                return Decision(r, "already_sent", item, entry, tuple(entry.differs(r.identity.fields)))
            return Decision(r, "send", item, entry)  # Register stored nothing and the row has changed since
        if entry is not None and entry.in_register and state in (ItemState.CREATED, ItemState.ALREADY):
            return Decision(r, "done", item, entry, tuple(entry.differs(r.identity.fields)))  # edited since it was sent
        return Decision(r, "done", item, entry)
    if entry is not None and entry.in_register:
        if item is not None and item.ledger_id == entry.id and state != ItemState.ALREADY_SENT:
            return Decision(r, "done", item, entry)  # its own request, settled since (e.g. by another run's look-up)
        return Decision(r, "already_sent", item, entry, tuple(entry.differs(r.identity.fields)))
    if state in IN_FLIGHT or (entry is not None and entry.in_flight):
        return Decision(r, "check", item, entry)
    return Decision(r, "send", item, entry)


# ---------------------------------------------------------------------- the plan
@dataclass(frozen=True)
class UploadPlan:
    """What an upload would do now (the window's "N rows to send, about M minutes")."""

    environment: Environment
    batch_id: int | None  # the batch that would resume, None for a new one
    valid_rows: int
    invalid_rows: int  # rows with errors: never sent
    to_send: int  # rows that would be posted
    already_done: int  # rows of the resumed batch with an outcome
    estimated_seconds: float  # at the rate limit
    already_sent: int = 0  # rows whose trainee the ledger holds from another batch, row or file
    differing: int = 0  # … of which the row now differs from what was sent
    to_check: int = 0  # rows whose earlier request may have reached Register: looked up first
    running: LeaseInfo | None = None  # another window or command is uploading to this environment
    decisions: tuple[Decision, ...] = field(default=(), repr=False)

    @property
    def resuming(self) -> bool:
        return self.batch_id is not None and self.already_done > 0

    @property
    def nothing_to_send(self) -> bool:
        return self.to_send == 0 and self.to_check == 0


def plan_upload(session: ImportSession, journal: Journal, environment: Environment, *,
                limiter: RateLimiter | None = None, file_hash: str | None = None, new_batch: bool = False,
                again: Collection[int] = ()) -> UploadPlan:
    """How many rows would be sent now, whether a batch resumes, and the time at the rate limit."""
    limiter = limiter or RateLimiter()
    file_hash = file_hash or file_sha256(session.raw.path)
    rows = prepare_rows(session, journal)
    scope = environment.origin
    batch = None if new_batch else journal.batch_for_file(scope, Path(session.raw.path).name, session.raw.sheet,
                                                          file_hash)
    decisions, _rest = decide(rows, journal.items(batch.id) if batch else [], Ledger(journal, scope), again)
    count = {a: sum(1 for d in decisions if d.action == a) for a in ("send", "again", "check", "already_sent", "done")}
    to_send = count["send"] + count["again"]
    return UploadPlan(
        environment=environment, batch_id=batch.id if batch else None, valid_rows=len(rows),
        invalid_rows=session.n_rows - len(rows), to_send=to_send, already_done=count["done"],
        estimated_seconds=limiter.estimate_seconds(to_send + count["check"]), already_sent=count["already_sent"],
        differing=sum(1 for d in decisions if d.differs), to_check=count["check"],
        running=running_upload(journal, scope), decisions=tuple(decisions))


# ---------------------------------------------------------------------- time remaining, counts
class TimeLeft:
    """Time remaining from the pace so far (paused time left out), or the plan's estimate at first."""

    def __init__(self, estimate: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._estimate = estimate
        self._start: float | None = None
        self._first = 0
        self._total_at_start = 0
        self._paused_at: float | None = None
        self._paused_for = 0.0
        self._measured = False

    @property
    def measured(self) -> bool:
        """Whether the last answer came from the pace so far (else from the plan's estimate, which
        counts the rate limit only)."""
        return self._measured

    def words(self, done: int, total: int) -> str:
        """"about 3 min left", or "working out the time left" while nothing is measured yet and the
        plan's estimate (the rate limit only, not Register's answer time) is under a minute: it
        would read "about 0 s"."""
        from desktop.core.progress import format_duration

        left = self.seconds(done, total)
        if self._measured or self._estimate >= 60:
            return "less than a second left" if left < 1 else f"about {format_duration(left)} left"
        return "working out the time left"

    def pause(self) -> None:
        if self._paused_at is None:
            self._paused_at = self._clock()

    def resume(self) -> None:
        if self._paused_at is not None:
            self._paused_for += self._clock() - self._paused_at
            self._paused_at = None

    def seconds(self, done: int, total: int) -> float:
        now = self._clock()
        if self._start is None:
            self._start, self._first, self._total_at_start = now, done, total
        sent = done - self._first
        remaining = max(0, total - done)
        self._measured = sent >= 3
        if self._measured:
            paused = self._paused_for + ((now - self._paused_at) if self._paused_at is not None else 0.0)
            return (now - self._start - paused) / sent * remaining
        planned = max(1, self._total_at_start - self._first)
        return self._estimate * remaining / planned


def outstanding_count(counts: Mapping[str, int]) -> int:
    return sum(n for s, n in counts.items() if s not in FINAL)


def counts_text(counts: Mapping[str, int]) -> str:
    """A batch's counts in words ("3 created · 1 already registered · …")."""
    parts = [f"{counts.get(ItemState.CREATED, 0):,} created"]
    if counts.get(ItemState.ALREADY_SENT, 0):
        parts.append(f"{counts[ItemState.ALREADY_SENT]:,} already sent before")
    parts += [f"{counts.get(ItemState.ALREADY, 0):,} already registered", f"{counts.get(ItemState.REJECTED, 0):,} rejected",
              f"{outstanding_count(counts):,} outstanding"]
    return " · ".join(parts)


def describe_plan(plan: UploadPlan, batch: Batch | None = None) -> list[str]:
    """The plan in sentences (the CLI prints them; the window shows the same facts)."""
    out = []
    if plan.running is not None:
        out.append(f"{plan.running.describe()[0].upper()}{plan.running.describe()[1:]}: nothing can be sent to "
                   f"{plan.environment.label} until it finishes.")
    if plan.resuming and plan.batch_id is not None:
        out.append(f"Resuming batch {plan.batch_id}: {plan.already_done} rows already have an outcome.")
    if plan.already_sent:
        groups: dict[tuple[int | None, str], list[int]] = {}
        for d in plan.decisions:
            if d.action == "already_sent" and d.entry is not None:
                groups.setdefault((d.entry.batch_id, d.entry.sent_on), []).append(d.row.source_row)
        where = "; ".join(f"{_rows_text(rows)} on {day}" + (f" in batch {b}" if b is not None else "")
                          for (b, day), rows in sorted(groups.items(), key=lambda g: (g[0][1], g[0][0] or 0))[:3])
        more = " and in other uploads" if len(groups) > 3 else ""
        out.append(f"{plan.already_sent} row(s) were already sent to {plan.environment.label} earlier and are not sent "
                   f"again ({where}{more}).")
    if plan.differing:
        out.append(f"{plan.differing} row(s) already sent have changed since: they are not sent again (Register keeps "
                   "what was sent; changes go as updates, never as new trainees).")
    if plan.to_check:
        out.append(f"{plan.to_check} row(s) may have reached Register in an earlier upload that stopped mid-request: "
                   "each is looked up first (once Register has had time to finish it) and sent only if it is not there.")
    return out


def _rows_text(rows: list[int]) -> str:
    rows = sorted(rows)
    shown = ", ".join(str(r) for r in rows[:5]) + (f" and {len(rows) - 5} more" if len(rows) > 5 else "")
    return f"row{'s' if len(rows) != 1 else ''} {shown}"
