"""`register-desktop check` on awkward and hostile files: findings or one clear line, never a traceback.

Beyond the corpus in test_cli_check.py: XLS and ODS (small synthetic workbooks made by LibreOffice
from trainees.xlsx, see tests/data/workbooks/generate.py), UTF-16 without a BOM, UTF-32, encodings
nobody should use, megabyte cells and thousands of columns.
"""

import json
import shutil
from pathlib import Path

import openpyxl
import pytest

from desktop.cli import main
from desktop.core.loading import DEFAULT_LIMITS, read_table
from tests.helpers import TEMPLATE, valid_row, write_csv

WORKBOOKS = Path(__file__).resolve().parent.parent / "data" / "workbooks"
LIMIT = DEFAULT_LIMITS.max_cell_chars


def check(capsys, path: Path, *args: str) -> tuple[int, dict | None, str]:
    """Run check with --format json; (exit code, report or None, standard error)."""
    code = main(["check", str(path), "--format", "json", "--today", "2026-11-28", *args])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    if code == 2:
        assert captured.err.startswith("register-desktop: ")
        assert len(captured.err.strip().splitlines()) == 1, captured.err
        return code, None, captured.err
    assert code in (0, 1), captured.err
    return code, json.loads(captured.out), captured.err


def cell_findings(report: dict) -> set[tuple[int, str, str]]:
    return {(f["row"], f["field"], f["code"]) for f in report["findings"] if f["row"] is not None}


def template_text(*rows: dict[str, str]) -> str:
    lines = [TEMPLATE.header_line()] + [",".join(r[n] for n in TEMPLATE.names) for r in rows]
    return "\r\n".join(lines) + "\r\n"


# ------------------------------------------------------------------------------ XLS and ODS


@pytest.mark.parametrize("kind", ["xls", "ods"])
def test_xls_and_ods_read_as_the_xlsx_they_were_made_from(kind):
    """Same headers, cells, spreadsheet rows, sheets and damage as the XLSX LibreOffice converted."""
    xlsx, other = read_table(WORKBOOKS / "trainees.xlsx"), read_table(WORKBOOKS / f"trainees.{kind}")
    assert other.format == kind and other.sheet == "Trainees" and other.sheets == ["Trainees", "Notes"]
    assert other.headers == xlsx.headers == TEMPLATE.names
    assert list(other.source_rows) == list(xlsx.source_rows) == [2, 3, 5, 6]
    for name in TEMPLATE.names:
        if name != "hesa_id":
            assert list(other.column(name)) == list(xlsx.column(name)), name
    assert list(other.column("date_of_birth")) == ["1990-04-13"] * 4  # date cells become ISO dates
    assert list(other.column("course_year")) == ["1"] * 4  # number cells lose ".0"
    assert list(other.column("study_mode")) == ["01"] * 4  # text keeps its leading zero
    assert [(d.row, d.column, d.kind) for d in other.damage] == [(3, TEMPLATE.names.index("hesa_id"), "long_number")]


@pytest.mark.parametrize("kind", ["xlsx", "xls", "ods"])
def test_check_reports_workbook_problems_on_spreadsheet_rows(capsys, kind):
    code, report, _ = check(capsys, WORKBOOKS / f"trainees.{kind}")
    assert code == 1
    assert report["sheet"] == "Trainees" and report["rows"] == 4
    assert cell_findings(report) == {(3, "sex", "cell.code_list"), (6, "hesa_id", "cell.excel_damage")}
    assert report["summary"] == {"errors": 2, "warnings": 0, "rows_with_errors": 2, "valid_rows": 2}


@pytest.mark.parametrize("kind", ["xls", "ods"])
def test_sheet_can_be_chosen_in_xls_and_ods(capsys, kind):
    code, report, _ = check(capsys, WORKBOOKS / f"trainees.{kind}", "--sheet", "Notes")
    assert code == 1  # a notes sheet has none of the template's columns
    assert report["sheet"] == "Notes" and report["rows"] == 1
    assert any(f["code"] == "header.missing" for f in report["findings"])
    code, _, err = check(capsys, WORKBOOKS / f"trainees.{kind}", "--sheet", "Sheet9")
    assert code == 2 and "no sheet named 'Sheet9'" in err and "'Trainees', 'Notes'" in err


@pytest.mark.parametrize(("kind", "name"), [("xls", "renamed.xlsx"), ("xls", "renamed.csv"), ("ods", "renamed.xlsx")])
def test_workbook_with_the_wrong_extension_is_read_by_its_content(tmp_path, capsys, kind, name):
    p = tmp_path / name
    shutil.copy(WORKBOOKS / f"trainees.{kind}", p)
    code, report, _ = check(capsys, p)
    assert code == 1 and report["rows"] == 4 and report["sheet"] == "Trainees"
    assert (3, "sex", "cell.code_list") in cell_findings(report)


