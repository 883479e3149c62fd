"""Keep Register in step with the file all year: new, changed, unchanged, and in Register only (SPEC §11).

``plan_sync(session, client, journal)`` reads Register's trainees for the start cycles the file's rows
belong to (``GET /trainees``, full objects) and sorts every valid row:

* **new** — Register holds no such trainee (by Register's id remembered from an earlier run, else by
  HESA ID and start cycle, else by a unique provider trainee id): created as an upload creates it;
* **changed** — Register holds it and a field differs from the file: each field is shown before →
  after. It is sent as one ``PUT`` with the complete trainee-level body (SPEC §11.2's practical rule:
  three values are recomputed from the body alone, disabilities merge by position — a position
  Register holds that the file no longer fills is sent blank), then the degree and placement
  endpoints: a degree Register does not hold is added (or, when Register holds exactly one other,
  changed); a placement URN Register does not hold is added. Nothing is ever deleted;
* **unchanged** — nothing differs: nothing is sent;
* **locked** — it differs, but Register's state (recommended, withdrawn, awarded) refuses changes
  through the API: explained in words, nothing sent;
* **in Register only** — trainees Register lists for those cycles that no row names: listed, never
  deleted or changed.

``run_sync(plan, ...)`` sends it, each request exactly once (``RequestLog``: journalled before it is
sent; a lost answer is settled by reading the trainee back — the trainee's values for a PUT, its
degrees for a degree, its placements for a placement, since a repeated placement POST makes a second
placement). Running sync again on the same file sends nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

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
from desktop.api.models import ApiMessage, Outcome
from desktop.api.payload import DEGREES, PLACEMENTS, build_payload, field_for_message, payload_hash
from desktop.api.updates import Result, ResultKind, TraineeApi, TraineeRecord
from desktop.core.journal import Journal
from desktop.core.progress import Cancelled, CancelToken, Progress, no_progress
from desktop.core.requests_log import RequestLog
from desktop.core.session import ImportSession
from desktop.core.year_common import (
    SETTLE_MARGIN,
    Counter,
    TraineeFinder,
    norm,
    server_time,
    start_cycle,
    wait_to_settle,
)
from desktop.validation.actions import state_advice, state_refusal
from desktop.validation.findings import Finding, Findings, Severity
from desktop.validation.packs.v2026_1.facts import load_facts

logger = logging.getLogger(__name__)

NEW, CHANGED, UNCHANGED, LOCKED, AMBIGUOUS = "new", "changed", "unchanged", "locked", "ambiguous"
MAX_ATTEMPTS = 5
SYNC_KINDS = ("create", "update", "add_degree", "change_degree", "add_placement")

DEGREE_COLUMNS = {"uk_degree": "uk_degree", "non_uk_degree": "non_uk_degree", "degree_subject": "subject",
                  "degree_grade": "grade", "degree_graduation_year": "graduation_year",
                  "awarding_institution": "institution", "degree_country": "country"}
PLACEMENT_COLUMNS = ("placement_1_urn", "placement_2_urn", "placement_3_urn")
#: optional fields a blank cell clears in Register (sent as "" when Register holds a value, SPEC §11.2)
_CLEARABLE = ("provider_trainee_id", "application_id", "previous_last_name", "ni_number",
              "pg_apprenticeship_start_date", "itt_qualification_aim", "additional_training_initiative",
              "course_subject_2", "course_subject_3", "training_partner_urn", "employing_school_urn")


@dataclass(frozen=True)
class FieldChange:
    field: str  # template column
    before: str  # as Register holds it
    after: str  # as the file has it


@dataclass
class SyncItem:
    position: int
    source_row: int
    status: str  # NEW, CHANGED, UNCHANGED, LOCKED, AMBIGUOUS
    trainee_id: str | None = None
    state: str | None = None
    changes: list[FieldChange] = field(default_factory=list)  # trainee-level fields
    body: dict[str, Any] = field(default_factory=dict)  # complete trainee-level PUT body (or the POST body)
    degree: dict[str, Any] | None = None  # degree to send
    degree_id: str | None = None  # change this degree (None: add)
    placements: list[dict[str, Any]] = field(default_factory=list)  # placements to add
    placement_counts: dict[str, int] = field(default_factory=dict)  # URN -> how many Register holds now
    kept_placements: list[str] = field(default_factory=list)  # in Register, not in the file (never deleted)
    note: str = ""
    row_key: str = ""

    @property
    def sends(self) -> bool:
        return self.status in (NEW, CHANGED)


@dataclass(frozen=True)
class AbsentTrainee:
    """A trainee Register lists for the file's cycles that no row names (listed, never touched)."""

    trainee_id: str
    provider_trainee_id: str
    state: str
    cycle: int | None


