"""Funding and initiatives (SPEC §5.10 F3, F6, F7; §5.11 I1–I4; Appendix B) and the academic cycle."""

import datetime as dt

import pytest

from desktop.validation.codelists import bundled_code_lists
from desktop.validation.packs import get_pack
from desktop.validation.packs.v2026_1.common import academic_cycle
from desktop.validation.packs.v2026_1.facts import NO_CYCLE, add_months, load_facts
from tests.helpers import TEMPLATE, check_rows, codes_for, columns, register_messages, valid_row

NO_DEGREE = {"uk_degree": "", "degree_subject": "", "degree_grade": "", "degree_graduation_year": "",
             "awarding_institution": ""}


def funding_row(route="12", subject="100403", fund="7", method="6", start="2026-09-01", **extra):
    end = f"{int(start[:4]) + 1}-07-16" if start else "2027-07-16"
    row = valid_row(training_route=route, course_subject_1=subject, fund_code=fund, funding_method=method,
                    itt_start_date=start, trainee_start_date=start, itt_end_date=end)
    if route in {"09", "11", "14", "18"}:
        row.update(NO_DEGREE)
    if route in {"17", "18", "19", "20"}:
        row.update(course_age_range="13920")
    row.update(extra)
    return row


def funding_messages(row, today=dt.date(2026, 11, 28)):
    return {m for m in register_messages(check_rows(row, today=today)) if m.startswith(("fund", "training_init", "additional"))}


# ---------------------------------------------------------------- academic cycle (SPEC §5.10)
def cycle_for(today, **dates):
    pack = get_pack()
    ctx = pack.context(TEMPLATE, bundled_code_lists(), today)
    return int(academic_cycle(columns(valid_row(**dates)), ctx, load_facts())[0])


@pytest.mark.parametrize(("dates", "today", "cycle"), [
    ({"trainee_start_date": "2025-09-01", "itt_start_date": "2026-09-01"}, dt.date(2026, 11, 28), 2025),
    ({"trainee_start_date": "", "itt_start_date": "2026-07-31"}, dt.date(2026, 11, 28), 2025),
    ({"trainee_start_date": "", "itt_start_date": "2026-08-01"}, dt.date(2026, 11, 28), 2026),
    # an invalid trainee start date does not fall back to a valid ITT start date: today + 1 month
    ({"trainee_start_date": "01/09/2025", "itt_start_date": "2025-09-01"}, dt.date(2026, 7, 1), 2026),
    ({"trainee_start_date": "01/09/2025", "itt_start_date": "2025-09-01"}, dt.date(2026, 6, 30), 2025),
    ({"trainee_start_date": "", "itt_start_date": ""}, dt.date(2026, 7, 15), 2026),
    ({"trainee_start_date": "", "itt_start_date": "2026-02-30"}, dt.date(2026, 11, 28), 2026),
    # outside the cycles Register has
    ({"trainee_start_date": "2014-09-01", "itt_start_date": "2014-09-01"}, dt.date(2026, 11, 28), NO_CYCLE),
])
def test_academic_cycle_as_register_derives_it(dates, today, cycle):
    assert cycle_for(today, **dates) == cycle


def test_add_months_clamps_to_month_end():
    assert add_months(dt.date(2027, 1, 31), 1) == dt.date(2027, 2, 28)
    assert add_months(dt.date(2026, 12, 15), 1) == dt.date(2027, 1, 15)


# ---------------------------------------------------------------- F3 fund code 7
@pytest.mark.parametrize("route", ["03", "09", "10", "11", "12", "19", "20"])
@pytest.mark.parametrize("start", ["2025-09-01", "2026-09-01"])
def test_fund_code_7_accepted_on_funded_routes(route, start):
    subject = "100510" if route in {"19", "20"} else "100403"
    assert "fund_code is not valid for this trainee" not in funding_messages(funding_row(route, subject, start=start))


@pytest.mark.parametrize("route", ["14", "15", "16", "17", "18", "21", "13"])
@pytest.mark.parametrize("start", ["2025-09-01", "2026-09-01"])
def test_fund_code_7_rejected_on_routes_without_funding(route, start):
    subject = "100510" if route in {"17", "18"} else "100403"
    row = funding_row(route, subject, start=start, iqts_country="IN" if route == "15" else "")
    f = check_rows(row)
    assert "fund_code is not valid for this trainee" in register_messages(f)
    assert "row.fund_code_not_eligible" in codes_for(f, "fund_code")
    assert "fund_code is not valid for this trainee" not in funding_messages(funding_row(route, subject, fund="2", start=start))


