"""Keep Register in step with the file all year: new, changed, unchanged, and in Register only (SPEC §11).

``plan_sync(session, client, journal)`` reads Register's trainees for the start cycles the file's rows
belong to (``GET /trainees``, full objects) and sorts every valid row. Who a row is comes first from
the trainee ledger (``desktop.core.ledger``: the same identity an upload uses — HESA ID and the
academic cycle of its ITT start date — and Register's id of the trainee it holds), then from
Register's list by HESA ID and start cycle, then by a unique provider trainee id:

* **new** — Register holds no such trainee: created through the upload's own path
  (``desktop.core.upload.upload_valid_rows`` limited to these rows, under this run's lease), so the
  ledger is consulted before any ``POST``, each one is journalled ``sending`` under the lease, a lost
  answer is settled by the upload's rules, and a trainee the ledger already holds is reported
  "already sent on DATE in batch N" and never posted. One create path, not two;
* **changed** — Register holds it and a field differs from the file: each field is shown before →
  after. It is sent as one ``PUT`` with the complete trainee-level body (SPEC §11.2's practical rule:
  three values are recomputed from the body alone, disabilities merge by position — a position
  Register holds that the file no longer fills is sent blank), then the degree and placement
  endpoints: a degree Register does not hold is added (or, when Register holds exactly one other,
  changed); a placement URN Register does not hold is added. Nothing is ever deleted;
* **unchanged** — nothing differs: nothing is sent;
* **locked** — it differs, but Register's state (recommended, withdrawn, awarded) refuses changes
  through the API: explained in words, nothing sent; **ambiguous** — the app cannot tell what to
  change (several degrees; or a trainee the ledger sent that Register no longer shows): the web service;
* **in Register only** — trainees Register lists for those cycles that no row names: listed, never
  deleted or changed.

``run_sync(plan, ...)`` sends it under the environment's ``Lease`` (one writer per environment: an
upload, another sync or an action to the same environment is refused at once, and readers are told
who is writing, never kept waiting). Each update, degree and placement request is journalled on the
trainee's ledger entry before it is sent (``Ledger.begin_request``, fenced by the lease) and settled
after its answer (``settle_request``); a lost answer is settled by reading the trainee back once
Register has had the settle window — the trainee's values for a PUT, its degrees for a degree, its
placements for a placement, since a repeated placement POST makes a second placement — and a
request done before is never sent again (``done_request``). Trainees found in Register are recorded
in the ledger (``record_found``) and after the run its per-field hashes say what Register holds
(``record_held``), so running sync again on the same file sends nothing and a later upload never
creates them again.
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
from desktop.api.models import ApiMessage
from desktop.api.payload import DEGREES, PLACEMENTS, build_payload, field_for_message, payload_hash
from desktop.api.updates import Result, ResultKind, TraineeApi, TraineeRecord
from desktop.core.journal import ItemState, Journal, parse_time
from desktop.core.ledger import (
    Lease,
    LeaseInfo,
    Ledger,
    TraineeIdentity,
    holding,
    identity_of,
    running_upload,
)
from desktop.core.progress import Cancelled, CancelToken, Progress, no_progress
from desktop.core.session import ImportSession
from desktop.core.year_common import (
    DATE_RESOLUTION,
    Counter,
    TraineeFinder,
    ledger_of,
    record_cycle,
    server_time,
    settle_seconds,
    wait_to_settle,
)
from desktop.validation.actions import state_advice, state_refusal
from desktop.validation.findings import Finding, Findings, Severity
from desktop.validation.packs.v2026_1.facts import load_facts

logger = logging.getLogger(__name__)

NEW, CHANGED, UNCHANGED, LOCKED, AMBIGUOUS = "new", "changed", "unchanged", "locked", "ambiguous"
MAX_ATTEMPTS = 5
#: requests sync journals on the ledger itself (creations go through the upload's path)
UPDATE_KINDS = ("update", "add_degree", "change_degree", "add_placement")

DEGREE_COLUMNS = {"uk_degree": "uk_degree", "non_uk_degree": "non_uk_degree", "degree_subject": "subject",
                  "degree_grade": "grade", "degree_graduation_year": "graduation_year",
                  "awarding_institution": "institution", "degree_country": "country"}
PLACEMENT_COLUMNS = ("placement_1_urn", "placement_2_urn", "placement_3_urn")
#: optional fields a blank cell clears in Register (sent as "" when Register holds a value, SPEC §11.2)
_CLEARABLE = ("provider_trainee_id", "application_id", "previous_last_name", "ni_number",
              "pg_apprenticeship_start_date", "itt_qualification_aim", "additional_training_initiative",
              "course_subject_2", "course_subject_3", "training_partner_urn", "employing_school_urn")
#: what a creation's outcome (the upload's row state) is called in sync's outcomes
_CREATE_OUTCOME = {ItemState.CREATED: "done", ItemState.ALREADY: "already", ItemState.ALREADY_SENT: "already",
                   ItemState.REJECTED: "rejected"}


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
    entry_id: int | None = None  # the trainee ledger's entry, when it holds this trainee
    identity: TraineeIdentity | None = field(default=None, repr=False)  # in memory only (holds the HESA ID)

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
    running: LeaseInfo | None = None  # another window is sending to this environment (plans made without the lease)
    read_at: float | None = None  # Register's clock when the plan read it (requests sent before it had settled)

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
    batch_id: int | None = None  # the upload batch the new trainees were created in
    create_findings: Findings = field(default_factory=Findings.empty)  # the upload's answers for the new rows

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


# ---------------------------------------------------------------------- planning
def sendable(session: ImportSession) -> np.ndarray:
    from desktop.core.upload_plan import sendable_positions

    return sendable_positions(session)


def plan_sync(session: ImportSession, client: RegisterClient, journal: Journal, *,
              token: CancelToken | None = None, settle: float | None = None, lease: Lease | None = None) -> SyncPlan:
    """Read Register for the file's cycles and sort every valid row (nothing is sent, nothing is written).

    Under the environment's ``lease`` (a sync about to send), requests an earlier run left open (a
    kill, a lost answer) are given time to settle before Register is read (``settle``: the settle
    margin, default the read timeout), so what the plan reads already shows whatever they did.
    Without it (a comparison, a dry run) nothing waits — a reader never hangs; the plan says whether
    another window is sending to the environment (``running``), and whatever is still open is settled
    by reading the trainee back before anything is sent (``run_sync``).
    """
    token = token or CancelToken()
    api = TraineeApi(client)
    counter = Counter()
    checkpoint = client.checkpoint
    client.checkpoint = token.raise_if_cancelled
    try:
        running = None if lease is not None else running_upload(journal, client.environment.origin)
        if not client.knows_server_clock:
            client.info()  # Register's clock (for settling) and the account, before anything else
            counter.reads += 1
        ledger = ledger_of(journal, client)
        opened = [r.sent_at for r in ledger.open_requests() if r.sent_at] if lease is not None else []
        if opened:
            wait_to_settle(client, max(opened), settle_seconds(client, settle))
        read_at = client.server_now()
        finder = TraineeFinder(api, counter)
        positions = sendable(session)
        rows = {int(p): session.row(int(p)) for p in positions}
        identities = {p: identity_of(r, journal) for p, r in rows.items()}
        cycles = sorted({i.cycle for i in identities.values()}, key=lambda c: (c is None, c or 0))
        listed = finder.read_cycles(cycles)
        index = ledger.index()
        items: list[SyncItem] = []
        named: set[str] = set()
        source_rows = session.source_rows
        for pos, row in rows.items():
            token.raise_if_cancelled()
            identity = identities[pos]
            item = SyncItem(position=pos, source_row=int(source_rows[pos]), status=NEW, identity=identity)
            items.append(item)
            entry = index.find(identity)
            if entry is not None and entry.in_flight:  # an earlier run stopped mid-request: the create path settles it
                item.entry_id = entry.id
                item.body = build_payload(row, session.template)["data"]
                item.note = ("An earlier upload or sync stopped while creating this trainee: it is looked up in "
                             "Register first and created only if it is not there.")
                continue
            rec = None
            if entry is not None and entry.in_register and entry.trainee_id:
                rec = finder.by_id.get(entry.trainee_id) or finder.get(entry.trainee_id)
            if rec is None:
                rec, _why = finder.match(hesa_id=row.get("hesa_id", ""),
                                         provider_trainee_id=row.get("provider_trainee_id", ""), cycle=identity.cycle)
            if rec is None:
                if entry is not None and entry.in_register:
                    item.status, item.entry_id, item.trainee_id = AMBIGUOUS, entry.id, entry.trainee_id
                    item.note = (f"This trainee was {entry.describe()}, but Register does not show it now (deleted in "
                                 "Register's web service?). It is not created again: if it really must be registered "
                                 f"again, upload the file with 'register again' for row {item.source_row}.")
                else:
                    item.body = build_payload(row, session.template)["data"]
                continue
            named.add(rec.trainee_id)
            if entry is not None and entry.in_register and entry.trainee_id in (None, rec.trainee_id):
                item.entry_id = entry.id
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
        absent = [AbsentTrainee(t.trainee_id, t.text("provider_trainee_id"), t.state, record_cycle(t))
                  for t in listed if t.trainee_id not in named]
        return SyncPlan(environment_label=client.environment.label, items=items, absent=absent,
                        invalid_rows=session.n_rows - len(positions), cycles=cycles, counter=counter,
                        running=running, read_at=read_at)
    finally:
        client.checkpoint = checkpoint


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
    lease: Lease | None = None,
) -> SyncResult:
    """Send the plan's new and changed trainees, each request exactly once, holding the environment's lease
    (``lease`` when the caller holds it already; else taken here: ``UploadRunningError`` when another window
    sends to the environment). ``settle`` is the settle margin (default: the read timeout)."""
    token = token or CancelToken()
    margin = settle
    started = time.monotonic()
    api = TraineeApi(client)
    result = SyncResult(plan=plan)
    result.counter.reads = plan.counter.reads
    todo = [i for i in plan.items if i.sends]
    checkpoint = client.checkpoint
    client.checkpoint = token.raise_if_cancelled
    environment = client.environment
    try:
        with holding(journal, environment.origin, label=environment.label, what="sync", lease=lease) as held:
            if todo and not client.knows_server_clock:
                client.info()
                result.counter.reads += 1
            ledger = ledger_of(journal, client)
            sender = _Sender(api, ledger, held, result, settle_seconds(client, margin), on_item)
            try:
                settle_leftovers(ledger, plan, settle_seconds(client, margin))
                result.run_id = journal.start_run("sync", environment=environment.origin,
                                                  environment_label=environment.label,
                                                  file_name=file_name or Path(session.raw.path).name,
                                                  app_version=__version__)
                sender.remember(plan)
                progress(0, len(todo))
                new = [i for i in todo if i.status == NEW]
                if new:
                    sender.create(new, session, margin=margin, token=token,
                                  progress=lambda done, _total: progress(done, len(todo)))
                done = len(new)
                for item in todo:
                    if item.status != CHANGED:
                        continue
                    token.raise_if_cancelled()
                    sender.update(item)
                    done += 1
                    progress(done, len(todo))
            finally:
                _finish(result, session, journal, client, started, write_receipts)
    finally:
        client.checkpoint = checkpoint
    return result


def remember_plan(plan: SyncPlan, journal: Journal, client: RegisterClient, lease: Lease) -> None:
    """What a plan learnt from Register, kept in the trainee ledger even when there is nothing to send: each trainee
    it found that the ledger did not know (``record_found``: no upload will ever post it) and what Register holds of
    each (``record_held``: an upload then says which fields differ, and only those). ``run_sync`` does the same;
    needs the environment's lease (writers only)."""
    sender = _Sender(TraineeApi(client), ledger_of(journal, client), lease, SyncResult(plan=plan), 0.0, None)
    sender.remember(plan)


