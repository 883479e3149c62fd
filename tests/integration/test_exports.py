"""Realistic messy exports: mapped in one step, every change visible, exported CSV passes check."""

import csv
import json
from pathlib import Path

import pytest

from desktop.cli import main
from desktop.core.export import export_register_csv, guard
from desktop.core.profiles import ProfileStore, load_profile
from desktop.core.session import ImportSession
from tests.helpers import TEMPLATE, TODAY, valid_row, write_csv

pytestmark = pytest.mark.integration

DATA = Path(__file__).resolve().parent.parent / "data" / "exports"
EXPECTED = json.loads((DATA / "expected.json").read_text("utf-8"))
CLEAN = ["sits-labels.csv", "hesa-fields-cp1252.csv", "student-records.xlsx", "old-register-template.csv"]


def open_file(name: str, **kw) -> ImportSession:
    return ImportSession.open(DATA / name, today=TODAY, **kw)


def check_json(capsys, path: Path, *extra: str) -> tuple[int, dict]:
    code = main(["check", str(path), "--format", "json", "--today", "2026-11-28", *extra])
    return code, json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("name", list(EXPECTED))
def test_suggested_mapping_is_what_a_person_would_choose(name):
    session = open_file(name)
    expected = EXPECTED[name]
    assert session.n_rows == expected["rows"]
    got = {f: s for f, s in session.mapping.columns.items() if s is not None}
    assert got == expected["mapping"]


@pytest.mark.parametrize("name", CLEAN)
def test_messy_exports_reach_a_valid_table_in_one_step(name):
    session = open_file(name)
    f = session.findings.frame
    assert session.findings.error_count == 0, f[f["severity"] == "error"][["row", "field", "code", "value"]].to_string()
    problems = set(f.loc[f["severity"] == "warning", "code"])
    assert problems <= {"header.missing", "header.unmapped"}  # optional columns the export does not have
    unmapped = set(f.loc[f["code"] == "header.unmapped", "value"])
    assert unmapped == set(EXPECTED[name]["unmapped"])


@pytest.mark.parametrize(("name", "field", "before", "after"), [
    ("sits-labels.csv", "sex", "Female", "10"),
    ("sits-labels.csv", "study_mode", "Full time", "01"),
    ("sits-labels.csv", "nationality", "British", "GB"),
    ("sits-labels.csv", "fund_code", "Yes", "7"),
    ("hesa-fields-cp1252.csv", "study_mode", "1", "01"),
    ("hesa-fields-cp1252.csv", "itt_qualification_aim", "20", "020"),
    ("hesa-fields-cp1252.csv", "nationality", "gb", "GB"),
    ("student-records.xlsx", "itt_qualification_aim", "20", "020"),
    ("student-records.xlsx", "awarding_institution", "117", "0117"),
])
def test_every_value_change_is_an_info_finding(name, field, before, after):
    session = open_file(name)
    f = session.findings.frame
    changed = f[(f["code"] == "cell.value_mapped") & (f["field"] == field) & (f["value"] == before)]
    assert len(changed) > 0 and set(changed["severity"]) == {"info"}
    assert all(f"'{before}' → '{after}'" in m for m in changed["message"])
    for row in changed["row"]:
        assert session.columns[field][row] == after
    assert session.raw.column(session.mapping.columns[field])[changed["row"].iloc[0]] == before  # source kept


def test_uk_and_two_digit_year_dates_and_excel_date_cells():
    sits, hesa, xlsx = open_file("sits-labels.csv"), open_file("hesa-fields-cp1252.csv"), open_file("student-records.xlsx")
    for s in (sits, hesa, xlsx):
        assert all(len(d) == 10 and d[4] == "-" for d in s.columns["date_of_birth"])
        assert all(d.startswith("2026-") for d in s.columns["itt_start_date"])
    # Excel date cells were dates already: nothing to change, nothing reported
    assert "date_of_birth" not in xlsx.value_change_counts()


def test_windows_1252_names_survive(capsys, tmp_path):
    session = open_file("hesa-fields-cp1252.csv")
    assert session.raw.encoding == "Windows-1252"
    names = set(session.columns["first_names"]) | set(session.columns["last_name"])
    assert any(any(ord(c) > 127 for c in n) for n in names)  # accented names were read as such
    out = tmp_path / "r.csv"
    assert main(["export", str(DATA / "hesa-fields-cp1252.csv"), "--out", str(out), "--today", "2026-11-28"]) == 0
    text = out.read_bytes().decode("utf-8")
    assert all(n in text for n in names)


