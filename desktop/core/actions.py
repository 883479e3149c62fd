"""Withdraw, defer and recommend trainees from a file, each exactly once (SPEC §11.4–§11.7).

``run_actions(action_file, client, journal, ...)`` takes the rows ``desktop.core.action_files`` found
valid offline and, holding the environment's ``Lease`` (one writer per environment, whatever it
sends: an upload, a sync or another action is refused at once, never waited for), for each:

1. skips it when the trainee ledger already holds the same request done for the same trainee (by the
   identifier the file used): a repeated command sends nothing, not even a read;
2. finds the trainee in Register (``TraineeFinder``) and reads its state: a state that forbids the
   action, or a trainee already in the wanted state, is reported with Register's own message and in
   words with what the user can do — nothing is sent; the rules that need the trainee (W5, Q2b, Q3,
   Q4) are checked too. A trainee the ledger did not know is recorded as found (``record_found``), so
   no upload ever posts it;
3. journals the request ``sending`` on the trainee's ledger entry (``Ledger.begin_request``, fenced
   by the lease), sends it, and records the answer (``settle_request``). When the answer is lost
   (timeout, reset, 5xx) the request is settled by reading the trainee back once Register has had
   the settle window (the upload's rule): the action is done if the trainee shows it, and only if it
   does not (and the state still allows it) is it sent again. A request left open by a crash is
   settled the same way at the start of the next run.

Register's state machine also refuses a second withdraw/defer/recommend, so even a request sent
twice could not be applied twice; the ledger makes sure it is not sent twice in the first place.
A dry run (``--dry-run``, the window's *Check with Register*) reads only: no lease, nothing written.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from desktop import __version__
from desktop.api.client import RegisterClient
from desktop.api.errors import (
    ApiConnectionError,
    ApiStatusError,
    AuthenticationError,
    ForbiddenError,
    NotFoundError,
    RateLimitedError,
)
from desktop.api.payload import payload_hash
from desktop.api.updates import Result, ResultKind, TraineeApi, TraineeRecord
from desktop.core.action_files import ActionFile, ActionRow
from desktop.core.journal import Journal
from desktop.core.ledger import Lease, Ledger, holding
from desktop.core.progress import Cancelled, CancelToken, Progress, no_progress
from desktop.core.year_common import (
    Counter,
    TraineeFinder,
    entry_for_record,
    ledger_of,
    server_time,
    settle_seconds,
    wait_to_settle,
)
from desktop.validation.actions import (
    DEFER,
    RECOMMEND,
    WITHDRAW,
    read_date,
    recommend_messages,
    state_advice,
    state_refusal,
    withdraw_messages,
)
from desktop.validation.cycles import cycle_of
from desktop.validation.packs.v2026_1.facts import load_facts

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
#: start cycles searched for a trainee named only by HESA ID or provider id: this year's and earlier ones
CYCLES_BACK = 5

VERB = {WITHDRAW: "withdrawn", DEFER: "deferred", RECOMMEND: "recommended for QTS/EYTS"}


class Outcome:
    DONE = "done"  # Register did it now
    ALREADY = "already"  # Register already shows it (earlier run, or done elsewhere)
    REFUSED = "refused"  # the trainee's state forbids it
    REJECTED = "rejected"  # Register's rules (checked with the trainee's data, or a 422)
    NOT_FOUND = "not_found"  # no such trainee of this provider in Register
    INVALID = "invalid"  # errors in the file: not sent (see the check)
    WOULD_SEND = "would_send"  # dry run: checked, would be sent
    UNKNOWN = "unknown"  # the answer was lost and could not be settled yet


@dataclass(frozen=True)
class ActionOutcome:
    position: int
    source_row: int
    outcome: str
    trainee_id: str | None = None
    state_before: str | None = None
    state_after: str | None = None
    register_messages: tuple[str, ...] = ()
    advice: str = ""
    http_status: int | None = None
    confirmed_by: str | None = None  # "answer", "lookup", "journal", "register"


@dataclass
class ActionRunResult:
    kind: str
    run_id: int | None
    outcomes: list[ActionOutcome] = field(default_factory=list)
    counter: Counter = field(default_factory=Counter)
    receipt_path: Path | None = None
    stopped: str | None = None
    seconds: float = 0.0

    def count(self, outcome: str) -> int:
        return sum(1 for o in self.outcomes if o.outcome == outcome)

    @property
    def requests(self) -> int:
        return self.counter.reads + self.counter.total_writes

    @property
    def problems(self) -> int:
        return sum(1 for o in self.outcomes if o.outcome in (Outcome.REFUSED, Outcome.REJECTED, Outcome.NOT_FOUND,
                                                             Outcome.INVALID, Outcome.UNKNOWN))


@dataclass(frozen=True)
class _Base:
    position: int
    source_row: int
    trainee_id: str
    state_before: str

    def outcome(self, *, outcome: str, **more: Any) -> ActionOutcome:
        return ActionOutcome(self.position, self.source_row, outcome, trainee_id=self.trainee_id,
                             state_before=self.state_before, **more)


def applied(kind: str, rec: TraineeRecord, body: dict[str, Any]) -> bool:
    """Does Register's record show this very action (after a lost answer, or done elsewhere)?"""
    def same(key: str, sent: str) -> bool:
        a, b = read_date(rec.text(key)), read_date(str(body.get(sent) or ""))
        return isinstance(a, dt.date) and a == b

    if kind == WITHDRAW:
        return rec.state == "withdrawn" and same("withdrawal_date", "withdrawal_date")
    if kind == DEFER:
        return rec.state == "deferred" and same("defer_date", "defer_date")
    return rec.state in ("recommended_for_award", "awarded") and same("outcome_date", "qts_standards_met_date")


