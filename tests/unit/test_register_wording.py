"""Register's CSV upload page words some messages differently from its API (SPEC §8.8)."""

from __future__ import annotations

import pytest

from desktop.validation.findings import Findings
from desktop.validation.packs import get_pack
from desktop.validation.packs.v2026_1.wording import csv_wording
from tests.helpers import check_rows, valid_row

# SPEC §8.8, row by row: (API wording, CSV page wording)
TABLE = [
    ("itt_end_date must be after itt_start_date", "itt_end_date must be after ITT start date"),
    ("course_subject_2 might contain duplicate values", "course_subject_2 Course subject fields contain duplicate values"),
    ("course_subject_3 might contain duplicate values", "course_subject_3 Course subject fields contain duplicate values"),
    ("degrees_attributes must be entered if specifying a postgraduate training_route",
     "UK degree type or Non-UK degree type must be entered if specifying a postgraduate training_route"),
    ("disabilities contain duplicate values", "Trainee disabilities attributes contain duplicate values"),
    ("subject must be entered if specifying a previous UK degree or non-UK degree",
     "degree_subject must be entered if specifying a previous UK degree or non-UK degree"),
    ("grade must be entered if specifying a previous UK degree or non-UK degree",
     "degree_grade must be entered if specifying a previous UK degree or non-UK degree"),
    ("graduation_year must be entered if specifying a previous UK degree or non-UK degree",
     "degree_graduation_year must be entered if specifying a previous UK degree or non-UK degree"),
    ("country has invalid reference data value of 'Narnia'. Example values include 'AD', 'AE', 'AF', 'AG', 'AI', 'AL', "
     "'AM', 'AO', 'AR', 'AS'...",
     "degree_country has invalid reference data value of 'Narnia'. Example values include 'AD', 'AE', 'AF', 'AG', 'AI', "
     "'AL', 'AM', 'AO', 'AR', 'AS'..."),
    ("institution is invalid", "awarding_institution is invalid"),
    ("graduation_year must be in the past, for example 2014",
     "degree_graduation_year Enter a year that is in the past, for example 2014"),
    ("graduation_year is invalid", "degree_graduation_year Enter a valid graduation year"),
    ("employing_school_id is invalid. The URN '123456' does not match any known schools",
     "Employing school Employing School URN is invalid. The URN '123456' does not match any known schools"),
    ("placements_attributes urn is invalid", "Urn is invalid"),
    ("This trainee is already in Register", "This trainee is already in Register"),
]

SAME = ["first_names can't be blank", "sex has invalid reference data value of '3'. Valid values are '10', '11', '12', "
        "'96', '99'.", "uk_degree must be entered if specifying a previous UK degree",
        "non_uk_degree must be entered if specifying a previous non-UK degree",
        "training_partner_urn is invalid. The URN '123456' does not match any known training partners",
        "Your file’s column names need to match the CSV template. Your file has the following extra columns: 'Shoe Size'"]


@pytest.mark.parametrize(("api", "page"), TABLE)
def test_each_difference_of_spec_8_8(api, page):
    assert csv_wording(api) == page


@pytest.mark.parametrize("message", SAME)
def test_every_other_message_is_worded_the_same(message):
    assert csv_wording(message) == message


def test_the_pack_gives_its_wording_to_reports():
    assert get_pack().csv_wording is csv_wording
    row = valid_row(disability1="58", disability2="58", course_subject_2="100403", itt_end_date="2026-08-01")
    records = check_rows(row).records(None, get_pack().csv_wording)
    pairs = {(r["register_message"], r["register_csv_message"]) for r in records if r["register_message"]}
    assert ("disabilities contain duplicate values", "Trainee disabilities attributes contain duplicate values") in pairs
    assert ("course_subject_2 might contain duplicate values",
            "course_subject_2 Course subject fields contain duplicate values") in pairs
    assert ("itt_end_date must be after itt_start_date", "itt_end_date must be after ITT start date") in pairs


def test_every_record_has_the_key_none_without_a_register_message():
    records = Findings.empty().records()
    assert records == []
    records = check_rows(valid_row(ni_number="nonsense")).records()
    assert records and all("register_csv_message" in r for r in records)
    assert all(r["register_csv_message"] == r["register_message"] for r in records)  # no wording given: the same
