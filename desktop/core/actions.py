"""Withdraw, defer and recommend trainees from a file, each exactly once (SPEC §11.4–§11.7).

``run_actions(action_file, client, journal, ...)`` takes the rows ``desktop.core.action_files`` found
valid offline, and for each:

1. skips it when the journal already holds the same request done for the same trainee (a repeated
   command sends nothing, not even a read);
2. finds the trainee in Register (``TraineeFinder``) and reads its state: a state that forbids the
   action, or a trainee already in the wanted state, is reported with Register's own message and in
   words with what the user can do — nothing is sent; the rules that need the trainee (W5, Q2b, Q3,
   Q4) are checked too;
3. journals the request ``sending`` (``RequestLog``), sends it, and records the answer. When the
   answer is lost (timeout, reset, 5xx) the request is settled by reading the trainee back once
   Register has had time to finish it: the action is done if the trainee shows it, and only if it
   does not (and the state still allows it) is it sent again. A request left open by a crash is
   settled the same way at the start of the next run.

Register's state machine also refuses a second withdraw/defer/recommend, so even a request sent
twice could not be applied twice; the journal makes sure it is not sent twice in the first place.
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
from desktop.core.progress import Cancelled, CancelToken, Progress, no_progress
from desktop.core.requests_log import RequestLog
from desktop.core.year_common import (
    SETTLE_MARGIN,
    Counter,
    TraineeFinder,
    current_cycle,
    server_time,
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
) -> ActionRunResult:
    """Check each valid row against Register's record of the trainee and send what Register would accept."""
    import time

    token = token or CancelToken()
    kind = action_file.kind
    today = action_file.today
    settle = (client.read_timeout + min(SETTLE_MARGIN, client.read_timeout)) if settle is None else settle
    started = time.monotonic()
    environment = client.environment
    api = TraineeApi(client)
    log = RequestLog(journal, environment.key)
    result = ActionRunResult(kind=kind, run_id=None)
    counter = result.counter
    finder = TraineeFinder(api, log, counter)
    checkpoint = client.checkpoint
    client.checkpoint = token.raise_if_cancelled
    rows = action_file.valid_rows
    invalid = [r for r in action_file.rows if r not in rows]
    try:
        for r in invalid:
            _emit(result, on_row, ActionOutcome(r.position, r.source_row, Outcome.INVALID,
                                               advice="The row has errors: see 'register-desktop check'-style findings."))
        if not dry_run:
            result.run_id = log.start_run(kind, file_name=action_file.path.name,
                                          environment_label=environment.label, app_version=__version__)
        # 1. the journal first: done rows need nothing from Register
        todo: list[tuple[ActionRow, str, str]] = []
        for r in rows:
            key_name, key_value = r.identity
            row_key = log.key(key_name, key_value)
            body_hash = payload_hash({"kind": kind, "data": r.body}, journal.salt)
            done = log.settled(kind=kind, body_hash=body_hash, row_key=row_key)
            if done is not None:
                _emit(result, on_row, ActionOutcome(
                    r.position, r.source_row, Outcome.ALREADY, trainee_id=done.trainee_id, confirmed_by="journal",
                    advice=f"Already {VERB[kind]} on {done.day} (run {done.run_id}); nothing sent."))
                continue
            todo.append((r, row_key, body_hash))
        progress(len(result.outcomes), len(action_file.rows))
        if not todo:
            return result
        if not client.knows_server_clock:
            client.info()
            counter.reads += 1
        # 2. find the trainees
        needs_list = False
        ids: dict[int, str] = {}
        for r, row_key, _ in todo:
            tid = r.cells.get("trainee_id") or log.known_trainee(row_key)
            if tid:
                ids[r.position] = tid
            else:
                needs_list = True
        if needs_list:
            now_cycle = current_cycle(today)
            finder.read_cycles(range(now_cycle + 1, now_cycle - CYCLES_BACK - 1, -1))
        for r, row_key, body_hash in todo:
            token.raise_if_cancelled()
            rec = None
            why = ""
            if r.position in ids:
                rec = finder.get(ids[r.position], fresh=not needs_list)
            else:
                rec, why = finder.match(hesa_id=r.cells.get("hesa_id", ""),
                                        provider_trainee_id=r.cells.get("provider_trainee_id", ""))
            if rec is None:
                name, value = r.identity
                _emit(result, on_row, ActionOutcome(
                    r.position, r.source_row, Outcome.NOT_FOUND, register_messages=("Trainee(s) not found",),
                    advice=why or (f"Register has no trainee of yours with {name} {value} (searched start years "
                                   f"{current_cycle(today) - CYCLES_BACK} to {current_cycle(today) + 1}). Check the "
                                   "identifier, or give the row Register's trainee_id.")))
                continue
            if not dry_run and r.position not in ids:
                log.remember_trainee(row_key, rec.trainee_id)
            opened = None if dry_run else log.open_for(kind=kind, row_key=row_key, body_hash=body_hash)
            if opened is not None:
                # 3. left open by a crash or a lost answer: read the trainee back before anything else
                wait_to_settle(client, opened.sent_at, settle)
                fresh = finder.get(rec.trainee_id, fresh=True) or rec
                if applied(kind, fresh, r.body):
                    log.settle(opened.id, "done", confirmed_by="lookup", run_id=result.run_id,
                               detail="settled by reading the trainee back")
                    _emit(result, on_row, ActionOutcome(
                        r.position, r.source_row, Outcome.DONE, trainee_id=fresh.trainee_id, state_after=fresh.state,
                        confirmed_by="lookup", advice="Sent by an earlier run whose answer was lost; Register shows it."))
                    continue
                log.settle(opened.id, "not_sent", detail="not in Register when read back")
                rec = fresh
            outcome = _one(kind, r, rec, row_key, body_hash, api, finder, log, result.run_id, today, settle,
                           dry_run, counter)
            _emit(result, on_row, outcome)
            progress(len(result.outcomes), len(action_file.rows))
    except (Cancelled, AuthenticationError, ForbiddenError, NotFoundError, RateLimitedError) as exc:
        result.stopped = "cancelled" if isinstance(exc, Cancelled) else exc.message
        if isinstance(exc, Cancelled):
            raise
        raise
    finally:
        client.checkpoint = checkpoint
        result.seconds = time.monotonic() - started
        _finish(result, log, action_file, environment.label, write_receipts, receipt_dir)
        log.close()
    return result


