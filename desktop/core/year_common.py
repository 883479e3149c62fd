"""What sync and the actions share: finding trainees in Register, settling lost answers, counting requests.

* ``TraineeFinder`` finds Register's record of a trainee the way SPEC §11.1 says a client must:
  Register's id when known (the file's ``trainee_id``, or the trainee ledger's), else a page
  through ``GET /trainees`` for the start cycles that matter, matched by HESA ID, then by the
  provider's trainee id (only when exactly one trainee carries it).
* ``wait_to_settle`` holds a look-up of a request whose answer was lost (or that a process killed
  mid-request left open) until Register has had the read timeout plus the settle margin to finish
  it — the upload's rule (``desktop.core.upload``), measured on Register's clock as this computer's
  monotonic clock carries it, so a jump of the wall clock cannot shorten it.
* ``ledger_of`` and ``entry_for_record``: the trainee ledger (``desktop.core.ledger``) of the
  client's environment, and the entry of a trainee read from Register (recorded as found when the
  ledger did not know it), on which every request about the trainee is journalled.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from desktop.api.client import RegisterClient
from desktop.api.updates import TraineeApi, TraineeRecord
from desktop.core.journal import Journal, iso_time, parse_time
from desktop.core.ledger import Ledger, account_key, identity_of_record
from desktop.validation.cycles import start_cycle

logger = logging.getLogger(__name__)

#: seconds: Register's Date header is whole seconds (a send time recorded by another process may be up to 1 s early)
DATE_RESOLUTION = 1.0


@dataclass
class Counter:
    """Requests this run made, by kind (reads and writes), for the summary and the figures."""

    reads: int = 0
    writes: dict[str, int] = field(default_factory=dict)

    def wrote(self, kind: str) -> None:
        self.writes[kind] = self.writes.get(kind, 0) + 1

    @property
    def total_writes(self) -> int:
        return sum(self.writes.values())


def norm(value: str | None) -> str:
    return "".join((value or "").split()).upper()


def record_cycle(rec: TraineeRecord) -> int | None:
    """The start cycle ``GET /trainees`` files a trainee under (``desktop.validation.cycles``)."""
    return start_cycle(rec.text("trainee_start_date"), rec.text("itt_start_date"))


class TraineeFinder:
    """Register's records of the trainees a file names, read as few times as possible."""

    def __init__(self, api: TraineeApi, counter: Counter) -> None:
        self.api = api
        self.counter = counter
        self.by_id: dict[str, TraineeRecord] = {}
        self._by_hesa: dict[str, list[TraineeRecord]] = {}
        self._by_provider: dict[str, list[TraineeRecord]] = {}
        self._cycles_read: set[int | None] = set()

    def read_cycles(self, cycles: Iterable[int | None]) -> list[TraineeRecord]:
        """Every trainee of these start cycles (each cycle read once per run)."""
        out = []
        for cycle in cycles:
            if cycle in self._cycles_read:
                continue
            self._cycles_read.add(cycle)
            before = self.api.client.stats.requests
            for rec in self.api.list_cycle(cycle):
                self._add(rec)
                out.append(rec)
            self.counter.reads += self.api.client.stats.requests - before
        return out

    def _add(self, rec: TraineeRecord) -> None:
        self.by_id[rec.trainee_id] = rec
        h = norm(rec.text("hesa_id"))
        if h:
            self._by_hesa.setdefault(h, []).append(rec)
        p = rec.text("provider_trainee_id").strip()
        if p:
            self._by_provider.setdefault(p, []).append(rec)

    def get(self, trainee_id: str, *, fresh: bool = False) -> TraineeRecord | None:
        if not fresh and trainee_id in self.by_id:
            return self.by_id[trainee_id]
        before = self.api.client.stats.requests
        rec = self.api.get(trainee_id)
        self.counter.reads += self.api.client.stats.requests - before
        if rec is not None:
            self._add(rec)
        return rec

    def match(self, *, hesa_id: str = "", provider_trainee_id: str = "",
              cycle: int | None = None) -> tuple[TraineeRecord | None, str]:
        """The trainee among those read: by HESA ID (and cycle, if given), else a unique provider id.

        Returns (record, "") or (None, why not found in words).
        """
        if hesa_id:
            found = [r for r in self._by_hesa.get(norm(hesa_id), []) if cycle is None or record_cycle(r) == cycle]
            if len(found) == 1:
                return found[0], ""
            if len(found) > 1:
                return None, (f"Register holds {len(found)} trainees with HESA ID {hesa_id}; give the row Register's "
                              "trainee_id to say which one.")
        if provider_trainee_id:
            found = self._by_provider.get(provider_trainee_id.strip(), [])
            if cycle is not None:
                found = [r for r in found if record_cycle(r) == cycle] or found
            if len(found) == 1:
                return found[0], ""
            if len(found) > 1:
                return None, (f"Register holds {len(found)} trainees with provider trainee ID {provider_trainee_id}; "
                              "give the row its HESA ID or Register's trainee_id.")
        return None, ""


# ---------------------------------------------------------------------- the ledger
def ledger_of(journal: Journal, client: RegisterClient) -> Ledger:
    """The trainee ledger of the client's environment (and account, where Register names it)."""
    return Ledger(journal, client.environment.origin, account_key(journal, client.account))


def entry_for_record(ledger: Ledger, rec: TraineeRecord, *, found_by: str) -> int:
    """The ledger entry of a trainee read from Register: the one the ledger holds for its id, else one
    recorded now as found (so no upload ever posts it; nothing is claimed about its fields)."""
    entry = ledger.by_trainee_id(rec.trainee_id)
    if entry is not None:
        return entry.id
    data = {k: rec.text(k) for k in ("hesa_id", "itt_start_date", "trainee_start_date", "date_of_birth", "last_name",
                                     "first_names", "training_route", "email")}
    identity = identity_of_record(data, ledger.journal, rec.trainee_id)
    known = ledger.find(identity)
    if known is not None and known.in_register and known.trainee_id == rec.trainee_id:
        return known.id
    return ledger.record_found(identity, trainee_id=rec.trainee_id, trainee_state=rec.state or None,
                               found_by=found_by, held={})


# ---------------------------------------------------------------------- settling
def settle_seconds(client: RegisterClient, margin: float | None = None) -> float:
    """How long after sending a request whose answer was lost Register's record is trusted to show it: the
    read timeout plus the settle margin (setting ``settle_margin``; default: the read timeout) — the upload's rule."""
    return client.read_timeout + (client.read_timeout if margin is None else margin)


def wait_to_settle(client: RegisterClient, sent_at: str | None, settle: float) -> None:
    """Sleep until ``settle`` seconds (plus the ``Date`` header's resolution) have passed on Register's clock
    since ``sent_at`` (a send time on Register's clock, as the ledger records it)."""
    sent = parse_time(sent_at)
    if sent is None:
        return
    remaining = sent.timestamp() + settle + DATE_RESOLUTION - client.server_now()
    if remaining > 0:
        logger.info("waiting %.1f s before looking up a request whose answer was lost", remaining)
        client.wait(remaining)


def server_time(client: RegisterClient) -> str:
    """Now on Register's clock (ISO text), for the ledger's send times."""
    return iso_time(client.server_now())


def current_cycle(today: dt.date) -> int:
    """The academic cycle of ``today`` (``desktop.validation.cycles``: the one place cycles are computed)."""
    from desktop.validation.cycles import cycle_of

    cycle = cycle_of(today)
    assert cycle is not None
    return cycle
