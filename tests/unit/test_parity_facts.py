"""The v2026.1 pack's data files: complete, consistent with the code lists, and replaceable as data."""

import copy
import datetime as dt

from desktop.validation.codelists import bundled_code_lists
from desktop.validation.engine import RuleContext
from desktop.validation.packs import get_pack
from desktop.validation.packs.v2026_1.facts import DOCUMENTS, NO_CYCLE, PackFacts, load_facts
from tests.helpers import TEMPLATE, columns, register_messages, valid_row


def test_pack_facts_are_the_loaded_documents():
    facts = get_pack().facts
    assert isinstance(facts, PackFacts)
    assert set(facts) == set(DOCUMENTS)
    assert facts["funding"]["rules"], "funding rules are data with their cycles"


def test_facts_agree_with_the_code_lists():
    facts = load_facts()
    lists = bundled_code_lists()
    assert set(facts.routes) == lists["training_route"].codes
    assert set(facts.age_ranges) == lists["course_age_range"].codes
    assert set(facts.allocation_of) <= lists["course_subject"].codes
    assert set(facts.funding_types) == lists["funding_method"].codes
    assert set(facts.initiative_names) == lists["training_initiative"].codes
    assert {r for cycle in facts.funded_routes.values() for r in cycle} <= set(facts.routes)
    assert facts.uk_degree_countries <= lists["country"].codes
    for old, new in facts.institution_remaps.items():
        assert {old, new} <= lists["institution"].codes
    for old, new in facts.grade_remaps.items():
        assert {old, new} <= lists["degree_grade"].codes


def test_seeded_funding_facts():
    facts = load_facts()
    assert facts.funded_routes[2026] == frozenset({"03", "09", "10", "11", "12", "19", "20"})
    assert facts.funding_available(2026, "12", "scholarship", "100321")
    assert not facts.funding_available(2026, "12", "scholarship", "100403")
    assert facts.allocation_of["100321"] == "French language"  # not Modern languages
    assert facts.fund_code_exception(2025, "100425") and not facts.fund_code_exception(2024, "100425")
    assert facts.cycle_of(dt.date(2026, 7, 31)) == 2025 and facts.cycle_of(dt.date(2026, 8, 1)) == 2026
    assert facts.cycle_of(dt.date(2031, 8, 1)) == NO_CYCLE and facts.cycle_label(2026) == "2026 to 2027"


def test_a_new_funding_rule_is_data_not_code():
    """Handing the rules other documents (e.g. next year's seed) changes the outcome without code."""
    row = valid_row(training_route="12", course_subject_1="100497", fund_code="7", funding_method="4")
    pack = get_pack()
    base = RuleContext(template=TEMPLATE, code_lists=bundled_code_lists(), today=dt.date(2026, 11, 28), facts=pack.facts)
    message = ("funding_method 'scholarship' is not allowed when training_route is 'provider_led_postgrad' and "
               "course_subject_1 is 'psychology' in academic cycle '2026 to 2027'")
    assert message in register_messages(pack.validate(columns(row), base))

    docs = {name: copy.deepcopy(pack.facts[name]) for name in DOCUMENTS}
    docs["funding"]["rules"].append({"cycle": 2026, "route": "12", "type": "scholarship", "amount_gbp": 1,
                                     "allocation_subjects": ["Other subjects"]})
    changed = RuleContext(template=TEMPLATE, code_lists=bundled_code_lists(), today=dt.date(2026, 11, 28), facts=docs)
    assert message not in register_messages(pack.validate(columns(row), changed))
