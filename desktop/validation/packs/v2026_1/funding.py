"""Funding and initiative rules of v2026.1 (SPEC §5.10 F3, F6, F7; §5.11 I1, I2, I4).

All use the trainee's academic cycle as Register derives it (``common.academic_cycle``) and the
pack's funding tables (data with their cycles, ``resources/rules/v2026.1/funding.json``). The
tables are Register's published seed data: the live service may have changed them, so the
messages say "Register's funding rules for <cycle>" rather than claiming certainty.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from desktop.validation.engine import Columns, RuleContext
from desktop.validation.findings import FindingSink, Severity
from desktop.validation.packs.v2026_1.common import academic_cycle, emit
from desktop.validation.packs.v2026_1.facts import NO_CYCLE, PackFacts, facts_of
from desktop.validation.rules import leading_zero_hint


def _cycle_words(cycle: int) -> str:
    return f"the {cycle} to {cycle + 1} academic year" if cycle != NO_CYCLE else "an academic year Register does not have"


@dataclass(frozen=True)
class FundCode:
    """F3: fund code 7 only on a route with some funding in the trainee's cycle (and a valid age range)."""

    name: str = "fund_code"

    def check(self, cols: Columns, ctx: RuleContext, sink: FindingSink) -> None:
        facts = facts_of(ctx)
        candidates = np.flatnonzero(cols.equals("fund_code", "7") & cols.present("training_route"))
        if candidates.size == 0:
            return
        cycle = academic_cycle(cols, ctx, facts)
        route = cols["training_route"]
        age_ok = cols.isin("course_age_range", ctx.code_lists["course_age_range"].codes)
        routes = ctx.code_lists["training_route"]
        idx: list[int] = []
        messages: list[str] = []
        for i in candidates.tolist():
            c, r = int(cycle[i]), route[i]
            if r in facts.funded_routes.get(c, frozenset()):
                if age_ok[i]:
                    continue
                messages.append("Register can only accept fund code 7 with a valid course age range. Fix the age "
                                "range, or use fund code 2.")
            else:
                label = f"route {r} ({routes.label(r)})" if routes.label(r) else f"route '{r}'"
                messages.append(f"Register's funding rules offer no bursary, scholarship or grant on {label} in "
                                f"{_cycle_words(c)}, so it only accepts fund code 2 (not eligible) for this trainee.")
            idx.append(i)
        emit(sink, cols.n, idx, cols["fund_code"], field="fund_code", code="row.fund_code_not_eligible",
             messages=messages, registers=["fund_code is not valid for this trainee"] * len(idx))


@dataclass(frozen=True)
class FundingMethod:
    """F6 (a bursary/scholarship/grant needs fund code 7, except the 2025–2026 language and physics
    exception) and F7 (the award must exist for the cycle, route and course subject 1)."""

    name: str = "funding_method"

    def check(self, cols: Columns, ctx: RuleContext, sink: FindingSink) -> None:
        facts = facts_of(ctx)
        f = "funding_method"
        ftype = cols.per_value(f, f"funding_type.{id(facts)}", lambda v: facts.funding_types.get(v))
        awarded = cols.per_value(f, f"funding_awarded.{id(facts)}", lambda v: facts.funding_types.get(v) is not None, bool)
        rows = np.flatnonzero(awarded & cols.present("training_route"))
        if rows.size == 0:
            return
        cycle = academic_cycle(cols, ctx, facts)
        route, subject, fund = cols["training_route"], cols["course_subject_1"], cols["fund_code"]
        method = cols[f]
        memo: dict[tuple[str, str, str, str, int, str], tuple[str, str, str] | None] = {}
        out: dict[str, tuple[list[int], list[str], list[str]]] = {"row.funding_needs_fund_code_7": ([], [], []),
                                                                   "row.funding_not_available": ([], [], [])}
        for i in rows.tolist():
            key = (ftype[i], fund[i], route[i], subject[i], int(cycle[i]), method[i])
            if key in memo:
                hit = memo[key]
            else:
                hit = memo[key] = _funding_problem(ctx, facts, *key)
            if hit is not None:
                code, message, register = hit
                bucket = out[code]
                bucket[0].append(i)
                bucket[1].append(message)
                bucket[2].append(register)
        for code, (idx, messages, registers) in out.items():
            emit(sink, cols.n, idx, method, field=f, code=code, messages=messages, registers=registers)


