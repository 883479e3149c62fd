"""Value mapping: labels, damaged codes and UK dates become Register's text, and every change shows."""

import datetime as dt
import json

import numpy as np
import pytest

from desktop.core.values import CODE, KINDS, ValueMapper, ValueOptions, century, parse_date
from desktop.validation.codelists import bundled_code_lists
from desktop.validation.engine import Columns
from desktop.validation.resources import read_json
from tests.helpers import TEMPLATE, TODAY

LISTS = bundled_code_lists()


def mapper(options: ValueOptions | None = None) -> ValueMapper:
    return ValueMapper(TEMPLATE, LISTS, options, TODAY)


def after(field: str, value: str, options: ValueOptions | None = None) -> str | None:
    change = mapper(options).change(field, value)
    return None if change is None else change.after


@pytest.mark.parametrize(("field", "value", "expected"), [
    ("sex", "Female", "10"), ("sex", "MALE", "11"), ("sex", "f", "10"), ("sex", "Prefer not to say", "96"),
    ("sex", "10 - Female", "10"), ("sex", "Female (10)", "10"),
    ("study_mode", "Full time", "01"), ("study_mode", "Full-time", "01"), ("study_mode", "PT", "31"),
    ("nationality", "British", "GB"), ("nationality", "Welsh", "GB"), ("nationality", "gb", "GB"),
    ("nationality", "Irish", "IE"), ("ethnicity", "White - British", "160"), ("ethnicity", "Not provided", "997"),
    ("disability1", "Dyslexia", "51"), ("disability3", "No known disability", "95"),
    ("itt_aim", "QTS with PGCE", "202"), ("itt_qualification_aim", "PGCE", "020"),
    ("training_route", "School Direct salaried", "03"), ("training_route", "Teach First", "21"),
    ("course_subject_1", "Mathematics", "100403"), ("course_subject_2", "Primary Teaching", "100511"),
    ("course_age_range", "11-16", "13918"), ("course_age_range", "Ages 5 to 11", "13914"),
    ("course_age_range", "Zero to five", "13920"),
    ("funding_method", "Postgraduate bursary", "D"), ("funding_method", "Scholarship", "4"), ("funding_method", "d", "D"),
    ("degree_grade", "2:1", "02"), ("degree_grade", "2.2", "03"), ("degree_grade", "2-2", "03"),
    ("uk_degree", "BSc (Hons)", "083"), ("awarding_institution", "Durham University", "0116"),
    ("degree_country", "England", "XF"), ("iqts_country", "Spain", "ES"), ("training_initiative", "Now Teach", "026"),
])
def test_labels_become_codes(field, value, expected):
    """Labels, names, aliases and 'code - label' texts map to exactly one code."""
    assert after(field, value) == expected


@pytest.mark.parametrize(("field", "value", "expected"), [
    ("study_mode", "1", "01"), ("study_mode", "1.0", "01"), ("itt_qualification_aim", "7", "007"),
    ("training_route", "3", "03"), ("training_initiative", "26", "026"), ("awarding_institution", "117", "0117"),
    ("uk_degree", "83", "083"), ("degree_grade", "2", "02"), ("sex", "10.0", "10"), ("course_year", "1.0", "1"),
    ("placement_1_urn", "123456.0", "123456"),
])
def test_zero_padding_only_where_one_code_fits(field, value, expected):
    assert after(field, value) == expected


@pytest.mark.parametrize(("field", "value"), [
    ("sex", "1"),  # 01 is not a sex code: no guess
    ("study_mode", "3"),  # neither 03 nor 003
    ("training_route", "13"),  # not a route at all
    ("sex", "Femail"),  # no fuzzy guessing of values
    ("degree_grade", "21"),
    ("course_age_range", "11-17"),
    ("nationality", "Martian"),
])
def test_no_change_when_no_single_code_fits(field, value):
    assert after(field, value) is None