@dataclass
class SyncPlan:
    environment_label: str
    items: list[SyncItem]
    absent: list[AbsentTrainee]
    invalid_rows: int
    cycles: list[int | None]
    counter: Counter

    def by_status(self, status: str) -> list[SyncItem]:
        return [i for i in self.items if i.status == status]

    @property
    def counts(self) -> dict[str, int]:
        out = dict.fromkeys((NEW, CHANGED, UNCHANGED, LOCKED, AMBIGUOUS), 0)
        for i in self.items:
            out[i.status] += 1
        out["in_register_only"] = len(self.absent)
        out["invalid"] = self.invalid_rows
        return out

    @property
    def requests_to_send(self) -> int:
        n = 0
        for i in self.items:
            if i.status == NEW:
                n += 1
            elif i.status == CHANGED:
                n += 1 + (1 if i.degree is not None else 0) + len(i.placements)
        return n


@dataclass(frozen=True)
class SyncOutcome:
    position: int
    source_row: int
    request: str  # "create", "update", "add_degree", "change_degree", "add_placement"
    outcome: str  # "done", "already", "rejected", "refused", "not_found", "duplicate", "unknown"
    trainee_id: str | None
    messages: tuple[str, ...] = ()
    confirmed_by: str | None = None
    target: str = ""


@dataclass
class SyncResult:
    plan: SyncPlan
    run_id: int | None = None
    outcomes: list[SyncOutcome] = field(default_factory=list)
    counter: Counter = field(default_factory=Counter)
    findings: Findings = field(default_factory=Findings.empty)
    receipt_path: Path | None = None
    seconds: float = 0.0

    def count(self, request: str, outcome: str = "done") -> int:
        return sum(1 for o in self.outcomes if o.request == request and o.outcome == outcome)

    @property
    def problems(self) -> int:
        return sum(1 for o in self.outcomes if o.outcome not in ("done", "already"))


# ---------------------------------------------------------------------- comparing
def register_view(row: dict[str, str]) -> dict[str, str]:
    """A file row as Register would hold it once sent (the round trips of SPEC §6.4)."""
    facts = load_facts()
    out = {k: (v or "").strip() for k, v in row.items()}
    if out.get("ethnicity", "") in ("", "998", "999"):
        out["ethnicity"] = "997"
    if not out.get("trainee_start_date"):
        out["trainee_start_date"] = out.get("itt_start_date", "")
    for k in ("training_partner_urn", "employing_school_urn"):
        if out.get(k) in facts.not_applicable_urns:
            out[k] = ""
    return out


def record_view(rec: TraineeRecord, names: list[str]) -> dict[str, str]:
    return {n: rec.text(n).strip() for n in names}


def _degree_key(d: dict[str, Any]) -> tuple[str, ...]:
    """A degree as Register stores it, for comparison (UK or not decided, remaps applied)."""
    facts = load_facts()
    get = {k: ("" if d.get(k) is None else str(d.get(k)).strip()) for k in
           ("uk_degree", "non_uk_degree", "subject", "grade", "graduation_year", "institution", "country")}
    uk = bool(get["institution"]) or not get["country"] or get["country"] in facts.uk_degree_countries
    year = get["graduation_year"][:4]
    grade = facts.grade_remaps.get(get["grade"], get["grade"])
    if uk:
        inst = facts.institution_remaps.get(get["institution"], get["institution"])
        return ("uk", get["uk_degree"], get["subject"], grade, year, inst)
    return ("non_uk", get["non_uk_degree"], get["subject"], grade, year, get["country"])


