"""Degree rules (SPEC §5.6 G3–G12) and the degree data Register silently changes (warnings)."""

import datetime as dt

import pytest

from tests.helpers import check_rows, codes_for, register_messages, valid_row

NONE = {"uk_degree": "", "non_uk_degree": "", "degree_subject": "", "degree_grade": "", "degree_graduation_year": "",
        "awarding_institution": "", "degree_country": ""}
SUBJECT = "subject must be entered if specifying a previous UK degree or non-UK degree"
YEAR = "graduation_year must be entered if specifying a previous UK degree or non-UK degree"
UK_TYPE = "uk_degree must be entered if specifying a previous UK degree"
GRADE = "grade must be entered if specifying a previous UK degree or non-UK degree"
NON_UK_TYPE = "non_uk_degree must be entered if specifying a previous non-UK degree"
TYPE_LIST = ("{} has invalid reference data value of '{}'. Example values include '001', '002', '003', '005', '007', "
             "'009', '010', '012', '013', '014'...")
COUNTRY_LIST = ("country has invalid reference data value of '{}'. Example values include 'AD', 'AE', 'AF', 'AG', 'AI', "
                "'AL', 'AM', 'AO', 'AR', 'AS'...")


def degree_messages(**degree):
    row = valid_row(**{**NONE, **degree})
    f = check_rows(row)
    return {m for m in register_messages(f) if not m.startswith("degrees_attributes")}, f


def errors(f, field=None):
    fr = f.frame[f.frame["severity"] == "error"]
    if field:
        fr = fr[fr["field"] == field]
    return set(fr["code"])


@pytest.mark.parametrize(("degree", "expected"), [
    # complete UK and non-UK degrees
    ({"uk_degree": "083", "degree_subject": "100485", "degree_grade": "02", "degree_graduation_year": "2012",
      "awarding_institution": "0117"}, set()),
    ({"non_uk_degree": "083", "degree_subject": "100485", "degree_graduation_year": "2012", "degree_country": "MX"}, set()),
    ({"non_uk_degree": "083", "degree_subject": "100485", "degree_grade": "02", "degree_graduation_year": "2003-01-01",
      "degree_country": "MX"}, set()),
    # a UK country code or no country keeps it a UK degree
    ({"uk_degree": "083", "degree_subject": "100485", "degree_grade": "02", "degree_graduation_year": "2012",
      "degree_country": "XF"}, set()),
    # only a country: non-UK, missing type, subject, year (9.4)
    ({"degree_country": "MX"}, {NON_UK_TYPE, SUBJECT, YEAR}),
    # only a subject: UK (no country), missing year, type, grade (9.1 row 24/25-85)
    ({"degree_subject": "100425"}, {YEAR, UK_TYPE, GRADE}),
    # only a graduation date and country (9.1 row 24/25-79)
    ({"degree_graduation_year": "2012-07-31", "degree_country": "MX"}, {SUBJECT, NON_UK_TYPE}),
    # institution given makes it UK even with a foreign country
    ({"degree_subject": "100425", "degree_graduation_year": "2012", "awarding_institution": "0117",
      "degree_country": "MX"}, {UK_TYPE, GRADE}),
    # unknown subject or grade count as missing (G3, G9)
    ({"uk_degree": "083", "degree_subject": "10042", "degree_grade": "999", "degree_graduation_year": "2012",
      "awarding_institution": "0117"}, {SUBJECT, GRADE}),
    # G8, G11, G12 list messages
    ({"uk_degree": "Bachelor of Arts", "degree_subject": "100485", "degree_grade": "02", "degree_graduation_year": "2012"},
     {TYPE_LIST.format("uk_degree", "Bachelor of Arts")}),
    ({"non_uk_degree": "83", "degree_subject": "100485", "degree_graduation_year": "2012", "degree_country": "MX"},
     {TYPE_LIST.format("non_uk_degree", "83")}),
    ({"non_uk_degree": "083", "degree_subject": "100485", "degree_graduation_year": "2012", "degree_country": "Mexico"},
     {COUNTRY_LIST.format("Mexico")}),
])
def test_degree_rules(degree, expected):
    messages, _ = degree_messages(**degree)
    assert messages == expected


