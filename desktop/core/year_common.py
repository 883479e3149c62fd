"""What sync and the actions share: finding trainees in Register, settling lost answers, counting requests.

* ``TraineeFinder`` finds Register's record of a trainee the way SPEC §11.1 says a client must:
  Register's id when known (the file's ``trainee_id``, or remembered from an earlier run), else a
  page through ``GET /trainees`` for the start cycles that matter, matched by HESA ID, then by the
  provider's trainee id (only when exactly one trainee carries it).
* ``wait_to_settle`` holds a look-up of a request whose answer was lost until Register has had the
  read timeout plus a margin to finish it (measured on Register's clock, so a jump of this
  computer's clock cannot shorten it).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from desktop.api.client import RegisterClient
from desktop.api.updates import TraineeApi, TraineeRecord
from desktop.core.requests_log import RequestLog

logger = logging.getLogger(__name__)

#: added to the read timeout before a lost answer is looked up
SETTLE_MARGIN = 5.0


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


class TraineeFinder:
    """Register's records of the trainees a file names, read as few times as possible."""

    def __init__(self, api: TraineeApi, log: RequestLog, counter: Counter) -> None:
        self.api = api
        self.log = log
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
            found = [r for r in self._by_hesa.get(norm(hesa_id), []) if cycle is None or _cycle(r) == cycle]
            if len(found) == 1:
                return found[0], ""
            if len(found) > 1:
                return None, (f"Register holds {len(found)} trainees with HESA ID {hesa_id}; give the row Register's "
                              "trainee_id to say which one.")
        if provider_trainee_id:
            found = self._by_provider.get(provider_trainee_id.strip(), [])
            if cycle is not None:
                found = [r for r in found if _cycle(r) == cycle] or found
            if len(found) == 1:
                return found[0], ""
            if len(found) > 1:
                return None, (f"Register holds {len(found)} trainees with provider trainee ID {provider_trainee_id}; "
                              "give the row its HESA ID or Register's trainee_id.")
        return None, ""


def _cycle(rec: TraineeRecord) -> int | None:
    return start_cycle(rec.text("trainee_start_date"), rec.text("itt_start_date"))


def start_cycle(trainee_start: str | None, itt_start: str | None) -> int | None:
    """The start cycle ``GET /trainees`` files a trainee under: its trainee start date, else its ITT start."""
    from desktop.validation.packs.v2026_1.facts import NO_CYCLE, load_facts

    for text in (trainee_start, itt_start):
        try:
            day = dt.date.fromisoformat((text or "").strip())
        except ValueError:
            continue
        cycle = load_facts().cycle_of(day)
        return None if cycle == NO_CYCLE else cycle
    return None


def current_cycle(today: dt.date) -> int:
    from desktop.validation.packs.v2026_1.facts import load_facts

    return load_facts().cycle_of(today)


def parse_time_text(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    try:
        t = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return t if t.tzinfo else t.replace(tzinfo=dt.UTC)


def wait_to_settle(client: RegisterClient, sent_at: str | None, settle: float) -> None:
    """Sleep until ``settle`` seconds have passed on Register's clock since ``sent_at``."""
    sent = parse_time_text(sent_at)
    if sent is None:
        return
    elapsed = client.server_now() - sent.timestamp()
    if elapsed < settle:
        logger.info("waiting %.1f s before looking up a request whose answer was lost", settle - elapsed)
        client.wait(settle - elapsed)


def server_time(client: RegisterClient) -> str:
    return dt.datetime.fromtimestamp(client.server_now(), dt.UTC).isoformat(timespec="milliseconds").replace(
        "+00:00", "Z")