def _funding_problem(ctx: RuleContext, facts: PackFacts, funding_type: str, fund_code: str, route: str,
                     subject: str, cycle: int, method: str) -> tuple[str, str, str] | None:
    subjects = ctx.code_lists["course_subject"]
    entry = subjects.get(subject)
    subject_name = entry.name if entry is not None else subject
    subject_words = f"{subject} ({entry.label.lower()})" if entry is not None else (f"'{subject}'" if subject else "no subject")
    method_label = ctx.code_lists["funding_method"].label(method)
    if fund_code != "7" and not facts.fund_code_exception(cycle, subject):
        return ("row.funding_needs_fund_code_7",
                f"Funding method {method} ({method_label}) is a {funding_type}, which Register only accepts with fund "
                f"code 7 (eligible for student finance); this row has fund code {fund_code or 'blank'}. Use fund code 7, "
                "or funding method 6 if no award is paid.",
                f"funding_method '{funding_type}' is not allowed when fund_code is '{fund_code}' and course_subject_1 "
                f"is '{subject_name}'")
    if facts.funding_available(cycle, route, funding_type, subject):
        return None
    known_route = facts.routes.get(route)
    route_name = known_route.name if known_route is not None else route
    route_label = ctx.code_lists["training_route"].label(route)
    route_words = f"route {route} ({route_label})" if route_label else f"route '{route}'"
    return ("row.funding_not_available",
            f"Register's funding rules for {_cycle_words(cycle)} offer no {funding_type} on {route_words} for "
            f"course subject {subject_words}. Use funding method 6 (none), or check the route, subject and start date.",
            f"funding_method '{funding_type}' is not allowed when training_route is '{route_name}' and course_subject_1 "
            f"is '{subject_name}' in academic cycle '{facts.cycle_label(cycle)}'")


@dataclass(frozen=True)
class TrainingInitiatives:
    """I1, I2 for ``training_initiative`` and I4 for ``additional_training_initiative`` (I3 is a field rule).

    Funding method C (veteran teaching undergraduate bursary) makes Register replace any training
    initiative with the veterans initiative before validating: the given one is then not checked
    (a warning says it will be replaced), and the veterans initiative must be offered in the cycle.
    """

    name: str = "training_initiatives"

    def check(self, cols: Columns, ctx: RuleContext, sink: FindingSink) -> None:
        facts = facts_of(ctx)
        initiatives = ctx.code_lists["training_initiative"]
        override = cols.equals("funding_method", facts.override_method)
        f = "training_initiative"
        present = cols.present(f)
        sink.add(present & ~override & ~cols.isin(f, initiatives.codes), cols[f], field=f, code="cell.code_list",
                 message=lambda v: f"'{v}' is not a training initiative code Register knows{leading_zero_hint(v, initiatives.codes)}. "
                                   "Choose one from the Training initiative list, or leave it blank if the trainee is on none.",
                 register=lambda v: initiatives.invalid_value_message(f, v))
        sink.add(present & override, cols[f], field=f, code="row.initiative_replaced", severity=Severity.WARNING,
                 message=f"Funding method {facts.override_method} is the veteran teaching undergraduate bursary, so "
                         "Register replaces this training initiative with the veterans initiative. Leave it blank.")

        cycle = None
        for field, mask, name_of in (
            (f, present & ~override, None),
            ("additional_training_initiative", cols.present("additional_training_initiative"), None),
            ("funding_method", override, facts.override_initiative),
        ):
            rows = np.flatnonzero(mask)
            if rows.size == 0:
                continue
            if cycle is None:
                cycle = academic_cycle(cols, ctx, facts)
            values = cols[field]
            idx: list[int] = []
            messages: list[str] = []
            registers: list[str] = []
            attribute = "training_initiative" if field == "funding_method" else field
            for i in rows.tolist():
                name = name_of or facts.initiative_names.get(values[i])
                if name is None:  # not a known code: the list rule reports it
                    continue
                c = int(cycle[i])
                if facts.initiative_offered(c, name):
                    continue
                idx.append(i)
                what = (f"Funding method {facts.override_method} (veteran teaching undergraduate bursary)"
                        if name_of else f"Training initiative {values[i]} ({initiatives.label(values[i])})")
                messages.append(f"{what} is not offered in {_cycle_words(c)}. "
                                + ("Choose another funding method." if name_of else
                                   "Leave it blank, or check the trainee's start date."))
                registers.append(f"{attribute} '{name}' is not available in academic cycle '{facts.cycle_label(c)}'")
            emit(sink, cols.n, idx, values, field=field, code="row.initiative_not_available",
                 messages=messages, registers=registers)
