"""Field-level rules of v2026.1: presence, length, format and code-list membership (SPEC §4–5).

Each rule is generated from the template's field kinds so a new field needs data, not code.
Cross-field rules live beside this module.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from desktop.validation.engine import Columns, Rule, RuleContext
from desktop.validation.findings import FindingSink, Severity
from desktop.validation.template import Template

# Fields Register requires unconditionally (SPEC §4.1 "M").
# Messages: Register's full message in register_message, plain English in message.


@dataclass(frozen=True)
class Required:
    field: str
    label: str
    api_name: str
    name: str = "required"

    def check(self, cols: Columns, ctx: RuleContext, sink: FindingSink) -> None:
        sink.add(cols.blank(self.field), cols[self.field], field=self.field, code="cell.required",
                 message=f"{self.label} is missing. Register needs it for every trainee.",
                 register=f"{self.api_name} can't be blank")


@dataclass(frozen=True)
class MaxLength:
    field: str
    label: str
    api_name: str
    limit: int
    name: str = "max_length"

    def check(self, cols: Columns, ctx: RuleContext, sink: FindingSink) -> None:
        too_long = cols.lengths(self.field) > self.limit
        sink.add(too_long, cols[self.field], field=self.field, code="cell.too_long",
                 message=lambda v: f"{self.label} is {len(v)} characters long; Register allows at most {self.limit}. Shorten it.",
                 register=f"{self.api_name} is too long (maximum is {self.limit} characters)")


@dataclass(frozen=True)
class HesaIdLength:
    field: str = "hesa_id"
    name: str = "hesa_id_length"

    def check(self, cols: Columns, ctx: RuleContext, sink: FindingSink) -> None:
        lengths = cols.lengths(self.field)
        bad = cols.present(self.field) & (lengths != 13) & (lengths != 17)
        sink.add(bad, cols[self.field], field=self.field, code="cell.hesa_id_length",
                 message=lambda v: f"The HESA ID has {len(v)} characters; it must have 13 or 17. "
                                   "Check it was not shortened or turned into a number by a spreadsheet.",
                 register="hesa_id must be 13 or 17 characters")


@dataclass(frozen=True)
class IsoDate:
    field: str
    label: str
    api_name: str
    name: str = "iso_date"

    def check(self, cols: Columns, ctx: RuleContext, sink: FindingSink) -> None:
        bad = cols.present(self.field) & (cols.dates(self.field) == 0)
        sink.add(bad, cols[self.field], field=self.field, code="cell.date_format",
                 message=lambda v: f"{self.label} '{v}' is not a date in the form YYYY-MM-DD (for example 1985-02-13).",
                 register=f"{self.api_name} is invalid")


# GOV.UK Notify's e-mail rules as Register applies them (SPEC §5.3 P18), anchored to the whole string.
_LOCAL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~\-]+@([^.@][^@\s]+)")
_LABEL = re.compile(r"(xn-|[a-z0-9]+)(-[a-z0-9]+)*", re.IGNORECASE)
_TLD = re.compile(r"([a-z]{2,63}|xn--([a-z0-9]+-)*[a-z0-9]+)", re.IGNORECASE)


def email_ok(value: str) -> bool:
    m = _LOCAL.fullmatch(value)
    if not m or len(value) > 320 or ".." in value:
        return False
    host = m.group(1)
    if len(host) > 253:
        return False
    parts = host.split(".")
    if len(parts) < 2:
        return False
    if any(not p or len(p) > 63 or not _LABEL.fullmatch(p) for p in parts):
        return False
    return _TLD.fullmatch(parts[-1]) is not None


# ``email_ok`` as one pattern, for a pass in C per distinct address: the length limits and the
# ban on ".." as lookaheads, the host as labels joined by single dots (case-insensitive there
# only, as above). tests/unit/test_field_rules.py checks the two agree on many generated strings.
EMAIL = re.compile(
    r"(?=[\s\S]{1,320}\Z)(?![\s\S]*\.\.)"
    r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~\-]+@"
    r"(?=[^@]{1,253}\Z)"
    r"(?i:(?:(?=[^.]{1,63}\.)(?:xn-|[a-z0-9]+)(?:-[a-z0-9]+)*\.)+"
    r"(?=[^.]{1,63}\Z)(?=(?:[a-z]{2,63}|xn--(?:[a-z0-9]+-)*[a-z0-9]+)\Z)(?:xn-|[a-z0-9]+)(?:-[a-z0-9]+)*)"
)


@dataclass(frozen=True)
class EmailFormat:
    field: str = "email"
    name: str = "email_format"

    def check(self, cols: Columns, ctx: RuleContext, sink: FindingSink) -> None:
        arr = cols[self.field]
        bad = cols.present(self.field) & ~cols.matches(self.field, EMAIL)
        sink.add(bad, arr, field=self.field, code="cell.email_format",
                 message=lambda v: f"'{v}' is not an e-mail address Register accepts. Enter it like name@example.com.",
                 register="email Enter an email address in the correct format, like name@example.com")


@dataclass(frozen=True)
class InCodeList:
    """Given and not exactly one of the list's codes (no trimming, padding or case folding)."""

    field: str
    label: str
    api_name: str
    code_list: str
    exclude: tuple[str, ...] = ()
    name: str = "code_list"

    def check(self, cols: Columns, ctx: RuleContext, sink: FindingSink) -> None:
        code_list = ctx.code_lists[self.code_list]
        allowed = code_list.codes - set(self.exclude)
        bad = cols.present(self.field) & ~cols.isin(self.field, allowed)
        sink.add(bad, cols[self.field], field=self.field, code="cell.code_list",
                 message=lambda v: f"'{v}' is not a {self.label.lower()} code Register knows. "
                                   f"Choose one from the {code_list.title} list{_hint(v, allowed)}.",
                 register=lambda v: code_list.invalid_value_message(self.api_name, v, self.exclude))