@pytest.mark.parametrize(("field", "value"), [("sex", "10"), ("study_mode", "01"), ("funding_method", "9"),
                                                ("itt_start_date", "2026-09-01"), ("first_names", "Female"),
                                                ("email", "1.0"), ("hesa_id", "123.0")])
def test_valid_values_and_free_text_are_never_touched(field, value):
    assert after(field, value) is None


@pytest.mark.parametrize(("value", "expected"), [
    ("13/02/1985", "1985-02-13"), ("13-02-1985", "1985-02-13"), ("13.02.1985", "1985-02-13"), ("3/2/1985", "1985-02-03"),
    ("13-Feb-1985", "1985-02-13"), ("13 Feb 1985", "1985-02-13"), ("13 February 1985", "1985-02-13"),
    ("13th Feb 1985", "1985-02-13"), ("13-Feb-85", "1985-02-13"), ("13.02.85", "1985-02-13"),
    ("1985/02/13", "1985-02-13"), ("19850213", "1985-02-13"), ("1985-02-13 00:00:00", "1985-02-13"),
    ("31091", "1985-02-13"),  # an Excel day number
])
def test_uk_dates_become_iso(value, expected):
    assert after("date_of_birth", value) == expected


@pytest.mark.parametrize("value", ["02/13/1985", "31/02/1985", "1985", "13/13/13", "yesterday", "45535.5"])
def test_impossible_or_month_first_dates_are_left(value):
    """Day first always: a date that only works month first is not guessed."""
    assert after("date_of_birth", value) is None


def test_century_rule_is_the_documented_one():
    """DOB: 20yy only if that makes the trainee 16 today; other dates: 20yy unless > this year + 10."""
    assert after("date_of_birth", "01.03.05") == "2005-03-01"
    assert after("date_of_birth", "01.03.12") == "1912-03-01"
    assert after("itt_start_date", "01.09.26") == "2026-09-01"
    assert after("itt_end_date", "16.07.36") == "2036-07-16"
    assert after("itt_end_date", "16.07.37") == "1937-07-16"
    assert century(10, birth=True, today=dt.date(2026, 11, 28)) == 2010
    assert century(11, birth=True, today=dt.date(2026, 11, 28)) == 1911


def test_serials_only_in_date_columns_and_graduation_years_kept():
    assert after("degree_graduation_year", "2012") is None
    assert after("degree_graduation_year", "30/06/2012") == "2012-06-30"
    assert after("degree_graduation_year", "31091") is None
    assert parse_date("31091", serials=False) is None


def test_yes_no_answers_for_fund_code_and_disability():
    assert after("fund_code", "Yes") == "7"
    assert after("fund_code", "n") == "2"
    assert after("disability1", "No") == "95"
    assert after("sex", "Yes") is None


@pytest.mark.parametrize("kind", [k for k in KINDS if k not in ("user", "split")])
def test_each_kind_can_be_turned_off(kind):
    example = {"labels": ("sex", "Female"), "yes_no": ("fund_code", "Yes"), "numbers": ("study_mode", "1"),
               "dates": ("date_of_birth", "13/02/1985"), "excel_serials": ("date_of_birth", "31091")}[kind]
    assert after(*example) is not None
    assert after(*example, ValueOptions().without(kind)) is None
    assert after(*example, ValueOptions.off()) is None


def test_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="unknown kind"):
        ValueOptions().without("guessing")


def test_user_map_wins_and_is_case_insensitive():
    options = ValueOptions(user_maps={"sex": {"Woman (cis)": "10"}, "study_mode": {"1": "02"}})
    assert after("sex", "woman (CIS)", options) == "10"
    assert after("study_mode", "1", options) == "02"  # the user's choice beats zero padding
    assert after("sex", "woman (CIS)", options.without("user")) is None
    assert mapper(options).change("sex", "Woman (cis)").kind == "user"