def test_fund_code_7_rejected_in_a_cycle_without_funding_rules():
    row = funding_row("12", start="2027-09-01")
    assert "fund_code is not valid for this trainee" in funding_messages(row, today=dt.date(2027, 10, 1))


def test_fund_code_7_needs_a_valid_age_range():
    assert "fund_code is not valid for this trainee" in funding_messages(funding_row(course_age_range="1234"))


def test_fund_code_7_without_route_is_not_checked():
    assert "fund_code is not valid for this trainee" not in funding_messages(funding_row(route=""))


# ---------------------------------------------------------------- F6 needs fund code 7
@pytest.mark.parametrize(("route", "subject", "name"), [("14", "100346", "biology"), ("11", "100403", "mathematics")])
def test_bursary_with_fund_code_2_rejected(route, subject, name):
    f = check_rows(funding_row(route, subject, fund="2", method="D"))
    assert (f"funding_method 'bursary' is not allowed when fund_code is '2' and course_subject_1 is '{name}'"
            in register_messages(f))
    assert "row.funding_needs_fund_code_7" in codes_for(f, "funding_method")


@pytest.mark.parametrize(("start", "today", "ok"), [("2025-09-01", dt.date(2025, 10, 15), True),
                                                    ("2026-09-01", dt.date(2026, 11, 28), True),
                                                    ("2024-09-01", dt.date(2024, 10, 15), False)])
def test_fund_code_exception_for_languages_and_physics_in_2025_and_2026(start, today, ok):
    row = funding_row("12", "100321", fund="2", method="D", start=start)
    messages = funding_messages(row, today=today)
    assert (messages == set()) is ok
    if not ok:
        assert messages == {"funding_method 'bursary' is not allowed when fund_code is '2' and course_subject_1 is 'French language'"}


def test_fund_code_exception_still_needs_the_award_to_exist():
    messages = funding_messages(funding_row("03", "100425", fund="2", method="D"))
    assert messages == {"funding_method 'bursary' is not allowed when training_route is 'school_direct_salaried' and "
                        "course_subject_1 is 'physics' in academic cycle '2026 to 2027'"}


def test_blank_fund_code_with_an_award():
    messages = funding_messages(funding_row(fund="", method="D"))
    assert messages == {"fund_code can't be blank",
                        "funding_method 'bursary' is not allowed when fund_code is '' and course_subject_1 is 'mathematics'"}


# ---------------------------------------------------------------- F7 award must exist for cycle, route, subject
@pytest.mark.parametrize(("route", "subject", "method"), [
    ("11", "100403", "D"), ("11", "100403", "B"), ("11", "100403", "7"), ("11", "100403", "8"), ("11", "100403", "9"),
    ("11", "100403", "C"), ("11", "100320", "B"), ("12", "100425", "4"), ("12", "100321", "4"), ("03", "100425", "E"),
    ("10", "100366", "E"), ("19", "100510", "E"), ("12", "100346", "D"), ("09", "101420", "D"),
])
def test_awards_offered_in_2026_27_accepted(route, subject, method):
    assert funding_messages(funding_row(route, subject, method=method)) == set()


@pytest.mark.parametrize(("route", "subject", "method", "type_", "route_name", "subject_name"), [
    ("12", "100497", "4", "scholarship", "provider_led_postgrad", "psychology"),
    ("12", "100403", "4", "scholarship", "provider_led_postgrad", "mathematics"),  # maths scholarship not in 2026/27
    ("12", "100320", "D", "bursary", "provider_led_postgrad", "English studies"),  # English bursary only until 2025/26
    ("12", "100511", "D", "bursary", "provider_led_postgrad", "primary teaching"),
    ("03", "100403", "D", "bursary", "school_direct_salaried", "mathematics"),  # salaried: grants, not bursaries
    ("21", "100403", "E", "grant", "hpitt_postgrad", "mathematics"),
    ("13", "100403", "D", "bursary", "13", "mathematics"),
    ("12", "abc", "D", "bursary", "provider_led_postgrad", "abc"),
])
def test_awards_not_offered_rejected(route, subject, method, type_, route_name, subject_name):
    f = check_rows(funding_row(route, subject, method=method))
    expected = (f"funding_method '{type_}' is not allowed when training_route is '{route_name}' and course_subject_1 "
                f"is '{subject_name}' in academic cycle '2026 to 2027'")
    assert expected in register_messages(f)
    assert "row.funding_not_available" in codes_for(f, "funding_method")


