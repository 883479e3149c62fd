"""Course rules of v2026.1 (SPEC §5.4, §5.15): the route list check, subjects against the route
and age range, and the requirements that depend on the route or the ITT aim.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from desktop.validation.codelists import CodeList
from desktop.validation.engine import Columns, RuleContext
from desktop.validation.findings import FindingSink
from desktop.validation.packs.v2026_1.common import (
    route_flag,
    route_known,
    start_cycle_for_route,
    trainee_start,
)
from desktop.validation.packs.v2026_1.facts import NO_CYCLE, facts_of
from desktop.validation.rules import leading_zero_hint


@dataclass(frozen=True)
class TrainingRoute:
    """C2: the route must be in Register's list, never ``02``, and ``12`` only from 2022/23.

    Register skips this check while ``trainee_start_date`` has an error; the app still reports an
    unknown or withdrawn route then (without a Register message: Register will give it once the
    date is fixed), so the user can fix both at once.
    """

    name: str = "training_route"

    def check(self, cols: Columns, ctx: RuleContext, sink: FindingSink) -> None:
        facts = facts_of(ctx)
        route_list = ctx.code_lists["training_route"]
        rejected = tuple(sorted(c for c, r in facts.routes.items() if not r.accepted))
        f = "training_route"
        values = cols[f]
        present = cols.present(f)
        pending = trainee_start(cols, ctx).error

        def listed(v: str) -> str:
            return route_list.invalid_value_message(f, v, rejected)

        unknown = present & ~cols.isin(f, route_list.codes)
        sink.add(unknown & ~pending, values, field=f, code="cell.code_list",
                 message=lambda v: f"'{v}' is not a training route code Register knows{leading_zero_hint(v, route_list.codes)}. "
                                   "Choose one from the Training route list, for example 12 for a provider-led "
                                   "postgraduate course.",
                 register=listed)
        sink.add(unknown & pending, values, field=f, code="cell.code_list",
                 message=lambda v: f"'{v}' is not a training route code Register knows. Register will say so once "
                                   "the trainee start date is fixed; choose one from the Training route list.")

        not_accepted = present & cols.isin(f, frozenset(rejected))
        sink.add(not_accepted & ~pending, values, field=f, code="cell.route_not_accepted",
                 message=lambda v: f"Register no longer accepts route {v} ({route_list.label(v)}) for new trainees. "
                                   "Use the route the trainee is actually on (usually 12, provider-led postgraduate).",
                 register=lambda v: listed(facts.routes[v].name))
        sink.add(not_accepted & pending, values, field=f, code="cell.route_not_accepted",
                 message=lambda v: f"Register no longer accepts route {v} ({route_list.label(v)}) for new trainees; "
                                   "it will say so once the trainee start date is fixed.")

        gated = [(r, r.from_cycle) for r in facts.routes.values() if r.accepted and r.from_cycle is not None]
        if gated:
            cycle = start_cycle_for_route(cols, facts)
            for route, from_cycle in gated:
                early = (cols.equals(f, route.code) & (cycle != NO_CYCLE) & (cycle < from_cycle) & ~pending)
                sink.add(early, values, field=f, code="row.route_before_start_year",
                         message=f"Route {route.code} ({route_list.label(route.code)}) only exists for trainees starting "
                                 f"in the {from_cycle} to {from_cycle + 1} academic year or later. "
                                 "Check the start dates, or choose the route the trainee was on then.",
                         register=listed(route.name))


@dataclass(frozen=True)
class SubjectsForRoute:
    """C5–C8 and C13–C14: subjects and age range must fit the route's phase (SPEC §5.4)."""

    name: str = "subjects_for_route"

    def check(self, cols: Columns, ctx: RuleContext, sink: FindingSink) -> None:
        facts = facts_of(ctx)
        early = route_flag(cols, facts, "early_years")
        known = route_known(cols, facts)
        s1, s2, s3 = cols["course_subject_1"], cols["course_subject_2"], cols["course_subject_3"]
        p1, p2, p3 = cols.present("course_subject_1"), cols.present("course_subject_2"), cols.present("course_subject_3")
        age = "course_age_range"
        primary_age = cols.isin(age, facts.primary_age_ranges)
        ey_age = facts.early_years_age_range
        subjects = ctx.code_lists["course_subject"]

        c5 = ~early & primary_age & p1 & ~cols.equals("course_subject_1", facts.primary_subject)
        sink.add(c5, s1, field="course_subject_1", code="row.primary_subject",
                 message=lambda v: f"The age range is primary, so Register needs course subject 1 to be "
                                   f"{facts.primary_subject} (primary teaching). Move {_subject(subjects, v)} to "
                                   "course subject 2 or 3 and put 100511 in course subject 1.",
                 register=f"course_subject_1 is invalid. It should be `{facts.primary_subject}` for the course_age_range provided")
        c6 = early & p1 & ~cols.equals("course_subject_1", facts.early_years_subject)
        sink.add(c6, s1, field="course_subject_1", code="row.early_years_subject",
                 message=f"Early years routes need course subject 1 to be {facts.early_years_subject} "
                         "(early years teaching).",
                 register=f"course_subject_1 is invalid. It should be `{facts.early_years_subject}` for the training_route provided")
        c7 = ~early & p2 & _eq(s2, s1)
        sink.add(c7, s2, field="course_subject_2", code="row.duplicate_subject",
                 message="Course subject 2 repeats course subject 1. Leave it blank or enter a different subject.",
                 register="course_subject_2 might contain duplicate values")
        c8 = ~early & p3 & (_eq(s3, s1) | _eq(s3, s2))
        sink.add(c8, s3, field="course_subject_3", code="row.duplicate_subject",
                 message="Course subject 3 repeats course subject 1 or 2. Leave it blank or enter a different subject.",
                 register="course_subject_3 might contain duplicate values")

        age_values = cols[age]
        is_ey_age = cols.equals(age, ey_age)
        c13 = early & cols.present(age) & ~is_ey_age
        sink.add(c13, age_values, field=age, code="row.early_years_age_range",
                 message=f"Early years routes need the age range {ey_age} (0 to 5).",
                 register=f"course_age_range is invalid. It should be `{ey_age}` for the training_route provided")
        c14 = known & ~early & is_ey_age
        sink.add(c14, age_values, field=age, code="row.age_range_early_years_only",
                 message=f"The age range {ey_age} (0 to 5) is only for early years routes (17, 18, 19, 20). "
                         "Choose the age range the course teaches.",
                 register="course_age_range is invalid. It can only be used for early years training routes")