def _columns(**values: list[str]) -> Columns:
    n = len(next(iter(values.values())))
    data = {}
    for name in TEMPLATE.names:
        arr = np.empty(n, dtype=object)
        arr[:] = values.get(name, [""] * n)
        data[name] = arr
    return Columns(data, n)


def test_apply_records_an_info_finding_for_every_changed_cell():
    cols = _columns(sex=["Female", "10", "Male", "Female"], date_of_birth=["13/02/1985", "1985-02-13", "", "1.2.1990"])
    mapped, findings = mapper().apply(cols)
    assert list(mapped["sex"]) == ["10", "10", "11", "10"]
    assert list(mapped["date_of_birth"]) == ["1985-02-13", "1985-02-13", "", "1990-02-01"]
    assert list(cols["sex"]) == ["Female", "10", "Male", "Female"]  # the input is not modified
    f = findings.frame
    assert set(f["code"]) == {CODE} and set(f["severity"]) == {"info"}
    assert sorted(zip(f["row"], f["field"], f["value"], strict=True)) == [
        (0, "date_of_birth", "13/02/1985"), (0, "sex", "Female"), (2, "sex", "Male"),
        (3, "date_of_birth", "1.2.1990"), (3, "sex", "Female")]
    (msg,) = set(f.loc[(f["row"] == 0) & (f["field"] == "sex"), "message"])
    assert "'Female' → '10'" in msg


def test_off_changes_nothing():
    cols = _columns(sex=["Female"])
    mapped, findings = mapper(ValueOptions.off()).apply(cols)
    assert list(mapped["sex"]) == ["Female"] and len(findings) == 0


@pytest.mark.parametrize(("cells", "expected"), [
    ({"disability1": "51;53"}, ["51", "53"]),
    ({"disability1": "51, 53, 57"}, ["51", "53", "57"]),
    ({"disability1": "51 53"}, ["51", "53"]),
    ({"disability1": "Dyslexia; Deaf"}, ["51", "57"]),
    ({"disability1": "51;53", "disability2": "58"}, ["51", "53", "58"]),
    ({"disability1": "Long-standing illness or health condition such as cancer, HIV, diabetes"}, None),
])
def test_several_disabilities_in_one_cell_are_spread_out(cells, expected):
    cols = _columns(**{k: [v] for k, v in cells.items()})
    mapped, findings = mapper().apply(cols)
    got = [mapped[f"disability{i}"][0] for i in range(1, 10)]
    if expected is None:  # a label with commas is not split; it is left for the rules to report
        assert got[0] == cells["disability1"] and len(findings) == 0
        return
    assert got == expected + [""] * (9 - len(expected))
    assert findings.frame["field"].iloc[0] == "disability1"
    assert "split" in findings.frame["message"].iloc[0]


def test_splitting_can_be_turned_off():
    mapped, _ = mapper(ValueOptions().without("split")).apply(_columns(disability1=["51;53"]))
    assert mapped["disability1"][0] == "51;53"


def test_value_rows_count_distinct_values_and_say_what_each_becomes():
    rows = mapper().value_rows("sex", ["Female", "Male", "Female", "X", "10"])
    assert [(r.source, r.count, r.target, r.valid) for r in rows] == [
        ("Female", 2, "10", True), ("10", 1, "10", True), ("Male", 1, "11", True), ("X", 1, "X", False)]
    assert rows[0].kind == "labels" and rows[0].label == "Female"
    assert ("10", "Female") in mapper().code_choices("sex")


def test_alias_data_names_only_real_codes():
    """Every target in our alias file is a code of its list (or blank), and every list exists."""
    data = read_json("mapping", "values.json")["lists"]
    for list_name, sections in data.items():
        codes = LISTS[list_name].codes
        for section in ("labels", "yes_no"):
            for alias, code in sections.get(section, {}).items():
                assert code == "" or code in codes, (list_name, alias, code)
        assert set(sections.get("prefer_codes", [])) <= codes
    json.dumps(data)  # plain JSON, nothing else