def precheck(kind: str, rec: TraineeRecord, body: dict[str, Any], today: dt.date) -> tuple[str, list[str], str] | None:
    """Before sending: (outcome, Register's messages, advice) when Register would refuse; None to send."""
    start = read_date(rec.text("itt_start_date"))
    itt_start = start if isinstance(start, dt.date) else None
    if kind == WITHDRAW:
        refusal = state_refusal(WITHDRAW, rec.state, itt_start=itt_start, today=today)
        if refusal:
            return Outcome.REFUSED, [refusal], state_advice(WITHDRAW, rec.state, itt_start=itt_start, today=today)
        messages = withdraw_messages(body, itt_start=itt_start)
        if messages:
            return Outcome.REJECTED, messages, (f"Register holds ITT start date {rec.text('itt_start_date')} for this "
                                                "trainee; correct the withdrawal date (or the ITT start date, with sync).")
        return None
    if kind == DEFER:
        refusal = state_refusal(DEFER, rec.state, itt_start=itt_start, today=today)
        if refusal:
            return Outcome.REFUSED, [refusal], state_advice(DEFER, rec.state)
        return None
    messages = recommend_messages(body, today=today, itt_start=itt_start, route=rec.text("training_route"),
                                  placements=len(rec.placements), degrees=len(rec.degrees),
                                  routes=load_facts().routes, state=rec.state)
    state_msg = [m for m in messages if m.startswith("state ")]
    others = [m for m in messages if not m.startswith("state ")]
    if others:
        return Outcome.REJECTED, messages, _recommend_advice(others, rec)
    if state_msg:
        return Outcome.REFUSED, messages, state_advice(RECOMMEND, rec.state)
    return None


def _recommend_advice(messages: list[str], rec: TraineeRecord) -> str:
    parts = []
    for m in messages:
        if m.startswith("placements must be at least"):
            parts.append(f"Register holds {len(rec.placements)} placement(s) for this trainee: add the missing "
                         "placements first (put their URNs in the main file and run sync), then recommend again.")
        elif m.startswith("degree_id"):
            parts.append("Register holds no degree for this trainee: add the degree first (sync sends the file's "
                         "degree), then recommend again.")
        elif "itt_start_date" in m:
            parts.append(f"Register holds ITT start date {rec.text('itt_start_date')}; the date the standards were met "
                         "cannot be earlier.")
        elif "future" in m:
            parts.append("The date the standards were met cannot be after today.")
    return " ".join(parts)


