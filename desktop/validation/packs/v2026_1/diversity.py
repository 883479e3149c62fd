"""Disability rules of v2026.1 (SPEC §5.9 D3–D4, §10.2).

Register drops unknown codes first, then: duplicate real disabilities are rejected (D3); 95, 98
and 99 only among themselves (98 + 99, 95 + 95, ...) fail its record-level check; 95/98/99 next
to a real disability is accepted and the 95/98/99 silently ignored. The app treats every mix of
95/98/99 with anything as an error (contradictory answers about special-category data), and
flags unknown codes as warnings because Register ignores them without a word.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from desktop.validation.codelists import CodeList
from desktop.validation.engine import Columns, RuleContext
from desktop.validation.findings import FindingSink, Severity
from desktop.validation.packs.v2026_1.facts import facts_of

FIELDS = tuple(f"disability{i}" for i in range(1, 10))


@dataclass(frozen=True)
class Disabilities:
    name: str = "disabilities"

    def check(self, cols: Columns, ctx: RuleContext, sink: FindingSink) -> None:
        known = ctx.code_lists["disability"]
        not_a_disability = facts_of(ctx).not_a_disability
        n = cols.n
        count = np.zeros(n, dtype=np.int64)
        for f in FIELDS:
            present = cols.present(f)
            count += present
            sink.add(present & ~cols.isin(f, known.codes), cols[f], field=f, code="cell.disability_unknown",
                     severity=Severity.WARNING,
                     message=lambda v: f"'{v}' is not a disability code, so Register ignores it (it records no "
                                       "disability for it). Use a code from the Disability list, for example 58 "
                                       "for blind or 95 for no known disability.")

        # only rows with two or more codes can break D3 or mix 95/98/99: usually a handful
        multi = np.flatnonzero(count >= 2)
        if multi.size == 0:
            return
        arrays = [cols[f] for f in FIELDS]
        dup_rows: dict[str, list[int]] = {}
        mixed_rows: dict[str, list[int]] = {}
        combined_rows: dict[str, list[int]] = {}
        for i in multi.tolist():
            real_seen: set[str] = set()
            dup_field = None
            special: list[str] = []  # fields holding 95/98/99
            has_real = False
            for f, arr in zip(FIELDS, arrays, strict=True):
                v = arr[i]
                if not v or v not in known.codes:
                    continue
                if v in not_a_disability:
                    special.append(f)
                    continue
                has_real = True
                if v in real_seen and dup_field is None:
                    dup_field = f
                real_seen.add(v)
            if dup_field is not None:
                dup_rows.setdefault(dup_field, []).append(i)
            if special and has_real:
                mixed_rows.setdefault(special[0], []).append(i)
            elif len(special) >= 2:
                combined_rows.setdefault(special[1], []).append(i)

        for f, rows in dup_rows.items():
            sink.add(_mask(n, rows), cols[f], field=f, code="row.disability_duplicate",
                     message=lambda v: f"Disability {v} is listed more than once. List each disability once.",
                     register="disabilities contain duplicate values")
        for f, rows in mixed_rows.items():
            sink.add(_mask(n, rows), cols[f], field=f, code="row.disability_mixed",
                     message=lambda v: f"'{v}' ({known.label(v).lower()}) is listed together with a disability. "
                                       "These answers contradict each other (Register would silently drop this one): "
                                       "remove it, or remove the disabilities if the trainee did not disclose one.")
        for f, rows in combined_rows.items():
            sink.add(_mask(n, rows), cols[f], field=f, code="row.disability_combined",
                     message=f"{_answers(known, not_a_disability)} can only be used alone, and only "
                             "once. Keep the one answer the trainee gave and clear the other disability cells.",
                     register="Trainee has been disclosed as disabled but no disabilities exist")


def _answers(known: CodeList, codes: frozenset[str]) -> str:
    """'95 (no known disability), 98 and 99 (not provided)': the codes grouped by their label."""
    by_label: dict[str, list[str]] = {}
    for code in sorted(codes):
        by_label.setdefault(known.label(code).lower(), []).append(code)
    return ", ".join(f"{' and '.join(group)} ({label})" for label, group in by_label.items())


def _mask(n: int, rows: list[int]) -> np.ndarray:
    mask = np.zeros(n, dtype=bool)
    mask[rows] = True
    return mask