def _hint(value: str, allowed: frozenset[str] | set[str]) -> str:
    """Point at the obvious fix when a spreadsheet dropped leading zeros."""
    if value.isdigit():
        for code in allowed:
            if len(code) > len(value) and code.lstrip("0") == value.lstrip("0") and code.endswith(value):
                return f" (did a spreadsheet drop the leading zero of '{code}'?)"
    return ""


_INTEGER = re.compile(r"[+-]?\d+")


@dataclass(frozen=True)
class WholeNumber:
    field: str = "course_year"
    name: str = "whole_number"

    def check(self, cols: Columns, ctx: RuleContext, sink: FindingSink) -> None:
        bad = cols.present(self.field) & ~cols.matches(self.field, _INTEGER)
        sink.add(bad, cols[self.field], field=self.field, code="cell.not_integer",
                 message=lambda v: f"Course year '{v}' is not a whole number. Use 0 for a foundation year, otherwise 1, 2 or 3.",
                 register="course_year is not a valid course year")


_SIX_DIGITS = re.compile(r"\d{6}")


@dataclass(frozen=True)
class PlacementUrn:
    field: str
    label: str
    name: str = "placement_urn"

    def check(self, cols: Columns, ctx: RuleContext, sink: FindingSink) -> None:
        bad = cols.present(self.field) & ~cols.matches(self.field, _SIX_DIGITS)
        sink.add(bad, cols[self.field], field=self.field, code="cell.urn_format",
                 message=lambda v: f"{self.label} '{v}' is not a school URN: it must be exactly six digits "
                                   "(or 900000, 900010, 900020, 900030 when there is no URN).",
                 register="placements_attributes urn is invalid")


# Code fields whose plain list check is not Register's behaviour: the pack's cross-field rules
# decide them (disabilities are ignored when unknown, degree fields depend on UK/non-UK,
# iqts_country on the route, training_route on the dates and its internal-name messages,
# training_initiative on the funding method, which can replace it).
CONDITIONAL_CODE_FIELDS = frozenset({
    *(f"disability{i}" for i in range(1, 10)),
    "uk_degree", "non_uk_degree", "degree_subject", "degree_grade",
    "awarding_institution", "degree_country", "iqts_country",
    "training_route", "training_initiative",
})


def field_rules(template: Template) -> list[Rule]:
    """Build the field-level rules from the template, in template order."""
    rules: list[Rule] = []
    for f in template.fields:
        api = f.api_name
        if f.mandatory:
            rules.append(Required(f.name, f.label, api))
        if f.kind == "hesa_id":
            rules.append(HesaIdLength(f.name))
        elif f.max_length is not None:
            rules.append(MaxLength(f.name, f.label, api, f.max_length))
        if f.kind == "date" and f.name != "pg_apprenticeship_start_date":
            rules.append(IsoDate(f.name, f.label, api))
        elif f.kind == "email":
            rules.append(EmailFormat(f.name))
        elif f.kind == "integer":
            rules.append(WholeNumber(f.name))
        elif f.kind == "placement_urn":
            rules.append(PlacementUrn(f.name, f.label))
        elif f.kind == "code" and f.code_list and f.name not in CONDITIONAL_CODE_FIELDS:
            rules.append(InCodeList(f.name, f.label, api, f.code_list))
    return rules


__all__ = ["Severity", "email_ok", "field_rules"]