def _same_degree(file_degree: dict[str, Any], held: dict[str, Any]) -> bool:
    a, b = _degree_key(file_degree), _degree_key(held)
    if a[0] != b[0]:
        return False
    # Register drops an institution it does not know (reads it back as null): compare what it kept
    return a[:5] == b[:5] and (a[5] == b[5] or not b[5] or (a[0] == "uk" and not a[5]))


def compare(row: dict[str, str], rec: TraineeRecord, session: ImportSession) -> tuple[list[FieldChange], dict[str, Any],
                                                                                   dict[str, Any] | None, str | None,
                                                                                   list[dict[str, Any]], dict[str, int],
                                                                                   list[str], str]:
    """What differs between a row and Register's record, and the requests that would make them equal."""
    template = session.template
    trainee_fields = [f.name for f in template.fields if not f.json.startswith((DEGREES, PLACEMENTS))]
    mine = register_view(row)
    theirs = record_view(rec, trainee_fields)
    changes = [FieldChange(n, theirs[n], mine.get(n, "")) for n in trainee_fields if mine.get(n, "") != theirs[n]]
    payload = build_payload(row, template)["data"]
    body = {k: v for k, v in payload.items() if k not in (DEGREES, PLACEMENTS)}
    for n in trainee_fields:
        if n.startswith("disability") and not row.get(n, "").strip() and rec.text(n):
            body[n] = ""  # a disability Register holds at a position the file no longer fills: blank it
        elif n in _CLEARABLE and not row.get(n, "").strip() and rec.text(n):
            body[n] = ""
    # the degree
    degree = (payload.get(DEGREES) or [None])[0]
    degree_id = None
    note = ""
    held = rec.degrees
    if degree is not None and not any(_same_degree(degree, d) for d in held):
        if len(held) == 1:
            degree_id = str(held[0].get("degree_id") or "")
            for col, key in DEGREE_COLUMNS.items():
                before = "" if held[0].get(key) is None else str(held[0].get(key))
                after = row.get(col, "").strip()
                if before != after:
                    changes.append(FieldChange(col, before, after))
        elif len(held) > 1:
            note = (f"Register holds {len(held)} degrees for this trainee and none is the file's; the app cannot tell "
                    "which one to change. Change it in Register's web service.")
            degree = None
        else:
            changes.extend(FieldChange(col, "", row.get(col, "").strip()) for col in DEGREE_COLUMNS
                           if row.get(col, "").strip())
    elif degree is not None:
        degree = None
    # placements: add the URNs Register does not hold (as many times as the file lists them)
    have: dict[str, int] = {}
    for p in rec.placements:
        urn = str(p.get("urn") or "")
        have[urn] = have.get(urn, 0) + 1
    counts = dict(have)
    remaining = dict(have)
    adds = []
    wanted_urns = []
    for k, col in enumerate(PLACEMENT_COLUMNS):
        urn = row.get(col, "").strip()
        if not urn:
            continue
        wanted_urns.append(urn)
        if remaining.get(urn, 0) > 0:
            remaining[urn] -= 1
            continue
        facts = load_facts()
        name = facts.not_applicable_urns.get(urn) or f"Placement {k + 1}"
        adds.append({"urn": urn, "name": name})
        changes.append(FieldChange(col, "", urn))
    kept = [urn for urn, n in remaining.items() for _ in range(n)]
    return changes, body, degree, degree_id, adds, counts, kept, note


# ---------------------------------------------------------------------- planning
def sendable(session: ImportSession) -> np.ndarray:
    from desktop.core.upload_plan import sendable_positions

    return sendable_positions(session)


def settle_time(client: RegisterClient) -> float:
    """How long after sending a request whose answer was lost Register's record is trusted to show it."""
    return client.read_timeout + min(SETTLE_MARGIN, client.read_timeout)