def test_ambiguous_headers_are_reported_for_the_user_to_confirm():
    session = open_file("ambiguous-headers.csv")
    f = session.findings.frame
    assert set(f.loc[f["code"] == "header.ambiguous", "field"]) == {"last_name"}
    assert {"hesa_id", "email", "sex"} <= set(f.loc[f["code"] == "header.uncertain", "field"])


@pytest.mark.parametrize("name", CLEAN)
def test_export_then_check_round_trip_has_no_findings(name, tmp_path, capsys):
    out = tmp_path / "register.csv"
    assert main(["export", str(DATA / name), "--out", str(out), "--today", "2026-11-28"]) == 0
    capsys.readouterr()
    data = out.read_bytes()
    assert not data.startswith(b"\xef\xbb\xbf")
    header = data.split(b"\n", 1)[0].decode()
    assert header.split(",") == TEMPLATE.names
    code, report = check_json(capsys, out)
    assert code == 0 and report["findings"] == []
    assert report["rows"] == EXPECTED[name]["rows"]
    # the same data as the session held after mapping
    session = open_file(name)
    with out.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    for i, row in enumerate(rows):
        for field in ("hesa_id", "study_mode", "date_of_birth", "last_name", "awarding_institution"):
            assert row[field].removeprefix("'") == session.columns[field][i]


def test_exported_cells_are_safe_and_keep_leading_zeros():
    assert guard("03", "training_route") == "'03"
    assert guard("2026-09-01", "itt_start_date") == "'2026-09-01"
    assert guard("=HYPERLINK(\"x\")", "last_name") == "'=HYPERLINK(\"x\")"
    assert guard("-", "previous_last_name") == "-"
    assert guard("+44 20", "provider_trainee_id") == "'+44 20"
    assert guard("0012345", "provider_trainee_id") == "'0012345"
    assert guard("GB", "nationality") == "GB"
    assert guard("", "sex") == ""


def test_formula_like_names_round_trip(tmp_path, capsys):
    src = write_csv(tmp_path / "f.csv", [valid_row(first_names="=1+2", last_name="@Risk", previous_last_name="-Dash")])
    out = tmp_path / "r.csv"
    assert main(["export", str(src), "--out", str(out), "--today", "2026-11-28"]) == 0
    capsys.readouterr()
    line = out.read_text("utf-8").splitlines()[1]
    assert ",'=1+2,'@Risk,'-Dash," in line
    code, report = check_json(capsys, out)
    assert code == 0 and report["findings"] == []
    session = ImportSession.open(out, today=TODAY)
    assert session.columns["first_names"][0] == "=1+2" and session.columns["last_name"][0] == "@Risk"


def test_export_refuses_while_errors_remain(tmp_path, capsys):
    src = write_csv(tmp_path / "f.csv", [valid_row(), valid_row(first_names="Aoife", last_name="Ní Bhriain", sex="")])
    out = tmp_path / "r.csv"
    assert main(["export", str(src), "--out", str(out), "--today", "2026-11-28"]) == 1
    assert not out.exists() and not (tmp_path / "r-errors.csv").exists()
    err = capsys.readouterr().err
    assert "1 of 2 rows have errors" in err and "--allow-errors" in err and "Traceback" not in err


def test_allow_errors_writes_clean_rows_and_an_error_report(tmp_path, capsys):
    rows = [valid_row(), valid_row(first_names="Aoife", last_name="Ní Bhriain", email="nope"),
            valid_row(first_names="Dafydd", last_name="ap Rhys")]
    src = write_csv(tmp_path / "f.csv", rows)
    out = tmp_path / "r.csv"
    assert main(["export", str(src), "--out", str(out), "--allow-errors", "--today", "2026-11-28"]) == 0
    assert "Wrote 2 of 3 rows" in capsys.readouterr().out
    code, report = check_json(capsys, out)
    assert code == 0 and report["rows"] == 2 and report["findings"] == []
    with (tmp_path / "r-errors.csv").open(encoding="utf-8", newline="") as fh:
        errors = list(csv.DictReader(fh))
    assert len(errors) == 1 and errors[0]["last_name"] == "Ní Bhriain"
    assert errors[0]["Validation results"] == "Row 3: 1 error found" and errors[0]["Errors"] == (
        "email Enter an email address in the correct format, like name@example.com")  # Register's own words
    code, report = check_json(capsys, tmp_path / "r-errors.csv")  # fix it and check again as it is
    assert code == 1 and {f["code"] for f in report["findings"]} == {"cell.email_format"}


