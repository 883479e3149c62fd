"""Training partner and employing school URNs (SPEC §5.8 S1, S3).

Register looks the URN up in its own database; offline the app can only check the shape. A value
that is neither six digits nor a special "not applicable" URN cannot be the URN of any school or
training partner, so Register will reject it: that is an error on the cell. Well-shaped URNs are
summarised once per file as an info finding instead of one per cell: a file usually names the
same few partners on every row, and thousands of identical notes would hide the real problems.
The summary is a table rule that keeps its counts per table, so an edit updates it in O(1).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from desktop.validation.engine import Columns, RuleContext
from desktop.validation.findings import NO_ROW, Finding, FindingSink, Severity
from desktop.validation.packs.v2026_1.facts import facts_of

_SIX_DIGITS = re.compile(r"\d{6}")

# field -> (what it names, Register's message for an unknown URN)
URN_FIELDS = {
    "training_partner_urn": ("a training partner",
                             "training_partner_urn is invalid. The URN '{}' does not match any known training partners"),
    "employing_school_urn": ("an employing school",
                             "employing_school_id is invalid. The URN '{}' does not match any known schools"),
}


@dataclass(frozen=True)
class SchoolUrnShape:
    """A training partner or employing school URN must be six digits or a special URN."""

    name: str = "school_urn_shape"

    def check(self, cols: Columns, ctx: RuleContext, sink: FindingSink) -> None:
        special = frozenset(facts_of(ctx).not_applicable_urns)
        for f, (what, register) in URN_FIELDS.items():
            bad = cols.present(f) & ~cols.matches(f, _SIX_DIGITS) & ~cols.isin(f, special)
            sink.add(bad, cols[f], field=f, code="cell.urn_format", message=_shape_message(what),
                     register=register.format)


def _shape_message(what: str) -> Callable[[str], str]:
    def message(v: str) -> str:
        return (f"'{v}' is not a URN: {what[0].upper()}{what[1:]} URN is six digits (use 900010 if there is none or it is not "
                "applicable). Register will reject it.")
    return message


def _countable(value: str, special: frozenset[str]) -> bool:
    return bool(value) and value not in special and _SIX_DIGITS.fullmatch(value) is not None


@dataclass(frozen=True)
class UrnsOnlyRegisterCanConfirm:
    """File-level info: how many well-shaped URNs only Register can confirm, per field."""

    name: str = "urns_only_register_can_confirm"
    codes: ClassVar[frozenset[str]] = frozenset({"file.urns_unconfirmed"})

    def check(self, cols: Columns, ctx: RuleContext, sink: FindingSink) -> None:
        state = cols.table_state(self.name)
        special = frozenset(facts_of(ctx).not_applicable_urns)
        state.clear()
        state["n"] = cols.n
        for f in URN_FIELDS:
            values = cols[f].copy()
            state[f] = values
            countable = cols.present(f) & cols.matches(f, _SIX_DIGITS) & ~cols.isin(f, special)  # _countable, by column
            state[f + ".counts"] = Counter(values[countable].tolist())
        self._emit(state, sink)

    def recheck(self, cols: Columns, ctx: RuleContext, sink: FindingSink, changed: np.ndarray) -> np.ndarray:
        state = cols.table_state(self.name)
        if state.get("n") != cols.n:
            self.check(cols, ctx, sink)
            return np.array([NO_ROW], dtype=np.int64)
        special = frozenset(facts_of(ctx).not_applicable_urns)
        for f in URN_FIELDS:
            values, counts, current = state[f], state[f + ".counts"], cols[f]
            for i in np.asarray(changed, dtype=np.int64).tolist():
                old, new = values[i], current[i]
                if old == new:
                    continue
                if _countable(old, special):
                    counts[old] -= 1
                    if counts[old] <= 0:
                        del counts[old]
                if _countable(new, special):
                    counts[new] += 1
                values[i] = new
        self._emit(state, sink)
        return np.array([NO_ROW], dtype=np.int64)

    @staticmethod
    def _emit(state: dict[str, Any], sink: FindingSink) -> None:
        for f, (what, _) in URN_FIELDS.items():
            counts: Counter[str] = state[f + ".counts"]
            rows = sum(counts.values())
            if not rows:
                continue
            distinct = len(counts)
            sink.add_one(Finding(
                code="file.urns_unconfirmed", field=f, severity=Severity.INFO, value=distinct,
                message=f"{rows} row{'s' if rows != 1 else ''} name{'' if rows != 1 else 's'} {what} by URN "
                        f"({distinct} different URN{'s' if distinct != 1 else ''}). Only Register can confirm a URN "
                        f"belongs to {what} it knows; it checks when you upload and rejects a row whose URN it does "
                        "not know. The app has checked that each is six digits."))