def plan_sync(session: ImportSession, client: RegisterClient, journal: Journal, *,
              token: CancelToken | None = None, settle: float | None = None) -> SyncPlan:
    """Read Register for the file's cycles and sort every valid row (nothing is sent).

    Requests an earlier run left open (a kill, a lost answer) are given time to settle before
    Register is read, so what the plan reads already shows whatever they did.
    """
    token = token or CancelToken()
    api = TraineeApi(client)
    counter = Counter()
    log = RequestLog(journal, client.environment.key)
    settle = settle_time(client) if settle is None else settle
    try:
        client.checkpoint = token.raise_if_cancelled
        opened = log.open_requests(SYNC_KINDS)
        if opened:
            if not client.knows_server_clock:
                client.info()
                counter.reads += 1
            wait_to_settle(client, max((r.sent_at or "" for r in opened), default=None), settle)
        finder = TraineeFinder(api, log, counter)
        positions = sendable(session)
        rows = {int(p): session.row(int(p)) for p in positions}
        cycles = sorted({start_cycle(r.get("trainee_start_date"), r.get("itt_start_date")) for r in rows.values()},
                        key=lambda c: (c is None, c or 0))
        client.checkpoint = token.raise_if_cancelled
        listed = finder.read_cycles(cycles)
        items: list[SyncItem] = []
        named: set[str] = set()
        source_rows = session.source_rows
        for pos, row in rows.items():
            cycle = start_cycle(row.get("trainee_start_date"), row.get("itt_start_date"))
            row_key = log.key("trainee", norm(row.get("hesa_id")), str(cycle))
            rec = None
            known = log.known_trainee(row_key)
            if known and known in finder.by_id:
                rec = finder.by_id[known]
            if rec is None:
                rec, _why = finder.match(hesa_id=row.get("hesa_id", ""),
                                         provider_trainee_id=row.get("provider_trainee_id", ""), cycle=cycle)
            item = SyncItem(position=pos, source_row=int(source_rows[pos]), status=NEW, row_key=row_key)
            if rec is None:
                item.body = build_payload(row, session.template)["data"]
                items.append(item)
                continue
            named.add(rec.trainee_id)
            item.trainee_id, item.state = rec.trainee_id, rec.state
            changes, body, degree, degree_id, adds, counts, kept, note = compare(row, rec, session)
            item.changes, item.body, item.degree, item.degree_id = changes, body, degree, degree_id
            item.placements, item.placement_counts, item.kept_placements, item.note = adds, counts, kept, note
            if not changes:
                item.status = AMBIGUOUS if note else UNCHANGED
            elif state_refusal("change", rec.state, itt_start=None, today=dt.date.today()):
                item.status = LOCKED
                item.note = state_advice("change", rec.state)
            else:
                item.status = CHANGED
            items.append(item)
        absent = [AbsentTrainee(t.trainee_id, t.text("provider_trainee_id"), t.state,
                                start_cycle(t.text("trainee_start_date"), t.text("itt_start_date")))
                  for t in listed if t.trainee_id not in named]
        return SyncPlan(environment_label=client.environment.label, items=items, absent=absent,
                        invalid_rows=session.n_rows - len(positions), cycles=cycles, counter=counter)
    finally:
        log.close()


# ---------------------------------------------------------------------- sending
def run_sync(
    session: ImportSession,
    plan: SyncPlan,
    client: RegisterClient,
    journal: Journal,
    *,
    progress: Progress = no_progress,
    token: CancelToken | None = None,
    on_item: Callable[[SyncOutcome], None] | None = None,
    settle: float | None = None,
    file_name: str | None = None,
    write_receipts: bool = True,
) -> SyncResult:
    """Send the plan's new and changed trainees, each request exactly once."""
    token = token or CancelToken()
    settle = settle_time(client) if settle is None else settle
    started = time.monotonic()
    api = TraineeApi(client)
    log = RequestLog(journal, client.environment.key)
    settle_leftovers(log, plan)
    result = SyncResult(plan=plan)
    result.counter.reads = plan.counter.reads
    sender = _Sender(api, log, result, settle, on_item)
    client.checkpoint = token.raise_if_cancelled
    todo = [i for i in plan.items if i.sends]
    try:
        result.run_id = log.start_run("sync", file_name=file_name or Path(session.raw.path).name,
                                      environment_label=client.environment.label, app_version=__version__)
        progress(0, len(todo))
        for n, item in enumerate(todo, start=1):
            token.raise_if_cancelled()
            if item.status == NEW:
                sender.create(item, session)
            else:
                sender.update(item)
            progress(n, len(todo))
    finally:
        result.seconds = time.monotonic() - started
        result.findings = sync_findings(session, plan, result)
        counts: dict[str, int] = {}
        for o in result.outcomes:
            key = f"{o.request}:{o.outcome}"
            counts[key] = counts.get(key, 0) + 1
        path = None
        if write_receipts:
            try:
                from desktop.core.year_receipts import write_sync_receipt

                path = write_sync_receipt(result, session, client.environment.label)
                result.receipt_path = path
            except OSError as exc:
                logger.warning("The receipt could not be written (%s)", type(exc).__name__)
        if result.run_id is not None:
            log.finish_run(result.run_id, counts, str(path) if path else None)
        log.close()
    return result