def _emit(result: ActionRunResult, on_row: Callable[[ActionOutcome], None] | None, outcome: ActionOutcome) -> None:
    result.outcomes.append(outcome)
    if on_row is not None:
        on_row(outcome)


def _one(kind: str, r: ActionRow, rec: TraineeRecord, row_key: str, body_hash: str, api: TraineeApi,
         finder: TraineeFinder, log: RequestLog, run_id: int | None, today: dt.date, settle: float, dry_run: bool,
         counter: Counter) -> ActionOutcome:
    base = _Base(r.position, r.source_row, rec.trainee_id, rec.state)
    if applied(kind, rec, r.body):
        if not dry_run:
            log.record(run_id=run_id, trainee_id=rec.trainee_id, kind=kind, body_hash=body_hash, state="already",
                       row_key=row_key, source_row=r.source_row, confirmed_by="register")
        return base.outcome(outcome=Outcome.ALREADY, state_after=rec.state, confirmed_by="register",
                             advice=f"Register already shows this trainee {VERB[kind]} with this date; nothing sent.")
    problem = precheck(kind, rec, r.body, today)
    if problem is not None:
        outcome, messages, advice = problem
        return base.outcome(outcome=outcome, register_messages=tuple(messages), advice=advice,
                             state_after=rec.state)
    if dry_run:
        return base.outcome(outcome=Outcome.WOULD_SEND, state_after=rec.state)
    client = api.client
    request_id: int | None = None
    failures = 0
    trainee_id = rec.trainee_id
    while True:
        def before_send() -> None:
            nonlocal request_id
            request_id = log.begin(run_id=run_id, trainee_id=trainee_id, kind=kind, body_hash=body_hash,
                                   sent_at=server_time(client), row_key=row_key, source_row=r.source_row,
                                   fields=tuple(r.body), request_id=request_id)

        try:
            res = api.action(kind, rec.trainee_id, r.body, before_send=before_send)
            counter.wrote(kind)
        except Cancelled:
            if request_id is not None:
                log.settle(request_id, "not_sent")
            raise
        except (AuthenticationError, ForbiddenError, NotFoundError, RateLimitedError):
            if request_id is not None:
                log.settle(request_id, "not_sent")
            raise
        except (ApiConnectionError, ApiStatusError) as exc:
            counter.wrote(kind)
            failures += 1
            if request_id is None or not exc.maybe_sent:
                if request_id is not None:
                    log.settle(request_id, "not_sent")
                if failures >= MAX_ATTEMPTS:
                    raise
                client.wait(client.retry.backoff(failures - 1))
                continue
            log.settle(request_id, "unknown", http_status=getattr(exc, "status_code", None))
            # the answer was lost: read the trainee back once Register has had time to finish it
            wait_to_settle(client, log.request(request_id).sent_at, settle)
            again = finder.get(rec.trainee_id, fresh=True)
            if again is not None and applied(kind, again, r.body):
                log.settle(request_id, "done", confirmed_by="lookup")
                return base.outcome(outcome=Outcome.DONE, state_after=again.state, confirmed_by="lookup")
            if again is None or failures >= MAX_ATTEMPTS or precheck(kind, again, r.body, today) is not None:
                return base.outcome(outcome=Outcome.UNKNOWN, state_after=again.state if again else None,
                                     advice="Register's answer was lost and the trainee does not show the change yet; "
                                            "run the command again later to check (nothing will be sent twice).")
            rec = again
            continue
        return _answer(kind, res, base, log, request_id, rec)


def _answer(kind: str, res: Result, base: _Base, log: RequestLog, request_id: int | None,
            rec: TraineeRecord) -> ActionOutcome:
    assert request_id is not None
    if res.ok:
        log.settle(request_id, "done", http_status=res.status_code, confirmed_by="answer")
        state = res.data.get("state") if isinstance(res.data, dict) else None
        return base.outcome(outcome=Outcome.DONE, state_after=state, http_status=res.status_code,
                             confirmed_by="answer")
    if res.kind == ResultKind.NOT_FOUND:
        log.settle(request_id, "not_found", http_status=res.status_code, messages=res.texts)
        return base.outcome(outcome=Outcome.NOT_FOUND, register_messages=res.texts, http_status=res.status_code,
                             advice="Register no longer finds this trainee for your organisation.")
    if res.kind == ResultKind.STATE:
        log.settle(request_id, "refused", http_status=res.status_code, messages=res.texts)
        return base.outcome(outcome=Outcome.REFUSED, register_messages=res.texts, http_status=res.status_code,
                             advice=state_advice(kind, rec.state))
    log.settle(request_id, "rejected", http_status=res.status_code, messages=res.texts)
    return base.outcome(outcome=Outcome.REJECTED, register_messages=res.texts, http_status=res.status_code,
                         advice="Register did not accept the request: correct the row and run the command again.")


def _finish(result: ActionRunResult, log: RequestLog, action_file: ActionFile, env_label: str, write_receipts: bool,
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
    log.finish_run(result.run_id, counts, str(path) if path else None)
