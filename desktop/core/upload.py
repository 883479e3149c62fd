"""Upload the valid rows of a session to Register, each exactly once, resumably, with a receipt.

``upload_valid_rows(session, client, journal, progress=..., token=..., pause=...)`` is a plain
function (HOUSE_STYLE §4): the CLI calls it directly and the window runs it in a ``Job``. It
checks the cancel token and the pause switch between requests (never mid-request, which would
leave an outcome unknown), and reports progress once per row.

Exactly once, across crashes (see ``journal.py`` for the states):

1. a batch is keyed by the file's SHA-256, the sheet and the environment; running the same file
   again resumes its batch;
2. before each POST the row is journalled ``sending``; after it, its outcome;
3. a row whose earlier attempt may have reached Register (``sending`` after a crash, or a
   timeout, reset or 5xx) is first looked up with ``GET /trainees?since=...``; only if Register
   does not list it is it sent again, strictly after the earlier attempt ended, and then a 409 is
   its success (recorded with the trainee the first attempt created). Register may still be
   working on a request whose answer timed out, so such a row is set aside and looked up at the
   end of the batch, at least ``settle`` seconds (the read timeout) after the attempt ended, so
   Register has had twice the read timeout to finish it: a look-up any sooner could miss a
   trainee still being created and send it a second time. (A request Register works on for longer
   than that is beyond what a client can know; Register's duplicate rule, the 409, is the last
   line then.)
4. a 409 for a row never sent before means Register already held the trainee: an
   ``api.already_registered`` finding, not an error; a 422 becomes ``api.rejected`` findings on
   the cells Register named; a 401 stops the batch and asks for a token.
"""

from __future__ import annotations

import datetime as dt
import getpass
import hashlib
import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from desktop import __version__
from desktop.api.client import RegisterClient, RetryPolicy
from desktop.api.environments import PRACTICE, Environment
from desktop.api.errors import (
    ApiConnectionError,
    ApiError,
    ApiStatusError,
    AuthenticationError,
    ForbiddenError,
    NotFoundError,
    RateLimitedError,
)
from desktop.api.models import ApiMessage, CreateResult, Outcome, TraineeSummary
from desktop.api.payload import build_payload, field_for_message, payload_hash
from desktop.api.ratelimit import RateLimiter
from desktop.core.config import AppConfig
from desktop.core.journal import FINAL, Batch, BatchMeta, Item, ItemState, Journal, NewItem, utc_now
from desktop.core.paths import data_dir
from desktop.core.progress import Cancelled, CancelToken, Progress, no_progress
from desktop.core.receipt import Reconciliation, default_receipt_path, write_receipt
from desktop.core.reference import (
    cached_code_lists as cached_code_lists,  # re-exported for callers of this module
)
from desktop.core.reference import reference_cache_path
from desktop.core.session import ImportSession
from desktop.validation.codelists import (
    CodeLists,
    code_lists_from_api,
    save_code_lists,
)
from desktop.validation.findings import Finding, Findings, Severity

logger = logging.getLogger(__name__)

#: how far before the first attempt a look-up searches (clock differences between us and Register)
LOOKUP_MARGIN = dt.timedelta(minutes=5)
MAX_ATTEMPTS = 5  # per row, for outcomes that stay unknown (then the batch stops; resume later)


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


@dataclass(frozen=True)
class UploadPlan:
    """What an upload would do now (the window's "N rows to send, about M minutes")."""

    environment: Environment
    batch_id: int | None  # the batch that would resume, None for a new one
    valid_rows: int
    invalid_rows: int  # rows with errors: never sent
    to_send: int  # rows still needing a request
    already_done: int  # rows of the resumed batch with an outcome
    estimated_seconds: float  # at the rate limit

    @property
    def resuming(self) -> bool:
        return self.batch_id is not None and self.already_done > 0

    @property
    def nothing_to_send(self) -> bool:
        return self.to_send == 0


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

    @property
    def created(self) -> int:
        return self.counts.get(ItemState.CREATED, 0)

    @property
    def already_registered(self) -> int:
        return self.counts.get(ItemState.ALREADY, 0)

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
    """The batch stopped part-way; everything done so far is journalled and the next run resumes."""

    title = "The upload stopped part-way"


#: added to the message of an error that stops a batch part-way (the user must know nothing is lost)
RESUME_ADVICE = ("Everything sent so far is recorded: run the upload again to resume; nothing will be sent "
                 "twice.")


