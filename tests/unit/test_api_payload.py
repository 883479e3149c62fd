"""Request bodies exactly as SPEC §6, and Register's attribute names back to template fields."""

import pytest

from desktop.api.models import ApiMessage
from desktop.api.payload import build_payload, field_for_message, payload_hash, row_from_body
from tests.helpers import valid_row


def test_every_value_is_a_string_with_leading_zeros_kept():
    data = build_payload(valid_row())["data"]
    assert all(isinstance(v, str) for k, v in data.items() if not k.endswith("_attributes") and k != "application_id")
    assert data["itt_qualification_aim"] == "020"
    assert data["study_mode"] == "01"
    assert data["degrees_attributes"] == [{"uk_degree": "083", "subject": "100403", "grade": "02",
                                           "graduation_year": "2012", "institution": "0117"}]


@pytest.mark.parametrize(("cell", "sent"), [("1234567", 1234567), ("0123456", "0123456"), ("A12345", "A12345")])
def test_application_id_is_a_number_where_it_survives_as_one(cell, sent):
    """Register's OpenAPI document types it as an integer (the contract check); text otherwise."""
    assert build_payload(valid_row(application_id=cell))["data"]["application_id"] == sent
    assert row_from_body(build_payload(valid_row(application_id=cell))["data"])["application_id"] == cell


def test_empty_optionals_are_left_out():
    data = build_payload(valid_row(previous_last_name="", ni_number="  "))["data"]
    assert "previous_last_name" not in data
    assert "ni_number" not in data
    assert "placements_attributes" not in data
    assert "disability1" not in data


def test_no_degree_object_when_every_degree_cell_is_empty():
    row = valid_row(training_route="11", uk_degree="", degree_subject="", degree_grade="",
                    degree_graduation_year="", awarding_institution="")
    assert "degrees_attributes" not in build_payload(row)["data"]


def test_placements_are_numbered_by_filled_columns():
    """Only placement_3_urn filled → one placement called Placement 1 (SPEC §6.1 step 5)."""
    data = build_payload(valid_row(placement_3_urn="609384"))["data"]
    assert data["placements_attributes"] == [{"urn": "609384", "name": "Placement 1"}]
    data = build_payload(valid_row(placement_1_urn="100001", placement_3_urn="900020"))["data"]
    assert data["placements_attributes"] == [{"urn": "100001", "name": "Placement 1"},
                                             {"urn": "900020", "name": "Placement 2"}]


def test_names_with_accents_and_apostrophes_survive():
    data = build_payload(valid_row(first_names="Siân", last_name="Ó Súilleabháin"))["data"]
    assert data["first_names"] == "Siân" and data["last_name"] == "Ó Súilleabháin"


def test_body_round_trips_to_the_row():
    row = valid_row(placement_2_urn="100002", disability1="57")
    assert row_from_body(build_payload(row)["data"]) == {**row, "placement_1_urn": "100002", "placement_2_urn": ""}


def test_numbers_in_a_body_read_as_register_reads_them():
    row = row_from_body({"sex": 11, "course_year": 1.0, "study_mode": 1})
    assert (row["sex"], row["course_year"], row["study_mode"]) == ("11", "1", "1")


def test_payload_hash_is_stable_and_keyed():
    a, b = build_payload(valid_row()), build_payload(dict(reversed(list(valid_row().items()))))
    assert payload_hash(a) == payload_hash(b)
    assert payload_hash(a, b"salt") != payload_hash(a)
    assert payload_hash(a) != payload_hash(build_payload(valid_row(sex="11")))


@pytest.mark.parametrize(("message", "field"), [
    ("email Enter an email address in the correct format, like name@example.com", "email"),
    ("subject has invalid reference data value of 'x'. Example values include ...", "degree_subject"),
    ("institution has invalid reference data value of '9'.", "awarding_institution"),
    ("graduation_year must be in the past, for example 2014", "degree_graduation_year"),
    ("country has invalid reference data value of 'ZZ'.", "degree_country"),
    ("employing_school_id is invalid. The URN '123456' does not match any known schools", "employing_school_urn"),
    ("training_partner_urn is invalid. The URN '123456' does not match any known training partners", "training_partner_urn"),
    ("course_subject_1 is invalid. It should be `100511` for the course_age_range provided", "course_subject_1"),
    ("disabilities contain duplicate values", "disability1"),
    ("placements_attributes urn is invalid", "placement_1_urn"),
    ("degrees_attributes must be entered if specifying a postgraduate training_route", "uk_degree"),
    ("Something Register says about the whole record", None),
])
def test_messages_map_to_template_fields(message, field):
    assert field_for_message(ApiMessage.parse(message), valid_row()) == field


def test_list_messages_go_to_the_first_filled_cell():
    row = valid_row(disability2="57", disability3="57", placement_2_urn="100002")
    assert field_for_message(ApiMessage.parse("disabilities contain duplicate values"), row) == "disability2"
    assert field_for_message(ApiMessage.parse("placements_attributes name can't be blank"), row) == "placement_2_urn"