def test_file_level_errors_export_nothing(tmp_path):
    src = write_csv(tmp_path / "f.csv", [valid_row()], headers=[n for n in TEMPLATE.names if n != "sex"])
    session = ImportSession.open(src, today=TODAY)
    result = export_register_csv(session, tmp_path / "r.csv", allow_errors=True)
    assert not result.written and result.rows_written == 0 and not (tmp_path / "r.csv").exists()
    assert result.error_report is not None and result.error_report.exists()


def test_template_files_are_checked_literally_unless_asked(tmp_path, capsys):
    """A file in Register's template is read as Register reads it; --map-values converts anyway."""
    src = write_csv(tmp_path / "f.csv", [valid_row(sex="Female", study_mode="1")])
    code, report = check_json(capsys, src)
    assert code == 1 and {f["code"] for f in report["findings"]} == {"cell.code_list"}
    code, report = check_json(capsys, src, "--map-values")
    assert code == 0 and report["findings"] == []
    assert report["mapping_details"]["value_changes"] == {"sex": 1, "study_mode": 1}
    assert [(g["field"], g["value"], g["rows"]) for g in report["value_changes"]] == [
        ("sex", "Female", [2]), ("study_mode", "1", [2])]
    code, report = check_json(capsys, src, "--map-values", "--list-changes")
    assert code == 0 and {(f["row"], f["field"], f["code"], f["severity"]) for f in report["findings"]} == {
        (2, "sex", "cell.value_mapped", "info"), (2, "study_mode", "cell.value_mapped", "info")}


def test_csv_report_shows_value_changes_grouped_or_one_per_cell(tmp_path, capsys):
    src = write_csv(tmp_path / "f.csv", [valid_row(sex="Female"),
                                         valid_row(first_names="Aoife", last_name="Ní Bhriain", sex="Female",
                                                   email="aoife@example.com")])
    out = tmp_path / "r.csv"
    assert main(["check", str(src), "--map-values", "--format", "csv", "--out", str(out), "--today", "2026-11-28"]) == 0
    with out.open(encoding="utf-8", newline="") as fh:
        (line,) = list(csv.DictReader(fh))
    assert line["code"] == "cell.value_mapped" and line["value"] == "Female" and line["message"].endswith("Rows: 2, 3.")
    assert main(["check", str(src), "--map-values", "--list-changes", "--format", "csv", "--out", str(out)]) == 0
    with out.open(encoding="utf-8", newline="") as fh:
        assert [r["row"] for r in csv.DictReader(fh)] == ["2", "3"]


def test_no_convert_turns_one_kind_off(capsys):
    code, report = check_json(capsys, DATA / "sits-labels.csv", "--no-convert", "dates")
    assert code == 1
    assert {f["field"] for f in report["findings"] if f["code"] == "cell.date_format"} >= {"date_of_birth"}
    code, report = check_json(capsys, DATA / "sits-labels.csv", "--no-convert", "all")
    assert "cell.value_mapped" not in {f["code"] for f in report["findings"]}


def test_check_shows_the_mapping_used(capsys):
    assert main(["check", str(DATA / "sits-labels.csv"), "--today", "2026-11-28"]) == 0
    text = capsys.readouterr().out
    assert "'Gender'" in text and "-> sex" in text and "Values changed" in text
    assert "Sex 'Female' → '10'" in text
    _, report = check_json(capsys, DATA / "sits-labels.csv")
    assert report["mapping"]["sex"] == "Gender" and report["mapping"]["iqts_country"] is None
    details = report["mapping_details"]
    assert details["origin"] == "suggested" and details["fields"]["sex"]["method"] == "synonym"
    assert details["value_changes"]["sex"] == EXPECTED["sits-labels.csv"]["rows"]


def test_map_writes_a_profile_that_check_uses(tmp_path, capsys):
    profile = tmp_path / "sits.json"
    assert main(["map", str(DATA / "sits-labels.csv"), "--out", str(profile), "--today", "2026-11-28"]) == 0
    printed = capsys.readouterr().out
    assert "'Gender'" in printed and "Wrote the profile" in printed
    loaded = load_profile(profile).profile
    assert loaded.columns == EXPECTED["sits-labels.csv"]["mapping"]
    assert loaded.values["sex"]["Female"] == "10" and loaded.values["study_mode"]["Full time"] == "01"
    assert "first_names" not in loaded.values  # no personal data in a profile
    code, report = check_json(capsys, DATA / "sits-labels.csv", "--mapping", str(profile))
    assert code == 0 and report["mapping_details"]["origin"] == "profile"
    changed = [g for g in report["value_changes"] if g["field"] == "sex"]
    assert changed and all("your value map" in g["message"] for g in changed)