# ---------------------------------------------------------------------- preparing rows
@dataclass(frozen=True)
class _Row:
    position: int
    source_row: int
    payload: dict[str, Any]
    payload_hash: str
    fingerprint: str
    cycle: int | None
    hesa_id: str
    date_of_birth: str
    last_name: str
    provider_trainee_id: str
    fields: dict[str, str]


def file_sha256(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def batch_key(file_hash: str, sheet: str | None, environment: Environment) -> str:
    """Same file, sheet and environment → same batch (custom environments by address)."""
    where = environment.base_url if environment.name == "custom" else environment.name
    return hashlib.sha256(f"{file_hash}\x1f{sheet or ''}\x1f{where}".encode()).hexdigest()


def academic_cycle(date_text: str) -> int | None:
    try:
        d = dt.date.fromisoformat(date_text.strip())
    except ValueError:
        return None
    return d.year if d.month >= 8 else d.year - 1


def sendable_positions(session: ImportSession) -> np.ndarray:
    """Rows with no error except Register's own earlier answers (``api.*``).

    A row Register rejected keeps its ``api.rejected`` finding until it is sent again; once the
    user has changed it, it must be sendable (the journal then reopens it), so those findings do
    not block it here.
    """
    frame = session.findings.frame
    own = Findings(frame[~frame["code"].astype(str).str.startswith("api.")].reset_index(drop=True))
    if own.has_file_errors():
        return np.array([], dtype=np.int64)
    return np.flatnonzero(~own.invalid_row_mask(session.n_rows))


def _prepare(session: ImportSession, journal: Journal) -> list[_Row]:
    out = []
    source_rows = session.source_rows
    for pos in sendable_positions(session):
        position = int(pos)
        row = session.row(position)
        payload = build_payload(row, session.template)
        identity = (row["hesa_id"], row["date_of_birth"], row["last_name"].casefold(),
                    row["first_names"].casefold(), row["training_route"], row["itt_start_date"])
        out.append(_Row(
            position=position, source_row=int(source_rows[position]), payload=payload,
            payload_hash=payload_hash(payload, journal.salt), fingerprint=journal.keyed_hash(*identity),
            cycle=academic_cycle(row["trainee_start_date"] or row["itt_start_date"]),
            hesa_id=row["hesa_id"], date_of_birth=row["date_of_birth"], last_name=row["last_name"],
            provider_trainee_id=row["provider_trainee_id"], fields=row))
    return out


def _new_item(r: _Row) -> NewItem:
    return NewItem(source_row=r.source_row, position=r.position, fingerprint=r.fingerprint,
                   payload_hash=r.payload_hash, cycle=r.cycle)


def _meta(session: ImportSession, environment: Environment, file_hash: str, account: str | None) -> BatchMeta:
    return BatchMeta(
        key=batch_key(file_hash, session.raw.sheet, environment), environment=environment.name,
        environment_label=environment.label, base_url=environment.base_url, file_name=Path(session.raw.path).name,
        file_hash=file_hash, sheet=session.raw.sheet, template_version=session.template.version,
        reference_data=session.code_lists.label, app_version=__version__, account=account or _who())


def _who() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no user name available (some locked-down accounts): say so
        return "unknown user"


def _session_hash(session: ImportSession, file_hash: str | None) -> str:
    return file_hash or file_sha256(session.raw.path)


def plan_upload(session: ImportSession, journal: Journal, environment: Environment, *,
                limiter: RateLimiter | None = None, file_hash: str | None = None,
                new_batch: bool = False) -> UploadPlan:
    """How many rows would be sent now, whether a batch resumes, and the time at the rate limit."""
    limiter = limiter or RateLimiter()
    file_hash = _session_hash(session, file_hash)
    positions = sendable_positions(session)
    valid = len(positions)
    batch = None if new_batch else journal.latest_batch(batch_key(file_hash, session.raw.sheet, environment))
    done = 0
    if batch is not None:
        finals = {it.source_row: it for it in journal.items(batch.id) if it.final}
        source_rows = session.source_rows
        for p in positions:
            it = finals.get(int(source_rows[p]))
            if it is not None and not _reopens(it, session, int(p), journal):
                done += 1
    to_send = valid - done
    return UploadPlan(environment=environment, batch_id=batch.id if batch else None, valid_rows=valid,
                      invalid_rows=session.n_rows - valid, to_send=to_send, already_done=done,
                      estimated_seconds=limiter.estimate_seconds(to_send))


# ---------------------------------------------------------------------- the upload
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
) -> UploadResult:
    """Send every valid row not yet sent in this file's batch; see the module docstring.

    Raises ``Cancelled`` (the journal is consistent; run again to resume), ``AuthenticationError``
    (ask for a token, then run again) and other ``ApiError``s when Register cannot be reached
    after retries. Rows Register rejected or already held are results, not errors.

    ``on_row`` and ``progress`` are called on the calling thread. The window runs this in a ``Job``
    with ``apply_findings=False`` and applies ``result.findings`` with ``apply_api_findings`` in its
    slot, on the main thread; it should not let cells be edited while an upload runs.
    """
    token = token or CancelToken()
    pause = pause or PauseSwitch()
    settle = client.read_timeout if settle is None else settle
    environment = client.environment
    started = clock()
    file_hash = _session_hash(session, file_hash)
    rows = _prepare(session, journal)
    meta = _meta(session, environment, file_hash, account)
    batch = None if new_batch else journal.latest_batch(meta.key)
    batch_id = journal.start_batch(meta, [_new_item(r) for r in rows]) if batch is None else batch.id

    result = UploadResult(batch_id=batch_id, environment=environment)
    checkpoint = client.checkpoint
    client.checkpoint = token.raise_if_cancelled
    try:
        with journal.lock(batch_id):
            items = _reconcile_items(journal, batch_id, rows)
            if not client.knows_server_clock and any(not it.final for it in items.values()):
                client.info()  # Register's time (for the journal's send times) and the token, before any row
            total = len(rows)
            done = sum(1 for r in rows if items[r.source_row].final)
            progress(done, total)
            set_aside: list[tuple[_Row, float]] = []  # answers lost: look them up at the end, once settled
            for r in rows:
                item = items[r.source_row]
                if item.final:
                    continue
                pause.wait(token)
                token.raise_if_cancelled()
                outcome = _send_row(client, journal, batch_id, r, item, token, max_attempts, settle, set_aside=True)
                if outcome is None:
                    set_aside.append((r, clock()))
                    continue
                result.rows.append(outcome)
                done += 1
                progress(done, total)
                if on_row is not None:
                    on_row(outcome)
            for r, failed_at in set_aside:
                pause.wait(token)
                client.wait(failed_at + settle - clock())  # Register has finished with the lost attempt
                outcome = _send_row(client, journal, batch_id, r, journal.item(batch_id, r.source_row), token,
                                    max_attempts, settle, set_aside=False)
                assert outcome is not None
                result.rows.append(outcome)
                done += 1
                progress(done, total)
                if on_row is not None:
                    on_row(outcome)
            journal.refresh_status(batch_id)
            if reconcile and any(o.state == ItemState.CREATED for o in result.rows):
                result.reconciliation = reconcile_batch(client, journal, batch_id)
    except (Cancelled, ApiError) as exc:
        if isinstance(exc, ApiError) and not isinstance(exc, UploadStopped) and RESUME_ADVICE not in exc.message:
            exc.message = f"{exc.message} {RESUME_ADVICE}"
            exc.args = (exc.message,)
        result.stopped = "cancelled" if isinstance(exc, Cancelled) else exc.message
        _finish(result, session, journal, rows, write_receipts, apply_findings)
        raise
    finally:
        client.checkpoint = checkpoint
        result.requests = client.stats.requests
        result.rate_limited = client.stats.rate_limited
        result.failed_requests = client.stats.server_errors + client.stats.connection_errors
        result.seconds = clock() - started
    _finish(result, session, journal, rows, write_receipts, apply_findings)
    return result


