"""A batch's receipt (proof of what was sent and what Register answered) and its check against Register."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from desktop.api.client import RegisterClient
from desktop.core.journal import Batch, Item, ItemState, Journal, parse_time, utc_now
from desktop.core.receipt import Reconciliation, default_receipt_path, write_receipt

#: how far before the first attempt a look-up searches (clock differences between us and Register)
LOOKUP_MARGIN = dt.timedelta(minutes=5)


def since_text(when: dt.datetime) -> str:
    """A ``since=`` for ``GET /trainees``: ``LOOKUP_MARGIN`` before ``when``, in Register's format."""
    return (when - LOOKUP_MARGIN).isoformat(timespec="seconds").replace("+00:00", "Z")


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
    sends = [t for t in (parse_time(it.first_sent_at) for it in created) if t is not None]
    if sends:
        started = min(sends)
    else:
        started = (parse_time(batch.created_at) or dt.datetime.now(dt.UTC)) + dt.timedelta(
            seconds=client.server_clock_offset)
    states: dict[str, str] = {}
    for cycle in sorted({it.cycle for it in created}, key=lambda c: (c is None, c or 0)):
        for t in client.iter_trainees(academic_cycle=cycle, since=since_text(started), per_page=200):
            states[t.trainee_id] = t.state or ""
    found = [it for it in created if it.trainee_id in states]
    journal.set_trainee_states(batch_id, {tid: s for tid, s in states.items() if s})
    missing = tuple(sorted(it.source_row for it in created if it.trainee_id not in states))
    return Reconciliation(checked=len(created), found=len(found), missing_rows=missing, checked_at=utc_now())