def settle_leftovers(log: RequestLog, plan: SyncPlan) -> None:
    """Open requests the plan no longer needs: what Register showed when the plan read it settles them.

    ``plan_sync`` waited for them to settle before reading, so a trainee that is now unchanged, or
    that holds the placement a request was adding, shows that request done. One the plan still
    needs is settled when it is sent (``_Sender.send`` reads back first).
    """
    items = {i.trainee_id: i for i in plan.items if i.trainee_id}
    by_key = {i.row_key: i for i in plan.items}
    for req in log.open_requests(SYNC_KINDS):
        item = by_key.get(req.target) if req.kind == "create" else items.get(req.trainee_id)
        if item is None:
            continue  # not in this file: left for a run of the file it came from
        if req.kind == "create":
            if item.status != NEW:
                log.settle(req.id, "done", confirmed_by="lookup", detail="found in Register by the plan")
            continue
        if req.kind == "add_placement":
            urn, _, n = req.target.partition("#")
            if item.placement_counts.get(urn, 0) >= int(n or 1):
                log.settle(req.id, "done", confirmed_by="lookup", detail="the placement is in Register")
            elif not any(str(p.get("urn")) == urn for p in item.placements):
                log.settle(req.id, "not_sent", detail="no longer in the file")
            continue
        if item.status == UNCHANGED:
            log.settle(req.id, "done", confirmed_by="lookup", detail="Register shows the file's values")


