"""Checks that run before a workbook is unpacked, so a hostile file cannot exhaust memory.

XLSX, XLSM and ODS are zip archives of XML. python-calamine inflates the sheet it reads into
memory, so a "zip bomb" (a few MB that unpack to many GB) is refused here from the archive's
directory, before anything is inflated. XML entity expansion ("billion laughs") needs no guard:
calamine's XML reader does not expand DTD entities (tests/unit/test_hostile_files.py shows it).

calamine also builds each sheet as one rectangle, from the first cell to the last, before this
app sees a row. So a few kilobytes can ask for gigabytes: two values at A1 and XFD1048576 made it
request 512 GB and abort the process (a crash, not an error); one row of an ODS sheet marked
"repeated 2,000,000 times" took 7 GB. ``check_sheet_shapes`` streams each sheet's XML once at C
speed (counting tags and looking only at cell references beyond column CV or row 99,999) and
refuses a sheet whose rectangle would exceed ``SHEET_MAX_ROWS`` rows, ``SHEET_MAX_COLUMNS``
columns or ``SHEET_MAX_CELLS`` cells. It costs about 0.3 s per 50,000 rows of XLSX.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from pathlib import Path

from desktop.core.errors import FileReadError

MAX_UNPACKED_BYTES = 512 * 1024 * 1024  # 100,000 template rows unpack to ~220 MB; twice that is the most we inflate
SHEET_MAX_ROWS = 150_000  # the rectangle calamine builds: the 100,000-row cap plus room for blank rows
SHEET_MAX_COLUMNS = 2_000  # as loading.Limits.max_columns
SHEET_MAX_CELLS = 12_000_000  # e.g. 100,000 rows by 120 columns: at most ~1.5 GB while it is read
MAX_ENTRIES = 10_000
MAX_RATIO = 200  # real sheets compress 5-30 times; bombs compress hundreds to thousands of times
RATIO_FLOOR = 20 * 1024 * 1024  # the ratio check applies only to parts that unpack beyond 20 MB


def check_zip_workbook(path: Path, *, max_unpacked: int = MAX_UNPACKED_BYTES) -> None:
    """Raise FileReadError if the archive is malformed or would unpack to an unreasonable size."""
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except Exception as exc:  # noqa: BLE001 - zipfile raises many types (even NotImplementedError) on bad archives
        raise FileReadError(
            f"{path.name} looks like a workbook but cannot be read: it is damaged or incomplete ({exc}). "
            "Open it in your spreadsheet program and save it again.") from None
    if len(infos) > MAX_ENTRIES:
        raise FileReadError(f"{path.name} holds {len(infos):,} parts; a workbook has a few dozen. It is not a normal spreadsheet.")
    total = sum(max(i.file_size, 0) for i in infos)
    if total > max_unpacked:
        raise FileReadError(
            f"{path.name} unpacks to {total / 1048576:,.0f} MB, more than this app reads "
            f"({max_unpacked / 1048576:,.0f} MB). Save the sheet as CSV, or split it.")
    for info in infos:
        if info.file_size > RATIO_FLOOR and info.compress_size > 0 and info.file_size / info.compress_size > MAX_RATIO:
            raise FileReadError(
                f"{path.name} contains a part ({info.filename}) that unpacks {info.file_size // info.compress_size:,} times "
                "larger than it is stored: that is how a 'zip bomb' looks, so the file was not opened.")
    names = {i.filename for i in infos}
    check_sheet_shapes(path, "ods" if "content.xml" in names and not any(n.startswith("xl/") for n in names) else "xlsx")


# ---------------------------------------------------------------------- sheet shapes
_CHUNK = 4 * 1024 * 1024
_MAX_CARRY = 64 * 1024 * 1024  # a single XLSX tag or ODS row bigger than this is not a spreadsheet
_ROW_REF = re.compile(rb"<(?:\w+:)?row\b[^>]*?\sr=\"(\d+)\"")
#: a cell reference beyond column CV (100) or row 99,999; legitimate template files have none
_FAR_REF = re.compile(rb" r=\"(?:((?:C[W-Z]|[D-Z][A-Z]|[A-Z]{3}))(\d+)|([A-Z]{1,2})(\d{6,}))\"")
_PREFIX = re.compile(rb"<(\w+):sheetData\b")
_FAR_COLUMN_FLOOR = 100
_ODS_ROW = re.compile(rb"<table:table-row\b([^>]*?)(?:/>|>(.*?)</table:table-row>)", re.S)
_ODS_TABLE = re.compile(rb"<table:table[ >]")
_ODS_REPEAT_ROWS = re.compile(rb"table:number-rows-repeated=\"(\d+)\"")
_ODS_CELL = re.compile(rb"<table:(?:covered-)?table-cell\b([^>]*?)(/?)>")
_ODS_REPEAT_COLS = re.compile(rb"table:number-columns-repeated=\"(\d+)\"")


def _column_index(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ch - 64)
    return n


def _stream(zf: zipfile.ZipFile, name: str, boundary: bytes) -> Iterator[bytes]:
    """The part's bytes in pieces that each end just after ``boundary`` (so no tag or row is cut)."""
    carry = b""
    with zf.open(name) as fh:
        while True:
            chunk = fh.read(_CHUNK)
            if not chunk:
                if carry:
                    yield carry
                return
            data = carry + chunk
            cut = data.rfind(boundary)
            if cut < 0:
                if len(data) > _MAX_CARRY:
                    raise FileReadError(f"{Path(zf.filename or '').name} holds one element larger than "
                                        f"{_MAX_CARRY // 1048576} MB: it is not a normal spreadsheet.")
                carry = data
                continue
            cut += len(boundary)
            carry = data[cut:]
            yield data[:cut]


