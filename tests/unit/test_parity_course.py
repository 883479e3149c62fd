"""Course rules (SPEC §5.4, §5.6 G1, §5.15): each with the row Register accepts and the one it rejects."""

import datetime as dt

import pytest

from tests.helpers import check_rows, codes_for, register_messages, valid_row

ROUTE_LIST = ("training_route has invalid reference data value of '{}'. Example values include '03', '09', '10', "
              "'11', '12', '14', '15', '16', '17', '18'...")


def errors(findings):
    f = findings.frame
    return set(f.loc[f["severity"] == "error", "register_message"].dropna())


def error_codes(findings, field=None):
    f = findings.frame
    f = f[f["severity"] == "error"]
    if field is not None:
        f = f[f["field"] == field]
    return set(f["code"])


# ---------------------------------------------------------------- C2 training route
@pytest.mark.parametrize(("route", "extra"), [
    ("03", {}), ("10", {}), ("12", {}), ("21", {}), ("16", {}),
    ("11", {"uk_degree": "", "degree_subject": "", "degree_grade": "", "degree_graduation_year": "",
            "awarding_institution": ""}),
])
def test_accepted_routes_pass(route, extra):
    f = check_rows(valid_row(training_route=route, **extra))
    assert f.error_count == 0, f.frame.to_dict("records")


@pytest.mark.parametrize(("value", "shown"), [("13", "13"), ("9", "9"), ("3", "3"), ("school_direct_salaried", "school_direct_salaried")])
def test_unknown_route_gets_list_message_with_value(value, shown):
    f = check_rows(valid_row(training_route=value))
    assert "cell.code_list" in codes_for(f, "training_route")
    assert ROUTE_LIST.format(shown) in register_messages(f)


def test_route_02_always_rejected_with_internal_name():
    f = check_rows(valid_row(training_route="02"))
    assert "cell.route_not_accepted" in codes_for(f, "training_route")
    assert ROUTE_LIST.format("school_direct_tuition_fee") in register_messages(f)


@pytest.mark.parametrize(("start", "rejected"), [("2021-08-01", True), ("2022-07-31", True), ("2022-08-01", False),
                                                 ("2023-08-01", False)])
def test_route_12_only_from_2022_cycle(start, rejected):
    row = valid_row(training_route="12", itt_start_date=start, trainee_start_date=start, itt_end_date="2024-07-31")
    f = check_rows(row)
    assert (ROUTE_LIST.format("provider_led_postgrad") in register_messages(f)) is rejected
    assert ("row.route_before_start_year" in codes_for(f, "training_route")) is rejected


def test_route_12_uses_trainee_start_date_before_itt_start_date():
    row = valid_row(training_route="12", itt_start_date="2022-09-01", trainee_start_date="2021-09-01",
                    itt_end_date="2024-07-31")
    assert "row.route_before_start_year" in codes_for(check_rows(row), "training_route")


def test_route_check_skipped_while_trainee_start_date_has_an_error():
    """Register skips C2 then; the app still flags the route, without a Register message."""
    f = check_rows(valid_row(training_route="13", trainee_start_date="01/09/2026"))
    assert "trainee_start_date is invalid" in register_messages(f)
    assert not any(m.startswith("training_route has invalid") for m in register_messages(f))
    route = f.frame[f.frame["field"] == "training_route"]
    assert list(route["code"]) == ["cell.code_list"] and route["register_message"].isna().all()


def test_route_check_skipped_when_blank_trainee_start_takes_invalid_itt_start():
    f = check_rows(valid_row(training_route="13", itt_start_date="2026-02-30", trainee_start_date=""))
    assert {"itt_start_date is invalid", "trainee_start_date is invalid"} <= register_messages(f)
    assert not any(m.startswith("training_route has invalid") for m in register_messages(f))