class _Sender:
    def __init__(self, api: TraineeApi, log: RequestLog, result: SyncResult, settle: float,
                 on_item: Callable[[SyncOutcome], None] | None) -> None:
        self.api = api
        self.client = api.client
        self.log = log
        self.result = result
        self.settle = settle
        self.on_item = on_item

    def emit(self, item: SyncItem, request: str, outcome: str, *, messages: tuple[str, ...] = (),
             confirmed_by: str | None = None, target: str = "") -> str:
        o = SyncOutcome(item.position, item.source_row, request, outcome, item.trainee_id, messages, confirmed_by, target)
        self.result.outcomes.append(o)
        if self.on_item is not None:
            self.on_item(o)
        return outcome

    # -- one request, journalled, with its answer settled by reading back when lost
    def send(self, item: SyncItem, kind: str, body: dict[str, Any], call: Callable[..., Result],
             confirm: Callable[[], bool], *, target: str = "") -> Result | str:
        """The request's Result, or "done"/"already"/"unknown" when settled without an answer."""
        body_hash = payload_hash({"kind": kind, "target": target, "data": body}, self.log.journal.salt)
        tid = item.trainee_id or ""
        if self.log.settled(kind=kind, body_hash=body_hash, trainee_id=tid, target=target) is not None:
            return "already"
        opened = [r for r in self.log.open_requests([kind]) if r.trainee_id == tid and r.body_hash == body_hash
                  and r.target == target]
        request_id: int | None = opened[-1].id if opened else None
        if request_id is not None:  # left open by a crash: look first, send only if it did not happen
            wait_to_settle(self.client, self.log.request(request_id).sent_at, self.settle)
            self.result.counter.reads += 1
            if confirm():
                self.log.settle(request_id, "done", confirmed_by="lookup", run_id=self.result.run_id)
                return "done"
        failures = 0
        while True:
            def before_send() -> None:
                nonlocal request_id
                request_id = self.log.begin(run_id=self.result.run_id, trainee_id=tid, kind=kind, body_hash=body_hash,
                                            sent_at=server_time(self.client), row_key=item.row_key, target=target,
                                            source_row=item.source_row, request_id=request_id,
                                            fields=[c.field for c in item.changes])

            try:
                res = call(before_send=before_send)
                self.result.counter.wrote(kind)
                return self._settle_answer(request_id, res)
            except (Cancelled, AuthenticationError, ForbiddenError, NotFoundError, RateLimitedError):
                if request_id is not None:
                    self.log.settle(request_id, "not_sent")
                raise
            except (ApiConnectionError, ApiStatusError) as exc:
                self.result.counter.wrote(kind)
                failures += 1
                if request_id is None or not exc.maybe_sent:
                    if request_id is not None:
                        self.log.settle(request_id, "not_sent")
                    if failures >= MAX_ATTEMPTS:
                        raise
                    self.client.wait(self.client.retry.backoff(failures - 1))
                    continue
                self.log.settle(request_id, "unknown", http_status=getattr(exc, "status_code", None))
                wait_to_settle(self.client, self.log.request(request_id).sent_at, self.settle)
                self.result.counter.reads += 1
                if confirm():
                    self.log.settle(request_id, "done", confirmed_by="lookup")
                    return "done"
                if failures >= MAX_ATTEMPTS:
                    return "unknown"

    def _settle_answer(self, request_id: int | None, res: Result) -> Result:
        assert request_id is not None
        state = {ResultKind.DONE: "done", ResultKind.REJECTED: "rejected", ResultKind.STATE: "refused",
                 ResultKind.NOT_FOUND: "not_found", ResultKind.DUPLICATE: "already"}[res.kind]
        self.log.settle(request_id, state, http_status=res.status_code, messages=res.texts,
                        confirmed_by="answer" if res.ok else None)
        return res

    def _outcome(self, item: SyncItem, request: str, res: Result | str, *, target: str = "") -> str:
        if isinstance(res, str):
            return self.emit(item, request, res, confirmed_by="lookup" if res == "done" else "journal", target=target)
        kind = {ResultKind.DONE: "done", ResultKind.REJECTED: "rejected", ResultKind.STATE: "refused",
                ResultKind.NOT_FOUND: "not_found", ResultKind.DUPLICATE: "already"}[res.kind]
        return self.emit(item, request, kind, messages=res.texts, confirmed_by="answer", target=target)

    # -- a changed trainee: PUT, then the degree, then placements
    def update(self, item: SyncItem) -> None:
        tid = item.trainee_id or ""

        def confirm_put() -> bool:
            rec = self.api.get(tid)
            return rec is not None and all(rec.text(k) == str(v) for k, v in item.body.items())

        res = self.send(item, "update", item.body,
                        lambda before_send: self.api.update(tid, item.body, before_send=before_send), confirm_put)
        if self._outcome(item, "update", res) not in ("done", "already"):
            return  # a refused or rejected PUT: the degree and placements would be refused too
        if item.degree is not None:
            degree = dict(item.degree)
            if item.degree_id:
                did = item.degree_id
                res = self.send(item, "change_degree", degree,
                                lambda before_send: self.api.change_degree(tid, did, degree, before_send=before_send),
                                lambda: self._has_degree(tid, degree), target=did)
                self._outcome(item, "change_degree", res, target=did)
            else:
                res = self.send(item, "add_degree", degree,
                                lambda before_send: self.api.add_degree(tid, degree, before_send=before_send),
                                lambda: self._has_degree(tid, degree))
                self._outcome(item, "add_degree", res)
        added: dict[str, int] = {}
        for p in item.placements:
            urn = str(p.get("urn") or "")
            added[urn] = added.get(urn, 0) + 1
            want = item.placement_counts.get(urn, 0) + added[urn]
            body = dict(p)
            target = f"{urn}#{want}"  # the n-th placement at this URN: never a second one for one row
            res = self.send(item, "add_placement", body, self._add_placement_call(tid, body),
                            self._placement_check(tid, urn, want), target=target)
            self._outcome(item, "add_placement", res, target=urn)

    def _add_placement_call(self, tid: str, body: dict[str, Any]) -> Callable[..., Result]:
        return lambda before_send: self.api.add_placement(tid, body, before_send=before_send)

    def _placement_check(self, tid: str, urn: str, want: int) -> Callable[[], bool]:
        return lambda: self._placements_at(tid, urn) >= want

    def _has_degree(self, tid: str, degree: dict[str, Any]) -> bool:
        held = self.api.degrees(tid) or []
        return any(_same_degree(degree, d) for d in held)

    def _placements_at(self, tid: str, urn: str) -> int:
        return sum(1 for p in self.api.placements(tid) or [] if str(p.get("urn") or "") == urn)

    # -- a new trainee: POST /trainees, found by HESA ID and cycle when the answer is lost
    def create(self, item: SyncItem, session: ImportSession) -> None:
        row = session.row(item.position)
        cycle = start_cycle(row.get("trainee_start_date"), row.get("itt_start_date"))
        payload = {"data": item.body}
        found: dict[str, str] = {}

        def confirm() -> bool:
            for rec in self.api.list_cycle(cycle):
                if norm(rec.text("hesa_id")) == norm(row.get("hesa_id")):
                    found["id"] = rec.trainee_id
                    return True
            return False

        def call(before_send: Callable[[], None]) -> Result:
            res = self.client.create_trainee(payload, before_send=before_send)
            if res.outcome == Outcome.CREATED:
                found["id"] = res.trainee_id or ""
                return Result(ResultKind.DONE, res.status_code, data={"trainee_id": res.trainee_id})
            if res.outcome == Outcome.DUPLICATE:
                found["id"] = res.trainee_id or ""
                return Result(ResultKind.DUPLICATE, res.status_code, messages=res.messages)
            return Result(ResultKind.REJECTED, res.status_code, messages=res.messages)

        out = self.send(item, "create", item.body, call, confirm, target=item.row_key)
        if found.get("id"):
            item.trainee_id = found["id"]
            self.log.remember_trainee(item.row_key, found["id"])
            from desktop.core.ledger import remember_created

            # the upload's trainee ledger learns it too, so an upload of the same row never posts it again
            remember_created(self.log.journal, self.client.environment.origin, row, found["id"], how="sync")
        self._outcome(item, "create", out)