UK = {"uk_degree": "083", "degree_subject": "100485", "degree_grade": "02", "awarding_institution": "0117"}


@pytest.mark.parametrize(("year", "expected"), [
    ("2027", set()), ("1967", set()), ("2003-01-01", set()),
    ("1966", {"graduation_year is invalid"}),  # more than 60 years before next year
    ("2028", {"graduation_year must be in the past, for example 2014", "graduation_year is invalid"}),
    ("3000-01-01", {"graduation_year must be in the past, for example 2014", "graduation_year is invalid"}),
    ("200", {"graduation_year is invalid"}),
    ("abc", {"graduation_year is invalid"}),
])
def test_graduation_year_window(year, expected):
    messages, _ = degree_messages(**UK, degree_graduation_year=year)
    assert messages == expected


def test_graduation_year_window_moves_with_today():
    row = valid_row(degree_graduation_year="2028")
    assert "graduation_year is invalid" not in register_messages(check_rows(row, today=dt.date(2027, 1, 1)))


def test_graduation_year_with_extra_text_warns_register_reads_leading_year():
    _, f = degree_messages(**UK, degree_graduation_year="2012/13")
    assert not errors(f)
    assert "cell.graduation_year_format" in codes_for(f, "degree_graduation_year")


def test_degree_error_codes():
    _, f = degree_messages(degree_subject="100425")
    assert errors(f, "uk_degree") == {"row.degree_incomplete"}
    assert errors(f, "degree_grade") == {"row.degree_incomplete"}
    _, f = degree_messages(**{**UK, "degree_subject": "abc"}, degree_graduation_year="2012")
    assert errors(f, "degree_subject") == {"cell.code_list"}


# ---------------------------------------------------------------- silent changes: warnings, never errors
@pytest.mark.parametrize(("degree", "field", "code"), [
    ({**UK, "awarding_institution": "", "degree_graduation_year": "2012"}, "awarding_institution", "cell.institution_missing"),
    ({**UK, "awarding_institution": "9999", "degree_graduation_year": "2012"}, "awarding_institution", "cell.institution_unknown"),
    ({**UK, "awarding_institution": "0133", "degree_graduation_year": "2012"}, "awarding_institution", "cell.institution_remapped"),
    ({**UK, "degree_grade": "09", "degree_graduation_year": "2012"}, "degree_grade", "cell.grade_remapped"),
    ({"non_uk_degree": "083", "degree_subject": "100485", "degree_graduation_year": "2012", "degree_country": "MX",
      "degree_grade": "999"}, "degree_grade", "cell.grade_dropped"),
    ({"non_uk_degree": "083", "uk_degree": "083", "degree_subject": "100485", "degree_graduation_year": "2012",
      "degree_country": "MX"}, "uk_degree", "cell.degree_field_ignored"),
    ({**UK, "non_uk_degree": "083", "degree_graduation_year": "2012"}, "non_uk_degree", "cell.degree_field_ignored"),
    ({**UK, "degree_country": "MX", "degree_graduation_year": "2012"}, "degree_country", "cell.degree_field_ignored"),
])
def test_silent_degree_changes_are_warnings(degree, field, code):
    messages, f = degree_messages(**degree)
    assert messages == set()
    assert not errors(f)
    found = f.frame[(f.frame["field"] == field) & (f.frame["code"] == code)]
    assert len(found) == 1 and found.iloc[0]["severity"] == "warning"


def test_complete_uk_degree_has_no_warnings():
    _, f = degree_messages(**UK, degree_graduation_year="2012")
    assert len(f) == 0
