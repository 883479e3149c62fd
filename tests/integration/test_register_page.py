"""The file as Register's own upload page reads it (SPEC §8.2, §8.3, §9.2; issue 13).

A file in Register's template shape is also checked as the page would read it as it stands: its
file checks with Register's exact words in Register's order, and every cell as written (Register
never trims). ``check`` exits 1 exactly when the page would refuse the file; the app's own export
and upload repair what is only about the file as written, and the findings say so.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from desktop.cli import main
from desktop.core.errors import FileReadError
from desktop.core.export import export_register_csv
from desktop.core.loading import Limits, read_table
from desktop.core.register_page import columns_message, header_differences, is_template_shaped, rails_list
from desktop.core.session import ImportSession
from tests.data.register_fixtures.generate import NAMES, csv_text, guarded, trainee

pytestmark = pytest.mark.integration

TODAY = "2024-10-15"
STRUCTURE = ("The selected CSV file has structural issues. Check columns for empty headers, an incorrect number of "
             "columns, or additional commas.")
COLUMNS = "Your file’s column names need to match the CSV template."


def write(tmp_path: Path, text: str, name: str = "upload.csv", encoding: str = "utf-8") -> Path:
    p = tmp_path / name
    p.write_bytes(text.encode(encoding))
    return p


def check(capsys, path: Path, *args: str) -> tuple[int, dict]:
    code = main(["check", str(path), "--format", "json", "--today", TODAY, *args])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return code, json.loads(captured.out) if captured.out else {}


def errors(report: dict) -> list[dict]:
    return [f for f in report["findings"] if f["severity"] == "error"]


def file_messages(report: dict) -> list[str]:
    return [f["register_csv_message"] for f in errors(report) if f["row"] is None and f["code"].startswith("file.")]


def three() -> list[dict[str, str]]:
    return [trainee(i) for i in range(3)]


# ---------------------------------------------------------------- Register's lists and sentences
def test_lists_are_joined_as_registers_messages_join_them():
    assert rails_list(["a"]) == "'a'"
    assert rails_list(["hesa_id", "sex"]) == "'hesa_id' and 'sex'"
    assert rails_list(["a", "b", "c"]) == "'a', 'b', and 'c'"


def test_the_column_sentence_word_for_word():
    assert columns_message(["hesa_id", "sex"], []) == (
        "Your file’s column names need to match the CSV template. Your file is missing the following columns: "
        "'hesa_id' and 'sex'")
    assert columns_message([], ["Shoe Size"]) == (
        "Your file’s column names need to match the CSV template. Your file has the following extra columns: 'Shoe Size'")
    assert columns_message(["application_id"], ["Ápplication ID"]) == (
        "Your file’s column names need to match the CSV template. Your file is missing the following columns: "
        "'application_id'. Your file has the following extra columns: 'Ápplication ID'")
    assert "\u2019" in COLUMNS  # Register's curly apostrophe


def test_headers_compare_in_any_order_and_case_ignoring_registers_report_columns():
    from desktop.validation.template import load_template

    template = load_template()
    headers = [h.upper() for h in reversed(NAMES)] + ["Validation results", "Errors"]
    assert header_differences(headers, template) == ([], [], False)
    assert header_differences([*NAMES, "last_name"], template) == ([], [], True)  # a repeat: no explanation
    missing, extra, _ = header_differences([n for n in NAMES if n != "sex"] + ["Gender", "errors"], template)
    assert missing == ["sex"] and extra == ["Gender", "errors"]  # only exactly "Errors" is Register's


def test_template_shape():
    from desktop.validation.template import load_template

    template = load_template()
    assert is_template_shaped(NAMES, template)
    assert is_template_shaped([n for n in NAMES if n not in ("hesa_id", "sex")], template)
    assert is_template_shaped(NAMES[:20], template)  # the template with optional columns deleted
    assert not is_template_shaped(["Forename(s)", "Surname", "email", "sex", "DOB", "Ethnicity", "Nationality"], template)
    assert not is_template_shaped(["Student Number", *(f"Col {i}" for i in range(40)), *NAMES[:12]], template)


# ---------------------------------------------------------------- §9.2 upload-form and header checks
def test_an_empty_file_quotes_register(tmp_path, capsys):
    code = main(["check", str(write(tmp_path, "")), "--today", TODAY])
    err = capsys.readouterr().err
    assert code == 2 and err.strip().endswith('Register\'s upload page says: "The selected file is empty".')


def test_a_file_that_is_not_csv_quotes_register(tmp_path):
    """A quote that never closes runs the rest of the file into one cell: the parser gives up."""
    p = write(tmp_path, ",".join(NAMES) + "\n" + '"' + "x" * 140_000 + "\n")
    with pytest.raises(FileReadError) as e:
        read_table(p, limits=Limits(max_cell_chars=1000))
    assert e.value.register_message == "The selected file must be a CSV"
    assert e.value.message.endswith('Register\'s upload page says: "The selected file must be a CSV".')


@pytest.mark.parametrize("blank_lines", [0, 3])
def test_header_only_with_or_without_blank_lines(tmp_path, capsys, blank_lines):
    code, report = check(capsys, write(tmp_path, csv_text([], blank_after=blank_lines)))
    assert code == 1 and file_messages(report) == ["The selected file must contain at least one trainee"]
    assert report["findings"][0]["code"] == "file.no_trainees"


def test_short_rows_are_accepted_and_counted(tmp_path, capsys):
    text = csv_text(three()[:2])
    lines = text.splitlines()
    short = [lines[0]] + [line.rstrip(",") for line in lines[1:]]  # the trailing empty cells left out
    assert all(line.count(",") < len(NAMES) - 1 for line in short[1:])
    code, report = check(capsys, write(tmp_path, "\n".join(short) + "\n"))
    assert code == 0 and report["rows"] == 2 and errors(report) == []


def test_headers_in_alternating_case_and_reverse_order_with_registers_report_columns(tmp_path, capsys):
    headers = list(reversed(NAMES))
    rows = three()
    text = csv_text(rows, [*headers, "Validation results", "Errors"])
    first, rest = text.split("\n", 1)
    first = ",".join("".join(c.upper() if i % 2 else c for i, c in enumerate(h)) if h in NAMES else h
                     for h in first.split(","))
    code, report = check(capsys, write(tmp_path, first + "\n" + rest))
    assert code == 0 and report["rows"] == 3 and errors(report) == []


def test_an_extra_column_is_refused_in_registers_words(tmp_path, capsys):
    code, report = check(capsys, write(tmp_path, csv_text(three(), [*NAMES, "Shoe Size"])))
    assert code == 1
    assert file_messages(report) == [
        "Your file’s column names need to match the CSV template. Your file has the following extra columns: 'Shoe Size'"]
    assert report["summary"]["valid_rows"] == 3  # the app's export and upload leave the column out
    assert report["as_uploaded"] == {"checked": True, "errors": 1}


@pytest.mark.parametrize("blank", ["", "   "])
def test_an_empty_header_in_place_of_first_names_or_first(tmp_path, capsys, blank):
    for i in (NAMES.index("first_names"), 0):
        headers = list(NAMES)
        headers[i] = blank
        text = csv_text(three(), NAMES).split("\n", 1)[1]
        code, report = check(capsys, write(tmp_path, ",".join(headers) + "\n" + text))
        assert code == 1 and file_messages(report)[0] == STRUCTURE
        assert report["findings"][0]["register_csv_message"] == STRUCTURE  # Register's first refusal first


def test_more_fields_in_the_first_row_than_headers(tmp_path, capsys):
    text = csv_text(three())
    first, second, rest = text.split("\n", 2)
    code, report = check(capsys, write(tmp_path, "\n".join([first, second + ",surplus", rest])))
    assert code == 1 and file_messages(report) == [STRUCTURE]


def test_too_large_comes_first(tmp_path, capsys):
    rows = [trainee(i % 5, provider_trainee_id=f"24/25-{i}", hesa_id=f"24{i:011d}",
                    email=f"trainee{i}@example.com") for i in range(5000)]
    p = write(tmp_path, csv_text(rows, [*NAMES, "Shoe Size"]))
    assert p.stat().st_size > 1_048_576
    code, report = check(capsys, p)
    assert code == 1
    assert file_messages(report)[:2] == [
        "The selected file must be smaller than 1MB",
        "Your file’s column names need to match the CSV template. Your file has the following extra columns: 'Shoe Size'"]


def test_a_byte_order_mark_is_part_of_the_first_name_for_register(tmp_path, capsys):
    code, report = check(capsys, write(tmp_path, "\ufeff" + csv_text(three())))
    assert code == 1
    assert file_messages(report) == [
        "Your file’s column names need to match the CSV template. Your file is missing the following columns: "
        "'provider_trainee_id'. Your file has the following extra columns: '\ufeffprovider_trainee_id'"]
    assert "byte-order mark" in errors(report)[0]["message"]
    assert report["summary"]["valid_rows"] == 3  # the app reads the header fine


# ---------------------------------------------------------------- header spellings
@pytest.mark.parametrize("extra_args", [[], ["--no-map-values"]])
def test_a_near_match_header_is_never_silent(tmp_path, capsys, extra_args):
    text = csv_text(three(), rename={"application_id": "Ápplication ID"})
    code, report = check(capsys, write(tmp_path, text, encoding="latin-1"), *extra_args)
    assert code == 1 and report["mapping"]["application_id"] == "Ápplication ID"
    near = [f for f in report["findings"] if f["code"] == "header.near_match"]
    assert len(near) == 1 and near[0]["severity"] == "warning" and near[0]["field"] == "application_id"
    assert "'Ápplication ID' → 'application_id'" in near[0]["message"]
    assert file_messages(report) == [columns_message(["application_id"], ["Ápplication ID"])]
    assert [f["code"] for f in errors(report)] == ["file.register_columns"]  # the rows are fine for the app


def test_a_header_with_spaces_around_it_loses_its_values_on_registers_page(tmp_path, capsys):
    text = csv_text(three())
    first, rest = text.split("\n", 1)
    first = first.replace("first_names", " first_names ").replace("ni_number", "ni_number ")
    code, report = check(capsys, write(tmp_path, first + "\n" + rest))
    assert code == 1 and file_messages(report) == []  # the upload check itself strips headers
    spaced = {f["field"]: f for f in report["findings"] if f["code"] == "header.untrimmed"}
    assert spaced["first_names"]["severity"] == "error"
    assert spaced["first_names"]["register_message"] == "first_names can't be blank"
    assert spaced["ni_number"]["severity"] == "warning"  # optional: its values would be lost without a word
    assert report["summary"]["valid_rows"] == 3


# ---------------------------------------------------------------- cells as written
def untrimmed(report: dict) -> list[dict]:
    return [f for f in report["findings"] if f["code"] == "cell.untrimmed"]


def test_untrimmed_codes_are_refused_with_registers_message(tmp_path, capsys):
    rows = [trainee(i) for i in range(5)]
    rows[0]["sex"] = "11 "
    rows[1]["training_route"] = "11 "
    rows[2]["course_subject_1"] = " 100381"
    rows[3]["email"] = "trainee@example.com "
    rows[4]["placement_1_urn"] = "100417 "
    code, report = check(capsys, write(tmp_path, csv_text(rows)))
    assert code == 1
    found = {(f["row"], f["field"]): f for f in reversed(untrimmed(report))}  # the first on each cell
    assert found[(2, "sex")]["register_csv_message"] == (
        "sex has invalid reference data value of '11 '. Valid values are '10', '11', '12', '96', '99'.")
    assert found[(2, "sex")]["value"] == "11 " and found[(2, "sex")]["severity"] == "error"
    assert "Register would reject '11 ' because of the space" in found[(2, "sex")]["message"]
    assert "The app's export and upload trim the value" in found[(2, "sex")]["message"]
    assert found[(3, "training_route")]["register_csv_message"].startswith(
        "training_route has invalid reference data value of '11 '. Example values include")
    assert found[(4, "course_subject_1")]["register_csv_message"].startswith(
        "course_subject_1 has invalid reference data value of ' 100381'.")
    assert found[(5, "email")]["register_csv_message"] == (
        "email Enter an email address in the correct format, like name@example.com")
    assert found[(6, "placement_1_urn")]["register_message"] == "placements_attributes urn is invalid"
    assert found[(6, "placement_1_urn")]["register_csv_message"] == "Urn is invalid"  # the CSV page's words
    # an unknown route also makes Register ask for a degree: said on the route's cell
    route_messages = {f["register_csv_message"] for f in untrimmed(report) if f["field"] == "training_route"}
    assert "UK degree type or Non-UK degree type must be entered if specifying a postgraduate training_route" in route_messages
    # the app itself reads every row cleanly and would send all five
    assert report["summary"]["valid_rows"] == 5 and report["as_uploaded"]["errors"] == len(untrimmed(report))


def test_untrimmed_values_register_drops_or_accepts(tmp_path, capsys):
    rows = three()
    rows[0]["disability1"] = " 58"  # Register ignores an unknown disability code without a word
    rows[1]["first_names"] = "Niamh "  # accepted as written
    rows[2]["itt_end_date"] = " 2025-07-12"  # Register's date check reads the spaces
    rows[2]["last_name"] = " Brontë"
    code, report = check(capsys, write(tmp_path, csv_text(rows)))
    assert code == 0  # Register's page would accept the file
    found = untrimmed(report)
    warning = [f for f in found if f["severity"] == "warning"]
    assert [(w["row"], w["field"]) for w in warning] == [(2, "disability1")]
    notes = {f["field"]: f for f in found if f["severity"] == "info"}
    assert set(notes) == {"first_names", "last_name", "itt_end_date"} and all(f["row"] is None for f in notes.values())
    assert "row 3" in notes["first_names"]["message"]


def test_a_value_wrong_with_or_without_its_space_is_reported_once(tmp_path, capsys):
    rows = three()
    rows[0]["sex"] = "Female "
    code, report = check(capsys, write(tmp_path, csv_text(rows)))
    assert code == 1 and untrimmed(report) == []
    assert [(f["field"], f["code"]) for f in errors(report)] == [("sex", "cell.code_list")]


def test_whitespace_only_cells_and_guard_apostrophes_are_not_untrimmed(tmp_path, capsys):
    rows = three()
    rows[0]["ni_number"] = "   "
    text = csv_text(rows).replace("'11,", "'11,", 1)
    code, report = check(capsys, write(tmp_path, text))
    assert code == 0 and untrimmed(report) == []


def test_a_space_after_the_guard_apostrophe_is_kept_by_register(tmp_path, capsys):
    rows = three()
    text = csv_text(rows).replace(",'11,", ",' 11,", 1)
    code, report = check(capsys, write(tmp_path, text))
    assert code == 1
    (f,) = [f for f in untrimmed(report) if f["severity"] == "error"]
    assert f["field"] == "sex" and f["value"] == " 11"


def test_invisible_characters_are_shown_in_the_message(tmp_path, capsys):
    rows = three()
    rows[0]["sex"] = "11\t"
    code, report = check(capsys, write(tmp_path, csv_text(rows)))
    assert code == 1
    (f,) = [f for f in untrimmed(report) if f["severity"] == "error"]
    assert "'11\\t'" in f["message"] and "invisible characters" in f["message"]
    assert f["register_message"].startswith("sex has invalid reference data value of '11\t'.")


def test_export_repairs_what_only_the_page_refuses(tmp_path, capsys):
    rows = three()
    rows[0]["sex"] = "11 "
    src = write(tmp_path, csv_text(rows, [*NAMES, "Shoe Size"]))
    session = ImportSession.open(src, today=dt.date(2024, 10, 15))
    assert len(session.register_page_findings()) >= 2 and len(session.valid_positions()) == 3
    out = tmp_path / "register.csv"
    result = export_register_csv(session, out)
    assert result.written and result.rows_written == 3
    code, report = check(capsys, out)
    assert code == 0 and errors(report) == [] and untrimmed(report) == []


# ---------------------------------------------------------------- when the view applies
def test_as_uploaded_can_be_forced_on_or_off(tmp_path, capsys):
    rows = three()
    rows[0]["sex"] = "11 "
    src = write(tmp_path, csv_text(rows, [*NAMES, "Shoe Size"]))
    code, report = check(capsys, src, "--no-as-uploaded")
    assert code == 0 and report["as_uploaded"] == {"checked": False, "errors": 0} and untrimmed(report) == []
    # another system's export is mapped, not checked as Register's page would read it, unless asked
    export = write(tmp_path, "Forename,Surname,Gender\nSiân,O'Brien ,Female\n", name="export.csv")
    code, report = check(capsys, export)
    assert report["as_uploaded"]["checked"] is False and untrimmed(report) == []
    code, report = check(capsys, export, "--as-uploaded")
    assert report["as_uploaded"]["checked"] is True and file_messages(report)[0].startswith(COLUMNS)


def test_a_workbook_is_read_as_its_sheet_saved_as_csv(tmp_path, capsys):
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append([*NAMES, "Shoe Size"])
    rows = three()
    rows[0]["sex"] = "11 "
    for r in rows:
        ws.append([r[h] for h in NAMES] + ["9"])
    wb.save(tmp_path / "t.xlsx")
    code, report = check(capsys, tmp_path / "t.xlsx")
    assert code == 1 and "file.register_csv_only" in {f["code"] for f in report["findings"] if f["row"] is None}
    assert file_messages(report) == [columns_message([], ["Shoe Size"])]
    assert [(f["row"], f["field"]) for f in untrimmed(report)] == [(2, "sex")]


def test_text_output_says_what_registers_page_would_do(tmp_path, capsys):
    rows = three()
    rows[0]["sex"] = "11 "
    main(["check", str(write(tmp_path, csv_text(rows))), "--today", TODAY])
    out = capsys.readouterr().out
    assert "Register's upload page would refuse this file as it stands (1 of the errors" in out
    main(["check", str(write(tmp_path, csv_text(three()), name="ok.csv")), "--today", TODAY])
    assert "Register's upload page would accept this file as it stands" in capsys.readouterr().out
    main(["check", str(write(tmp_path, csv_text([]), name="none.csv")), "--today", TODAY])
    assert 'Register\'s upload page says: "The selected file must contain at least one trainee"' in capsys.readouterr().out


def test_guarded_helper_matches_registers_files():
    assert guarded({"sex": "11", "first_names": "Siân", "ethnicity": ""}) == {"sex": "'11", "first_names": "Siân",
                                                                              "ethnicity": ""}


# ---------------------------------------------------------------- SPEC §5.5 T9/T10 through check
@pytest.mark.parametrize(("itt_start", "expected"), [
    ("2013-09-02", {"trainee_start_date Cannot be more than 10 years in the past"}),  # more than 10 years before today
    ("2024-13-01", {"itt_start_date is invalid", "trainee_start_date is invalid"}),
])
def test_a_blank_trainee_start_date_takes_the_itt_start_date(tmp_path, capsys, itt_start, expected):
    """Register fills a blank trainee start date from the ITT start date before checking it (T9/T10),
    so an old or invalid ITT start date also fails the trainee start date's own checks."""
    rows = three()
    rows[1].update(trainee_start_date="", itt_start_date=itt_start, itt_end_date="2025-07-11")
    code, report = check(capsys, write(tmp_path, csv_text(rows)))
    assert code == 1
    row_messages = {f["register_csv_message"] for f in errors(report) if f["row"] == 3}
    assert row_messages == expected
    # the same start date given as the trainee start date is reported on that field
    rows[1]["trainee_start_date"] = itt_start
    code, report = check(capsys, write(tmp_path, csv_text(rows), name="given.csv"))
    assert {f["register_csv_message"] for f in errors(report) if f["row"] == 3} >= expected - {"itt_start_date is invalid"}