# ---------------------------------------------------------------------- findings on the rows
def sync_findings(session: ImportSession, plan: SyncPlan, result: SyncResult | None = None) -> Findings:
    """The plan and Register's answers as findings on the session's rows (``api.*`` codes)."""
    out: list[Finding] = []
    for item in plan.items:
        pos = item.position
        if item.status == CHANGED:
            for c in item.changes:
                out.append(Finding(code="api.changed", row=pos, field=c.field, severity=Severity.INFO, value=c.after,
                                   message=f"Register holds '{c.before}'; sync sends '{c.after}'."))
        elif item.status in (LOCKED, AMBIGUOUS):
            out.append(Finding(code="api.not_changeable", row=pos, field=None, severity=Severity.WARNING,
                               value=item.trainee_id, message=item.note))
    row_of = {i.position: session.row(i.position) for i in plan.items}
    for o in result.outcomes if result else []:
        if o.outcome in ("done", "already"):
            continue
        for full in o.messages or ("",):
            msg = ApiMessage.parse(full) if full else None
            fname = field_for_message(msg, row_of.get(o.position), session.template) if msg else None
            if o.request == "add_placement":
                fname = next((c for c in PLACEMENT_COLUMNS if row_of.get(o.position, {}).get(c) == o.target), fname)
            out.append(Finding(code="api.rejected" if o.outcome == "rejected" else f"api.{o.outcome}", row=o.position,
                               field=fname, severity=Severity.ERROR, value=None, register_message=full or None,
                               message=f"Register did not accept the {o.request.replace('_', ' ')}: {full or o.outcome}"
                                       + (f". {state_advice('change', None)}" if o.outcome == "refused" else "")))
    return Findings.of(out)