def _finish(result: UploadResult, session: ImportSession, journal: Journal, rows: list[_Row],
            write_receipts: bool, apply_findings: bool) -> None:
    """Counts, findings on the session's cells, and the receipt: also when the run stopped early."""
    journal.refresh_status(result.batch_id)
    batch = journal.batch(result.batch_id)
    assert batch is not None
    items = journal.items(result.batch_id)
    result.counts = dict(batch.counts)
    result.findings = api_findings(session, items)
    if apply_findings:
        apply_api_findings(session, result.findings)
    if write_receipts:
        try:
            result.receipt_path = write_batch_receipt(
                journal, batch, items, provider_ids={r.source_row: r.provider_trainee_id for r in rows},
                reconciliation=result.reconciliation)
        except OSError as exc:  # the upload itself succeeded: a receipt failure must not hide that
            logger.warning("The receipt could not be written (%s)", type(exc).__name__)


def _reconcile_items(journal: Journal, batch_id: int, rows: list[_Row]) -> dict[int, Item]:
    """Match this session's valid rows with the journal's (new rows added; changed rows handled)."""
    existing = {it.source_row: it for it in journal.items(batch_id)}
    new = [_new_item(r) for r in rows if r.source_row not in existing]
    journal.add_items(batch_id, new)
    for r in rows:
        it = existing.get(r.source_row)
        if it is None:
            continue
        if it.state == ItemState.SENDING:  # left mid-request by a crash: it may have reached Register
            journal.mark_unknown(batch_id, r.source_row, it.http_status)
        elif it.state == ItemState.PENDING and (it.payload_hash != r.payload_hash or it.position != r.position):
            journal.update_pending(batch_id, r.source_row, position=r.position, fingerprint=r.fingerprint,
                                   payload_hash=r.payload_hash, cycle=r.cycle)
        elif it.state == ItemState.REJECTED and it.payload_hash != r.payload_hash:
            # Register stored nothing and the row has changed since (fixed in the window): send it again
            journal.reopen_rejected(batch_id, r.source_row, position=r.position, fingerprint=r.fingerprint,
                                    payload_hash=r.payload_hash, cycle=r.cycle)
    return {it.source_row: it for it in journal.items(batch_id)}


