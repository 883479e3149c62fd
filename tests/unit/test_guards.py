"""The workbook guards measure each part as calamine would read it, in any quoting, case, spacing or prefix.

The fast measure (numpy over the plain form) and the event-by-event one (expat) must agree on
every sheet the fast one accepts; anything it does not accept it hands to expat. Generated sheets
check both; each way of writing a far-away cell is refused; ordinary workbooks pass.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from desktop.core import guards
from desktop.core.errors import FileReadError
from desktop.core.loading import read_table
from tests.data.hostile.generate import HOSTILE, _far, _ods, _sheet, _xlsx

ROOT = Path(__file__).resolve().parents[2]
WORKBOOKS = ROOT / "tests" / "data" / "workbooks"
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def col_name(n: int) -> str:
    s = ""
    while n:
        n, r = divmod(n - 1, 26)
        s = chr(65 + r) + s
    return s


def measure_both(path: Path) -> tuple[tuple[int, int, int] | None, tuple[int, int, int]]:
    """(fast measure or None if it handed over, expat measure) of the first sheet."""
    with zipfile.ZipFile(path) as zf:
        try:
            fast = guards._fast_sheet(path, zf, "xl/worksheets/sheet1.xml")
            fast_m: tuple[int, int, int] | None = (fast.max_row, fast.max_col, fast.cells)
        except guards._Irregular:
            fast_m = None
        slow = guards._expat_sheet(path, zf, "xl/worksheets/sheet1.xml")
    return fast_m, (slow.max_row, slow.max_col, slow.cells)


# ---------------------------------------------------------------------- both readings agree
cells = st.lists(st.tuples(st.integers(1, 3000), st.integers(1, 120)), min_size=0, max_size=60)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cells=cells, lower=st.booleans(), single=st.booleans(), row_refs=st.booleans(),
       text=st.sampled_from(["", "O'Brien", 'say "x"', "a > b", "r=1", "x = y", "&amp;", "<![CDATA[<c r='ZZZ9'>]]>"]))
def test_the_fast_measure_agrees_with_expat_or_hands_over(tmp_path_factory, cells, lower, single, row_refs, text):
    rows: dict[int, list[int]] = {}
    for r, c in cells:
        rows.setdefault(r, []).append(c)
    q = "'" if single else '"'
    body = ""
    for r in sorted(rows):
        body += f"<row r={q}{r}{q}>" if row_refs else "<row>"
        for c in rows[r]:
            ref = f"{col_name(c)}{r}"
            body += f"<c r={q}{ref.lower() if lower else ref}{q} t=\"inlineStr\"><is><t>{text}</t></is></c>"
        body += "</row>"
    path = _xlsx(tmp_path_factory.mktemp("g") / "g.xlsx", _sheet(body))
    fast, slow = measure_both(path)
    expected_rows = max([1, *rows]) if rows else 1  # the header row is row 1
    assert slow[0] == expected_rows and slow[2] == len(cells) + 5
    if fast is not None:
        assert fast == slow


@pytest.mark.parametrize("variant", [
    '<c r="B2"><v>1</v></c>', "<c r='B2'><v>1</v></c>", '<c r="b2"/>', '<c r="B2" s="1" t="n"><v>2</v></c>',
])
def test_the_plain_form_is_measured_fast(tmp_path, variant):
    path = _xlsx(tmp_path / "p.xlsx", _sheet(f'<row r="2">{variant}</row>'))
    fast, slow = measure_both(path)
    assert fast == slow == (2, 5, 6)


@pytest.mark.parametrize("variant", [
    '<c t="n" r="B2"><v>1</v></c>',  # r after another attribute
    '<c\tr="B2"><v>1</v></c>',  # a tab
    '<c r = "B2"><v>1</v></c>',  # spaces around =
    "<c><v>1</v></c>",  # no reference
    '<c r="B2"><v>1</v></c><!-- <c r="XFD1048576"/> -->',  # a comment (not a cell to calamine or expat)
    '<c r="B002"><v>1</v></c>',  # a leading zero
])
def test_other_forms_go_to_expat(tmp_path, variant):
    path = _xlsx(tmp_path / "p.xlsx", _sheet(f'<row r="2">{variant}</row>'))
    fast, slow = measure_both(path)
    assert fast is None
    assert slow[0] == 2


# ---------------------------------------------------------------------- every way of writing a far cell
FAR_CELLS = {
    "upper": '<c r="XFD1048576"><v>1</v></c>',
    "lower": '<c r="xfd1048576"><v>1</v></c>',
    "mixed": '<c r="xFd1048576"><v>1</v></c>',
    "single quotes": "<c r='XFD1048576'><v>1</v></c>",
    "tab": '<c\tr="XFD1048576"><v>1</v></c>',
    "newlines and spaces": '<c\n  r \n=\n "XFD1048576"><v>1</v></c>',
    "after t=": '<c t="n" r="XFD1048576"><v>1</v></c>',
    "after s= in single quotes": "<c s='1' r='XFD1048576'><v>1</v></c>",
    "character reference": '<c r="&#88;FD1048576"><v>1</v></c>',
    "hex character reference": '<c r="&#x58;&#x46;&#x44;1048576"><v>1</v></c>',
    "leading-zero decoy first": '<c r="A0000001"><v>1</v></c><c r="XFD1048576"><v>1</v></c>',
    "empty cell": '<c r="XFD1048576"/>',
    "far column only": '<c r="ZZZ2"><v>1</v></c>',
    "far row only": '<c r="A1048576"><v>1</v></c>',
    "huge number": '<c r="A99999999999999999999"><v>1</v></c>',
}


@pytest.mark.parametrize("cell", FAR_CELLS.values(), ids=FAR_CELLS.keys())
def test_a_far_cell_is_refused_however_it_is_written(tmp_path, cell):
    path = _xlsx(tmp_path / "far.xlsx", _sheet(_far(cell)))
    with pytest.raises(FileReadError, match=r"rows|columns") as info:
        guards.check_zip_workbook(path)
    assert "\n" not in str(info.value)


def test_a_prefixed_sheet_and_a_second_reference_are_refused(tmp_path):
    prefixed = _sheet('<x:row r="1048576"><x:c r="XFD1048576"><x:v>1</x:v></x:c></x:row>', prefix="x:",
                      xmlns=f'xmlns:x="{MAIN}"')
    with pytest.raises(FileReadError, match="1,048,576 rows"):
        guards.check_zip_workbook(_xlsx(tmp_path / "prefixed.xlsx", prefixed))
    twice = _sheet(_far('<c r="A2" r="XFD1048576"><v>1</v></c>'))  # calamine would take the last
    with pytest.raises(FileReadError, match="not well-formed"):
        guards.check_zip_workbook(_xlsx(tmp_path / "twice.xlsx", twice))


def test_a_prefixed_cell_without_a_reference_is_measured_by_expat(tmp_path):
    sheet = (f'<worksheet xmlns="{MAIN}" xmlns:x="{MAIN}"><sheetData><row>'
             + "<x:c><x:v>1</x:v></x:c>" * 2100 + "</row></sheetData></worksheet>")
    with pytest.raises(FileReadError, match="2,001 columns"):
        guards.check_zip_workbook(_xlsx(tmp_path / "p.xlsx", sheet))


def test_a_sheet_in_utf16_is_read_by_expat(tmp_path):
    sheet = _sheet(_far('<c r="XFD1048576"><v>1</v></c>')).replace('encoding="UTF-8"', 'encoding="UTF-16"')
    path = _xlsx(tmp_path / "u16.xlsx", sheet.encode("utf-16"))  # type: ignore[arg-type]
    with pytest.raises(FileReadError, match="1,048,576 rows"):
        guards.check_zip_workbook(path)


def test_malformed_xml_is_refused_not_guessed(tmp_path):
    path = _xlsx(tmp_path / "bad.xlsx", _sheet('<row><c r=XFD1048576><v>1</v></c></row>'))
    with pytest.raises(FileReadError, match="not well-formed XML"):
        guards.check_zip_workbook(path)


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_each_hostile_file_is_refused_in_process(name):
    with pytest.raises(FileReadError) as info:
        guards.check_zip_workbook(ROOT / "tests" / "data" / "hostile" / name)
    assert str(info.value).startswith(name) and "\n" not in str(info.value)


def test_two_parts_with_one_name_and_binary_workbooks_are_refused(tmp_path):
    path = _xlsx(tmp_path / "dup.xlsx", _sheet(""))
    with zipfile.ZipFile(path, "a") as z, pytest.warns(UserWarning, match="Duplicate name"):
        z.writestr("xl/worksheets/sheet1.xml", _sheet(_far('<c r="XFD1048576"/>')))
    with pytest.raises(FileReadError, match="two parts with the same name"):
        guards.check_zip_workbook(path)
    xlsb = tmp_path / "book.xlsb"
    with zipfile.ZipFile(xlsb, "w") as z:
        z.writestr("xl/workbook.bin", b"\x83\x01\x00")
    with pytest.raises(FileReadError, match=r"\.xlsb"):
        guards.check_zip_workbook(xlsb)


# ---------------------------------------------------------------------- shared strings and ODS with small caps
def test_shared_strings_are_counted_in_any_form(tmp_path, monkeypatch):
    monkeypatch.setattr(guards, "SHARED_STRINGS_MAX", 100)
    plain = f'<sst xmlns="{MAIN}">' + "<si><t>x</t></si>" * 101 + "</sst>"
    with pytest.raises(FileReadError, match="101 shared strings"):
        guards.check_zip_workbook(_xlsx(tmp_path / "a.xlsx", _sheet(""), shared=plain))
    prefixed = f'<x:sst xmlns:x="{MAIN}">' + "<x:si><x:t>x</x:t></x:si>" * 101 + "</x:sst>"
    with pytest.raises(FileReadError, match="101 shared strings"):
        guards.check_zip_workbook(_xlsx(tmp_path / "b.xlsx", _sheet(""), shared=prefixed))
    fine = f'<sst xmlns="{MAIN}" count="100" uniqueCount="100">' + "<si><t>x</t></si>" * 100 + "</sst>"
    guards.check_zip_workbook(_xlsx(tmp_path / "c.xlsx", _sheet(""), shared=fine))


def test_ods_repeats_count_in_any_quoting(tmp_path):
    for attr in ("table:number-rows-repeated='200000'", 'table:number-rows-repeated="&#50;00000"',
                 'table:number-rows-repeated\n=\t"200000"'):
        path = _ods(tmp_path / "r.ods", f"<table:table-row {attr}>" + '<table:table-cell office:value-type="float" '
                    'office:value="1"/></table:table-row>')
        with pytest.raises(FileReadError, match="200,001 rows"):
            guards.check_zip_workbook(path)


def test_ods_rows_without_values_cost_nothing(tmp_path):
    """LibreOffice writes the rest of a sheet as one empty row repeated a million times: not counted."""
    path = _ods(tmp_path / "lo.ods", '<table:table-row><table:table-cell office:value-type="float" office:value="1"/>'
                '</table:table-row><table:table-row table:number-rows-repeated="1048570"><table:table-cell '
                'table:number-columns-repeated="1024"/></table:table-row>')
    guards.check_zip_workbook(path)


def test_ods_sheets_count_together(tmp_path, monkeypatch):
    monkeypatch.setattr(guards, "SHEET_MAX_CELLS", 30)
    row = "<table:table-row>" + '<table:table-cell office:value-type="float" office:value="1"/>' * 5 + "</table:table-row>"
    path = _ods(tmp_path / "two.ods", row * 3)  # the first sheet: the header and 3 rows of 5
    content = zipfile.ZipFile(path).read("content.xml").decode()
    content = content.replace("</office:spreadsheet>", f'<table:table table:name="S2">{row * 4}</table:table>'
                              "</office:spreadsheet>")
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("content.xml", content)
    with pytest.raises(FileReadError, match="40 cells together"):
        guards.check_zip_workbook(path)


# ---------------------------------------------------------------------- ordinary files pass and read as before
def test_ordinary_workbooks_pass():
    for name in ("trainees.xlsx", "trainees.ods"):
        guards.check_zip_workbook(WORKBOOKS / name)
        assert read_table(WORKBOOKS / name).n_rows == 4


def test_an_openpyxl_workbook_with_shared_formatting_is_measured_fast(tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    for r in range(1, 200):
        ws.append([f"O'Brien {r}", r, "x = y", "<tag>", "a & b"])
    buf = io.BytesIO()
    wb.save(buf)
    path = tmp_path / "ok.xlsx"
    path.write_bytes(buf.getvalue())
    fast, slow = measure_both(path)
    assert fast == slow == (199, 5, 995)
    guards.check_zip_workbook(path)
