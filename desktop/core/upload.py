"""Upload the valid rows of a session to Register: each trainee exactly once, resumably, with a receipt.

``upload_valid_rows(session, client, journal, progress=..., token=..., pause=...)`` is a plain
function (HOUSE_STYLE §4): the CLI calls it directly and the window runs it in a ``Job``. It
checks the cancel token and the pause switch between requests (never mid-request, which would
leave an outcome unknown), and reports progress once per row.

Exactly once, across files, edits, races and crashes:

1. **One writer per environment**: the run holds the environment's ``Lease``
   (``desktop.core.ledger``) from start to end; a second window or command gets "an upload is
   running in another window (pid N)" at once and sends nothing.
2. **The trainee ledger decides, not the file**: each row is a trainee (HESA ID + academic cycle of
   its ITT start date, per environment). A trainee the ledger holds is never posted again, whichever
   file, sheet, batch or edit it comes from; it is reported "already sent on DATE in batch N
   (trainee id X)", with the fields that differ since. A genuine second registration needs an
   explicit per-row override (``again``), recorded in the ledger and the receipt. The file's batch
   (``desktop.core.upload_plan.decide``) is a view for progress, receipts and history; resuming a
   file resumes its outstanding trainees whatever its hash, and an unfinished batch whose trainees
   were all settled elsewhere is closed.
3. **Journal, then send**: right before each POST the trainee is journalled ``sending`` (committed,
   fenced by the lease); after it, its outcome.
4. **Settle before looking up**: a trainee whose earlier request may have reached Register (a
   timeout, reset or 5xx in this run; or ``sending`` left by a process that died mid-request) is set
   aside and looked up only once Register has had the read timeout plus the settle margin since the
   request was sent — measured on Register's clock as this computer's monotonic clock carries it,
   so a jump of the wall clock cannot shorten it (after a crash, plus one second for the ``Date``
   header's resolution). Meanwhile the run sends the other trainees. If the look-up does not find
   it, it is sent again, and a 409 then is its success (the trainee the first attempt created).
   The one limit: a request Register is still working on after that window is beyond what a client
   can know; Register's own duplicate rule (the 409) is the last line then.
5. A 409 for a trainee never sent before means Register already held it (``api.already_registered``,
   not an error); a 422 becomes ``api.rejected`` findings on the cells Register named; a 401 stops
   the run and asks for a token.

Module map: ``upload_plan`` (rows, decisions, the plan, time remaining), ``upload_answers``
(Register's answers as findings), ``upload_receipts`` (receipts, reconciliation), ``connect``
(clients, Practice), ``ledger`` (the ledger and the lease), ``journal`` (storage).
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import logging
import threading
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path

from desktop import __version__
from desktop.api.client import RegisterClient
from desktop.api.environments import Environment
from desktop.api.errors import (
    ApiConnectionError,
    ApiError,
    ApiStatusError,
    AuthenticationError,
    ForbiddenError,
    NotFoundError,
    RateLimitedError,
)
from desktop.api.models import CreateResult, Outcome, TraineeSummary
from desktop.core.journal import (
    FINAL,
    BatchMeta,
    Item,
    ItemState,
    Journal,
    NewItem,
    iso_time,
    parse_time,
    utc_now,
)
from desktop.core.ledger import (
    AlreadyInRegister,
    Lease,
    Ledger,
    LedgerEntry,
    account_key,
    holding,
    normalise_hesa_id,
)
from desktop.core.progress import Cancelled, CancelToken, Progress, no_progress
from desktop.core.receipt import Reconciliation
from desktop.core.session import ImportSession
from desktop.core.upload_answers import api_findings
from desktop.core.upload_plan import PreparedRow, batch_key, decide, file_sha256, prepare_rows
from desktop.core.upload_receipts import LOOKUP_MARGIN, reconcile_batch, since_text, write_batch_receipt
from desktop.validation.findings import Findings

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5  # per row, for outcomes that stay unknown (then the run stops; resume later)
DATE_RESOLUTION = 1.0  # seconds: Register's Date header is whole seconds (settling across processes)


# ---------------------------------------------------------------------- controls
class PauseSwitch:
    """Pause and resume an upload from any thread; takes effect between requests."""

    def __init__(self) -> None:
        self._running = threading.Event()
        self._running.set()

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    def wait(self, token: CancelToken, *, poll: float = 0.2) -> None:
        """Block while paused; raises ``Cancelled`` if the upload is cancelled meanwhile."""
        while not self._running.wait(poll):
            token.raise_if_cancelled()
        token.raise_if_cancelled()


# ---------------------------------------------------------------------- results
@dataclass(frozen=True)
class RowResult:
    position: int  # frame row
    source_row: int  # spreadsheet row
    state: ItemState
    trainee_id: str | None = None
    http_status: int | None = None
    messages: tuple[str, ...] = ()
    confirmed_by: str | None = None


@dataclass
class UploadResult:
    batch_id: int
    environment: Environment
    rows: list[RowResult] = field(default_factory=list)  # this run's outcomes, in order
    counts: dict[str, int] = field(default_factory=dict)  # the whole batch, per state
    findings: Findings = field(default_factory=Findings.empty)  # api.* findings of the whole batch
    receipt_path: Path | None = None
    reconciliation: Reconciliation | None = None
    stopped: str | None = None  # why the run stopped early (None: every row has an outcome)
    requests: int = 0
    rate_limited: int = 0
    failed_requests: int = 0  # no usable answer (5xx, timeout, dropped connection): retried or looked up
    seconds: float = 0.0
    differing: int = 0  # rows already sent whose values changed since
    closed_batches: tuple[int, ...] = ()  # other unfinished batches whose trainees were settled here

    @property
    def created(self) -> int:
        return self.counts.get(ItemState.CREATED, 0)

    @property
    def already_registered(self) -> int:
        return self.counts.get(ItemState.ALREADY, 0)

    @property
    def already_sent(self) -> int:
        return self.counts.get(ItemState.ALREADY_SENT, 0)

    @property
    def rejected(self) -> int:
        return self.counts.get(ItemState.REJECTED, 0)

    @property
    def outstanding(self) -> int:
        return sum(n for s, n in self.counts.items() if s not in FINAL)

    @property
    def complete(self) -> bool:
        return self.outstanding == 0

    @property
    def looked_up(self) -> int:
        """Rows of this run whose earlier answer was lost, proven created by a look-up or Register's 409."""
        return sum(1 for r in self.rows if r.confirmed_by in ("lookup", "409"))