def test_english_bursary_follows_the_cycle():
    row = funding_row("12", "100320", method="D", start="2025-09-01")
    assert funding_messages(row) == set()


def test_invalid_trainee_start_date_uses_today_plus_one_month_for_funding():
    row = funding_row("12", "100320", method="D", start="2025-09-01", trainee_start_date="01/09/2025")
    assert ("funding_method 'bursary' is not allowed when training_route is 'provider_led_postgrad' and "
            "course_subject_1 is 'English studies' in academic cycle '2026 to 2027'") in funding_messages(row, today=dt.date(2026, 7, 15))


@pytest.mark.parametrize("method", ["6", "", "X"])
def test_no_award_or_unknown_method_is_not_funding_checked(method):
    assert not {m for m in funding_messages(funding_row("14", method=method)) if "is not allowed" in m}


def test_funding_not_checked_without_route():
    assert not {m for m in funding_messages(funding_row("", method="D")) if "is not allowed" in m}


# ---------------------------------------------------------------- I1–I4 initiatives
@pytest.mark.parametrize(("code", "start", "today", "name"), [
    ("026", "2026-09-01", dt.date(2026, 11, 28), None),
    ("011", "2026-09-01", dt.date(2026, 11, 28), None),
    ("009", "2026-09-01", dt.date(2026, 11, 28), "maths_physics_chairs_programme_researchers_in_schools"),
    ("025", "2026-09-01", dt.date(2026, 11, 28), "transition_to_teach"),
    ("036", "2026-09-01", dt.date(2026, 11, 28), "international_relocation_payment"),
    ("036", "2025-09-01", dt.date(2025, 10, 15), None),
    ("011", "2024-09-01", dt.date(2024, 10, 15), "primary_mathematics_specialist"),
    ("026", "2019-09-01", dt.date(2024, 10, 15), "now_teach"),  # no list for 2019/20: nothing offered
])
@pytest.mark.parametrize("field", ["training_initiative", "additional_training_initiative"])
def test_initiatives_offered_per_cycle(field, code, start, today, name):
    row = funding_row(fund="2", start=start, **{field: code})
    messages = funding_messages(row, today=today)
    cycle = int(start[:4])
    if name is None:
        assert messages == set()
    else:
        assert messages == {f"{field} '{name}' is not available in academic cycle '{cycle} to {cycle + 1}'"}


@pytest.mark.parametrize("field", ["training_initiative", "additional_training_initiative"])
def test_initiative_not_in_list(field):
    messages = funding_messages(funding_row(fund="2", **{field: "now_teach"}))
    assert messages == {f"{field} has invalid reference data value of 'now_teach'. Valid values are '009', '011', '025', "
                        "'026', '036'."}


def test_veterans_bursary_replaces_any_training_initiative():
    """Method C: Register overwrites the initiative before checking it, so even a bad code passes."""
    row = funding_row("11", "100403", method="C", training_initiative="abc")
    f = check_rows(row)
    assert funding_messages(row) == set()
    replaced = f.frame[f.frame["code"] == "row.initiative_replaced"]
    assert list(replaced["field"]) == ["training_initiative"] and (replaced["severity"] == "warning").all()


def test_veterans_initiative_must_be_offered_in_the_cycle():
    row = funding_row("11", "100403", method="C", start="2028-09-01")
    messages = funding_messages(row, today=dt.date(2028, 10, 1))
    assert ("training_initiative 'veterans_teaching_undergraduate_bursary' is not available in academic cycle "
            "'2028 to 2029'") in messages
    f = check_rows(row, today=dt.date(2028, 10, 1))
    assert "row.initiative_not_available" in codes_for(f, "funding_method")


def test_many_distinct_funding_messages_stay_per_row():
    """Thousands of distinct texts (each row a different unknown subject) are added row by row."""
    rows = [funding_row("12", f"X{i}", method="D", first_names=f"N{i}", email=f"n{i}@example.com") for i in range(80)]
    f = check_rows(*rows).frame
    found = f[f["code"] == "row.funding_not_available"].sort_values("row")
    assert found["row"].tolist() == list(range(80))
    assert all(f"course_subject_1 is 'X{i}'" in m for i, m in zip(found["row"], found["register_message"], strict=True))
    assert set(found["value"]) == {"D"}
