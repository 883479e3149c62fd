"""Field-level rules of v2026.1 (SPEC §4–5): which generic rule each field gets, and the few
field formats that are this version's own (HESA ID lengths, Register's e-mail rule, placement URNs).

The generic rules (presence, length, ISO dates, whole numbers, code lists) are
``desktop.validation.rules``; ``field_rules`` applies them to the template's fields by kind, so a
new field needs data, not code. Cross-field rules live beside this module.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from desktop.validation.engine import Columns, Rule, RuleContext
from desktop.validation.findings import FindingSink
from desktop.validation.rules import InCodeList, IsoDate, MaxLength, Required, WholeNumber
from desktop.validation.template import Template


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


COURSE_YEAR_ADVICE = "Use 0 for a foundation year, otherwise 1, 2 or 3."

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
            rules.append(WholeNumber(f.name, f.label, api, COURSE_YEAR_ADVICE if f.name == "course_year" else ""))
        elif f.kind == "placement_urn":
            rules.append(PlacementUrn(f.name, f.label))
        elif f.kind == "code" and f.code_list and f.name not in CONDITIONAL_CODE_FIELDS:
            rules.append(InCodeList(f.name, f.label, api, f.code_list))
    return rules


__all__ = ["email_ok", "field_rules"]
