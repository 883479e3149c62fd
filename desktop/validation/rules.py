"""Generic field rules: presence, length, ISO dates, whole numbers and code-list membership.

They hold nothing of a particular template version: a pack builds them from its template's
fields (``field``, ``label``, ``api_name``, the limits and list names) and adds what is its own.
Each rule returns masks through the sink (True = invalid), never raises, and carries its code.
Messages are plain English in ``message`` and Register's own wording in ``register``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from desktop.validation.engine import Columns, RuleContext
from desktop.validation.findings import FindingSink


@dataclass(frozen=True)
class Required:
    """Blank where the template requires a value."""

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
    """Longer than the template allows (in characters)."""

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
class IsoDate:
    """Given and not a real date written YYYY-MM-DD."""

    field: str
    label: str
    api_name: str
    name: str = "iso_date"

    def check(self, cols: Columns, ctx: RuleContext, sink: FindingSink) -> None:
        bad = cols.present(self.field) & (cols.dates(self.field) == 0)
        sink.add(bad, cols[self.field], field=self.field, code="cell.date_format",
                 message=lambda v: f"{self.label} '{v}' is not a date in the form YYYY-MM-DD (for example 1985-02-13).",
                 register=f"{self.api_name} is invalid")


_INTEGER = re.compile(r"[+-]?\d+")


@dataclass(frozen=True)
class WholeNumber:
    """Given and not a whole number; ``advice`` says which numbers the field takes."""

    field: str
    label: str
    api_name: str
    advice: str = ""
    name: str = "whole_number"

    def check(self, cols: Columns, ctx: RuleContext, sink: FindingSink) -> None:
        bad = cols.present(self.field) & ~cols.matches(self.field, _INTEGER)
        tail = f" {self.advice}" if self.advice else ""
        sink.add(bad, cols[self.field], field=self.field, code="cell.not_integer",
                 message=lambda v: f"{self.label} '{v}' is not a whole number.{tail}",
                 register=f"{self.api_name} is not a valid {self.label.lower()}")


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
                                   f"Choose one from the {code_list.title} list{leading_zero_hint(v, allowed)}.",
                 register=lambda v: code_list.invalid_value_message(self.api_name, v, self.exclude))


def leading_zero_hint(value: str, allowed: frozenset[str] | set[str]) -> str:
    """Point at the obvious fix when a spreadsheet dropped leading zeros ('' when it did not)."""
    if value.isdigit():
        for code in allowed:
            if len(code) > len(value) and code.lstrip("0") == value.lstrip("0") and code.endswith(value):
                return f" (did a spreadsheet drop the leading zero of '{code}'?)"
    return ""