@pytest.mark.parametrize("kind", ["xls", "ods"])
def test_truncated_xls_and_ods_exit_2(tmp_path, capsys, kind):
    data = (WORKBOOKS / f"trainees.{kind}").read_bytes()
    p = tmp_path / f"truncated.{kind}"
    p.write_bytes(data[: len(data) // 2])
    code, _, err = check(capsys, p)
    assert code == 2
    assert "cannot be read" in err or "damaged" in err


# ------------------------------------------------------------------------------ encodings


@pytest.mark.parametrize(("codec", "label"), [("utf-16-le", "UTF-16LE"), ("utf-16-be", "UTF-16BE")])
def test_utf16_without_bom_reads_like_utf8(tmp_path, capsys, codec, label):
    """The byte order is worked out from the zero bytes; names and findings match the UTF-8 file."""
    text = template_text(valid_row(first_names="Siân", last_name="Ó Súilleabháin"),
                         valid_row(first_names="Llŷr", last_name="ap Rhys", sex="Male", email="llyr.aprhys@example.org"))
    utf8, other = tmp_path / "utf8.csv", tmp_path / "other.csv"
    utf8.write_bytes(text.encode("utf-8"))
    other.write_bytes(text.encode(codec))
    _, expected, _ = check(capsys, utf8)
    code, report, _ = check(capsys, other)
    assert code == 1 and report["encoding"] == label
    assert report["findings"] == expected["findings"]
    assert read_table(other).column("last_name")[1] == "ap Rhys"
    assert list(read_table(other).column("first_names")) == ["Siân", "Llŷr"]


def test_utf32_with_bom_is_read(tmp_path, capsys):
    p = tmp_path / "u32.csv"
    p.write_bytes(template_text(valid_row(first_names="Zoë")).encode("utf-32"))
    code, report, _ = check(capsys, p)
    assert code == 0 and report["encoding"] == "UTF-32" and report["rows"] == 1
    assert read_table(p).column("first_names")[0] == "Zoë"


def test_utf32_without_bom_is_refused_as_binary(tmp_path, capsys):
    p = tmp_path / "u32le.csv"
    p.write_bytes(template_text(valid_row()).encode("utf-32-le"))
    code, _, err = check(capsys, p)
    assert code == 2 and "binary data" in err


def test_ebcdic_gives_findings_about_the_columns(tmp_path, capsys):
    """A mainframe export decodes to nonsense headers: every template column is reported missing."""
    p = tmp_path / "ebcdic.csv"
    p.write_bytes(template_text(valid_row()).encode("cp500"))
    code, report, _ = check(capsys, p)
    assert code == 1
    missing = {f["field"] for f in report["findings"] if f["code"] == "header.missing"}
    assert missing == set(TEMPLATE.names)


@pytest.mark.parametrize("name", ["shift_jis", "cp1252_undefined_bytes", "high_bytes_everywhere"])
def test_unknown_encodings_are_read_and_reported_not_guessed_silently(tmp_path, capsys, name):
    """Bytes that are not UTF-8 are read with a legacy code page, which the report names."""
    p = tmp_path / f"{name}.csv"
    header = TEMPLATE.header_line().encode()
    if name == "shift_jis":
        p.write_bytes(template_text(valid_row(first_names="山田")).encode("shift_jis"))
    elif name == "cp1252_undefined_bytes":  # 0x81, 0x8D, 0x8F, 0x90, 0x9D mean nothing in Windows-1252
        row = ",".join(valid_row().values()).encode().replace(b"Si\xc3\xa2n", b"Si\x81\x8d\x8f\x90\x9dn")
        p.write_bytes(header + b"\r\n" + row + b"\r\n")
    else:
        p.write_bytes(header + b"\r\n" + bytes(range(0x80, 0x100)) * 4 + b"\r\n")
    code, report, _ = check(capsys, p)
    assert report["encoding"] not in {"UTF-8", "UTF-8 with BOM"}
    assert report["rows"] == 1
    assert code in (0, 1)


# ------------------------------------------------------------------------------ huge cells


def test_cell_at_the_limit_is_checked_not_refused(tmp_path, capsys):
    p = write_csv(tmp_path / "big.csv", [valid_row(last_name="x" * LIMIT)])
    code, report, _ = check(capsys, p)
    assert code == 1
    (finding,) = [f for f in report["findings"] if f["field"] == "last_name"]
    assert finding["code"] == "cell.too_long" and finding["row"] == 2
    assert len(finding["value"]) == LIMIT  # the offending value is reported whole


def test_cell_over_the_limit_exit_2_naming_row_and_column(tmp_path, capsys):
    p = write_csv(tmp_path / "huge.csv", [valid_row(), valid_row(previous_last_name="x" * (LIMIT + 1))])
    code, _, err = check(capsys, p)
    assert code == 2
    assert "Row 3, column 'previous_last_name'" in err and f"{LIMIT + 1:,} characters" in err


def test_runaway_quote_past_the_csv_field_limit_exit_2(tmp_path, capsys):
    """An unbalanced quote early in a big file runs every later row into one giant cell."""
    row = ",".join(valid_row().values())
    body = (row + "\r\n") * (4 * LIMIT // len(row) + 10)
    p = tmp_path / "runaway.csv"
    p.write_text(TEMPLATE.header_line() + '\r\n"' + body, encoding="utf-8")
    code, _, err = check(capsys, p)
    assert code == 2
    assert "unbalanced quote" in err and f"{LIMIT:,}" in err


def test_megabyte_cell_in_a_workbook_is_checked(tmp_path, capsys):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(TEMPLATE.names)
    ws.append([valid_row(last_name="Ó" * 1_000_000)[n] for n in TEMPLATE.names])
    p = tmp_path / "bigcell.xlsx"
    wb.save(p)
    code, report, _ = check(capsys, p)
    assert code == 1
    assert cell_findings(report) == {(2, "last_name", "cell.too_long")}


# ------------------------------------------------------------------------------ extreme widths


def _wide_header(total: int) -> list[str]:
    return [*TEMPLATE.names, *(f"extra_{i:04d}" for i in range(total - len(TEMPLATE.names)))]


def test_two_thousand_columns_are_read(tmp_path, capsys):
    headers = _wide_header(DEFAULT_LIMITS.max_columns)
    p = write_csv(tmp_path / "wide.csv", [{**valid_row(), "extra_0001": "note"}], headers=headers)
    code, report, _ = check(capsys, p, "--no-as-uploaded")
    assert code == 0 and report["rows"] == 1
    unmapped = [f for f in report["findings"] if f["code"] == "header.unmapped"]
    assert len(unmapped) == DEFAULT_LIMITS.max_columns - len(TEMPLATE.names)
    assert all(f["severity"] == "warning" for f in unmapped)
    # Register's own upload page refuses the extra columns: the file as it stands fails
    code, report, _ = check(capsys, p)
    assert code == 1 and report["findings"][0]["code"] == "file.register_columns"
    message = report["findings"][0]["register_message"]
    assert message.startswith("Your file’s column names need to match the CSV template. Your file has the following "
                              "extra columns: 'extra_0000', 'extra_0001', ")
    assert message.endswith(", 'extra_1947', and 'extra_1948'")


def test_more_named_columns_than_the_limit_exit_2(tmp_path, capsys):
    p = write_csv(tmp_path / "wider.csv", [valid_row()], headers=_wide_header(DEFAULT_LIMITS.max_columns + 1))
    code, _, err = check(capsys, p)
    assert code == 2 and "2,001 columns" in err and "at most 2,000" in err


def test_thousands_of_trailing_empty_columns_are_ignored(tmp_path, capsys):
    """A spreadsheet saved as CSV writes formatted but empty columns as empty fields."""
    tail = "," * 5000
    p = tmp_path / "trailing.csv"
    p.write_text("\r\n".join(line + tail for line in template_text(valid_row()).splitlines()) + "\r\n", encoding="utf-8")
    code, report, _ = check(capsys, p, "--no-as-uploaded")
    assert code == 0 and report["rows"] == 1
    assert report["summary"]["warnings"] == 0
    # Register's page reads those empty fields as columns without a header: its structure message
    code, report, _ = check(capsys, p)
    assert code == 1 and [f["code"] for f in report["findings"] if f["severity"] == "error"] == ["file.register_structure"]


def test_trailing_empty_header_cells_with_data_under_them_are_extra_cells(tmp_path, capsys):
    tail = "," * 3000
    p = tmp_path / "trailing-data.csv"
    row = ",".join(valid_row().values())
    p.write_text(TEMPLATE.header_line() + tail + "\r\n" + row + tail + "stray\r\n", encoding="utf-8")
    code, report, _ = check(capsys, p)
    assert code == 1
    (extra,) = [f for f in report["findings"] if f["code"] == "row.extra_cells"]
    assert extra["row"] == 2 and extra["value"] == "3000"


def test_a_row_with_thousands_of_cells_is_reported(tmp_path, capsys):
    row = ",".join(valid_row().values())
    p = tmp_path / "ragged.csv"
    p.write_text(TEMPLATE.header_line() + "\r\n" + row + "\r\n" + row + ",x" * 10_000 + "\r\n", encoding="utf-8")
    code, report, _ = check(capsys, p)
    assert code == 1
    (extra,) = [f for f in report["findings"] if f["code"] == "row.extra_cells"]
    assert extra["row"] == 3 and extra["value"] == "10000"


def test_too_wide_workbook_exit_2(tmp_path, capsys):
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("Wide")
    ws.append(_wide_header(2500))
    ws.append(list(valid_row().values()))
    p = tmp_path / "wide.xlsx"
    wb.save(p)
    code, _, err = check(capsys, p)
    assert code == 2 and "2,500 columns" in err