def test_a_saved_profile_maps_next_weeks_file_automatically(tmp_path, capsys):
    assert main(["map", str(DATA / "sits-labels.csv"), "--save", "--name", "SITS weekly", "--today", "2026-11-28"]) == 0
    capsys.readouterr()
    next_week = tmp_path / "next-week.csv"
    next_week.write_bytes((DATA / "sits-labels.csv").read_bytes())
    code, report = check_json(capsys, next_week)
    assert code == 0
    assert report["mapping_details"]["origin"] == "profile" and report["mapping_details"]["profile"] == "SITS weekly"
    assert main(["check", str(next_week), "--today", "2026-11-28"]) == 0
    assert "your saved profile 'SITS weekly' (made for files with these headers)" in capsys.readouterr().out
    code, report = check_json(capsys, next_week, "--no-saved-profiles")
    assert report["mapping_details"]["origin"] == "suggested"


def test_map_list_import_export_delete(tmp_path, capsys):
    shared = tmp_path / "shared.json"
    assert main(["map", str(DATA / "hesa-fields-cp1252.csv"), "--out", str(shared), "--name", "HESA", "--today", "2026-11-28"]) == 0
    assert main(["map", "--import", str(shared)]) == 0
    assert main(["map", "--list"]) == 0
    assert "HESA: 33 fields from 33 columns" in capsys.readouterr().out
    assert main(["map", "--export", "HESA", "--out", str(tmp_path / "again.json")]) == 0
    assert load_profile(tmp_path / "again.json").profile.name == "HESA"
    assert main(["map", "--delete", "HESA"]) == 0
    assert ProfileStore().all() == ([], [])
    assert main(["map", "--delete", "HESA"]) == 2
    assert main(["map"]) == 2
    assert "Traceback" not in capsys.readouterr().err


def test_refused_profile_is_a_clear_error_not_a_traceback(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"kind": "register-desktop/mapping-profile", "format_version": 1, "name": "x",
                               "template_version": "v2030.1", "columns": {}}), "utf-8")
    assert main(["check", str(DATA / "sits-labels.csv"), "--mapping", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "v2030.1" in err and "was not used" in err and "Traceback" not in err


def test_migrated_profile_report_reaches_the_check_report(tmp_path, capsys):
    old = {"kind": "register-desktop/mapping-profile", "format_version": 1, "name": "Old one",
           "template_version": "v2026.0", "headers": [], "columns": {"last_name": "Surname", "lead_partner_urn": "Lead school"}}
    path = tmp_path / "old.json"
    path.write_text(json.dumps(old), "utf-8")
    _, report = check_json(capsys, DATA / "sits-labels.csv", "--mapping", str(path))
    notes = [f["message"] for f in report["findings"] if f["code"] == "header.profile"]
    assert any("migrated to v2026.1" in n for n in notes)
    assert any("'Lead school', which this file does not have" in n for n in notes)


def test_editing_a_mapped_cell_drops_its_change_note():
    session = open_file("sits-labels.csv")
    f = session.findings.frame
    before = len(f[(f["row"] == 0) & (f["field"] == "sex") & (f["code"] == "cell.value_mapped")])
    assert before == 1
    session.apply_edits([(0, "sex", "11")])
    f = session.findings.frame
    assert len(f[(f["row"] == 0) & (f["field"] == "sex") & (f["code"] == "cell.value_mapped")]) == 0


def test_value_rows_and_user_choice_for_the_window():
    """The draft lists each value and what it becomes; the user's code reaches the session and the profile."""
    from desktop.core.draft import MappingDraft
    from desktop.core.loading import read_table

    draft = MappingDraft.start(read_table(DATA / "sits-labels.csv"), today=TODAY, auto_profile=False)
    rows = {r.source: r for r in draft.value_rows("sex")}
    assert rows["Female"].target == "10" and rows["Female"].count > 0
    assert draft.set_user_value("sex", "Female", "96")
    session = ImportSession.from_draft(draft)
    assert set(session.columns["sex"][session.raw.column("Gender") == "Female"]) == {"96"}
    profile = draft.to_profile("mine")
    assert profile.values["sex"] == {"Female": "96"}