def run_actions(
    action_file: ActionFile,
    client: RegisterClient,
    journal: Journal,
    *,
    progress: Progress = no_progress,
    token: CancelToken | None = None,
    on_row: Callable[[ActionOutcome], None] | None = None,
    dry_run: bool = False,
    settle: float | None = None,
    write_receipts: bool = True,
    receipt_dir: Path | None = None,
    lease: Lease | None = None,
) -> ActionRunResult:
    """Check each valid row against Register's record of the trainee and send what Register would accept.

    ``settle`` is the settle margin (default: the read timeout). Unless ``dry_run``, the run holds the
    environment's lease (``lease`` when the caller holds it already): ``UploadRunningError`` at once when
    another window is sending to the environment.
    """
    environment = client.environment
    if dry_run:
        return _Actions(action_file, client, journal, None, progress=progress, token=token, on_row=on_row,
                        settle=settle).run(write_receipts=False, receipt_dir=receipt_dir)
    with holding(journal, environment.origin, label=environment.label, what=action_file.kind, lease=lease) as held:
        return _Actions(action_file, client, journal, held, progress=progress, token=token, on_row=on_row,
                        settle=settle).run(write_receipts=write_receipts, receipt_dir=receipt_dir)


class _Actions:
    """One run of an action file (its state in one place; ``run_actions`` is the interface)."""

    def __init__(self, action_file: ActionFile, client: RegisterClient, journal: Journal, lease: Lease | None, *,
                 progress: Progress, token: CancelToken | None, on_row: Callable[[ActionOutcome], None] | None,
                 settle: float | None) -> None:
        self.file = action_file
        self.kind = action_file.kind
        self.today = action_file.today
        self.client = client
        self.journal = journal
        self.lease = lease
        self.dry_run = lease is None
        self.progress = progress
        self.token = token or CancelToken()
        self.on_row = on_row
        self.settle = settle_seconds(client, settle)
        self.api = TraineeApi(client)
        self.result = ActionRunResult(kind=self.kind, run_id=None)
        self.finder = TraineeFinder(self.api, self.result.counter)
        self.ledger: Ledger = ledger_of(journal, client)

    def emit(self, outcome: ActionOutcome) -> None:
        self.result.outcomes.append(outcome)
        if self.on_row is not None:
            self.on_row(outcome)

    def run(self, *, write_receipts: bool, receipt_dir: Path | None) -> ActionRunResult:
        import time

        started = time.monotonic()
        client, kind, result, counter = self.client, self.kind, self.result, self.result.counter
        checkpoint = client.checkpoint
        client.checkpoint = self.token.raise_if_cancelled
        rows = self.file.valid_rows
        try:
            for r in self.file.rows:
                if r not in rows:
                    self.emit(ActionOutcome(r.position, r.source_row, Outcome.INVALID,
                                            advice="The row has errors: see 'register-desktop check'-style findings."))
            if not self.dry_run:
                result.run_id = self.journal.start_run(kind, environment=client.environment.origin,
                                                       environment_label=client.environment.label,
                                                       file_name=self.file.path.name, app_version=__version__)
            # 1. the ledger first: done rows need nothing from Register
            todo: list[tuple[ActionRow, str, str]] = []
            for r in rows:
                key_name, key_value = r.identity
                row_key = self.journal.keyed_hash("row", key_name, key_value)
                body_hash = payload_hash({"kind": kind, "data": r.body}, self.journal.salt)
                done = self.ledger.done_request(kind, body_hash, row_key=row_key)
                if done is not None:
                    self.emit(ActionOutcome(
                        r.position, r.source_row, Outcome.ALREADY, trainee_id=done.trainee_id, confirmed_by="journal",
                        advice=f"Already {VERB[kind]} on {done.day}" + (f" (run {done.run_id})" if done.run_id else "")
                               + "; nothing sent."))
                    continue
                todo.append((r, row_key, body_hash))
            self.progress(len(result.outcomes), len(self.file.rows))
            if not todo:
                return result
            if not client.knows_server_clock:
                client.info()
                counter.reads += 1
                self.ledger = ledger_of(self.journal, client)  # the account, where Register names it
            self._each(todo)
        except (Cancelled, AuthenticationError, ForbiddenError, NotFoundError, RateLimitedError) as exc:
            result.stopped = "cancelled" if isinstance(exc, Cancelled) else exc.message
            raise
        finally:
            client.checkpoint = checkpoint
            result.seconds = time.monotonic() - started
            _finish(result, self.journal, self.file, client.environment.label, write_receipts, receipt_dir)
        return result

    def _each(self, todo: list[tuple[ActionRow, str, str]]) -> None:
        """2. find each trainee, settle what an earlier run left open, 3. send."""
        kind, finder, ledger = self.kind, self.finder, self.ledger
        needs_list = False
        ids: dict[int, str] = {}
        for r, row_key, _ in todo:
            tid = r.cells.get("trainee_id") or ledger.trainee_named_by(row_key)
            if tid:
                ids[r.position] = tid
            else:
                needs_list = True
        now_cycle = cycle_of(self.today) or self.today.year
        if needs_list:
            finder.read_cycles(range(now_cycle + 1, now_cycle - CYCLES_BACK - 1, -1))
        for r, row_key, body_hash in todo:
            self.token.raise_if_cancelled()
            rec = None
            why = ""
            if r.position in ids:
                rec = finder.get(ids[r.position], fresh=not needs_list)
            else:
                rec, why = finder.match(hesa_id=r.cells.get("hesa_id", ""),
                                        provider_trainee_id=r.cells.get("provider_trainee_id", ""))
            if rec is None:
                name, value = r.identity
                self.emit(ActionOutcome(
                    r.position, r.source_row, Outcome.NOT_FOUND, register_messages=("Trainee(s) not found",),
                    advice=why or (f"Register has no trainee of yours with {name} {value} (searched start years "
                                   f"{now_cycle - CYCLES_BACK} to {now_cycle + 1}). Check the identifier, or give the "
                                   "row Register's trainee_id.")))
                continue
            entry_id = None if self.dry_run else entry_for_record(ledger, rec, found_by="action")
            opened = [] if self.dry_run else [q for q in ledger.open_requests(kind)
                                              if q.row_key == row_key and q.body_hash == body_hash]
            if opened:
                # left open by a crash or a lost answer: read the trainee back before anything else
                wait_to_settle(self.client, max(q.sent_at or "" for q in opened), self.settle)
                fresh = finder.get(rec.trainee_id, fresh=True) or rec
                if applied(kind, fresh, r.body):
                    for q in opened:
                        ledger.settle_request(q.id, "done", confirmed_by="lookup", run_id=self.result.run_id,
                                              detail="settled by reading the trainee back")
                    self.emit(ActionOutcome(
                        r.position, r.source_row, Outcome.DONE, trainee_id=fresh.trainee_id, state_after=fresh.state,
                        confirmed_by="lookup", advice="Sent by an earlier run whose answer was lost; Register shows it."))
                    continue
                for q in opened:
                    ledger.settle_request(q.id, "not_sent", detail="not in Register when read back")
                rec = fresh
            self.emit(self._one(r, rec, entry_id, row_key, body_hash))
            self.progress(len(self.result.outcomes), len(self.file.rows))

    def _record(self, entry_id: int | None, state: str, r: ActionRow, row_key: str, body_hash: str,
                messages: tuple[str, ...] | list[str] = ()) -> None:
        """An outcome reached without sending, kept on the ledger (receipts, history, the row's trainee)."""
        if entry_id is not None:
            self.ledger.record_request(entry_id, self.kind, state, body_hash=body_hash, run_id=self.result.run_id,
                                       row_key=row_key, source_row=r.source_row, fields=tuple(r.body),
                                       messages=tuple(messages), confirmed_by="register")

    def _one(self, r: ActionRow, rec: TraineeRecord, entry_id: int | None, row_key: str,
             body_hash: str) -> ActionOutcome:
        kind, ledger, client, counter = self.kind, self.ledger, self.client, self.result.counter
        base = _Base(r.position, r.source_row, rec.trainee_id, rec.state)
        if applied(kind, rec, r.body):
            self._record(entry_id, "already", r, row_key, body_hash)
            return base.outcome(outcome=Outcome.ALREADY, state_after=rec.state, confirmed_by="register",
                                 advice=f"Register already shows this trainee {VERB[kind]} with this date; nothing sent.")
        problem = precheck(kind, rec, r.body, self.today)
        if problem is not None:
            outcome, messages, advice = problem
            self._record(entry_id, outcome, r, row_key, body_hash, messages)
            return base.outcome(outcome=outcome, register_messages=tuple(messages), advice=advice,
                                 state_after=rec.state)
        if self.dry_run or entry_id is None or self.lease is None:
            return base.outcome(outcome=Outcome.WOULD_SEND, state_after=rec.state)
        owner = self.lease.owner
        request_id: int | None = None
        failures = 0
        while True:
            def before_send() -> None:
                nonlocal request_id
                assert entry_id is not None
                request_id = ledger.begin_request(entry_id, kind, body_hash=body_hash, sent_at=server_time(client),
                                                  owner=owner, run_id=self.result.run_id, row_key=row_key,
                                                  source_row=r.source_row, fields=tuple(r.body), request_id=request_id)

            try:
                res = self.api.action(kind, rec.trainee_id, r.body, before_send=before_send)
                counter.wrote(kind)
            except (Cancelled, AuthenticationError, ForbiddenError, NotFoundError, RateLimitedError):
                if request_id is not None:
                    ledger.settle_request(request_id, "not_sent")
                raise
            except (ApiConnectionError, ApiStatusError) as exc:
                counter.wrote(kind)
                failures += 1
                if request_id is None or not exc.maybe_sent:
                    if request_id is not None:
                        ledger.settle_request(request_id, "not_sent")
                    if failures >= MAX_ATTEMPTS:
                        raise
                    client.wait(client.retry.backoff(failures - 1))
                    continue
                ledger.settle_request(request_id, "unknown", http_status=getattr(exc, "status_code", None))
                # the answer was lost: read the trainee back once Register has had time to finish it
                wait_to_settle(client, ledger.request(request_id).sent_at, self.settle)
                again = self.finder.get(rec.trainee_id, fresh=True)
                if again is not None and applied(kind, again, r.body):
                    ledger.settle_request(request_id, "done", confirmed_by="lookup")
                    return base.outcome(outcome=Outcome.DONE, state_after=again.state, confirmed_by="lookup")
                if again is None or failures >= MAX_ATTEMPTS or precheck(kind, again, r.body, self.today) is not None:
                    return base.outcome(outcome=Outcome.UNKNOWN, state_after=again.state if again else None,
                                         advice="Register's answer was lost and the trainee does not show the change "
                                                "yet; run the command again later to check (nothing will be sent twice).")
                rec = again
                continue
            return _answer(kind, res, base, ledger, request_id, rec)