class UploadStopped(ApiError):
    """The run stopped part-way; everything done so far is journalled and the next run resumes."""

    title = "The upload stopped part-way"


#: added to the message of an error that stops a batch part-way (the user must know nothing is lost)
RESUME_ADVICE = ("Everything sent so far is recorded: run the upload again to resume; nothing will be sent "
                 "twice.")


# ---------------------------------------------------------------------- the upload
def _who() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no user name available (some locked-down accounts): say so
        return "unknown user"


def upload_valid_rows(
    session: ImportSession,
    client: RegisterClient,
    journal: Journal,
    *,
    progress: Progress = no_progress,
    token: CancelToken | None = None,
    pause: PauseSwitch | None = None,
    on_row: Callable[[RowResult], None] | None = None,
    file_hash: str | None = None,
    new_batch: bool = False,
    account: str | None = None,
    write_receipts: bool = True,
    reconcile: bool = True,
    apply_findings: bool = True,
    max_attempts: int = MAX_ATTEMPTS,
    settle: float | None = None,
    clock: Callable[[], float] = time.monotonic,
    again: Collection[int] = (),
    positions: Collection[int] | None = None,
    lease: Lease | None = None,
) -> UploadResult:
    """Send every valid row whose trainee Register does not hold yet; see the module docstring.

    ``settle`` is the settle margin (default: the client's read timeout); ``again`` the spreadsheet
    rows to register a second time on purpose. ``positions`` (frame rows) limits the run to those rows
    and ``lease`` is the environment's lease when the caller holds it already: ``sync`` creates its
    new trainees through this very path, under its own lease. Raises ``Cancelled`` (the journal is consistent; run
    again to resume), ``UploadRunningError`` (another process is uploading to this environment),
    ``AuthenticationError`` (ask for a token, then run again) and other ``ApiError``s when Register
    cannot be reached after retries. Rows Register rejected or already held are results, not errors.

    ``on_row`` and ``progress`` are called on the calling thread. The window runs this in a ``Job``
    with ``apply_findings=False`` and applies ``result.findings`` with ``ImportSession.set_api_findings`` in its
    slot, on the main thread; it should not let cells be edited while an upload runs.
    """
    run = _Run(session, client, journal, progress=progress, token=token or CancelToken(), pause=pause or PauseSwitch(),
               on_row=on_row, max_attempts=max_attempts,
               margin=client.read_timeout if settle is None else settle, clock=clock, again=frozenset(again))
    return run.go(file_hash=file_hash or file_sha256(session.raw.path), new_batch=new_batch, account=account,
                  write_receipts=write_receipts, reconcile=reconcile, apply_findings=apply_findings,
                  positions=positions, lease=lease)


