"""Field-level rules (SPEC §4–5): each with a passing and a failing case."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from desktop.validation.packs.v2026_1.fields import EMAIL, email_ok
from tests.helpers import check_rows, codes_for, register_messages, valid_row


def test_valid_row_has_no_field_level_errors():
    f = check_rows(valid_row())
    assert f.error_count == 0, f.frame.to_dict("records")


MANDATORY = ["hesa_id", "first_names", "last_name", "date_of_birth", "sex", "email", "itt_aim", "training_route",
             "course_subject_1", "itt_start_date", "itt_end_date", "course_age_range", "course_year", "fund_code",
             "funding_method"]


@pytest.mark.parametrize("field", MANDATORY)
def test_mandatory_field_blank_is_required_error(field):
    f = check_rows(valid_row(**{field: ""}))
    assert "cell.required" in codes_for(f, field)
    assert f"{field} can't be blank" in register_messages(f)


@pytest.mark.parametrize(("field", "ok", "bad", "message"), [
    ("provider_trainee_id", "x" * 50, "x" * 51, "provider_trainee_id is too long (maximum is 50 characters)"),
    ("application_id", "1234567", "12345678", "application_id is too long (maximum is 7 characters)"),
    ("first_names", "a" * 60, "a" * 61, "first_names is too long (maximum is 60 characters)"),
    ("last_name", "a" * 60, "a" * 61, "last_name is too long (maximum is 60 characters)"),
])
def test_lengths(field, ok, bad, message):
    assert not codes_for(check_rows(valid_row(**{field: ok})), field)
    f = check_rows(valid_row(**{field: bad}))
    assert "cell.too_long" in codes_for(f, field)
    assert message in register_messages(f)


def test_email_over_255_is_too_long():
    f = check_rows(valid_row(email="a" * 250 + "@example.com"))
    assert "email is too long (maximum is 255 characters)" in register_messages(f)


@pytest.mark.parametrize(("value", "ok"), [("0310261553101", True), ("12100071451234560", True),
                                            ("031026155310", False), ("0310261553101234", False)])
def test_hesa_id_is_13_or_17_characters(value, ok):
    f = check_rows(valid_row(hesa_id=value))
    assert ("cell.hesa_id_length" in codes_for(f, "hesa_id")) is not ok


@pytest.mark.parametrize("field", ["date_of_birth", "itt_start_date", "itt_end_date", "trainee_start_date"])
@pytest.mark.parametrize("bad", ["14/11/23", "2023-02-30", "20241001", "13-Feb-1985"])
def test_dates_must_be_iso(field, bad):
    f = check_rows(valid_row(**{field: bad}))
    assert "cell.date_format" in codes_for(f, field)
    assert f"{field} is invalid" in register_messages(f)


@pytest.mark.parametrize(("value", "ok"), [
    ("name@example.com", True), ("valid@example.COM", True), ("first.o'brien+tag@mail.example.co.uk", True),
    ("name@example", False), ("name at example.com", False), ("a..b@example.com", False),
    ("name@-example.com", False), ("name@example.c", False), ("name@example.com.", False),
    ("name@exa mple.com", False), ("name@xn--bcher-kva.example", True), ("name\n@example.com", False),
])
def test_email_rules(value, ok):
    assert email_ok(value) is ok
    assert (EMAIL.fullmatch(value) is not None) is ok
    f = check_rows(valid_row(email=value))
    assert ("cell.email_format" in codes_for(f, "email")) is not ok


@pytest.mark.parametrize(("field", "good", "bad", "message"), [
    ("sex", "10", "3", "sex has invalid reference data value of '3'. Valid values are '10', '11', '12', '96', '99'."),
    ("study_mode", "63", "1", "study_mode has invalid reference data value of '1'. Valid values are '01', '02', '31', '63', '64'."),
    ("itt_aim", "201", "203", "itt_aim has invalid reference data value of '203'. Valid values are '201', '202'."),
    ("fund_code", "7", "9", "fund_code has invalid reference data value of '9'. Valid values are '2', '7'."),
    ("funding_method", "E", "AD", "funding_method has invalid reference data value of 'AD'. Valid values are '4', '6', '7', '8', '9', 'B', 'C', 'D', 'E'."),
    ("course_age_range", "13919", "1234", "course_age_range has invalid reference data value of '1234'. Example values include '13909', '13911', '13912', '13913', '13914', '13915', '13916', '13917', '13918', '13919'..."),
    ("ethnicity", "142", "1000", "ethnicity has invalid reference data value of '1000'. Example values include '100', '101', '103', '104', '119', '120', '121', '139', '140', '141'..."),
    ("nationality", "GB", "british", "nationality has invalid reference data value of 'british'. Example values include 'AD', 'AE', 'AF', 'AG', 'AI', 'AL', 'AM', 'AO', 'AR', 'AT'..."),
    ("itt_qualification_aim", "021", "21", "itt_qualification_aim has invalid reference data value of '21'. Example values include '001', '002', '003', '004', '007', '008', '020', '021', '028', '031'..."),
    ("course_subject_2", "100302", "chemistry", "course_subject_2 has invalid reference data value of 'chemistry'. Example values include '100048', '100050', '100061', '100068', '100069', '100071', '100078', '100079', '100091', '100092'..."),
    ("training_initiative", "026", "now_teach", "training_initiative has invalid reference data value of 'now_teach'. Valid values are '009', '011', '025', '026', '036'."),
])
def test_code_lists_exact_membership(field, good, bad, message):
    assert "cell.code_list" not in codes_for(check_rows(valid_row(**{field: good})), field)
    f = check_rows(valid_row(**{field: bad}))
    assert "cell.code_list" in codes_for(f, field)
    assert message in register_messages(f)


def test_code_list_has_no_trimming_or_case_folding():
    assert "cell.code_list" in codes_for(check_rows(valid_row(nationality="gb")), "nationality")


def test_leading_zero_hint_in_plain_message():
    f = check_rows(valid_row(study_mode="1"))
    msg = f.frame.loc[f.frame["field"] == "study_mode", "message"].iloc[0]
    assert "'01'" in msg


@pytest.mark.parametrize(("value", "ok"), [("1", True), ("0", True), ("2024", True), ("abc", False), ("1.5", False)])
def test_course_year_whole_number(value, ok):
    f = check_rows(valid_row(course_year=value))
    assert ("cell.not_integer" in codes_for(f, "course_year")) is not ok


@pytest.mark.parametrize(("value", "ok"), [("609384", True), ("900020", True), ("12345", False), ("1234567", False), ("A12345", False)])
def test_placement_urn_six_digits(value, ok):
    f = check_rows(valid_row(placement_1_urn=value))
    assert ("cell.urn_format" in codes_for(f, "placement_1_urn")) is not ok


def test_findings_carry_row_field_value_and_both_messages():
    f = check_rows(valid_row(), valid_row(sex="Female"))
    rec = f.frame[f.frame["field"] == "sex"].iloc[0]
    assert rec["row"] == 1 and rec["value"] == "Female" and rec["severity"] == "error"
    assert rec["message"] and rec["register_message"].startswith("sex has invalid reference data value of 'Female'")


# letters that case-fold onto ASCII (Kelvin sign, dotted/dotless i, long s), dots, at-signs, spaces
_EMAIL_ALPHABET = "aZ09.-@_+'x n\u0130\u0131\u017f\u212a\t\nK"


@given(st.one_of(
    st.text(alphabet=_EMAIL_ALPHABET, max_size=16),
    st.builds(lambda local, labels, pad: pad + local + "@" + ".".join(labels),
              st.text(alphabet="ab.9-_'", max_size=6),
              st.lists(st.text(alphabet="ab9-xn\u212a", max_size=6), min_size=1, max_size=4),
              st.sampled_from(["", "a" * 63, "a" * 250, "a" * 320])),
))
@settings(max_examples=3000, deadline=None)
def test_the_email_pattern_is_email_ok(value):
    """The rule runs the one-pattern form (a pass in C per address); it must agree with email_ok."""
    assert (EMAIL.fullmatch(value) is not None) is email_ok(value)