def _refuse(path: Path, rows: int, columns: int) -> None:
    where = f"{path.name} has a sheet spanning {rows:,} rows by {columns:,} columns"
    if rows > SHEET_MAX_ROWS:
        raise FileReadError(
            f"{where}: this app reads at most 100,000 rows. If the data is smaller, something (a value or "
            "formatting) sits far below it: delete those rows, or save the sheet as CSV. Otherwise split the file.")
    if columns > SHEET_MAX_COLUMNS:
        raise FileReadError(
            f"{where}: this app reads at most {SHEET_MAX_COLUMNS:,} columns. If the data is narrower, something "
            "sits far to the right of it: delete those columns, or save the sheet as CSV.")
    if rows * columns > SHEET_MAX_CELLS:
        raise FileReadError(
            f"{where}, {rows * columns:,} cells: more than this app reads at once ({SHEET_MAX_CELLS:,}). Delete "
            "empty rows and columns around the data, save the sheet as CSV, or split it.")


def _xlsx_shape(zf: zipfile.ZipFile, name: str) -> tuple[int, int]:
    """(rows, columns) of the rectangle calamine would build for this worksheet, or an upper bound.

    Rows: the number of row elements, or the largest row any cell names beyond 99,999. Columns:
    the largest column any cell names beyond CV, else at most CV (100). Cells that name no
    reference take the next column, so then the widest row is counted (slower, never seen from
    Excel, LibreOffice or openpyxl, which always write references).
    """
    row_tags = c_tags = c_refs = 0
    far_col = far_row = 0
    prefix: bytes | None = None
    for piece in _stream(zf, name, b">"):
        if prefix is None:
            m = _PREFIX.search(piece)
            prefix = (m.group(1) + b":") if m else b""
        row_tags += piece.count(b"<" + prefix + b"row")
        c_tags += piece.count(b"<" + prefix + b"c ") + piece.count(b"<" + prefix + b"c>")
        c_refs += piece.count(b"<" + prefix + b'c r="')
        for col, row, col2, row2 in _FAR_REF.findall(piece):
            far_col = max(far_col, _column_index(col or col2))
            far_row = max(far_row, int(row or row2))
    if not c_tags:
        return 0, 0
    rows = max(row_tags, far_row)
    columns = max(far_col, _FAR_COLUMN_FLOOR)
    if c_refs < c_tags:
        columns = max(columns, _widest_row(zf, name, prefix or b""))
        rows = max(rows, _highest_row_ref(zf, name))
    return rows, columns


def _widest_row(zf: zipfile.ZipFile, name: str, prefix: bytes) -> int:
    widest = 0
    end = b"</" + prefix + b"row>"
    for piece in _stream(zf, name, end):
        for row in piece.split(end):
            widest = max(widest, row.count(b"<" + prefix + b"c ") + row.count(b"<" + prefix + b"c>"))
    return widest


def _highest_row_ref(zf: zipfile.ZipFile, name: str) -> int:
    highest = 0
    for piece in _stream(zf, name, b">"):
        for m in _ROW_REF.findall(piece):
            highest = max(highest, int(m))
    return highest


def _ods_shape(zf: zipfile.ZipFile, name: str) -> tuple[int, int]:
    """(rows, columns) up to the last cell with content, with repeated rows and cells expanded."""
    index = last_row = widest = 0
    for piece in _stream(zf, name, b"</table:table-row>"):
        for n, segment in enumerate(_ODS_TABLE.split(piece)):
            if n:
                index = 0  # a new sheet starts (each is built on its own): keep the largest
            for attrs, inner in _ODS_ROW.findall(segment):
                m = _ODS_REPEAT_ROWS.search(attrs)
                index += int(m.group(1)) if m else 1
                width = _ods_row_width(inner) if inner else 0
                if width:
                    last_row = max(last_row, index)
                    widest = max(widest, width)
    return last_row, widest


def _ods_row_width(inner: bytes) -> int:
    """Columns up to the row's last cell with content (0: no content)."""
    if b"office:value-type" not in inner and b"<text:" not in inner:
        return 0
    if b"number-columns-repeated" not in inner:
        return inner.count(b"<table:table-cell") + inner.count(b"<table:covered-table-cell")
    col = width = 0
    cells = list(_ODS_CELL.finditer(inner))
    for i, m in enumerate(cells):
        attrs, closed = m.group(1), m.group(2)
        rep = _ODS_REPEAT_COLS.search(attrs)
        col += int(rep.group(1)) if rep else 1
        end = cells[i + 1].start() if i + 1 < len(cells) else len(inner)
        if b"office:value-type" in attrs or (not closed and b"<text:" in inner[m.end():end]):
            width = col
    return width


def check_sheet_shapes(path: Path, kind: str) -> None:
    """Raise FileReadError if any sheet would be built as a rectangle beyond the caps (module docstring)."""
    try:
        with zipfile.ZipFile(path) as zf:
            names = zf.namelist()
            if kind == "ods":
                parts = [n for n in names if n == "content.xml"]
                shape = _ods_shape
            else:
                parts = [n for n in names if n.lower().endswith(".xml") and "worksheet" in n.lower()]
                shape = _xlsx_shape
            for part in parts:
                rows, columns = shape(zf, part)
                _refuse(path, rows, columns)
    except FileReadError:
        raise
    except MemoryError:
        raise
    except Exception:  # noqa: BLE001 - a damaged part: calamine will say so in its own words
        return
