import datetime as dt
from pathlib import Path

import openpyxl
import pytest

from desktop.core.errors import FileReadError
from desktop.core.loading import clean_text, decode_bytes, read_table, sniff_delimiter


def _csv(tmp_path: Path, text: str, encoding: str = "utf-8", name: str = "f.csv") -> Path:
    p = tmp_path / name
    p.write_bytes(text.encode(encoding))
    return p


@pytest.mark.parametrize(("encoding", "prefix", "reported"), [
    ("utf-8", b"", "UTF-8"),
    ("utf-8", b"\xef\xbb\xbf", "UTF-8 with BOM"),
    ("utf-16", b"", "UTF-16"),
    ("cp1252", b"", "Windows-1252"),
])
def test_csv_encodings_are_detected_and_reported(tmp_path, encoding, prefix, reported):
    """Each common encoding reads the accented name intact and says which it was."""
    p = tmp_path / "f.csv"
    p.write_bytes(prefix + "last_name,first_names\nNúñez,Siân\n".encode(encoding))
    t = read_table(p)
    assert t.headers == ["last_name", "first_names"]
    assert list(t.column("last_name")) == ["Núñez"]
    assert t.encoding == reported


def test_mixed_encodings_are_decoded_line_by_line():
    """A UTF-8 file with one Windows-1252 line loses neither name."""
    data = "a\nJosé\n".encode() + "Koélpin\n".encode("cp1252")
    text, label = decode_bytes(data)
    assert "José" in text and "Koélpin" in text
    assert label.startswith("mixed UTF-8")


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_delimiters_are_detected(tmp_path, delimiter):
    """Comma, semicolon and tab files all split into the same columns."""
    p = _csv(tmp_path, delimiter.join(["sex", "hesa_id", "email"]) + "\n" + delimiter.join(["10", "0310261553101", "a@example.com"]) + "\n")
    t = read_table(p)
    assert t.headers == ["sex", "hesa_id", "email"]
    assert t.delimiter == delimiter
    assert t.column("hesa_id")[0] == "0310261553101"


def test_sniff_delimiter_prefers_comma_when_no_separator():
    assert sniff_delimiter("onecolumn\nvalue\n") == ","


def test_quoted_newlines_keep_one_record_and_spreadsheet_row_numbers(tmp_path):
    """A quoted cell with a newline is one row; blank rows are skipped but numbered."""
    p = _csv(tmp_path, 'name,note\n"Ann","line one\nline two"\n,\n\nBob,x\n')
    t = read_table(p)
    assert list(t.column("note")) == ["line one\nline two", "x"]
    assert list(t.source_rows) == [2, 5]


def test_cells_keep_leading_zeros_lose_one_apostrophe_and_are_trimmed(tmp_path):
    p = _csv(tmp_path, "study_mode,route,x\n 01 ,'03,''x\n")
    t = read_table(p)
    assert [t.columns[i][0] for i in range(3)] == ["01", "03", "'x"]


def test_clean_text():
    assert clean_text("  '0117 ") == "0117"
    assert clean_text("O'Brien") == "O'Brien"


def test_scientific_text_is_reported_as_damage(tmp_path):
    """`1.21E+16` in a HESA ID column is damage, never turned back into digits."""
    p = _csv(tmp_path, "hesa_id\n1.21E+16\n0310261553101\n")
    t = read_table(p)
    assert [(d.row, d.value, d.kind) for d in t.damage] == [(0, "1.21E+16", "scientific")]
    assert t.column("hesa_id")[0] == "1.21E+16"


def _xlsx(tmp_path: Path, rows: list[list[object]], *, sheets: dict[str, list[list[object]]] | None = None,
          name: str = "f.xlsx", start_row: int = 1) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "First"
    for r, row in enumerate(rows, start=start_row):
        for c, v in enumerate(row, start=1):
            ws.cell(r, c, v)
    for sname, srows in (sheets or {}).items():
        s = wb.create_sheet(sname)
        for srow in srows:
            s.append(srow)
    p = tmp_path / name
    wb.save(p)
    return p


def test_xlsx_cells_become_the_text_a_person_sees(tmp_path):
    """Dates become ISO, whole numbers lose .0, text codes keep zeros, long numbers are damage."""
    p = _xlsx(tmp_path, [
        ["hesa_id", "date_of_birth", "study_mode", "course_year", "ratio"],
        [12100071451234567, dt.datetime(1985, 2, 13), "01", 1.0, 2.5],
    ])
    t = read_table(p)
    assert t.format == "xlsx" and t.sheet == "First"
    row = [c[0] for c in t.columns]
    assert row[1:] == ["1985-02-13", "01", "1", "2.5"]
    assert [(d.column, d.kind) for d in t.damage] == [(0, "long_number")]


def test_xlsx_row_numbers_match_the_sheet(tmp_path):
    """A table starting on row 3 with a blank row reports rows 4 and 6."""
    p = _xlsx(tmp_path, [["a", "b"], ["1", "2"], [None, None], ["3", "4"]], start_row=3)
    t = read_table(p)
    assert t.header_row == 3
    assert list(t.source_rows) == [4, 6]


def test_default_sheet_is_first_non_empty_and_sheet_can_be_chosen(tmp_path):
    p = _xlsx(tmp_path, [], sheets={"Data": [["a"], ["x"]], "Other": [["b"], ["y"]]})
    assert read_table(p).sheet == "Data"
    assert read_table(p, sheet="Other").column("b")[0] == "y"
    with pytest.raises(FileReadError, match="no sheet named 'Nope'"):
        read_table(p, sheet="Nope")


