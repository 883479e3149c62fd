"""Date rules of v2026.1 relative to "today" (SPEC §5.3 P11–P13, §5.5 T3, T6–T11).

Format errors (P10, T2, T5, T9 on a filled cell) are field rules; these run only on valid dates
and follow Register's order, so each date gets at most the one message Register would give.
"Today" is the context's date (UTC by default); Register compares a date, taken as midnight,
with the current time, so "exactly N years ago today" is already too old.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from desktop.validation.engine import Columns, RuleContext
from desktop.validation.findings import FindingSink
from desktop.validation.packs.v2026_1.common import trainee_start
from desktop.validation.packs.v2026_1.facts import years_before


def _fmt(day: dt.date) -> str:
    return day.isoformat()


@dataclass(frozen=True)
class DateOfBirth:
    """P11 (100 years or more ago), P12 (in the future), P13 (less than 16 years ago): one of them."""

    name: str = "date_of_birth_window"

    def check(self, cols: Columns, ctx: RuleContext, sink: FindingSink) -> None:
        f = "date_of_birth"
        d = cols.dates(f)
        values = cols[f]
        today = ctx.today
        valid = d > 0
        oldest = years_before(today, 100)
        youngest = years_before(today, 16)
        too_old = valid & (d <= oldest.toordinal())
        future = valid & ~too_old & (d > today.toordinal())
        under_16 = valid & ~too_old & ~future & (d > youngest.toordinal())
        sink.add(too_old, values, field=f, code="cell.date_of_birth_too_old",
                 message=f"The date of birth makes the trainee 100 or older. Check the year (it must be after {_fmt(oldest)}).",
                 register="date_of_birth is invalid")
        sink.add(future, values, field=f, code="cell.date_in_future",
                 message=f"The date of birth is in the future (today is {_fmt(today)}). Check the year.",
                 register="date_of_birth must be in the past")
        sink.add(under_16, values, field=f, code="cell.date_of_birth_under_16",
                 message=f"The date of birth makes the trainee younger than 16 (born after {_fmt(youngest)}). "
                         "Check the year; a common slip is typing this year or the course start year.",
                 register="date_of_birth cannot be less than 16 years ago")


@dataclass(frozen=True)
class IttDates:
    """T3 (start year at most next year), then T6–T8 on the end date when both dates are valid."""

    name: str = "itt_dates"

    def check(self, cols: Columns, ctx: RuleContext, sink: FindingSink) -> None:
        today = ctx.today
        start = cols.dates("itt_start_date")
        end = cols.dates("itt_end_date")
        latest_start = dt.date(today.year + 2, 1, 1).toordinal()  # its year must be <= next year
        sink.add((start > 0) & (start >= latest_start), cols["itt_start_date"], field="itt_start_date",
                 code="cell.itt_start_too_far",
                 message=f"The ITT start date is more than a year ahead: Register accepts start dates up to "
                         f"31 December {today.year + 1}. Check the year.",
                 register="itt_start_date must not be more than one year in the future")

        both = (start > 0) & (end > 0)
        latest_end = dt.date(today.year + 6, 1, 1).toordinal()  # its year must be <= this year + 5
        oldest_end = years_before(today, 10)
        too_far = both & (end >= latest_end)
        too_old = both & ~too_far & (end <= oldest_end.toordinal())
        not_after = both & ~too_far & ~too_old & (start >= end)
        f = "itt_end_date"
        values = cols[f]
        sink.add(too_far, values, field=f, code="cell.itt_end_too_far",
                 message=f"The ITT end date is too far ahead: Register accepts end dates up to 31 December "
                         f"{today.year + 5}. Check the year.",
                 register="itt_end_date must be within the next 5 years")
        sink.add(too_old, values, field=f, code="cell.itt_end_too_old",
                 message=f"The ITT end date is more than 10 years ago (on or before {_fmt(oldest_end)}). Check the year.",
                 register="itt_end_date must be within the last 10 years")
        sink.add(not_after, values, field=f, code="row.itt_end_before_start",
                 message="The ITT end date is not after the ITT start date. Check both dates (day and month "
                         "may have been swapped).",
                 register="itt_end_date must be after itt_start_date")


@dataclass(frozen=True)
class TraineeStartDate:
    """T9–T11. A blank trainee start date takes the ITT start date first, so an invalid or very old
    ITT start date also fails these checks: those findings go on the ITT start date cell."""

    name: str = "trainee_start_date_window"

    def check(self, cols: Columns, ctx: RuleContext, sink: FindingSink) -> None:
        ts = trainee_start(cols, ctx)
        oldest = years_before(ctx.today, 10)
        own = ~ts.from_itt
        sink.add(ts.invalid & ts.from_itt, cols["itt_start_date"], field="itt_start_date",
                 code="row.trainee_start_from_itt",
                 message="The trainee start date is blank, so Register uses the ITT start date, which is not a valid "
                         "date: Register reports both. Fix the ITT start date (YYYY-MM-DD).",
                 register="trainee_start_date is invalid")
        sink.add(ts.too_old & ts.from_itt, cols["itt_start_date"], field="itt_start_date",
                 code="row.trainee_start_from_itt",
                 message=f"The trainee start date is blank, so Register uses the ITT start date, which is more than "
                         f"10 years ago (on or before {_fmt(oldest)}). Check the year, or enter the date the trainee "
                         "actually started.",
                 register="trainee_start_date Cannot be more than 10 years in the past")
        f = "trainee_start_date"
        sink.add(ts.too_old & own, cols[f], field=f, code="cell.trainee_start_too_old",
                 message=f"The trainee start date is more than 10 years ago (on or before {_fmt(oldest)}). Check the year.",
                 register="trainee_start_date Cannot be more than 10 years in the past")
        sink.add(ts.future, cols[f], field=f, code="cell.trainee_start_in_future",
                 message=f"The trainee start date is in the future (today is {_fmt(ctx.today)}) and differs from the "
                         "ITT start date. Register only accepts a future start when it equals the ITT start date: "
                         "leave it blank or make it the same.",
                 register="trainee_start_date must be in the past")