class _Run:
    """One upload run (its state in one place; ``upload_valid_rows`` is the interface)."""

    def __init__(self, session: ImportSession, client: RegisterClient, journal: Journal, *, progress: Progress,
                 token: CancelToken, pause: PauseSwitch, on_row: Callable[[RowResult], None] | None,
                 max_attempts: int, margin: float, clock: Callable[[], float], again: frozenset[int]) -> None:
        self.session, self.client, self.journal = session, client, journal
        self.progress, self.token, self.pause, self.on_row = progress, token, pause, on_row
        self.max_attempts, self.margin, self.clock, self.again = max_attempts, margin, clock, again
        self.environment = client.environment
        self.scope = self.environment.origin
        self.lease: Lease | None = None
        self.ledger = Ledger(journal, self.scope)
        self.batch_id = 0
        self._sent_at: dict[int, float] = {}  # item id -> monotonic time of its last transmission
        self.done = 0
        self.total = 0

    # ------------------------------------------------------------------ the whole run
    def go(self, *, file_hash: str, new_batch: bool, account: str | None, write_receipts: bool, reconcile: bool,
           apply_findings: bool, positions: Collection[int] | None = None, lease: Lease | None = None) -> UploadResult:
        started = self.clock()
        rows = prepare_rows(self.session, self.journal, positions)
        client = self.client
        result: UploadResult | None = None
        checkpoint = client.checkpoint
        client.checkpoint = self.token.raise_if_cancelled
        try:
            with holding(self.journal, self.scope, label=self.environment.label, what="upload", lease=lease) as held:
                self.lease = held
                try:
                    if rows and not client.knows_server_clock:
                        client.info()  # Register's time (for the journal's send times) and the token, before any row
                    if client.account:
                        self.ledger = Ledger(self.journal, self.scope, account_key(self.journal, client.account))
                    self.batch_id = self._batch(file_hash, new_batch, account)
                    result = UploadResult(batch_id=self.batch_id, environment=self.environment)
                    work = self._prepare_batch(rows, result)
                    self._send_all(work, result)
                    result.closed_batches = self._close_settled()
                    self.journal.refresh_status(self.batch_id)
                    if reconcile and any(o.state == ItemState.CREATED for o in result.rows):
                        result.reconciliation = reconcile_batch(client, self.journal, self.batch_id)
                except (Cancelled, ApiError) as exc:
                    if isinstance(exc, ApiError) and not isinstance(exc, UploadStopped) and RESUME_ADVICE not in exc.message:
                        exc.message = f"{exc.message} {RESUME_ADVICE}"
                        exc.args = (exc.message,)
                    if result is not None:
                        result.stopped = "cancelled" if isinstance(exc, Cancelled) else exc.message
                        self._finish(result, rows, write_receipts, apply_findings, started)
                    raise
        finally:
            client.checkpoint = checkpoint
        assert result is not None
        self._finish(result, rows, write_receipts, apply_findings, started)
        return result

    def _batch(self, file_hash: str, new_batch: bool, account: str | None) -> int:
        session = self.session
        name = Path(session.raw.path).name
        batch = None if new_batch else self.journal.batch_for_file(self.scope, name, session.raw.sheet, file_hash)
        if batch is not None:
            return batch.id
        env = self.environment
        meta = BatchMeta(
            key=batch_key(file_hash, session.raw.sheet, env), environment=env.name, environment_label=env.label,
            base_url=env.base_url, file_name=name, file_hash=file_hash, sheet=session.raw.sheet,
            template_version=session.template.version, reference_data=session.code_lists.label,
            app_version=__version__, account=account or _who(), scope=self.scope)
        return self.journal.start_batch(meta)

    def _prepare_batch(self, rows: list[PreparedRow], result: UploadResult) -> list[tuple[PreparedRow, Item, str]]:
        """Match the file's rows with the batch and the ledger; write what that settles; the work left."""
        journal, ledger = self.journal, self.ledger
        decisions, gone = decide(rows, journal.items(self.batch_id), ledger, self.again)
        with journal.transaction() as db:
            for it in gone:  # rows no longer in the file that never left this computer: nothing to protect
                if it.state == ItemState.PENDING:
                    db.execute("DELETE FROM item WHERE id = ?", (it.id,))
            for d in decisions:
                r, maybe = d.row, d.item
                if maybe is None:
                    continue
                it = maybe
                if (it.source_row, it.position) != (r.source_row, r.position) or it.trainee_key != r.identity.key:
                    db.execute("UPDATE item SET source_row = ?, position = ?, trainee_key = ?, cycle = ? WHERE id = ?",
                               (r.source_row, r.position, r.identity.key, r.cycle, it.id))
                if d.action == "send" and it.state in (ItemState.PENDING, ItemState.REJECTED):
                    db.execute("UPDATE item SET state = 'pending', payload_hash = ?, http_status = NULL, messages = '[]',"
                               " updated_at = ? WHERE id = ?", (r.payload_hash, utc_now(), it.id))
                if d.action == "again" and it.state == ItemState.ALREADY_SENT:
                    db.execute("UPDATE item SET state = 'pending', messages = '[]', differs = '[]' WHERE id = ?", (it.id,))
        missing = [d.row for d in decisions if d.item is None]
        journal.add_items(self.batch_id, [NewItem(source_row=r.source_row, position=r.position,
                                                  fingerprint=r.identity.legacy, payload_hash=r.payload_hash,
                                                  cycle=r.cycle, trainee_key=r.identity.key) for r in missing])
        fresh = {(it.source_row, it.trainee_key): it for it in journal.items(self.batch_id)}
        work: list[tuple[PreparedRow, Item, str]] = []
        self.total = len(rows)
        for d in decisions:
            it = journal.item(d.item.id) if d.item is not None else fresh[(d.row.source_row, d.row.identity.key)]
            entry = d.entry
            if entry is not None and entry.trainee_key.startswith("legacy:"):
                entry = ledger.adopt(entry, d.row.identity)
            if d.action == "done":
                if entry is not None and entry.in_register and not it.final:
                    ledger.mark_item_created(it.id, entry)
                if (d.differs or it.differs) and entry is not None:
                    ledger.set_item_differs(it.id, entry, d.differs)
                result.differing += bool(d.differs)
                self.done += 1
            elif d.action == "already_sent":
                assert entry is not None
                ledger.mark_item_already_sent(it.id, entry, d.differs)
                result.differing += bool(d.differs)
                self.done += 1
                self._report(RowResult(position=d.row.position, source_row=d.row.source_row,
                                       state=ItemState.ALREADY_SENT, trainee_id=entry.trainee_id,
                                       messages=(entry.describe(),), confirmed_by="ledger"), result, count=False)
            elif d.action == "check":
                if entry is not None and it.ledger_id != entry.id:
                    ledger.link_item(it.id, entry)
                work.append((d.row, journal.item(it.id), "check"))
            else:
                work.append((d.row, it, d.action))
        self.progress(self.done, self.total)
        return work

    # ------------------------------------------------------------------ sending
    def _send_all(self, work: list[tuple[PreparedRow, Item, str]], result: UploadResult) -> None:
        client = self.client
        set_aside: list[tuple[PreparedRow, Item, str, Callable[[], float]]] = []
        for r, item, action in work:
            if action == "check":  # left in flight by an earlier run: only once Register has had time to finish it
                set_aside.append((r, item, action, self._settle_after_crash(item)))
                continue
            self.pause.wait(self.token)
            self.token.raise_if_cancelled()
            outcome = self._send_row(r, item, again=action == "again", set_aside=True)
            if outcome is None:
                set_aside.append((r, item, action, self._settle_after_failure(self._sent_at.get(item.id, self.clock()))))
                continue
            self._report(outcome, result)
        set_aside.sort(key=lambda s: s[3]())
        for r, item, action, remaining in set_aside:
            self.pause.wait(self.token)
            client.wait(remaining())  # Register has finished with the earlier attempt
            current = self.journal.item(item.id)
            entry = self.ledger.get(current.ledger_id)
            if entry is not None and entry.in_register:  # settled meanwhile (by a look-up of another batch's row)
                self.ledger.mark_item_created(current.id, entry)
                self._report(RowResult(position=r.position, source_row=r.source_row, state=ItemState(entry.state),
                                       trainee_id=entry.trainee_id, confirmed_by=entry.confirmed_by), result)
                continue
            outcome = self._send_row(r, current, again=action == "again", set_aside=False)
            assert outcome is not None
            self._report(outcome, result)

    def _settle_after_failure(self, sent_at: float) -> Callable[[], float]:
        """Seconds until an attempt of this run whose answer was lost has settled: the read timeout plus the
        margin after it was sent (this computer's monotonic clock, which no wall-clock change moves)."""
        return lambda: sent_at + self.client.read_timeout + self.margin - self.clock()

    def _settle_after_crash(self, item: Item) -> Callable[[], float]:
        """Seconds until a request left in flight by an earlier process has settled in Register.

        Its send time is on Register's clock; ``server_now()`` carries Register's clock on this
        computer's monotonic clock, so a wall-clock jump cannot shorten the wait.
        """
        sent = parse_time(item.last_sent_at or item.first_sent_at)
        if sent is None:
            return lambda: 0.0
        deadline = sent.timestamp() + self.client.read_timeout + self.margin + DATE_RESOLUTION
        return lambda: deadline - self.client.server_now()

    def _report(self, outcome: RowResult, result: UploadResult, *, count: bool = True) -> None:
        result.rows.append(outcome)
        if count:
            self.done += 1
            self.progress(self.done, self.total)
        if self.on_row is not None:
            self.on_row(outcome)

    def _send_row(self, r: PreparedRow, item: Item, *, again: bool, set_aside: bool) -> RowResult | None:
        """Send one row until it has an outcome; None when its answer was lost and ``set_aside`` (look up later)."""
        client, ledger = self.client, self.ledger
        maybe_sent = item.maybe_sent
        first_sent_at = item.first_sent_at
        entry_id = item.ledger_id
        failures = 0
        override = f"second registration asked for by {_who()} on {utc_now()[:10]}" if again else None
        while True:
            if maybe_sent and entry_id is not None:
                found = self._look_up(r, first_sent_at)
                if found is not None:
                    trainee, ours = found
                    if ours:
                        ledger.record_created(entry_id, item.id, trainee_id=trainee.trainee_id,
                                              trainee_state=trainee.state, confirmed_by="lookup", http_status=200)
                        return self._row(r, ItemState.CREATED, 200, trainee, confirmed_by="lookup")
                    msg = (f"Register already held a trainee with this HESA ID in this cycle (trainee id "
                           f"{trainee.trainee_id})",)
                    ledger.record_already_registered(entry_id, item.id, trainee_id=trainee.trainee_id,
                                                     trainee_state=trainee.state, http_status=None, messages=msg)
                    return self._row(r, ItemState.ALREADY, None, trainee, messages=msg, confirmed_by="lookup")
            sent: dict[str, int] = {}

            def before_send(sent: dict[str, int] = sent, entry_id: int | None = entry_id) -> None:
                self._sent_at[item.id] = self.clock()
                sent["entry"] = ledger.mark_sending(
                    r.identity, item_id=item.id, sent_at=iso_time(client.server_now()),
                    owner=self.lease.owner if self.lease else None, batch_id=self.batch_id, source_row=r.source_row,
                    new_registration=override, entry_id=entry_id)

            try:
                res = client.create_trainee(r.payload, before_send=before_send)
            except AlreadyInRegister as held:  # settled elsewhere since the plan: nothing was sent
                ledger.mark_item_already_sent(item.id, held.entry, tuple(held.entry.differs(r.identity.fields)))
                return RowResult(position=r.position, source_row=r.source_row, state=ItemState.ALREADY_SENT,
                                 trainee_id=held.entry.trainee_id, messages=(held.entry.describe(),),
                                 confirmed_by="ledger")
            except Cancelled:
                if "entry" in sent:
                    ledger.mark_not_sent(sent["entry"], item.id)  # cancelled while waiting: nothing left here
                raise
            except (AuthenticationError, ForbiddenError, NotFoundError, RateLimitedError):
                if "entry" in sent:
                    ledger.mark_not_sent(sent["entry"], item.id)  # refused before Register looked at the row
                raise
            except (ApiConnectionError, ApiStatusError) as exc:
                if "entry" in sent:
                    entry_id = sent["entry"]
                    if exc.maybe_sent:
                        maybe_sent = True
                        ledger.mark_unknown(entry_id, item.id, getattr(exc, "status_code", None))
                        first_sent_at = first_sent_at or self.journal.item(item.id).first_sent_at
                    else:
                        ledger.mark_not_sent(entry_id, item.id)
                failures += 1
                if failures >= self.max_attempts:
                    raise UploadStopped(
                        f"{exc.message} The upload stopped after {failures} tries for spreadsheet row {r.source_row}; "
                        "everything sent so far is recorded. Run the upload again to resume: nothing will be sent "
                        "twice.") from None
                logger.info("row %s: attempt failed (%s); retrying", r.source_row, type(exc).__name__)
                if exc.maybe_sent and set_aside:
                    return None
                backoff = client.retry.backoff(failures - 1)
                settled = self._settle_after_failure(self._sent_at.get(item.id, self.clock()))()
                client.wait(max(backoff, settled) if exc.maybe_sent else backoff)
                continue
            entry_id = sent.get("entry", entry_id)
            assert entry_id is not None
            first_sent_at = first_sent_at or self.journal.item(item.id).first_sent_at
            return self._outcome(r, item, entry_id, res, maybe_sent, first_sent_at, again)

    def _outcome(self, r: PreparedRow, item: Item, entry_id: int, res: CreateResult, maybe_sent: bool,
                 first_sent_at: str | None, again: bool) -> RowResult:
        ledger = self.ledger
        if res.outcome == Outcome.CREATED:
            ledger.record_created(entry_id, item.id, trainee_id=res.trainee_id, confirmed_by="201",
                                  trainee_state=res.trainee.state if res.trainee else None, http_status=res.status_code)
            messages = ("Sent again on purpose: a second registration of a trainee already sent (recorded in the "
                        "ledger)",) if again else ()
            if messages:
                with self.journal.transaction() as db:
                    db.execute("UPDATE item SET messages = ? WHERE id = ?", (json.dumps(list(messages)), item.id))
            return self._row(r, ItemState.CREATED, res.status_code, res.trainee, confirmed_by="201", messages=messages)
        if res.outcome == Outcome.DUPLICATE:
            ours = [t for t in res.existing if _created_by_us(t, first_sent_at)] if maybe_sent else []
            if ours:
                ledger.record_created(entry_id, item.id, trainee_id=ours[0].trainee_id, trainee_state=ours[0].state,
                                      confirmed_by="409", http_status=res.status_code)
                return self._row(r, ItemState.CREATED, res.status_code, ours[0], confirmed_by="409")
            ids = ", ".join(t.trainee_id for t in res.existing) or "not given"
            msg = (f"This trainee is already in Register (trainee id {ids})",)
            first = res.existing[0] if res.existing else None
            ledger.record_already_registered(entry_id, item.id, trainee_id=first.trainee_id if first else None,
                                             trainee_state=first.state if first else None,
                                             http_status=res.status_code, messages=msg)
            return self._row(r, ItemState.ALREADY, res.status_code, first, messages=msg)
        msgs = tuple(m.full for m in res.messages)
        ledger.record_rejected(entry_id, item.id, http_status=res.status_code, messages=msgs)
        return self._row(r, ItemState.REJECTED, res.status_code, None, messages=msgs)

    @staticmethod
    def _row(r: PreparedRow, state: ItemState, status: int | None, trainee: TraineeSummary | None, *,
             confirmed_by: str | None = None, messages: tuple[str, ...] = ()) -> RowResult:
        return RowResult(position=r.position, source_row=r.source_row, state=state,
                         trainee_id=trainee.trainee_id if trainee else None, http_status=status,
                         messages=messages, confirmed_by=confirmed_by)

    def _look_up(self, r: PreparedRow, first_sent_at: str | None) -> tuple[TraineeSummary, bool] | None:
        """Is this row's trainee in Register (created by an attempt whose answer was lost)? (trainee, ours)."""
        return look_up(self.client, r, first_sent_at)  # module-level, so tests can replace it

    # ------------------------------------------------------------------ closing
    def _close_settled(self) -> tuple[int, ...]:
        """Unfinished batches of this environment whose outstanding trainees were settled elsewhere: closed."""
        return close_settled_batches(self.journal, self.ledger, exclude=self.batch_id)

    def _finish(self, result: UploadResult, rows: list[PreparedRow], write_receipts: bool, apply_findings: bool,
                started: float) -> None:
        """Counts, findings on the session's cells, and the receipt: also when the run stopped early."""
        client, journal = self.client, self.journal
        result.requests = client.stats.requests
        result.rate_limited = client.stats.rate_limited
        result.failed_requests = client.stats.server_errors + client.stats.connection_errors
        result.seconds = self.clock() - started
        journal.refresh_status(result.batch_id)
        batch = journal.batch(result.batch_id)
        assert batch is not None
        items = journal.items(result.batch_id)
        result.counts = dict(batch.counts)
        result.findings = api_findings(self.session, items)
        if apply_findings:
            self.session.set_api_findings(result.findings)
        if write_receipts:
            try:
                result.receipt_path = write_batch_receipt(
                    journal, batch, items, provider_ids={r.source_row: r.provider_trainee_id for r in rows},
                    reconciliation=result.reconciliation)
            except OSError as exc:  # the upload itself succeeded: a receipt failure must not hide that
                logger.warning("The receipt could not be written (%s)", type(exc).__name__)