def test_route_12_before_2022_not_reported_while_trainee_start_has_error():
    today = dt.date(2026, 11, 28)
    row = valid_row(training_route="12", itt_start_date="2015-09-01", trainee_start_date="", itt_end_date="2017-07-31")
    f = check_rows(row, today=today)
    assert "trainee_start_date Cannot be more than 10 years in the past" in register_messages(f)
    assert "row.route_before_start_year" not in codes_for(f)


# ---------------------------------------------------------------- C5 primary subject
@pytest.mark.parametrize("age", ["13909", "13911", "13912", "13913", "13914", "13915"])
def test_primary_age_range_needs_primary_teaching(age):
    bad = check_rows(valid_row(course_age_range=age, course_subject_1="100346"))
    assert "row.primary_subject" in codes_for(bad, "course_subject_1")
    assert "course_subject_1 is invalid. It should be `100511` for the course_age_range provided" in register_messages(bad)
    good = check_rows(valid_row(course_age_range=age, course_subject_1="100511", course_subject_2="100346"))
    assert not error_codes(good, "course_subject_1")


@pytest.mark.parametrize("age", ["13916", "13917", "13918", "13919"])
def test_secondary_age_range_has_no_primary_rule(age):
    assert not error_codes(check_rows(valid_row(course_age_range=age, course_subject_1="100346")))


def test_unknown_subject_on_primary_range_gets_list_and_primary_messages():
    f = check_rows(valid_row(course_age_range="13914", course_subject_1="biology"))
    assert {"cell.code_list", "row.primary_subject"} <= codes_for(f, "course_subject_1")


def test_primary_rule_not_on_early_years_route():
    row = valid_row(training_route="18", course_subject_1="100510", course_age_range="13914")
    assert "row.primary_subject" not in codes_for(check_rows(row))


# ---------------------------------------------------------------- C6 early-years subject, C13/C14 age range
@pytest.mark.parametrize("route", ["17", "18", "19", "20"])
def test_early_years_route_needs_early_years_subject_and_range(route):
    ok = check_rows(valid_row(training_route=route, course_subject_1="100510", course_age_range="13920", study_mode="01"))
    assert not error_codes(ok), ok.frame.to_dict("records")
    bad = check_rows(valid_row(training_route=route, course_subject_1="100511", course_age_range="13918"))
    assert "row.early_years_subject" in codes_for(bad, "course_subject_1")
    assert "row.early_years_age_range" in codes_for(bad, "course_age_range")
    assert {"course_subject_1 is invalid. It should be `100510` for the training_route provided",
            "course_age_range is invalid. It should be `13920` for the training_route provided"} <= register_messages(bad)


def test_early_years_age_check_skipped_when_age_range_blank():
    f = check_rows(valid_row(training_route="19", course_subject_1="100510", course_age_range=""))
    assert codes_for(f, "course_age_range") == {"cell.required"}


@pytest.mark.parametrize("route", ["03", "11", "12", "02"])
def test_0_to_5_only_on_early_years_routes(route):
    f = check_rows(valid_row(training_route=route, course_age_range="13920", course_subject_1="100511"))
    assert "row.age_range_early_years_only" in codes_for(f, "course_age_range")
    assert "course_age_range is invalid. It can only be used for early years training routes" in register_messages(f)
    assert "row.primary_subject" not in codes_for(f)


@pytest.mark.parametrize("route", ["", "13"])
def test_0_to_5_not_checked_for_blank_or_unknown_route(route):
    f = check_rows(valid_row(training_route=route, course_age_range="13920"))
    assert "row.age_range_early_years_only" not in codes_for(f)


# ---------------------------------------------------------------- C7/C8 duplicate subjects
def test_subject_2_equal_to_subject_1():
    f = check_rows(valid_row(course_subject_2="100403"))
    assert "row.duplicate_subject" in codes_for(f, "course_subject_2")
    assert "course_subject_2 might contain duplicate values" in register_messages(f)
    assert not error_codes(check_rows(valid_row(course_subject_2="100425")))