def _eq(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.asarray(a == b, dtype=bool) if len(a) else np.zeros(0, dtype=bool)


def _subject(subjects: CodeList, code: str) -> str:
    label = subjects.label(code)
    return f"{code} ({label.lower()})" if label else f"'{code}'"


@dataclass(frozen=True)
class RouteRequirements:
    """C9, C16, C20–C22, G1: fields required (or forbidden) by the route or the ITT aim."""

    name: str = "route_requirements"

    def check(self, cols: Columns, ctx: RuleContext, sink: FindingSink) -> None:
        facts = facts_of(ctx)
        route = "training_route"
        route_present = cols.present(route)

        # C9: study mode, unless the route is one that does not need it (a blank or unknown route needs it)
        no_study_mode = cols.isin(route, facts.routes_without_study_mode)
        sink.add(cols.blank("study_mode") & ~no_study_mode, cols["study_mode"], field="study_mode",
                 code="row.study_mode_required",
                 message="Study mode is missing. Register needs it on this route (only assessment-only routes "
                         "16 and 17 may leave it blank): 01 full time, 31 part time, ...",
                 register="study_mode can't be blank")

        # C16: qualification aim when the ITT aim is 202 or blank
        qual = "itt_qualification_aim"
        missing = cols.blank(qual)
        for aim_mask, why in ((cols.equals("itt_aim", "202"), "when the ITT aim is 202 (professional status "
                                                                "and an academic award)"),
                              (cols.blank("itt_aim"), "unless the ITT aim is 201 (professional status only)")):
            sink.add(aim_mask & missing, cols[qual], field=qual, code="row.qualification_aim_required",
                     message=f"ITT qualification aim is missing. Register needs it {why}: for example 020 for a PGCE.",
                     register="itt_qualification_aim must be entered if 202 selected for itt_aim")

        # C20–C22: iQTS country only, and always, on the iQTS route
        f = "iqts_country"
        iqts = cols.isin(route, facts.iqts_routes)
        given = cols.present(f)
        values = cols[f]
        sink.add(iqts & ~given, values, field=f, code="row.iqts_country_required",
                 message="iQTS country is missing. Register needs the country where an iQTS trainee trains.",
                 register="iqts_country can't be blank")
        countries = ctx.code_lists["country"]
        sink.add(iqts & given & ~cols.isin(f, countries.codes), values, field=f, code="cell.code_list",
                 message=lambda v: f"'{v}' is not a country code Register knows. Use the two-letter code from the "
                                   "Country list (for example IN for India).",
                 register=lambda v: countries.invalid_value_message(f, v))
        sink.add(~iqts & given, values, field=f, code="row.iqts_country_not_allowed",
                 message="iQTS country is only for the iQTS route (15). Leave it blank on this route.",
                 register="iqts_country must be blank")

        # G1: a degree on every route except the undergraduate ones (an unknown route needs one too)
        degree_fields = ("uk_degree", "non_uk_degree", "degree_subject", "degree_grade",
                         "degree_graduation_year", "awarding_institution", "degree_country")
        no_degree = np.ones(cols.n, dtype=bool)
        for name in degree_fields:
            no_degree &= cols.blank(name)
        needs = route_present & ~cols.isin(route, facts.routes_without_degree)
        sink.add(needs & no_degree, cols["uk_degree"], field="uk_degree", code="row.degree_required",
                 message="This route needs the trainee's degree, but the degree columns are empty. Enter the UK "
                         "degree type (or non-UK degree type and country), subject, grade and graduation year.",
                 register="degrees_attributes must be entered if specifying a postgraduate training_route")