def _reopens(item: Item, session: ImportSession, position: int, journal: Journal) -> bool:
    """A rejected row whose body has changed since will be sent again."""
    if item.state != ItemState.REJECTED:
        return False
    return payload_hash(build_payload(session.row(position), session.template), journal.salt) != item.payload_hash


def _send_row(client: RegisterClient, journal: Journal, batch_id: int, r: _Row, item: Item,
              token: CancelToken, max_attempts: int, settle: float, *, set_aside: bool) -> RowResult | None:
    """Send one row until it has an outcome; None when its answer was lost and ``set_aside`` (look up later)."""
    maybe_sent = item.maybe_sent
    first_sent_at = item.first_sent_at
    failures = 0
    while True:
        if maybe_sent:
            found = _look_up(client, r, first_sent_at)
            if found is not None:
                return _record(journal, batch_id, r, ItemState.CREATED, 200, trainee=found, confirmed_by="lookup")

        def before_send() -> None:
            journal.mark_sending(batch_id, r.source_row, r.payload_hash, sent_at=client.server_now())

        try:
            res = client.create_trainee(r.payload, before_send=before_send)
        except Cancelled:
            journal.mark_not_sent(batch_id, r.source_row)  # cancelled while waiting: nothing left here
            raise
        except (AuthenticationError, ForbiddenError, NotFoundError, RateLimitedError):
            journal.mark_not_sent(batch_id, r.source_row)  # refused before Register looked at the row
            raise
        except (ApiConnectionError, ApiStatusError) as exc:
            if exc.maybe_sent:
                maybe_sent = True
                journal.mark_unknown(batch_id, r.source_row, getattr(exc, "status_code", None))
                first_sent_at = first_sent_at or journal.item(batch_id, r.source_row).first_sent_at
            else:
                journal.mark_not_sent(batch_id, r.source_row)
            failures += 1
            if failures >= max_attempts:
                raise UploadStopped(
                    f"{exc.message} The upload stopped after {failures} tries for spreadsheet row {r.source_row}; "
                    "everything sent so far is recorded. Run the upload again to resume: nothing will be sent "
                    "twice.") from None
            logger.info("row %s: attempt failed (%s); retrying", r.source_row, type(exc).__name__)
            if exc.maybe_sent and set_aside:
                return None
            backoff = client.retry.backoff(failures - 1)
            client.wait(max(backoff, settle) if exc.maybe_sent else backoff)
            continue
        first_sent_at = first_sent_at or journal.item(batch_id, r.source_row).first_sent_at
        return _outcome(journal, batch_id, r, res, maybe_sent, first_sent_at)


def _outcome(journal: Journal, batch_id: int, r: _Row, res: CreateResult, maybe_sent: bool,
             first_sent_at: str | None) -> RowResult:
    if res.outcome == Outcome.CREATED:
        return _record(journal, batch_id, r, ItemState.CREATED, res.status_code, trainee=res.trainee, confirmed_by="201")
    if res.outcome == Outcome.DUPLICATE:
        ours = [t for t in res.existing if _created_by_us(t, first_sent_at)] if maybe_sent else []
        if ours:
            return _record(journal, batch_id, r, ItemState.CREATED, res.status_code, trainee=ours[0], confirmed_by="409")
        ids = ", ".join(t.trainee_id for t in res.existing) or "not given"
        return _record(journal, batch_id, r, ItemState.ALREADY, res.status_code,
                       trainee=res.existing[0] if res.existing else None,
                       messages=(f"This trainee is already in Register (trainee id {ids})",))
    return _record(journal, batch_id, r, ItemState.REJECTED, res.status_code,
                   messages=tuple(m.full for m in res.messages))


