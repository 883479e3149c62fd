"""Per-row facts several v2026.1 rules share (route properties, academic cycle, date errors).

Each is computed once per table through ``Columns`` caches: per distinct value for lookups, per
(table, today, facts) for results that combine fields.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence

import numpy as np

from desktop.validation.engine import Columns, RuleContext
from desktop.validation.findings import Finding, FindingSink, Severity
from desktop.validation.packs.v2026_1.facts import NO_CYCLE, PackFacts, years_before


def route_flag(cols: Columns, facts: PackFacts, what: str) -> np.ndarray:
    """A boolean property of each row's training route (False for blank or unknown routes)."""
    def prop(code: str) -> bool:
        route = facts.routes.get(code)
        return bool(route is not None and getattr(route, what))

    return cols.per_value("training_route", f"route.{what}.{id(facts)}", prop, bool)


def route_known(cols: Columns, facts: PackFacts) -> np.ndarray:
    return cols.per_value("training_route", f"route.known.{id(facts)}", lambda v: v in facts.routes, bool)


def _cycles_of(ordinals: np.ndarray, facts: PackFacts) -> np.ndarray:
    uniq, inverse = np.unique(ordinals, return_inverse=True)
    cyc = np.fromiter((facts.cycle_of(dt.date.fromordinal(int(o))) if o > 0 else NO_CYCLE for o in uniq),
                      np.int64, len(uniq))
    return cyc[inverse.reshape(-1)]


def academic_cycle(cols: Columns, ctx: RuleContext, facts: PackFacts) -> np.ndarray:
    """Start year of each trainee's academic cycle as Register derives it (SPEC §5.10).

    From ``trainee_start_date``, else ``itt_start_date``; if the chosen value is blank or not a
    valid date, the cycle of today + 1 month (an invalid trainee start date does not fall back to
    a valid ITT start date). NO_CYCLE where Register has no such cycle.
    """
    def compute() -> np.ndarray:
        ts_present = cols.present("trainee_start_date")
        chosen = np.where(ts_present, cols.dates("trainee_start_date"), cols.dates("itt_start_date"))
        out = _cycles_of(chosen, facts) if len(chosen) else np.zeros(0, dtype=np.int64)
        out[chosen == 0] = facts.default_cycle(ctx.today)
        return out

    return cols.derived(("academic_cycle", ctx.today, facts), compute)


def start_cycle_for_route(cols: Columns, facts: PackFacts) -> np.ndarray:
    """Cycle of ``trainee_start_date`` or else ``itt_start_date`` with no fallback (route 12 check);
    NO_CYCLE where there is no usable date."""
    def compute() -> np.ndarray:
        chosen = np.where(cols.present("trainee_start_date"), cols.dates("trainee_start_date"),
                          cols.dates("itt_start_date"))
        return _cycles_of(chosen, facts) if len(chosen) else np.zeros(0, dtype=np.int64)

    return cols.derived(("route_start_cycle", facts), compute)


class TraineeStart:
    """Register's trainee start date checks (T9–T11), shared by the date and route rules.

    A blank ``trainee_start_date`` takes ``itt_start_date`` first, so its errors can come from the
    ITT start date (``from_itt`` marks those rows).
    """

    def __init__(self, cols: Columns, today: dt.date) -> None:
        ts_present = cols.present("trainee_start_date")
        its_present = cols.present("itt_start_date")
        ts = cols.dates("trainee_start_date")
        its = cols.dates("itt_start_date")
        self.from_itt = ~ts_present & its_present
        value = np.where(ts_present, ts, its)
        present = ts_present | its_present
        self.invalid = present & (value == 0)  # T9
        ten_years = years_before(today, 10).toordinal()
        self.too_old = ~self.invalid & present & (value <= ten_years)  # T10
        self.future = ts_present & (ts > today.toordinal()) & (ts != its) & ~self.invalid & ~self.too_old  # T11
        self.error = self.invalid | self.too_old | self.future


def trainee_start(cols: Columns, ctx: RuleContext) -> TraineeStart:
    return cols.derived(("trainee_start", ctx.today), lambda: TraineeStart(cols, ctx.today))


def emit(sink: FindingSink, n: int, idx: Sequence[int], values: np.ndarray, *, field: str, code: str,
         messages: Sequence[str], registers: Sequence[str | None], severity: Severity = Severity.ERROR) -> None:
    """Findings whose texts differ by row, kept columnar by grouping rows with the same texts.

    Texts are built from a few fields (route, subject, cycle), so there are usually a handful of
    groups; a file with thousands of distinct texts (every row a different unknown subject) is
    added finding by finding instead, so the cost stays linear.
    """
    groups: dict[tuple[str, str | None], list[int]] = defaultdict(list)
    for i, m, r in zip(idx, messages, registers, strict=True):
        groups[(m, r)].append(i)
    if len(groups) > _MAX_GROUPS:
        for (message, register), rows in groups.items():
            for i in rows:
                sink.add_one(Finding(code=code, message=message, row=i, field=field, severity=severity,
                                     register_message=register, value=values[i]))
        return
    for (message, register), rows in groups.items():
        mask = np.zeros(n, dtype=bool)
        mask[rows] = True
        sink.add(mask, values, field=field, code=code, message=message, register=register, severity=severity)


_MAX_GROUPS = 64