def close_settled_batches(journal: Journal, ledger: Ledger, *, exclude: int | None = None) -> tuple[int, ...]:
    """Batches of the ledger's environment left unfinished whose every outstanding trainee the ledger now
    holds (sent from another batch or file, or found by a look-up): their rows say so, and they close."""
    closed = []
    for batch in journal.batches():
        if batch.status == "complete" or batch.meta.scope != ledger.environment or batch.id == exclude:
            continue
        for it in journal.items(batch.id):
            if it.final:
                continue
            entry = _entry_of(journal, ledger, it)
            if entry is None or not entry.in_register:
                continue
            if entry.batch_id == it.batch_id and entry.source_row == it.source_row:
                ledger.mark_item_created(it.id, entry)
            else:
                ledger.mark_item_already_sent(it.id, entry, ())
        if journal.refresh_status(batch.id) == "complete":
            closed.append(batch.id)
    return tuple(closed)


def _entry_of(journal: Journal, ledger: Ledger, item: Item) -> LedgerEntry | None:
    if item.ledger_id is not None:
        return ledger.get(item.ledger_id)
    if not item.trainee_key:
        return None
    row = journal.db.execute("SELECT id FROM trainee WHERE environment = ? AND trainee_key = ? AND state IN"
                             " ('created', 'already_registered') ORDER BY registration DESC LIMIT 1",
                             (ledger.environment, item.trainee_key)).fetchone()
    return ledger.entry(int(row[0])) if row else None