def _record(journal: Journal, batch_id: int, r: _Row, state: ItemState, status: int | None, *,
            trainee: TraineeSummary | None = None, confirmed_by: str | None = None,
            messages: tuple[str, ...] = ()) -> RowResult:
    journal.mark_result(batch_id, r.source_row, state, http_status=status,
                        trainee_id=trainee.trainee_id if trainee else None,
                        trainee_state=trainee.state if trainee else None, confirmed_by=confirmed_by,
                        messages=messages)
    return RowResult(position=r.position, source_row=r.source_row, state=state,
                     trainee_id=trainee.trainee_id if trainee else None, http_status=status,
                     messages=messages, confirmed_by=confirmed_by)


def _parse_time(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    try:
        t = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return t if t.tzinfo else t.replace(tzinfo=dt.UTC)


def _created_by_us(trainee: TraineeSummary, first_sent_at: str | None) -> bool:
    """A 409 after an unknown outcome: was the matching trainee created by our earlier attempt?

    ``first_sent_at`` is on Register's clock (the journal records it so), like ``created_at``.
    """
    created, sent = _parse_time(trainee.created_at), _parse_time(first_sent_at)
    if created is None or sent is None:
        return True  # cannot tell: the earlier attempt may well have created it
    return created >= sent - LOOKUP_MARGIN


def _look_up(client: RegisterClient, r: _Row, first_sent_at: str | None) -> TraineeSummary | None:
    """Is this row's trainee already in Register (created by an attempt whose answer was lost)?

    ``first_sent_at`` is on Register's clock already (see ``journal.py``), so a jump of this
    computer's clock since the attempt does not move the window searched.
    """
    sent = _parse_time(first_sent_at)
    if sent is None:
        sent = dt.datetime.fromtimestamp(client.server_now(), dt.UTC)
    since = sent - LOOKUP_MARGIN
    since_text = since.isoformat(timespec="seconds").replace("+00:00", "Z")
    for t in client.iter_trainees(academic_cycle=r.cycle, since=since_text, per_page=100):
        if ((t.hesa_id or "").strip() == r.hesa_id.strip() and (t.date_of_birth or "") == r.date_of_birth
                and (t.last_name or "").strip().casefold() == r.last_name.strip().casefold()):
            return t
    return None


# ---------------------------------------------------------------------- findings
def api_findings(session: ImportSession, items: Iterable[Item]) -> Findings:
    """Register's answers as findings on the session's rows and cells (codes ``api.*``)."""
    by_source = {int(s): i for i, s in enumerate(session.source_rows)}
    out: list[Finding] = []
    for it in items:
        pos = by_source.get(it.source_row)
        if pos is None:
            continue
        if it.state == ItemState.REJECTED:
            row = session.row(pos)
            for full in it.messages:
                msg = ApiMessage.parse(full)
                out.append(Finding(
                    code="api.rejected", row=pos, field=field_for_message(msg, row, session.template),
                    severity=Severity.ERROR, register_message=full, value=None,
                    message=f"Register rejected this row: {full}"))
        elif it.state == ItemState.ALREADY:
            out.append(Finding(
                code="api.already_registered", row=pos, field=None, severity=Severity.WARNING,
                value=it.trainee_id, register_message="This trainee is already in Register",
                message=f"Register already holds this trainee (trainee id {it.trainee_id or 'not given'}), so it "
                        "was not added again. Check the existing record in Register if this is unexpected."))
    return Findings.of(out)


def apply_api_findings(session: ImportSession, findings: Findings) -> None:
    """Show Register's answers in the session (the grid and reports): replaces earlier ``api.*`` findings."""
    static = session.static.frame
    keep = ~static["code"].astype(str).str.startswith("api.")
    session.static = Findings.concat([Findings(static[keep].reset_index(drop=True)), findings])


def drop_api_findings(session: ImportSession, rows: Iterable[int]) -> None:
    """Forget Register's earlier answers for rows the user has just changed (they no longer apply)."""
    static = session.static.frame
    drop = static["code"].astype(str).str.startswith("api.") & static["row"].isin(list(rows))
    if drop.any():
        session.static = Findings(static[~drop].reset_index(drop=True))


# ---------------------------------------------------------------------- receipts, reconciliation
def write_batch_receipt(journal: Journal, batch: Batch, items: list[Item] | None = None, *,
                        path: Path | None = None, provider_ids: dict[int, str] | None = None,
                        reconciliation: Reconciliation | None = None, fmt: str = "csv") -> Path:
    """Write (or rewrite) a batch's receipt; the journal remembers where for ``history``."""
    items = items if items is not None else journal.items(batch.id)
    target = path or default_receipt_path(batch, fmt)
    write_receipt(target, batch, items, provider_ids=provider_ids, reconciliation=reconciliation)
    if path is None or batch.receipt_path is None:
        journal.set_receipt(batch.id, str(target))
    return target


def reconcile_batch(client: RegisterClient, journal: Journal, batch_id: int) -> Reconciliation:
    """Compare the batch's created trainees with what ``GET /trainees`` lists; record their states."""
    batch = journal.batch(batch_id)
    if batch is None:
        raise KeyError(batch_id)
    created = [it for it in journal.items(batch_id) if it.state == ItemState.CREATED and it.trainee_id]
    # the earliest send on Register's clock (as journalled); our own clock may have jumped since
    sends = [t for t in (_parse_time(it.first_sent_at) for it in created) if t is not None]
    if sends:
        started = min(sends)
    else:
        started = (_parse_time(batch.created_at) or dt.datetime.now(dt.UTC)) + dt.timedelta(
            seconds=client.server_clock_offset)
    since = started - LOOKUP_MARGIN
    since_text = since.isoformat(timespec="seconds").replace("+00:00", "Z")
    states: dict[str, str] = {}
    for cycle in sorted({it.cycle for it in created}, key=lambda c: (c is None, c or 0)):
        for t in client.iter_trainees(academic_cycle=cycle, since=since_text, per_page=200):
            states[t.trainee_id] = t.state or ""
    found = [it for it in created if it.trainee_id in states]
    journal.set_trainee_states(batch_id, {tid: s for tid, s in states.items() if s})
    missing = tuple(sorted(it.source_row for it in created if it.trainee_id not in states))
    return Reconciliation(checked=len(created), found=len(found), missing_rows=missing, checked_at=utc_now())


# ---------------------------------------------------------------------- clients, practice, reference data
def make_client(environment: Environment, token: str | None, config: AppConfig | None = None, *,
                transport: Any = None, rate_limit: int | None = None, rate_window: float | None = None,
                retry: RetryPolicy | None = None) -> RegisterClient:
    """A client paced and timed as the settings say."""
    import httpx

    from desktop.core.logs import register_secret

    register_secret(token)  # whatever else happens, this text never reaches a log
    config = config or AppConfig()
    limiter = RateLimiter(rate_limit or config.rate_limit, rate_window or config.rate_window)
    timeout = httpx.Timeout(config.read_timeout, connect=config.connect_timeout)
    return RegisterClient(environment, token, transport=transport, limiter=limiter, timeout=timeout, retry=retry)


def practice_state_file() -> Path:
    return data_dir() / "practice" / "register-state.json"


#: seconds until the practice Register grants a created trainee its TRN (so a rehearsal reaches recommend)
PRACTICE_TRN_AFTER = 5.0


def start_practice(*, state_file: Path | None = None, rate_limit: int = 100, window: float = 60.0,
                   faults: Any = None, today: dt.date | None = None,
                   trn_after: float | None = PRACTICE_TRN_AFTER) -> tuple[Any, Environment]:
    """Start the local Register in this process (Practice): returns the running simulator and its environment.

    Its trainees persist in the data folder, so a practice upload can be resumed like a real one.
    Stop it with ``simulator.stop()``.
    """
    from desktop.api.simulator import RegisterSimulator

    sim = RegisterSimulator(state_file=state_file or practice_state_file(), rate_limit=rate_limit, window=window,
                            faults=faults, today=today, trn_after=trn_after)
    base = sim.start()
    return sim, PRACTICE.with_base_url(base)


def refresh_reference_data(client: RegisterClient, base: CodeLists) -> CodeLists:
    """Fetch Register's current code lists, cache them per version (with today's date) and return them."""
    payload = client.reference_data()
    lists = code_lists_from_api(payload, fetched=dt.datetime.now(dt.UTC).date().isoformat(), base=base)
    save_code_lists(lists, reference_cache_path(lists.version))
    return lists