def _finish(result: SyncResult, session: ImportSession, journal: Journal, client: RegisterClient, started: float,
            write_receipts: bool) -> None:
    """Findings, the receipt and the run's counts: also when the run stopped early."""
    result.seconds = time.monotonic() - started
    result.findings = sync_findings(session, result.plan, result)
    counts: dict[str, int] = {}
    for o in result.outcomes:
        key = f"{o.request}:{o.outcome}"
        counts[key] = counts.get(key, 0) + 1
    path = None
    if write_receipts and result.run_id is not None:
        try:
            from desktop.core.year_receipts import write_sync_receipt

            path = write_sync_receipt(result, session, client.environment.label)
            result.receipt_path = path
        except OSError as exc:
            logger.warning("The receipt could not be written (%s)", type(exc).__name__)
    if result.run_id is not None:
        journal.finish_run(result.run_id, counts, str(path) if path else None)


def settle_leftovers(ledger: Ledger, plan: SyncPlan, settle: float) -> None:
    """Open requests the plan no longer needs: what Register showed when the plan read it settles them.

    Only requests sent long enough before the plan read Register (``plan_sync`` waited for them): a
    trainee that is now unchanged, or that holds the placement a request was adding, shows that request
    done. One sent later (by a window that stopped after this plan was made), or one the plan still
    needs, is settled when it is next sent (``_Sender.send`` reads the trainee back first).
    """
    if plan.read_at is None:
        return
    items = {i.trainee_id: i for i in plan.items if i.trainee_id}
    for req in ledger.open_requests(UPDATE_KINDS):
        sent = parse_time(req.sent_at)
        if sent is None or sent.timestamp() + settle + DATE_RESOLUTION > plan.read_at:
            continue
        item = items.get(req.trainee_id or "")
        if item is None:
            continue  # not in this file: left for a run of the file it came from
        if req.kind == "add_placement":
            urn, _, n = req.target.partition("#")
            if item.placement_counts.get(urn, 0) >= int(n or 1):
                ledger.settle_request(req.id, "done", confirmed_by="lookup", detail="the placement is in Register")
            elif not any(str(p.get("urn")) == urn for p in item.placements):
                ledger.settle_request(req.id, "not_sent", detail="no longer in the file")
            continue
        if item.status == UNCHANGED:
            ledger.settle_request(req.id, "done", confirmed_by="lookup", detail="Register shows the file's values")