@pytest.mark.parametrize(("s2", "s3"), [("100425", "100403"), ("100425", "100425"), ("", "100403")])
def test_subject_3_equal_to_subject_1_or_2(s2, s3):
    f = check_rows(valid_row(course_subject_2=s2, course_subject_3=s3))
    assert "course_subject_3 might contain duplicate values" in register_messages(f)


def test_duplicate_subjects_not_checked_on_early_years_routes():
    row = valid_row(training_route="19", course_subject_1="100510", course_subject_2="100510", course_age_range="13920")
    assert "row.duplicate_subject" not in codes_for(check_rows(row))


# ---------------------------------------------------------------- C9 study mode
@pytest.mark.parametrize(("route", "required"), [("12", True), ("16", False), ("17", False), ("", True), ("13", True)])
def test_study_mode_required_except_assessment_only(route, required):
    extra = {"course_subject_1": "100510", "course_age_range": "13920"} if route == "17" else {}
    f = check_rows(valid_row(training_route=route, study_mode="", **extra))
    assert ("row.study_mode_required" in codes_for(f, "study_mode")) is required
    assert ("study_mode can't be blank" in register_messages(f)) is required


# ---------------------------------------------------------------- C16 qualification aim
@pytest.mark.parametrize(("aim", "required"), [("202", True), ("", True), ("201", False), ("203", False)])
def test_qualification_aim_required_for_202_or_blank_aim(aim, required):
    f = check_rows(valid_row(itt_aim=aim, itt_qualification_aim=""))
    assert ("row.qualification_aim_required" in codes_for(f, "itt_qualification_aim")) is required
    assert ("itt_qualification_aim must be entered if 202 selected for itt_aim" in register_messages(f)) is required


# ---------------------------------------------------------------- C20–C22 iQTS country
def test_iqts_route_needs_a_known_country():
    assert not error_codes(check_rows(valid_row(training_route="15", iqts_country="BO")))
    blank = check_rows(valid_row(training_route="15", iqts_country=""))
    assert "row.iqts_country_required" in codes_for(blank, "iqts_country")
    assert "iqts_country can't be blank" in register_messages(blank)
    bad = check_rows(valid_row(training_route="15", iqts_country="InvalidCountry"))
    assert ("iqts_country has invalid reference data value of 'InvalidCountry'. Example values include 'AD', 'AE', "
            "'AF', 'AG', 'AI', 'AL', 'AM', 'AO', 'AR', 'AS'...") in register_messages(bad)


@pytest.mark.parametrize(("route", "country"), [("12", "BO"), ("", "BO"), ("13", "XX"), ("11", "GB")])
def test_iqts_country_must_be_blank_on_other_routes(route, country):
    f = check_rows(valid_row(training_route=route, iqts_country=country))
    assert "row.iqts_country_not_allowed" in codes_for(f, "iqts_country")
    assert "iqts_country must be blank" in register_messages(f)
    assert not any(m.startswith("iqts_country has invalid") for m in register_messages(f))


# ---------------------------------------------------------------- G1 degree required
NO_DEGREE = {"uk_degree": "", "degree_subject": "", "degree_grade": "", "degree_graduation_year": "",
             "awarding_institution": ""}
DEGREE_MSG = "degrees_attributes must be entered if specifying a postgraduate training_route"


@pytest.mark.parametrize(("route", "needed"), [
    ("12", True), ("03", True), ("10", True), ("15", True), ("16", True), ("17", True), ("19", True), ("20", True),
    ("21", True), ("13", True), ("09", False), ("11", False), ("14", False), ("18", False), ("", False),
])
def test_degree_required_except_undergraduate_routes(route, needed):
    f = check_rows(valid_row(training_route=route, **NO_DEGREE))
    assert ("row.degree_required" in codes_for(f, "uk_degree")) is needed
    assert (DEGREE_MSG in register_messages(f)) is needed
