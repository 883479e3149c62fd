"""The v2026.1 pack's facts: routes, age ranges, funding rules, initiatives per cycle, special URNs.

The numbers are data (``resources/rules/v2026.1/*.json``, written by ``tools/make_rule_facts.py``);
this module only reads them into lookups the rules use. ``PackFacts`` is the ``RulePack.facts``
mapping (document name -> the raw JSON document) with typed views on top, so a test or a later
refresh can hand the rules other data (e.g. the live funding rules) without touching code.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from desktop.validation.cycles import start_year
from desktop.validation.engine import RuleContext
from desktop.validation.resources import read_json

DOCUMENTS = ("routes", "courses", "funding", "initiatives", "degrees", "schools", "cycles", "diversity")
NO_CYCLE = -1  # no academic cycle: outside the cycles Register has seeded


@dataclass(frozen=True, slots=True)
class Route:
    code: str
    name: str  # Register's internal name, used in some messages
    accepted: bool  # False for 02: in the list, always rejected
    from_cycle: int | None  # 12: only from the 2022/23 cycle
    early_years: bool
    needs_degree: bool
    needs_study_mode: bool
    needs_iqts_country: bool
    award: str = "QTS"  # what a recommendation leads to: QTS or EYTS (SPEC §11.6)
    min_placements_for_award: int | None = 2  # None: the route needs no placements to be recommended (Q3)


class PackFacts(Mapping[str, Any]):
    """Raw documents by name, plus the lookups built from them once."""

    def __init__(self, documents: Mapping[str, Any]) -> None:
        missing = [d for d in DOCUMENTS if d not in documents]
        if missing:
            raise ValueError(f"rule facts are missing {', '.join(missing)}")
        self._docs = dict(documents)
        routes = documents["routes"]["routes"]
        self.routes: dict[str, Route] = {
            code: Route(code=code, name=r["name"], accepted=r["accepted"], from_cycle=r["from_cycle"],
                        early_years=r["early_years"], needs_degree=r["needs_degree"],
                        needs_study_mode=r["needs_study_mode"], needs_iqts_country=r["needs_iqts_country"],
                        award=r.get("award", "QTS"), min_placements_for_award=r.get("min_placements_for_award", 2))
            for code, r in routes.items()
        }
        self.early_years_routes = frozenset(c for c, r in self.routes.items() if r.early_years)
        self.routes_without_degree = frozenset(c for c, r in self.routes.items() if not r.needs_degree)
        self.routes_without_study_mode = frozenset(c for c, r in self.routes.items() if not r.needs_study_mode)
        self.iqts_routes = frozenset(c for c, r in self.routes.items() if r.needs_iqts_country)

        courses = documents["courses"]
        self.age_ranges: dict[str, tuple[int, int]] = {
            code: (a["min"], a["max"]) for code, a in courses["age_ranges"].items()}
        self.primary_age_ranges = frozenset(courses["primary_age_ranges"])
        self.early_years_age_range: str = courses["early_years_age_range"]
        self.primary_subject: str = courses["primary_subject"]
        self.early_years_subject: str = courses["early_years_subject"]

        funding = documents["funding"]
        self.funding_types: dict[str, str | None] = dict(funding["funding_types"])
        self.allocation_of: dict[str, str] = {}
        for allocation, subjects in funding["allocation_subjects"].items():
            for code in subjects:
                self.allocation_of[code] = allocation
        # (cycle, route, type, allocation subject) for every seeded funding rule
        self.funding_offers: frozenset[tuple[int, str, str, str]] = frozenset(
            (r["cycle"], r["route"], r["type"], subject)
            for r in funding["rules"] for subject in r["allocation_subjects"])
        self.funded_routes: dict[int, frozenset[str]] = {}
        for r in funding["rules"]:
            self.funded_routes[r["cycle"]] = self.funded_routes.get(r["cycle"], frozenset()) | {r["route"]}
        exc = funding["fund_code_exception"]
        self.fund_code_exception_cycles = frozenset(exc["cycles"])
        self.fund_code_exception_subjects = frozenset(exc["allocation_subjects"])

        initiatives = documents["initiatives"]
        self.initiative_names: dict[str, str] = dict(initiatives["names"])
        self.initiatives_offered: dict[int, frozenset[str]] = {
            int(year): frozenset(names) for year, names in initiatives["offered"].items()}
        override = initiatives["method_override"]
        self.override_method: str = override["funding_method"]
        self.override_initiative: str = override["initiative"]

        degrees = documents["degrees"]
        self.uk_degree_countries = frozenset(degrees["uk_countries"])
        self.institution_remaps: dict[str, str] = dict(degrees["remaps"]["institution"])
        self.grade_remaps: dict[str, str] = dict(degrees["remaps"]["grade"])
        self.graduation_years_back: int = degrees["graduation_year"]["years_back_from_next_year"]

        self.not_applicable_urns: dict[str, str] = dict(documents["schools"]["not_applicable_urns"])

        # disability codes that answer the question without naming a disability (95, 98, 99)
        self.not_a_disability = frozenset(documents["diversity"]["not_a_disability"])

        cycles = documents["cycles"]
        self.cycle_start = (cycles["starts"]["month"], cycles["starts"]["day"])
        self.first_cycle: int = cycles["seeded"]["first"]
        self.last_cycle: int = cycles["seeded"]["last"]
        self.default_offset_months: int = cycles["default_offset_months"]

    # -- Mapping over the raw documents
    def __getitem__(self, key: str) -> Any:
        return self._docs[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._docs)

    def __len__(self) -> int:
        return len(self._docs)

    def __hash__(self) -> int:  # used in cache keys; the documents never change after loading
        return id(self)

    def __eq__(self, other: object) -> bool:
        return self is other

    # -- lookups
    def cycle_of(self, day: dt.date) -> int:
        """Start year of the academic cycle containing ``day``, or NO_CYCLE if Register has none."""
        year = start_year(day, self.cycle_start)  # the one rule (desktop.validation.cycles)
        return year if self.first_cycle <= year <= self.last_cycle else NO_CYCLE

    def default_cycle(self, today: dt.date) -> int:
        """The cycle Register falls back to when the start date is blank or invalid: today + 1 month."""
        return self.cycle_of(add_months(today, self.default_offset_months))

    @staticmethod
    def cycle_label(cycle: int) -> str:
        return "" if cycle == NO_CYCLE else f"{cycle} to {cycle + 1}"

    def funding_available(self, cycle: int, route: str, funding_type: str, subject: str) -> bool:
        allocation = self.allocation_of.get(subject)
        return allocation is not None and (cycle, route, funding_type, allocation) in self.funding_offers

    def fund_code_exception(self, cycle: int, subject: str) -> bool:
        return (cycle in self.fund_code_exception_cycles
                and self.allocation_of.get(subject) in self.fund_code_exception_subjects)

    def initiative_offered(self, cycle: int, name: str) -> bool:
        return name in self.initiatives_offered.get(cycle, frozenset())


def add_months(day: dt.date, months: int) -> dt.date:
    """Calendar months later, clamped to the month's last day (31 January + 1 month = 28/29 February)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    for d in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def years_before(day: dt.date, years: int) -> dt.date:
    """The same calendar day ``years`` earlier (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


@cache
def load_facts(version: str = "v2026.1") -> PackFacts:
    return PackFacts({name: read_json("rules", version, f"{name}.json") for name in DOCUMENTS})


def facts_of(ctx: RuleContext) -> PackFacts:
    """The pack facts of a rule context: the pack's own, or other documents handed in (tests)."""
    facts = ctx.facts
    if isinstance(facts, PackFacts):
        return facts
    if not facts:
        return load_facts()
    return PackFacts(facts)