def _fields_of(item: SyncItem, kind: str, urn: str = "") -> list[str]:
    """The file's columns a request changes (names only, for the journal and history)."""
    if kind == "update":
        return [c.field for c in item.changes if c.field not in DEGREE_COLUMNS and c.field not in PLACEMENT_COLUMNS]
    if kind in ("add_degree", "change_degree"):
        return [c.field for c in item.changes if c.field in DEGREE_COLUMNS]
    return [c.field for c in item.changes if c.field in PLACEMENT_COLUMNS and c.after == urn]


class _Sender:
    def __init__(self, api: TraineeApi, ledger: Ledger, lease: Lease, result: SyncResult, settle: float,
                 on_item: Callable[[SyncOutcome], None] | None) -> None:
        self.api = api
        self.client = api.client
        self.ledger = ledger
        self.journal = ledger.journal
        self.lease = lease
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

    # -- the ledger learns every trainee the plan found in Register, and what Register holds of it
    def remember(self, plan: SyncPlan) -> None:
        for item in plan.items:
            if item.status == NEW or not item.trainee_id or item.identity is None:
                continue
            if item.entry_id is None:
                known = self.ledger.by_trainee_id(item.trainee_id)
                if known is not None:
                    item.entry_id = known.id
                else:
                    item.entry_id = self.ledger.record_found(
                        item.identity, trainee_id=item.trainee_id, trainee_state=item.state, found_by="sync",
                        held=self._held(item, done=()))
                    continue
            self._record_held(item, done=())

    def _held(self, item: SyncItem, done: tuple[str, ...] | list[str]) -> dict[str, str]:
        """Per-field hashes of what Register holds: the file's values, except fields still as Register had them."""
        assert item.identity is not None
        fields = dict(item.identity.fields)
        before = {c.field: c.before for c in item.changes if c.field not in done}
        if before:
            fields.update({k: v for k, v in self.journal.field_hashes(item.identity.hesa_id, before).items()
                           if k in before})
        return fields

    def _record_held(self, item: SyncItem, done: tuple[str, ...] | list[str]) -> None:
        if item.entry_id is None or item.identity is None:
            return
        held = self._held(item, done)
        entry = self.ledger.get(item.entry_id)
        if entry is not None and entry.held_hashes != held:
            self.ledger.record_held(item.entry_id, held, trainee_state=item.state)

    # -- one request, journalled on the ledger, with its answer settled by reading back when lost
    def send(self, item: SyncItem, kind: str, body: dict[str, Any], call: Callable[..., Result],
             confirm: Callable[[], bool], *, target: str = "", fields: list[str] | None = None) -> Result | str:
        """The request's Result, or "done"/"already"/"unknown" when settled without an answer."""
        ledger = self.ledger
        body_hash = payload_hash({"kind": kind, "target": target, "data": body}, self.journal.salt)
        tid = item.trainee_id or ""
        assert item.entry_id is not None
        if ledger.done_request(kind, body_hash, trainee_id=tid, target=target) is not None:
            return "already"
        opened = [r for r in ledger.open_requests(kind)
                  if r.trainee_id == tid and r.body_hash == body_hash and r.target == target]
        request_id: int | None = opened[-1].id if opened else None
        if opened:  # left open by a crash or a lost answer: look first, send only if it did not happen
            wait_to_settle(self.client, max(r.sent_at or "" for r in opened), self.settle)
            self.result.counter.reads += 1
            if confirm():
                for r in opened:
                    ledger.settle_request(r.id, "done", confirmed_by="lookup", run_id=self.result.run_id)
                return "done"
            for r in opened[:-1]:
                ledger.settle_request(r.id, "not_sent", detail="not in Register when read back")
        failures = 0
        while True:
            def before_send() -> None:
                nonlocal request_id
                request_id = ledger.begin_request(
                    item.entry_id or 0, kind, body_hash=body_hash, sent_at=server_time(self.client),
                    owner=self.lease.owner, run_id=self.result.run_id, target=target, source_row=item.source_row,
                    fields=fields if fields is not None else [c.field for c in item.changes], request_id=request_id)

            try:
                res = call(before_send=before_send)
                self.result.counter.wrote(kind)
                return self._settle_answer(request_id, res)
            except (Cancelled, AuthenticationError, ForbiddenError, NotFoundError, RateLimitedError):
                if request_id is not None:
                    ledger.settle_request(request_id, "not_sent")
                raise
            except (ApiConnectionError, ApiStatusError) as exc:
                self.result.counter.wrote(kind)
                failures += 1
                if request_id is None or not exc.maybe_sent:
                    if request_id is not None:
                        ledger.settle_request(request_id, "not_sent")
                    if failures >= MAX_ATTEMPTS:
                        raise
                    self.client.wait(self.client.retry.backoff(failures - 1))
                    continue
                ledger.settle_request(request_id, "unknown", http_status=getattr(exc, "status_code", None))
                wait_to_settle(self.client, ledger.request(request_id).sent_at, self.settle)
                self.result.counter.reads += 1
                if confirm():
                    ledger.settle_request(request_id, "done", confirmed_by="lookup")
                    return "done"
                if failures >= MAX_ATTEMPTS:
                    return "unknown"

    def _settle_answer(self, request_id: int | None, res: Result) -> Result:
        assert request_id is not None
        state = {ResultKind.DONE: "done", ResultKind.REJECTED: "rejected", ResultKind.STATE: "refused",
                 ResultKind.NOT_FOUND: "not_found", ResultKind.DUPLICATE: "already"}[res.kind]
        self.ledger.settle_request(request_id, state, http_status=res.status_code, messages=res.texts,
                                   confirmed_by="answer" if res.ok or state == "already" else None)
        return res

    def _outcome(self, item: SyncItem, request: str, res: Result | str, *, target: str = "") -> str:
        if isinstance(res, str):
            return self.emit(item, request, res, confirmed_by="lookup" if res == "done" else "journal", target=target)
        kind = {ResultKind.DONE: "done", ResultKind.REJECTED: "rejected", ResultKind.STATE: "refused",
                ResultKind.NOT_FOUND: "not_found", ResultKind.DUPLICATE: "already"}[res.kind]
        return self.emit(item, request, kind, messages=res.texts, confirmed_by="answer", target=target)

    # -- a changed trainee: PUT, then the degree, then placements; then what Register now holds
    def update(self, item: SyncItem) -> None:
        tid = item.trainee_id or ""
        done: list[str] = []

        def confirm_put() -> bool:
            rec = self.api.get(tid)
            return rec is not None and all(rec.text(k) == str(v) for k, v in item.body.items())

        try:
            fields = _fields_of(item, "update")
            res = self.send(item, "update", item.body,
                            lambda before_send: self.api.update(tid, item.body, before_send=before_send), confirm_put,
                            fields=fields)
            if self._outcome(item, "update", res) not in ("done", "already"):
                return  # a refused or rejected PUT: the degree and placements would be refused too
            done.extend(fields)
            if item.degree is not None:
                degree = dict(item.degree)
                kind = "change_degree" if item.degree_id else "add_degree"
                did = item.degree_id or ""
                fields = _fields_of(item, kind)
                if item.degree_id:
                    res = self.send(item, kind, degree,
                                    lambda before_send: self.api.change_degree(tid, did, degree, before_send=before_send),
                                    lambda: self._has_degree(tid, degree), target=did, fields=fields)
                else:
                    res = self.send(item, kind, degree,
                                    lambda before_send: self.api.add_degree(tid, degree, before_send=before_send),
                                    lambda: self._has_degree(tid, degree), fields=fields)
                if self._outcome(item, kind, res, target=did) in ("done", "already"):
                    done.extend(fields)
            added: dict[str, int] = {}
            for p in item.placements:
                urn = str(p.get("urn") or "")
                added[urn] = added.get(urn, 0) + 1
                want = item.placement_counts.get(urn, 0) + added[urn]
                body = dict(p)
                target = f"{urn}#{want}"  # the n-th placement at this URN: never a second one for one row
                fields = _fields_of(item, "add_placement", urn)
                res = self.send(item, "add_placement", body, self._add_placement_call(tid, body),
                                self._placement_check(tid, urn, want), target=target, fields=fields)
                if self._outcome(item, "add_placement", res, target=urn) in ("done", "already"):
                    done.extend(fields)
        finally:
            self._record_held(item, done)

    def _add_placement_call(self, tid: str, body: dict[str, Any]) -> Callable[..., Result]:
        return lambda before_send: self.api.add_placement(tid, body, before_send=before_send)

    def _placement_check(self, tid: str, urn: str, want: int) -> Callable[[], bool]:
        return lambda: self._placements_at(tid, urn) >= want

    def _has_degree(self, tid: str, degree: dict[str, Any]) -> bool:
        held = self.api.degrees(tid) or []
        return any(_same_degree(degree, d) for d in held)

    def _placements_at(self, tid: str, urn: str) -> int:
        return sum(1 for p in self.api.placements(tid) or [] if str(p.get("urn") or "") == urn)

    # -- new trainees: the upload's own create path (ledger, lease, settle rules, "already sent …")
    def create(self, items: list[SyncItem], session: ImportSession, *, margin: float | None, token: CancelToken,
               progress: Progress) -> None:
        from desktop.core.upload import RowResult, upload_valid_rows

        by_source = {i.source_row: i for i in items}
        answered: set[int] = set()

        def on_row(row: RowResult) -> None:
            item = by_source.get(row.source_row)
            if item is None:
                return
            answered.add(item.source_row)
            item.trainee_id = row.trainee_id or item.trainee_id
            self.emit(item, "create", _CREATE_OUTCOME.get(row.state, "unknown"), messages=row.messages,
                      confirmed_by=row.confirmed_by)

        stats = self.client.stats
        requests, writes = stats.requests, stats.writes
        try:
            res = upload_valid_rows(session, self.client, self.journal, progress=progress, token=token, on_row=on_row,
                                    positions=[i.position for i in items], lease=self.lease, settle=margin,
                                    write_receipts=False, reconcile=False, apply_findings=False)
        finally:
            counter = self.result.counter
            counter.reads += (stats.requests - requests) - (stats.writes - writes)
            counter.writes["create"] = counter.writes.get("create", 0) + stats.writes - writes
        self.result.batch_id = res.batch_id
        positions = {i.position for i in items}
        frame = res.findings.frame
        self.result.create_findings = Findings(frame[frame["row"].isin(positions)].reset_index(drop=True))
        for it in self.journal.items(res.batch_id):  # rows the batch had answered before (e.g. rejected, unchanged)
            item = by_source.get(it.source_row)
            if item is None or item.source_row in answered or it.state not in _CREATE_OUTCOME:
                continue
            item.trainee_id = it.trainee_id or item.trainee_id
            self.emit(item, "create", _CREATE_OUTCOME[it.state], messages=it.messages, confirmed_by="journal")

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
        if o.outcome in ("done", "already") or o.request == "create":
            continue  # a creation's answers come from the upload's path (result.create_findings)
        for full in o.messages or ("",):
            msg = ApiMessage.parse(full) if full else None
            fname = field_for_message(msg, row_of.get(o.position), session.template) if msg else None
            if o.request == "add_placement":
                fname = next((c for c in PLACEMENT_COLUMNS if row_of.get(o.position, {}).get(c) == o.target), fname)
            out.append(Finding(code="api.rejected" if o.outcome == "rejected" else f"api.{o.outcome}", row=o.position,
                               field=fname, severity=Severity.ERROR, value=None, register_message=full or None,
                               message=f"Register did not accept the {o.request.replace('_', ' ')}: {full or o.outcome}"
                                       + (f". {state_advice('change', None)}" if o.outcome == "refused" else "")))
    own = Findings.of(out)
    return Findings.concat([own, result.create_findings]) if result is not None and len(result.create_findings) else own
