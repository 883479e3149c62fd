"""Regenerate the v2026.1 rule pack's data files from Register's published facts.

A developer tool, not shipped and not run by CI. It reads the machine-readable facts that sit
beside SPEC.md (``derived/validation-facts-v2026.1.json``) and writes the project's own,
smaller format under ``desktop/resources/rules/v2026.1/``:

* ``routes.json``       route code -> name and the properties the rules need (SPEC §5.15)
* ``courses.json``      age ranges (ages, phase) and the subject codes tied to phases (§5.4)
* ``funding.json``      funding types, allocation subjects, funding rules with their cycle, the
                        fund-code exception (§5.10, Appendix B)
* ``initiatives.json``  initiative code -> name, initiatives offered per cycle, the method-C
                        override (§5.11)
* ``degrees.json``      UK country codes, silent remaps, graduation-year window (§5.6)
* ``schools.json``      the special "not applicable" URNs (§3.3, §5.8)
* ``cycles.json``       academic cycle boundaries and the cycles Register has seeded (§2, §5.10)
* ``diversity.json``    the disability codes that are answers, not disabilities (§4, §5.9)

Next year's Register version gets its own folder and pack; edit the numbers there, not code.

Usage: python tools/make_rule_facts.py [../shared/register]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

VERSION = "v2026.1"
ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "desktop" / "resources" / "rules" / VERSION

# Facts the derived file does not carry, read from SPEC.md's prose (§2, §5.6, §5.10, §5.11).
SEEDED_CYCLES = (2015, 2030)  # "Register seeds cycles from 2015/16 to 2030/31"
GRADUATION_WINDOW = {"years_back_from_next_year": 60}  # (current year + 1 - 60) .. (current year + 1)
VETERANS = {"funding_method": "C", "initiative": "veterans_teaching_undergraduate_bursary"}
DEFAULT_CYCLE_OFFSET_MONTHS = 1  # invalid/blank start date -> cycle of today + 1 month
NOT_A_DISABILITY = ["95", "98", "99"]  # §4: 95 = no known disability; 98 and 99 = not provided

# SPEC §11.4–§11.5 (prose tables, not in the derived file): withdrawal reasons per trigger and what
# each needs, the answers to "future interest", and the defer reason's limit. Labels are our own
# plain-English wording for users who type reasons as words; Register reads only the codes.
WITHDRAWAL_REASONS = [
    # code, triggers, needs, our label
    ("record_added_in_error", ["provider"], None, "Record added in error"),
    ("mandatory_reasons", ["provider"], None, "Mandatory reasons"),
    ("stopped_responding_to_messages", ["provider"], None, "Stopped responding to messages"),
    ("unacceptable_behaviour", ["provider", "trainee"], None, "Unacceptable behaviour"),
    ("lack_of_progress_during_placements", ["provider", "trainee"], None, "Lack of progress during placements"),
    ("did_not_make_progress", ["provider", "trainee"], None, "Did not make progress"),
    ("not_meeting_qts_standards", ["provider", "trainee"], None, "Not meeting QTS standards"),
    ("safeguarding_concerns", ["provider", "trainee"], "safeguarding_concern_reasons", "Safeguarding concerns"),
    ("had_to_withdraw_trainee_another_reason", ["provider"], "another_reason",
     "Provider had to withdraw the trainee for another reason"),
    ("trainee_workload_issues", ["trainee"], None, "Workload issues"),
    ("change_in_personal_or_health_circumstances", ["trainee"], None,
     "Change in personal or health circumstances"),
    ("does_not_want_to_become_a_teacher", ["trainee"], None, "Does not want to become a teacher"),
    ("never_intended_to_obtain_qts", ["trainee"], None, "Never intended to obtain QTS"),
    ("moved_to_different_itt_course", ["trainee"], None, "Moved to a different ITT course"),
    ("trainee_chose_to_withdraw_another_reason", ["trainee"], "another_reason",
     "Trainee chose to withdraw for another reason"),
]


def _write(name: str, doc: dict[str, object]) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    body = {"version": VERSION, **doc}
    (OUT / name).write_text(json.dumps(body, indent=1, ensure_ascii=False) + "\n", "utf-8")


def main() -> None:
    src = Path(sys.argv[1] if len(sys.argv) > 1 else ROOT.parent / "shared" / "register")
    facts = json.loads((src / "derived" / f"validation-facts-{VERSION}.json").read_text("utf-8"))
    note = "Derived from Register's v2026.1 source (seed data); the live service is authoritative."

    routes = {}
    for code, r in sorted(facts["training_routes"].items()):
        routes[code] = {
            "name": r["name"],
            "accepted": r["accepted_by_api"],
            "from_cycle": r["only_if_start_academic_year_at_least"],
            "early_years": r["early_years"],
            "needs_degree": r["requires_degree"],
            "needs_study_mode": r["requires_study_mode"],
            "needs_iqts_country": r["requires_iqts_country"],
            # QTS/EYTS recommendation (SPEC §11.6 Q3): None where the route needs no placements
            "award": r["award"],
            "min_placements_for_award": (r["min_placements_for_award"]
                                         if r["placements_required_for_award"] else None),
        }
    _write("routes.json", {"about": note, "routes": routes})

    ages = {code: {"min": a["min_age"], "max": a["max_age"], "name": a["name"]}
            for code, a in sorted(facts["course_age_ranges"].items())}
    ey_codes = sorted(c for c, a in facts["course_age_ranges"].items() if a["min_age"] == 0 and a["max_age"] == 5)
    assert ey_codes == ["13920"], ey_codes
    primary = sorted(facts["primary_age_range_codes"])
    _write("courses.json", {
        "about": note,
        "age_ranges": ages,
        "primary_age_ranges": primary,
        "early_years_age_range": ey_codes[0],
        "primary_subject": "100511",
        "early_years_subject": "100510",
    })

    # subjects without a HESA code (e.g. "Citizenship") cannot be sent, so they are left out
    allocation = {name: sorted(s["hesa_code"] for s in subjects if s["hesa_code"])
                  for name, subjects in sorted(facts["allocation_subject_to_course_subjects"].items())}
    rules = []
    for year, items in sorted(facts["funding_rules_by_cycle_start_year"].items()):
        for item in items:
            rules.append({
                "cycle": int(year),
                "route": item["training_route_code"],
                "type": item["funding_type"],
                "amount_gbp": item["amount_gbp"],
                "allocation_subjects": sorted(item["allocation_subjects"]),
            })
    exc = facts["fund_code_exception"]
    _write("funding.json", {
        "about": note + " Amounts are for information; Register does not check them.",
        "funding_types": facts["funding_method_to_funding_type"],
        "allocation_subjects": allocation,
        "fund_code_exception": {"cycles": exc["academic_cycle_start_years"],
                                "allocation_subjects": sorted(exc["allocation_subjects"])},
        "rules": rules,
    })

    codes: dict[str, str] = {}
    by_cycle: dict[str, list[str]] = {}
    for year, items in sorted(facts["training_initiatives_available_by_cycle_start_year"].items()):
        by_cycle[year] = sorted(i["name"] for i in items)
        for i in items:
            if i["hesa_code"]:
                codes[i["hesa_code"]] = i["name"]
    _write("initiatives.json", {
        "about": note + " A cycle that is not listed offers no initiative.",
        "names": dict(sorted(codes.items())),
        "offered": by_cycle,
        "method_override": VETERANS,
    })

    _write("degrees.json", {
        "about": note,
        "uk_countries": sorted(facts["uk_country_codes_for_degrees"]),
        "remaps": facts["degree_code_remaps"],
        "graduation_year": GRADUATION_WINDOW,
    })
    _write("schools.json", {"about": note, "not_applicable_urns": facts["not_applicable_school_urns"]})
    start_month, start_day = (int(x) for x in facts["academic_cycle"]["starts"].split("-"))
    _write("cycles.json", {
        "about": note,
        "starts": {"month": start_month, "day": start_day},
        "seeded": {"first": SEEDED_CYCLES[0], "last": SEEDED_CYCLES[1]},
        "default_offset_months": DEFAULT_CYCLE_OFFSET_MONTHS,
    })
    _write("diversity.json", {
        "about": "Disability codes that are answers, not disabilities (SPEC §4 disability.yml, §5.9).",
        "not_a_disability": NOT_A_DISABILITY,
    })
    _write("actions.json", {
        "about": note + " Reasons, triggers and limits from SPEC §11.4–§11.5; labels are this app's wording.",
        "withdraw": {
            "triggers": ["provider", "trainee"],
            "default_trigger_list": "trainee",  # a missing or unknown trigger selects the trainee's list (W7)
            "future_interest": ["yes", "no", "unknown"],
            "reasons": [{"code": code, "triggers": triggers, "needs": needs, "label": label}
                        for code, triggers, needs, label in WITHDRAWAL_REASONS],
            "states": ["submitted_for_trn", "trn_received", "deferred"],
        },
        "defer": {"reason_max_length": 500, "states": ["submitted_for_trn", "trn_received"]},
        "recommend": {"states": ["trn_received"]},
        "locked_states": ["recommended_for_award", "withdrawn", "awarded"],
    })
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
