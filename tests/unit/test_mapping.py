"""Column mapping: suggestions with a confidence, never two columns on one field silently."""

from pathlib import Path

import numpy as np
import pytest

from desktop.core.loading import RawTable
from desktop.core.mapping import (
    SURE,
    Mapping,
    apply_mapping,
    exact_mapping,
    header_findings,
    suggest_mapping,
)
from desktop.validation.resources import read_json
from tests.helpers import TEMPLATE, as_array


def raw(columns: dict[str, list[str]]) -> RawTable:
    n = len(next(iter(columns.values()))) if columns else 0
    return RawTable(path=Path("t.csv"), format="csv", headers=list(columns),
                    columns=[as_array(v) for v in columns.values()], source_rows=np.arange(2, n + 2))


def suggest(columns: dict[str, list[str]]) -> Mapping:
    return suggest_mapping(raw(columns), TEMPLATE)


def mapped(m: Mapping) -> dict[str, str]:
    return {f: s for f, s in m.columns.items() if s is not None}


def codes(findings, code):
    return [(f.field, f.value) for f in findings if f.code == code]


@pytest.mark.parametrize(("header", "field", "method"), [
    ("last_name", "last_name", "exact"), ("LAST_NAME", "last_name", "exact"),
    ("Last Name", "last_name", "name"), ("Date of birth", "date_of_birth", "name"), ("Disability 2", "disability2", "name"),
    ("SURNAME", "last_name", "hesa"), ("BIRTHDTE", "date_of_birth", "hesa"), ("HUSID", "hesa_id", "hesa"),
    ("SBJCA2", "course_subject_2", "hesa"), ("PLMNTSCH3", "placement_3_urn", "hesa"),
    ("Surname", "last_name", "hesa"), ("Forename(s)", "first_names", "synonym"), ("DOB", "date_of_birth", "synonym"),
    ("Gender", "sex", "synonym"), ("Lead Partner URN", "training_partner_urn", "synonym"),
    ("Course Subject Two", "course_subject_2", "name"), ("First Placement URN", "placement_1_urn", "synonym"),
    ("Degree classification", "degree_grade", "synonym"), ("Mode of attendance", "study_mode", "synonym"),
    ("Date of birth (dd/mm/yyyy)", "date_of_birth", "name"), ("Student Surname", "last_name", "hesa"),
])
def test_header_wordings(header, field, method):
    m = suggest({header: ["x"]})
    assert mapped(m) == {field: header}
    assert m.method[field] == method
    assert m.confidence[field] >= SURE


def test_exact_template_headers_keep_working():
    headers = list(reversed(TEMPLATE.names))
    m = suggest({h: [""] for h in headers})
    assert mapped(m) == {n: n for n in TEMPLATE.names}
    assert m.origin == "template" and m.is_template_exact
    assert exact_mapping(headers, TEMPLATE).columns == m.columns


def test_a_hesa_name_shared_by_several_fields_fills_them_in_column_order():
    m = suggest({"DISABLE": ["51"], "disable": ["53"], "SBJCA": ["100403"], "sbjca": ["100425"]})
    assert m.columns["disability1"] == "DISABLE" and m.columns["disability2"] == "disable"
    assert m.columns["course_subject_1"] == "SBJCA" and m.columns["course_subject_2"] == "sbjca"
    assert not m.conflicts


def test_fuzzy_match_is_trusted_only_as_far_as_the_values_fit():
    m = suggest({"Date of brth": ["13/02/1985", "01/01/1990"]})
    assert m.columns["date_of_birth"] == "Date of brth" and m.method["date_of_birth"] == "fuzzy"
    assert m.confidence["date_of_birth"] < SURE
    nothing = suggest({"Date of brth": ["Siân", "Aoife"]})  # names are not dates
    assert nothing.columns["date_of_birth"] is None


def test_an_action_template_of_the_same_version_does_not_change_the_main_templates_wordings(monkeypatch):
    """Fuzzy wordings are cached per template, not per version: withdraw's template shares v2026.1."""
    from desktop.core import mapping
    from desktop.core.action_files import action_template

    monkeypatch.setattr(mapping, "_FUZZY_CHOICES", {})  # as in a fresh process that reads a withdraw file first

    suggest_mapping(raw({"HESA ID": ["1234567890123"], "Withdrawl dte": ["2026-10-01"]}), action_template("withdraw"))
    m = suggest({"Date of brth": ["13/02/1985", "01/01/1990"]})
    assert m.columns["date_of_birth"] == "Date of brth" and m.method["date_of_birth"] == "fuzzy"


@pytest.mark.parametrize(("values", "field"), [
    (["26602816520567187", "26413183237641360"], "hesa_id"),
    (["sian@example.com", "rhodri@example.org"], "email"),
    (["AB123456C", "JH765271A"], "ni_number"),
    (["Female", "Male", "Female"], "sex"),
    (["British", "Irish", "Polish"], "nationality"),
    (["13/02/1985", "01/03/1990"], "date_of_birth"),
])
def test_columns_without_a_telling_header_are_recognised_by_their_values(values, field):
    m = suggest({"Col7": values})
    assert m.columns[field] == "Col7"
    assert m.method[field] == "values" and m.confidence[field] < SURE


