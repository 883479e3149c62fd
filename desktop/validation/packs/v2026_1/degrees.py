"""Degree rules of v2026.1 (SPEC §5.6 G3–G12) and the degree data Register silently changes.

The template holds one degree, built only when a degree column is filled. Register decides UK or
non-UK itself: UK when an awarding institution is given (any value), or the country is blank or
one of the UK codes; otherwise non-UK. G2 (two identical degrees) cannot occur with one degree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from desktop.validation.engine import Columns, RuleContext
from desktop.validation.findings import FindingSink, Severity
from desktop.validation.packs.v2026_1.facts import facts_of

DEGREE_FIELDS = ("uk_degree", "non_uk_degree", "degree_subject", "degree_grade",
                 "degree_graduation_year", "awarding_institution", "degree_country")
_LEADING_INT = re.compile(r"\s*([+-]?\d+)")
_YEAR_OR_DATE = re.compile(r"\d{4}(-\d{2}-\d{2})?")


def graduation_year(value: str) -> int:
    """The year Register reads: the leading whole number (``2012-07-31`` -> 2012, ``abc`` -> 0)."""
    m = _LEADING_INT.match(value)
    return int(m.group(1)) if m else 0


def degree_kind(cols: Columns, ctx: RuleContext) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(has a degree, UK degree, non-UK degree) per row."""
    facts = facts_of(ctx)

    def compute() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        has = np.zeros(cols.n, dtype=bool)
        for name in DEGREE_FIELDS:
            has |= cols.present(name)
        uk = has & (cols.present("awarding_institution") | cols.blank("degree_country")
                    | cols.isin("degree_country", facts.uk_degree_countries))
        return has, uk, has & ~uk

    return cols.derived(("degree_kind", facts), compute)


@dataclass(frozen=True)
class Degree:
    """G3–G12: what a UK or non-UK degree needs, with Register's exact messages."""

    name: str = "degree"

    def check(self, cols: Columns, ctx: RuleContext, sink: FindingSink) -> None:
        has, uk, non_uk = degree_kind(cols, ctx)
        lists = ctx.code_lists

        # G3: subject, blank or unknown (Register treats an unknown code as missing)
        f = "degree_subject"
        reg = "subject must be entered if specifying a previous UK degree or non-UK degree"
        sink.add(has & cols.blank(f), cols[f], field=f, code="row.degree_incomplete",
                 message="Degree subject is missing. Register needs it for the degree (a HECoS code such as 100425).",
                 register=reg)
        sink.add(has & cols.present(f) & ~cols.isin(f, lists["degree_subject"].codes), cols[f], field=f,
                 code="cell.code_list",
                 message=lambda v: f"'{v}' is not a degree subject code Register knows, so Register treats the subject "
                                   "as missing. Use a six-digit HECoS code from the Degree subject list.",
                 register=reg)

        # G4–G6: graduation year present and within the window
        f = "degree_graduation_year"
        sink.add(has & cols.blank(f), cols[f], field=f, code="row.degree_incomplete",
                 message="Degree graduation year is missing. Register needs it for the degree (YYYY).",
                 register="graduation_year must be entered if specifying a previous UK degree or non-UK degree")
        year = cols.per_value(f, "graduation_year", graduation_year, np.int64)
        latest = ctx.today.year + 1
        earliest = latest - facts_of(ctx).graduation_years_back
        given = has & cols.present(f)
        future = given & (year > latest)
        outside = given & ((year < earliest) | (year > latest))
        sink.add(future, cols[f], field=f, code="cell.graduation_year_future",
                 message=f"The graduation year is in the future: Register accepts years up to {latest}.",
                 register="graduation_year must be in the past, for example 2014")
        sink.add(outside, cols[f], field=f, code="cell.graduation_year_invalid",
                 message=lambda v: f"'{v}' is not a graduation year Register accepts: it must be a year from {earliest} "
                                   f"to {latest}, written YYYY (for example 2014).",
                 register="graduation_year is invalid")
        odd = given & ~outside & ~cols.matches(f, _YEAR_OR_DATE)
        sink.add(odd, cols[f], field=f, code="cell.graduation_year_format", severity=Severity.WARNING,
                 message=lambda v: f"Register reads only the leading year of '{v}' ({graduation_year(v)}). "
                                   "Write the year as YYYY.")

        # G7–G9: a UK degree needs a known UK degree type and a known grade
        types = lists["degree_type"]
        f = "uk_degree"
        sink.add(uk & cols.blank(f), cols[f], field=f, code="row.degree_incomplete",
                 message="UK degree type is missing. Register needs it for a UK degree (for example 083 for a "
                         "Bachelor of Science); for a degree from abroad fill in non-UK degree type and degree country instead.",
                 register="uk_degree must be entered if specifying a previous UK degree")
        sink.add(uk & cols.present(f) & ~cols.isin(f, types.codes), cols[f], field=f, code="cell.code_list",
                 message=lambda v: f"'{v}' is not a degree type code Register knows. Choose one from the Degree type list.",
                 register=lambda v: types.invalid_value_message(f, v))
        f = "degree_grade"
        reg = "grade must be entered if specifying a previous UK degree or non-UK degree"
        grades = lists["degree_grade"]
        sink.add(uk & cols.blank(f), cols[f], field=f, code="row.degree_incomplete",
                 message="Degree grade is missing. Register needs it for a UK degree (for example 02 for a 2:1).",
                 register=reg)
        sink.add(uk & cols.present(f) & ~cols.isin(f, grades.codes), cols[f], field=f, code="cell.code_list",
                 message=lambda v: f"'{v}' is not a degree grade code Register knows, so Register treats the grade as "
                                   "missing. Choose one from the Degree grade list (01 first, 02 2:1, 03 2:2, ...).",
                 register=reg)

        # G10–G12: a non-UK degree needs a known non-UK degree type and a known country
        f = "non_uk_degree"
        sink.add(non_uk & cols.blank(f), cols[f], field=f, code="row.degree_incomplete",
                 message="Non-UK degree type is missing. Register needs it for a degree from abroad (a degree with a "
                         "non-UK country and no awarding institution).",
                 register="non_uk_degree must be entered if specifying a previous non-UK degree")
        sink.add(non_uk & cols.present(f) & ~cols.isin(f, types.codes), cols[f], field=f, code="cell.code_list",
                 message=lambda v: f"'{v}' is not a degree type code Register knows. Choose one from the Degree type list.",
                 register=lambda v: types.invalid_value_message(f, v))
        f = "degree_country"
        countries = lists["country"]
        sink.add(non_uk & ~cols.isin(f, countries.codes), cols[f], field=f, code="cell.code_list",
                 message=lambda v: f"'{v}' is not a country code Register knows. Use the two-letter code from the "
                                   "Country list (for example FR for France).",
                 register=lambda v: countries.invalid_value_message("country", v))