def _created_by_us(trainee: TraineeSummary, first_sent_at: str | None) -> bool:
    """A 409 or a look-up after an unknown outcome: was the matching trainee created by our earlier attempt?

    ``first_sent_at`` is on Register's clock (the journal records it so), like ``created_at``.
    """
    created, sent = parse_time(trainee.created_at), parse_time(first_sent_at)
    if created is None or sent is None:
        return True  # cannot tell: the earlier attempt may well have created it
    return created >= sent - LOOKUP_MARGIN


def look_up(client: RegisterClient, r: PreparedRow, first_sent_at: str | None) -> tuple[TraineeSummary, bool] | None:
    """Register's trainee with this row's HESA ID in its start cycle, updated since the first attempt
    (less a margin), and whether that attempt created it; None when Register lists none.

    ``first_sent_at`` is on Register's clock already (see ``journal.py``), so a jump of this
    computer's clock since the attempt does not move the window searched. Matching is by HESA ID
    alone, so a row edited since (a corrected name) is still found.
    """
    sent = parse_time(first_sent_at) or dt.datetime.fromtimestamp(client.server_now(), dt.UTC)
    for t in client.iter_trainees(academic_cycle=r.identity.cycle, since=since_text(sent), per_page=100):
        if normalise_hesa_id(t.hesa_id or "") == r.identity.hesa_id:
            return t, _created_by_us(t, first_sent_at)
    return None