def _answer(kind: str, res: Result, base: _Base, ledger: Ledger, request_id: int | None,
            rec: TraineeRecord) -> ActionOutcome:
    assert request_id is not None
    if res.ok:
        ledger.settle_request(request_id, "done", http_status=res.status_code, confirmed_by="answer")
        state = res.data.get("state") if isinstance(res.data, dict) else None
        return base.outcome(outcome=Outcome.DONE, state_after=state, http_status=res.status_code,
                             confirmed_by="answer")
    if res.kind == ResultKind.NOT_FOUND:
        ledger.settle_request(request_id, "not_found", http_status=res.status_code, messages=res.texts)
        return base.outcome(outcome=Outcome.NOT_FOUND, register_messages=res.texts, http_status=res.status_code,
                             advice="Register no longer finds this trainee for your organisation.")
    if res.kind == ResultKind.STATE:
        ledger.settle_request(request_id, "refused", http_status=res.status_code, messages=res.texts)
        return base.outcome(outcome=Outcome.REFUSED, register_messages=res.texts, http_status=res.status_code,
                             advice=state_advice(kind, rec.state))
    ledger.settle_request(request_id, "rejected", http_status=res.status_code, messages=res.texts)
    return base.outcome(outcome=Outcome.REJECTED, register_messages=res.texts, http_status=res.status_code,
                         advice="Register did not accept the request: correct the row and run the command again.")


def _finish(result: ActionRunResult, journal: Journal, action_file: ActionFile, env_label: str, write_receipts: bool,
            receipt_dir: Path | None) -> None:
    counts: dict[str, int] = {}
    for o in result.outcomes:
        counts[o.outcome] = counts.get(o.outcome, 0) + 1
    if result.run_id is None:
        return
    path = None
    if write_receipts:
        try:
            from desktop.core.year_receipts import write_action_receipt

            path = write_action_receipt(result, action_file, env_label, directory=receipt_dir)
            result.receipt_path = path
        except OSError as exc:
            logger.warning("The receipt could not be written (%s)", type(exc).__name__)
    journal.finish_run(result.run_id, counts, str(path) if path else None)