@pytest.mark.parametrize("values", [["10", "11"], ["2026-09-01", "2026-09-03"], ["a", "b"]])
def test_values_that_fit_many_fields_are_not_guessed(values):
    """Bare numbers fit many code lists and recent dates many date fields: no guess."""
    assert mapped(suggest({"Col7": values})) == {}


def test_two_columns_for_one_field_are_reported_not_silently_merged():
    m = suggest({"Surname": ["Jones"], "Family name": ["JONES"]})
    assert m.columns["last_name"] == "Surname"
    assert m.conflicts == {"last_name": ["Family name"]}
    findings = header_findings(raw({"Surname": ["Jones"], "Family name": ["JONES"]}), m, TEMPLATE)
    assert codes(findings, "header.ambiguous") == [("last_name", "Surname")]
    assert any("Family name" in f.message for f in findings if f.code == "header.ambiguous")
    assert codes(findings, "header.unmapped") == [(None, "Family name")]


def test_one_source_column_feeds_one_field():
    m = suggest({"Start date": ["01/09/2026"]})
    assert list(mapped(m).values()) == ["Start date"]


def test_uncertain_suggestions_are_findings():
    table = raw({"Ref": ["26602816520567187", "26413183237641360"]})
    m = suggest_mapping(table, TEMPLATE)
    (finding,) = [f for f in header_findings(table, m, TEMPLATE) if f.code == "header.uncertain"]
    assert finding.field == "hesa_id" and finding.severity == "warning" and "Ref" in finding.message


def test_missing_mandatory_fields_are_file_level_errors():
    table = raw({"Surname": ["Jones"]})
    findings = header_findings(table, suggest_mapping(table, TEMPLATE), TEMPLATE)
    missing = {f.field: f.severity for f in findings if f.code == "header.missing"}
    assert missing["hesa_id"] == "error" and missing["previous_last_name"] == "info"
    assert all(f.row is None for f in findings)


def test_one_disability_column_does_not_make_eight_missing_warnings():
    table = raw({"Disabilities": ["51;53"]})
    findings = header_findings(table, suggest_mapping(table, TEMPLATE), TEMPLATE)
    assert not [f for f in findings if f.code == "header.missing" and (f.field or "").startswith("disability")]


def test_registers_own_report_columns_are_not_unmapped():
    table = raw({"last_name": ["Jones"], "Validation results": ["1 error found"], "Errors": ["..."]})
    findings = header_findings(table, exact_mapping(table.headers, TEMPLATE), TEMPLATE)
    assert codes(findings, "header.unmapped") == []


def test_user_choice_moves_a_column_and_clears_its_conflict():
    m = suggest({"Surname": ["Jones"], "Family name": ["JONES"]})
    chosen = m.with_column("last_name", "Family name")
    assert chosen.columns["last_name"] == "Family name" and chosen.method["last_name"] == "user"
    assert "last_name" not in chosen.conflicts
    moved = chosen.with_column("previous_last_name", "Family name")
    assert moved.columns["last_name"] is None and moved.columns["previous_last_name"] == "Family name"


def test_apply_mapping_builds_template_columns():
    table = raw({"Surname": ["Jones", "Ní Bhriain"], "Gender": ["Female", "Male"]})
    cols = apply_mapping(table, suggest_mapping(table, TEMPLATE), TEMPLATE)
    assert list(cols["last_name"]) == ["Jones", "Ní Bhriain"]
    assert list(cols["hesa_id"]) == ["", ""]


def test_details_for_the_json_report():
    m = suggest({"Surname": ["Jones"], "Family name": ["JONES"]})
    d = m.details(TEMPLATE)
    assert d["origin"] == "suggested"
    assert d["fields"]["last_name"] == {"source": "Surname", "confidence": 0.95, "method": "hesa",
                                        "reason": "HESA field name; 95% sure"}
    assert d["conflicts"] == {"last_name": ["Family name"]}


def test_synonym_table_names_real_fields_and_no_wording_twice():
    fields = read_json("mapping", "headers.json")["fields"]
    assert set(fields) <= set(TEMPLATE.names)
    seen: dict[str, str] = {}
    for name, words in fields.items():
        for w in words:
            key = "".join(c for c in w.casefold() if c.isalnum())
            assert seen.setdefault(key, name) == name, f"{w!r} is listed for {seen[key]} and {name}"


def test_odd_headers_and_cells_do_not_stop_a_suggestion():
    """Huge, blank, emoji and duplicate headers and huge cells: the real columns are still found."""
    columns = {"x" * 100_000: ["y" * 10_000, ""], "😀": ["a", "b"], "": ["1", "2"], "Surname ": ["Jones", "Ó Súilleabháin"],
               "DOB": ["13/02/1985", "1990-01-01"]}
    m = suggest(columns)
    assert mapped(m) == {"last_name": "Surname ", "date_of_birth": "DOB"}


def test_fuzzy_wordings_of_one_template_do_not_serve_another_of_the_same_version():
    """An action file (withdraw, defer, recommend) is a template of the same version with other
    fields; suggesting its mapping first once left the main template without its fuzzy wordings."""
    from desktop.core.action_files import action_template

    suggest_mapping(raw({"Date of brth": ["13/02/1985"]}), action_template("withdraw"))
    m = suggest({"Date of brth": ["13/02/1985", "01/01/1990"]})
    assert m.columns["date_of_birth"] == "Date of brth" and m.method["date_of_birth"] == "fuzzy"
