"""Register's academic cycles: the one place a date becomes a cycle (SPEC §2: 1 August to 31 July).

Every pack ships a ``cycles`` document (``resources/rules/<version>/cycles.json``) saying on which
day a cycle starts; ``cycle_of`` reads it. The rule pack's facts, the upload's trainee ledger key,
its look-ups with ``GET /trainees?academic_cycle=``, reconciliation and the practice simulator all
ask here, so a course starting in January, on 31 July or on 1 August falls in the same cycle
everywhere. A cycle is named by its start year (``2026`` is "2026 to 2027").
"""

from __future__ import annotations

import datetime as dt
from functools import cache

from desktop.validation.resources import read_json
from desktop.validation.template import DEFAULT_VERSION


@cache
def cycle_start(version: str = DEFAULT_VERSION) -> tuple[int, int]:
    """(month, day) on which an academic cycle starts, from the pack's ``cycles`` document."""
    starts = read_json("rules", version, "cycles.json")["starts"]
    return int(starts["month"]), int(starts["day"])


def start_year(day: dt.date, start: tuple[int, int]) -> int:
    """The start year of the cycle containing ``day`` when cycles start on ``start`` (month, day)."""
    return day.year if (day.month, day.day) >= start else day.year - 1


def cycle_of(day: dt.date | str | None, version: str = DEFAULT_VERSION) -> int | None:
    """Start year of the academic cycle containing ``day`` (a date or ISO text); None when it is no date."""
    if day is None:
        return None
    if isinstance(day, str):
        try:
            day = dt.date.fromisoformat(day.strip())
        except ValueError:
            return None
    return start_year(day, cycle_start(version))


def start_cycle(trainee_start_date: str | None, itt_start_date: str | None,
                version: str = DEFAULT_VERSION) -> int | None:
    """The cycle ``GET /trainees`` files a trainee under: its trainee start date's, else its ITT start date's."""
    text = (trainee_start_date or "").strip() or (itt_start_date or "").strip()
    return cycle_of(text, version)