def test_ods_and_xlsm_are_read(tmp_path):
    """ODS (written by pandas' odf engine if present) and XLSM read like XLSX."""
    p = _xlsx(tmp_path, [["a"], ["007"]], name="f.xlsm")
    assert read_table(p).column("a")[0] == "007"


def test_csv_named_xlsx_is_read_as_csv(tmp_path):
    p = _csv(tmp_path, "a,b\n1,2\n", name="wrong.xlsx")
    t = read_table(p)
    assert t.format == "csv" and any("holds CSV text" in n for n in t.notes)


@pytest.mark.parametrize(("content", "message"), [
    (b"", "is empty"),
    (b"\x00\x01\x02\x03garbage\x00\xff" * 100, "binary"),
    (b"PK\x03\x04truncated zip", "cannot be read"),
    (b"\n\n,,,\n", "no header row"),
])
def test_unreadable_files_raise_a_clear_reason(tmp_path, content, message):
    p = tmp_path / "bad.csv"
    p.write_bytes(content)
    with pytest.raises(FileReadError, match=message):
        read_table(p)


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(FileReadError, match="There is no file"):
        read_table(tmp_path / "nope.csv")
    with pytest.raises(FileReadError, match="is a folder"):
        read_table(tmp_path)


def test_ragged_rows_are_kept_and_reported(tmp_path):
    p = _csv(tmp_path, "a,b\n1\n1,2,3\n")
    t = read_table(p)
    assert list(t.column("b")) == ["", "2"]
    assert t.extra_cells == [(1, 1)]


def test_reader_notes_reach_the_user_as_info_findings(tmp_path):
    """What the reader decided (a CSV named .xlsx) is shown, not kept to itself."""
    from desktop.core.session import ImportSession

    p = _csv(tmp_path, "sex\n10\n", name="wrong.xlsx")
    notes = ImportSession.open(p).findings.where(code="file.note")
    assert len(notes) == 1
    assert "holds CSV text" in next(iter(notes)).message


# ---------------------------------------------------------------- what Register's page would see (issue 13)
def test_cells_trimmed_on_reading_are_remembered_with_their_text(tmp_path):
    """Register never trims a cell, so the reader notes each cell it trimmed (left non-blank) and how it
    was written; blank and whitespace-only cells are not noted (Register treats them as empty)."""
    p = _csv(tmp_path, "sex,training_route,email,note\n'11 ,' 12,a@example.com,   \n10,12,  b@example.com ,x\n"
                       " '10,'12',c@example.com,\n")
    t = read_table(p)
    assert [list(c) for c in t.columns[:3]] == [["11", "10", "10"], ["12", "12", "12'"],
                                                 ["a@example.com", "b@example.com", "c@example.com"]]
    noted = {c: (t.trimmed[c].positions.tolist(), t.trimmed[c].values) for c in t.trimmed}
    assert noted == {0: ([0, 2], ["'11 ", " '10"]), 1: ([0], [" 12"]), 2: ([1], ["  b@example.com "])}


def test_a_clean_column_notes_nothing(tmp_path):
    t = read_table(_csv(tmp_path, "sex,email\n10,a@example.com\n'11,b@example.com\n"))
    assert t.trimmed == {}


def test_workbook_cells_trimmed_on_reading_are_remembered_by_table_row(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append([None, None])
    ws.append([" sex", "email"])
    ws.append(["11 ", " a@example.com"])
    ws.append([None, None])  # a blank row: the next row is the table's second
    ws.append(["' 12", 5])
    wb.save(tmp_path / "t.xlsx")
    t = read_table(tmp_path / "t.xlsx")
    assert t.headers == ["sex", "email"] and t.raw_headers == [" sex", "email"]
    assert list(t.source_rows) == [3, 5]
    noted = {c: (t.trimmed[c].positions.tolist(), t.trimmed[c].values) for c in t.trimmed}
    assert noted == {0: ([0, 1], ["11 ", " 12"]), 1: ([0], [" a@example.com"])}


def test_header_as_written_and_the_first_records_width(tmp_path):
    t = read_table(_csv(tmp_path, " sex ,email\n10,a@example.com,extra\n"))
    assert t.headers == ["sex", "email"] and t.raw_headers == [" sex ", "email"]
    assert t.first_record_fields == 3
    t = read_table(_csv(tmp_path, "sex,email\n,\n10,a@example.com\n", name="g.csv"))
    assert t.first_record_fields is None  # the record after the header is blank: nothing to say


@pytest.mark.parametrize(("data", "size"), [
    (b"a,b\r\n1,2\r\n", 8),  # CRLF counts as LF
    (b"\xef\xbb\xbfa,b\n1,2\n", 11),  # a UTF-8 BOM stays (Register does not remove it)
    ("a,b\nK\u00f6lpin,2\n".encode("cp1252"), len("a,b\nK\u00f6lpin,2\n".encode())),  # measured as UTF-8
    ("a,b\r\n1,2\r\n".encode("utf-16"), 8),
])
def test_size_as_register_measures_it(tmp_path, data, size):
    p = tmp_path / "f.csv"
    p.write_bytes(data)
    assert read_table(p).utf8_size == size


def test_an_empty_file_quotes_registers_words(tmp_path):
    p = tmp_path / "empty.csv"
    p.write_bytes(b"")
    with pytest.raises(FileReadError) as e:
        read_table(p)
    assert e.value.register_message == "The selected file is empty"
    assert e.value.message == 'empty.csv is empty. Register\'s upload page says: "The selected file is empty".'