@dataclass(frozen=True)
class DegreeSilentChanges:
    """Warnings where Register accepts the degree but drops or changes data (SPEC §5.6, §5.14)."""

    name: str = "degree_silent_changes"

    def check(self, cols: Columns, ctx: RuleContext, sink: FindingSink) -> None:
        facts = facts_of(ctx)
        has, uk, non_uk = degree_kind(cols, ctx)
        lists = ctx.code_lists
        w = Severity.WARNING

        f = "awarding_institution"
        institutions = lists["institution"]
        sink.add(uk & cols.blank(f), cols[f], field=f, code="cell.institution_missing", severity=w,
                 message="Awarding institution is blank: Register records the degree as from \"Other UK institution\". "
                         "Enter the institution's four-digit code if you know it.")
        sink.add(cols.present(f) & ~cols.isin(f, institutions.codes), cols[f], field=f, code="cell.institution_unknown",
                 severity=w,
                 message=lambda v: f"'{v}' is not an institution code Register knows: Register will record the degree "
                                   "as from \"Other UK institution\". Use the four-digit code from the Institution list.")
        for old, new in facts.institution_remaps.items():
            sink.add(cols.equals(f, old), cols[f], field=f, code="cell.institution_remapped", severity=w,
                     message=f"Register stores institution {old} ({institutions.label(old)}) as {new} "
                             f"({institutions.label(new)}). Nothing to do unless that is wrong.")

        f = "degree_grade"
        grades = lists["degree_grade"]
        for old, new in facts.grade_remaps.items():
            sink.add(has & cols.equals(f, old), cols[f], field=f, code="cell.grade_remapped", severity=w,
                     message=f"Register stores grade {old} ({grades.label(old)}) as {new} ({grades.label(new)}).")
        sink.add(non_uk & cols.present(f) & ~cols.isin(f, grades.codes), cols[f], field=f, code="cell.grade_dropped",
                 severity=w,
                 message=lambda v: f"'{v}' is not a degree grade code Register knows; on a degree from abroad the grade "
                                   "is optional, so Register silently drops it. Use a code from the Degree grade list or "
                                   "leave it blank.")

        sink.add(non_uk & cols.present("uk_degree"), cols["uk_degree"], field="uk_degree",
                 code="cell.degree_field_ignored", severity=w,
                 message="This degree is from abroad (non-UK country, no awarding institution), so Register ignores "
                         "the UK degree type. Use non-UK degree type instead.")
        sink.add(uk & cols.present("non_uk_degree"), cols["non_uk_degree"], field="non_uk_degree",
                 code="cell.degree_field_ignored", severity=w,
                 message="This is a UK degree (an awarding institution is given, or no non-UK country), so Register "
                         "ignores the non-UK degree type.")
        foreign = cols.present("degree_country") & ~cols.isin("degree_country", facts.uk_degree_countries)
        sink.add(uk & cols.present("awarding_institution") & foreign, cols["degree_country"], field="degree_country",
                 code="cell.degree_field_ignored", severity=w,
                 message="An awarding institution is given, so Register treats this as a UK degree and discards the "
                         "country. For a degree from abroad, leave the institution blank.")
