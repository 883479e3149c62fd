"""Checks that run before a workbook is unpacked, so a hostile file cannot exhaust memory.

XLSX, XLSM and ODS are zip archives of XML. python-calamine inflates the sheet it reads into
memory, so a "zip bomb" (a few MB that unpack to many GB) is refused here from the archive's
directory, before anything is inflated.

calamine also builds each sheet as one rectangle, from the first cell to the last, before this
app sees a row: a few kilobytes can ask for gigabytes (a value at A1 and another at XFD1048576
asked for 512 GB and aborted the process; one ODS row "repeated 2,000,000 times" took 7 GB; a
cell asking for a billion spaces, a billion). So every part calamine will read is **measured from
its XML before calamine sees the file**, with the same reading of the XML calamine has (element
names by their local part for XLSX and by their literal name for ODS, the ``r`` attribute exactly,
values as a parser delivers them, in any quoting, case, spacing or character reference):

* each worksheet: its ``dimension``, the rows and columns spanned by its cells (cells without a
  reference placed as calamine places them: after the previous cell, in the row's row) and the
  number of cells;
* the shared strings: how many it declares (calamine reserves room for them: 4,000,000,000 asked for
  96 GB), how many it holds, and how much text;
* the ODS content: per sheet, the rows up to the last one with a value (``number-rows-repeated``
  expanded), the widest row (``number-columns-repeated`` expanded), the cells calamine pushes, and
  the spaces ``text:s text:c`` asks for.

A sheet beyond ``SHEET_MAX_ROWS`` rows, ``SHEET_MAX_COLUMNS`` columns or ``SHEET_MAX_CELLS`` cells,
or a file beyond the other caps, is refused with one line (``FileReadError``) as soon as the
measure shows it: within a second or two, reading a few MB at a time.

How the XML is read: every part is parsed with expat, event by event, except that a worksheet or
shared-strings part in the plain form spreadsheet programs write is measured a chunk at a time
with numpy at C speed (a 100,000-row sheet in about a second instead of ten). The plain form is
checked, not assumed: UTF-8; no comment, CDATA, processing instruction or DTD; every ``<c`` tag
opening with its ``r`` attribute (either quote); no other ``r=`` anywhere except the first
attribute of a ``<row``; no space before any ``=``; no prefixed ``c``; every reference letters
then digits. In that form every ``<`` opens a tag and the value after ``<c r="`` is exactly the
reference a parser would report, so the measure is the same (tests/unit/test_guards.py checks
both readings agree on generated sheets). Anything else, hostile or merely unusual, goes to expat.
XML that expat rejects (malformed, or with a DTD: entities are never expanded) is refused.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any
from xml.parsers import expat

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from desktop.core.errors import FileReadError

MAX_UNPACKED_BYTES = 512 * 1024 * 1024  # 100,000 template rows unpack to ~220 MB; twice that is the most we inflate
SHEET_MAX_ROWS = 150_000  # the rectangle calamine builds: the 100,000-row cap plus room for blank rows
SHEET_MAX_COLUMNS = 2_000  # as loading.Limits.max_columns
SHEET_MAX_CELLS = 12_000_000  # e.g. 100,000 rows by 120 columns: at most ~1.5 GB while it is read
SHARED_STRINGS_MAX = 12_000_000  # no more distinct strings than cells
SHARED_STRINGS_MAX_BYTES = 256 * 1024 * 1024  # of text; 100,000 rows of unique names and ids hold ~30 MB
TEXT_SPACES_MAX = 16 * 1024 * 1024  # ODS text:s text:c="N": N spaces, in all
MAX_ENTRIES = 10_000
MAX_RATIO = 200  # real sheets compress 5-30 times; bombs compress hundreds to thousands of times
RATIO_FLOOR = 20 * 1024 * 1024  # the ratio check applies only to parts that unpack beyond 20 MB

_CHUNK = 8 * 1024 * 1024  # bytes read from a part at a time
_MAX_CARRY = 64 * 1024 * 1024  # a single tag bigger than this is not a spreadsheet


class _Irregular(Exception):
    """The part is not in the plain form the fast measure reads: measure it with expat instead."""


class _Done(Exception):
    """Stop parsing: the rest of the part does not change the measure."""


# ---------------------------------------------------------------------- the archive
def check_zip_workbook(path: Path, *, max_unpacked: int = MAX_UNPACKED_BYTES) -> None:
    """Raise FileReadError if the archive is malformed, would unpack to an unreasonable size, or
    holds a sheet calamine would build beyond the caps (module docstring)."""
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
    listed = [i.filename for i in infos]
    names = set(listed)
    if len(names) != len(listed):  # which copy a reader takes is up to the reader: the one not measured, maybe
        raise FileReadError(f"{path.name} holds two parts with the same name: it is not a normal spreadsheet. "
                            "Open it in your spreadsheet program and save it again.")
    if any(n.lower() == "xl/workbook.bin" for n in names):  # its sheets are binary: nothing here measures them
        raise FileReadError(f"{path.name} is an Excel binary workbook (.xlsb), which this app does not read. "
                            "Save it as an Excel workbook (.xlsx) or as CSV.")
    check_sheet_shapes(path, "ods" if "content.xml" in names and not any(n.startswith("xl/") for n in names) else "xlsx")


def check_sheet_shapes(path: Path, kind: str) -> None:
    """Raise FileReadError if any part calamine reads would be built beyond the caps (module docstring)."""
    try:
        with zipfile.ZipFile(path) as zf:
            if kind == "ods":
                if "content.xml" in zf.namelist():
                    _measure_ods(path, zf, "content.xml")
                return
            for name in _xlsx_sheet_parts(zf):
                _measure_sheet(path, zf, name)
            for name in _xlsx_named(zf, "xl/sharedStrings.xml"):
                _measure_shared_strings(path, zf, name)
    except (FileReadError, MemoryError):
        raise
    except Exception as exc:  # noqa: BLE001 - a damaged part: zipfile and zlib raise many types
        raise FileReadError(f"{path.name} looks like a workbook but a part of it cannot be unpacked ({exc}). "
                            "Open it in your spreadsheet program and save it again.") from None


def _refuse(path: Path, rows: int, columns: int, cells: int = 0, what: str = "a sheet spanning",
            at_least: bool = False) -> None:
    """Refuse a sheet beyond the caps (``at_least``: measured part-way, refused without reading the rest)."""
    more = "at least " if at_least else ""
    where = (f"{path.name} has {what} {more}{rows:,} row{'s' if rows != 1 else ''} by {columns:,} "
             f"column{'s' if columns != 1 else ''}")
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
    if cells > SHEET_MAX_CELLS:
        raise FileReadError(
            f"{path.name} has a sheet of {cells:,} cells: more than this app reads at once ({SHEET_MAX_CELLS:,}). "
            "It is not a normal spreadsheet; save the sheet as CSV, or split it.")


def _damaged(path: Path, why: str) -> FileReadError:
    return FileReadError(f"{path.name} cannot be read safely: {why}. It is not something a spreadsheet program "
                         "writes; open it in your spreadsheet program and save it again.")


# ---------------------------------------------------------------------- which parts calamine reads
def _xlsx_named(zf: zipfile.ZipFile, wanted: str) -> list[str]:
    """Members calamine would open for ``wanted`` (it compares names ignoring ASCII case)."""
    low = wanted.lower()
    return [n for n in zf.namelist() if n.lower() == low]


def _xlsx_sheet_parts(zf: zipfile.ZipFile) -> list[str]:
    """Every worksheet calamine may read: the targets of the workbook's relationships, resolved as
    calamine resolves them, plus anything named like a worksheet (should the relationships be
    unreadable, calamine refuses the file; measuring more parts only costs time)."""
    parts: dict[str, None] = {}
    for rels in _xlsx_named(zf, "xl/_rels/workbook.xml.rels"):
        for target in _relationship_targets(zf, rels):
            path = target[1:] if target.startswith("/xl/") else target if target.startswith("xl/") else f"xl/{target}"
            for name in _xlsx_named(zf, path):
                parts[name] = None
    for name in zf.namelist():
        low = name.lower()
        if low.endswith(".xml") and ("worksheet" in low or "sheet" in PurePosixPath(low).name) \
                and "sharedstrings" not in low and not low.startswith("xl/_rels"):
            parts[name] = None
    return list(parts)


def _relationship_targets(zf: zipfile.ZipFile, name: str) -> list[str]:
    targets: list[str] = []

    def start(tag: str, attrs: dict[str, str]) -> None:
        if tag.rpartition(":")[2] == "Relationship" and "Target" in attrs:
            targets.append(attrs["Target"])

    try:
        _expat(zf, name, start, limit=4 * 1024 * 1024)
    except FileReadError:
        return []
    return targets


# ---------------------------------------------------------------------- expat, event by event
def _new_parser() -> Any:
    parser = expat.ParserCreate()
    parser.buffer_text = True

    def no_dtd(*_: object) -> None:
        raise _Irregular("a document type declaration (DTD)")

    parser.StartDoctypeDeclHandler = no_dtd
    parser.EntityDeclHandler = no_dtd
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    return parser


def _expat(zf: zipfile.ZipFile, name: str, start: Callable[[str, dict[str, str]], None],
           end: Callable[[str], None] | None = None, text: Callable[[str], None] | None = None,
           limit: int | None = None) -> None:
    """Parse ``name`` with expat a chunk at a time; raises FileReadError for XML expat rejects."""
    parser = _new_parser()
    parser.StartElementHandler = start
    if end is not None:
        parser.EndElementHandler = end
    if text is not None:
        parser.CharacterDataHandler = text
    read = 0
    where = Path(zf.filename or "").name
    try:
        with zf.open(name) as fh:
            while chunk := fh.read(1024 * 1024):
                read += len(chunk)
                if limit is not None and read > limit:
                    raise FileReadError(f"{where} holds a part ({name}) far larger than such a part can be.")
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
    except _Done:
        return
    except _Irregular as exc:
        raise _damaged(Path(where), f"its part {name} holds {exc}") from None
    except expat.ExpatError as exc:
        raise _damaged(Path(where), f"its part {name} is not well-formed XML ({expat.ErrorString(exc.code)}, "
                                    f"line {exc.lineno})") from None


def _ref(value: str, *, column: bool = True) -> tuple[int, int]:
    """(row, column), both from 1, of a reference like ``AB12`` (any case); column 0 if ``column`` is False
    and there are no letters. A value calamine could not read either is refused as damaged."""
    m = _REF.fullmatch(value)
    if not m or (column and not m.group(1)) or int(m.group(2)) == 0:
        raise ValueError(value)
    col = 0
    for ch in m.group(1).upper():
        col = col * 26 + ord(ch) - 64
    return int(m.group(2)), col


_REF = re.compile(r"([A-Za-z]*)([0-9]+)")


@dataclass
class _Extent:
    """The rectangle from A1 to the farthest cell (calamine's starts at the first cell: this is never
    smaller), and how many cells."""

    max_row: int = 0
    max_col: int = 0
    cells: int = 0

    def add(self, row: int, col: int) -> None:
        self.max_row = max(self.max_row, row)
        self.max_col = max(self.max_col, col)
        self.cells += 1

    def check(self, path: Path, *, at_least: bool = False) -> None:
        _refuse(path, self.max_row, self.max_col, self.cells, at_least=at_least)


# ---------------------------------------------------------------------- worksheets
def _measure_sheet(path: Path, zf: zipfile.ZipFile, name: str) -> None:
    _measure_dimension(path, zf, name)
    try:
        extent = _fast_sheet(path, zf, name)
    except _Irregular:
        extent = _expat_sheet(path, zf, name)
    extent.check(path)


def _measure_dimension(path: Path, zf: zipfile.ZipFile, name: str) -> None:
    """The ``dimension`` calamine reads before the cells (expat, up to ``sheetData``)."""

    def start(tag: str, attrs: dict[str, str]) -> None:
        local = tag.rpartition(":")[2]
        if local == "sheetData":
            raise _Done
        if local == "dimension" and "ref" in attrs:
            try:
                corners = [_ref(part) for part in attrs["ref"].split(":")]
            except ValueError:
                raise _Irregular(f"a dimension it cannot be ('{attrs['ref'][:40]}')") from None
            rows = max(r for r, _ in corners) - min(r for r, _ in corners) + 1
            cols = max(c for _, c in corners) - min(c for _, c in corners) + 1
            _refuse(path, rows, cols, what="a sheet whose recorded size (dimension) spans")

    _expat(zf, name, start)


def _expat_sheet(path: Path, zf: zipfile.ZipFile, name: str) -> _Extent:
    """Cells as calamine's cell reader places them, event by event."""
    extent = _Extent()
    state = {"in_data": False, "row": 1, "col": 1}

    def start(tag: str, attrs: dict[str, str]) -> None:
        local = tag.rpartition(":")[2]
        if not state["in_data"]:
            state["in_data"] = local == "sheetData"
            return
        try:
            if local == "row":
                if "r" in attrs:
                    state["row"] = _ref(attrs["r"], column=False)[0]
            elif local == "c":
                if "r" in attrs:
                    row, col = _ref(attrs["r"])
                    state["col"] = col
                else:
                    row, col = state["row"], state["col"]
                extent.add(row, col)
                state["col"] += 1
                if extent.cells % 65_536 == 0:
                    extent.check(path, at_least=True)
        except ValueError as exc:
            raise _Irregular(f"a cell reference it cannot be ('{str(exc)[:40]}')") from None
        if extent.max_row > SHEET_MAX_ROWS or extent.max_col > SHEET_MAX_COLUMNS:
            extent.check(path, at_least=True)

    def end(tag: str) -> None:
        local = tag.rpartition(":")[2]
        if not state["in_data"]:
            return
        if local == "row":
            state["row"] += 1
            state["col"] = 1
        elif local == "sheetData":
            raise _Done

    _expat(zf, name, start, end)
    return extent


_WS = np.zeros(256, dtype=bool)
_WS[[0x20, 0x09, 0x0A, 0x0D]] = True
_DELIM = _WS.copy()
_DELIM[[ord("/"), ord(">")]] = True
_LETTER = np.zeros(256, dtype=bool)
_LETTER[ord("A"):ord("Z") + 1] = True
_LETTER[ord("a"):ord("z") + 1] = True
_DIGIT = np.zeros(256, dtype=bool)
_DIGIT[ord("0"):ord("9") + 1] = True
_NAME = _LETTER | _DIGIT
_NAME[[ord("_"), ord("-"), ord("."), ord(":")]] = True
_PAD = b"\x00" * 32
_W = 10  # bytes of a reference looked at: up to XFD1048576 less one; longer ones are far


def _chunks(zf: zipfile.ZipFile, name: str) -> Iterator[bytes]:
    """The part in pieces that each end just before a ``<`` (so no tag is cut), the XML declaration
    removed. Raises _Irregular for what the fast measure does not read (not UTF-8)."""
    carry = b""
    first = True
    with zf.open(name) as fh:
        while True:
            chunk = fh.read(_CHUNK)
            data = carry + chunk
            if first:
                first = False
                data = data.removeprefix(b"\xef\xbb\xbf")
                if data.startswith(b"<?xml"):
                    end = data.find(b"?>")
                    if end < 0:
                        raise _Irregular
                    decl = data[:end].lower()
                    if b"encoding" in decl and not re.search(rb"encoding\s*=\s*[\"'](utf-8|us-ascii)[\"']", decl):
                        raise _Irregular
                    data = data[end + 2:]
                if data[:1] not in (b"<", b" ", b"\n", b"\r", b"\t", b""):
                    raise _Irregular  # UTF-16 or something else: expat knows
            if not chunk:
                if data:
                    yield data
                return
            cut = data.rfind(b"<")
            if cut <= 0:
                if len(data) > _MAX_CARRY:
                    raise FileReadError(f"{Path(zf.filename or '').name} holds one element larger than "
                                        f"{_MAX_CARRY // 1048576} MB: it is not a normal spreadsheet.")
                carry = data
                continue
            carry = data[cut:]
            yield data[:cut]


def _tags(buf: bytes) -> tuple[np.ndarray, np.ndarray]:
    """The byte array (padded) and the position of every ``<`` in ``buf``; _Irregular if one opens
    anything but a start or end tag, or the text holds a NUL."""
    a = np.frombuffer(buf + _PAD, dtype=np.uint8)
    lt = np.flatnonzero(a[: len(buf)] == 0x3C)
    after = a[lt + 1]
    if ((after == 0x21) | (after == 0x3F)).any() or buf.find(b"\x00") >= 0:
        raise _Irregular  # a comment, CDATA, a DTD or a processing instruction; or not UTF-8
    return a, lt


def _no_prefixed(buf: bytes, a: np.ndarray, local: bytes) -> None:
    """_Irregular if an element named ``prefix:local`` may be in ``buf`` (then expat reads the part)."""
    n = len(local)
    colons = np.flatnonzero(a[: len(buf)] == 0x3A)
    if not len(colons):
        return
    hit = np.ones(len(colons), dtype=bool)
    for i, ch in enumerate(local):
        hit &= a[colons + 1 + i] == ch
    hit &= _DELIM[a[colons + 1 + n]]
    for pos in colons[hit].tolist():
        j = pos - 1
        while j >= 0 and _NAME[buf[j]] and buf[j] != 0x3A:
            j -= 1
        if j >= 0 and buf[j] == 0x3C:
            raise _Irregular


def _no_spaced_r(buf: bytes, spaced: np.ndarray) -> None:
    """_Irregular if one of these "=" with white space before it may belong to an attribute named r
    ("r =": expat reads it); any other (text like "x = y", or another attribute) changes nothing."""
    if len(spaced) > 10_000:
        raise _Irregular
    for pos in spaced.tolist():
        j = pos - 1
        while j > 0 and buf[j] in b" \t\r\n":
            j -= 1
        if buf[j] == 0x72 and j > 0 and buf[j - 1] in b" \t\r\n":
            raise _Irregular


def _fast_sheet(path: Path, zf: zipfile.ZipFile, name: str) -> _Extent:
    """The same measure as ``_expat_sheet`` for a sheet in the plain form (module docstring), at C speed."""
    extent = _Extent()
    for buf in _chunks(zf, name):
        a, lt = _tags(buf)
        named_c = lt[a[1:][lt] == 0x63]
        c = named_c[_DELIM[a[2:][named_c]]]  # <c followed by a space, tab, newline, / or >
        quote = a[c + 5]
        if not ((a[c + 2] == 0x20) & (a[c + 3] == 0x72) & (a[c + 4] == 0x3D) & ((quote == 0x22) | (quote == 0x27))).all():
            raise _Irregular  # a cell without a reference, or with it later or spaced: expat places it
        eq = np.flatnonzero(a[: len(buf)] == 0x3D)
        before = a[eq - 1]
        spaced = (before == 0x20) | (before == 0x0A) | (before == 0x09) | (before == 0x0D)
        if spaced.any():
            _no_spaced_r(buf, eq[spaced])
        r_eq = eq[before == 0x72]
        r_eq = r_eq[_WS[a[r_eq - 2]]]  # every attribute named r, and "r=" in text
        cell_r = (a[r_eq - 4] == 0x3C) & (a[r_eq - 3] == 0x63) & (a[r_eq - 2] == 0x20)
        row_r = (a[r_eq - 6] == 0x3C) & (a[r_eq - 5] == 0x72) & (a[r_eq - 4] == 0x6F) & (a[r_eq - 3] == 0x77) \
            & (a[r_eq - 2] == 0x20)
        if int(cell_r.sum()) != len(c) or not (cell_r | row_r).all():
            raise _Irregular  # an r= that is not a cell's first attribute or a row's: expat decides
        _no_prefixed(buf, a, b"c")
        if len(c):
            _fast_refs(path, buf, a, c + 6, quote, extent)
        extent.cells += len(c)
        extent.check(path, at_least=True)
    return extent


def _refuse_far(path: Path, buf: bytes, start: int, extent: _Extent) -> None:
    """Refuse for the reference at ``start`` (too long to be within the caps), or raise _Irregular if it is
    within them after all (leading zeros: expat measures it)."""
    quote = buf[start - 1:start]
    end = buf.find(quote, start)
    value = buf[start:end if 0 <= end < start + 64 else start + 64].decode("latin-1")
    if "&" in value:
        raise _Irregular  # a character reference: expat reads what it stands for
    try:
        row, col = _ref(value)
    except ValueError:
        raise _damaged(path, f"a cell reference is not one ('{value[:40]}')") from None
    _refuse(path, max(row, extent.max_row), max(col, extent.max_col), at_least=True)
    raise _Irregular


def _fast_refs(path: Path, buf: bytes, a: np.ndarray, start: np.ndarray, quote: np.ndarray, extent: _Extent) -> None:
    """The farthest row and column among the references starting at ``start`` (closed by ``quote``)."""
    win = sliding_window_view(a, _W)[start]
    closing = win == quote[:, None]
    long = ~closing.any(axis=1)
    if long.any():  # ten characters or more: beyond the caps (or not a reference, which calamine refuses)
        _refuse_far(path, buf, int(start[int(np.flatnonzero(long)[0])]), extent)
    length = closing.argmax(axis=1)
    letters = ((win & 0xDF) - 65) < 26
    n_letters = letters.argmin(axis=1)  # leading letters; a value that is not letters then digits: calamine refuses it
    first_digit = a[start + n_letters]
    if (first_digit == 0x30).any():
        raise _Irregular  # a leading zero: "A0099999" has more digits than "A99999" but is smaller
    # the farthest column: among the references with the most letters (A-Z: no letter is a zero)
    most = int(n_letters.max())
    if most > 3:  # column 18,279 or beyond
        _refuse_far(path, buf, int(start[int(n_letters.argmax())]), extent)
    upper = (win[:, :3] & 0xDF).astype(np.int64) - 64
    col = np.where(n_letters == 1, upper[:, 0], np.where(n_letters == 2, upper[:, 0] * 26 + upper[:, 1],
                                                         upper[:, 0] * 676 + upper[:, 1] * 26 + upper[:, 2]))
    extent.max_col = max(extent.max_col, int(col.max()))
    # the farthest row: among the references with the most digits (no leading zero)
    digits = length - n_letters
    widest = int(digits.max())
    pick = np.flatnonzero(digits == widest)
    at = start[pick] + n_letters[pick]
    row = np.zeros(len(pick), dtype=np.int64)
    for k in range(widest):
        row = row * 10 + (a[at + k].astype(np.int64) - 48)
    extent.max_row = max(extent.max_row, int(row.max()))


# ---------------------------------------------------------------------- shared strings
def _measure_shared_strings(path: Path, zf: zipfile.ZipFile, name: str) -> None:
    size = zf.getinfo(name).file_size
    declared = {"n": 0}

    def start(tag: str, attrs: dict[str, str]) -> None:  # calamine reserves room for the count the part declares
        if tag.rpartition(":")[2] == "sst":
            for key in ("count", "uniqueCount"):
                try:
                    declared["n"] = max(declared["n"], int(attrs.get(key, "0").strip()))
                except ValueError:
                    raise _Irregular(f"a string count it cannot be ('{attrs[key][:40]}')") from None
        raise _Done

    _expat(zf, name, start)
    if declared["n"] > SHARED_STRINGS_MAX:
        raise FileReadError(f"{path.name} declares {declared['n']:,} shared strings: more than this app reads "
                            f"({SHARED_STRINGS_MAX:,}). It is not a normal spreadsheet; save the sheet as CSV.")
    try:
        count = _fast_count(zf, name, b"si")
        chars = size  # the text is never longer than the part that holds it (no entity expands)
    except _Irregular:
        count, chars = _expat_shared_strings(path, zf, name)
    if count > SHARED_STRINGS_MAX:
        raise FileReadError(f"{path.name} holds {count:,} shared strings: more than this app reads "
                            f"({SHARED_STRINGS_MAX:,}). It is not a normal spreadsheet; save the sheet as CSV.")
    if chars > SHARED_STRINGS_MAX_BYTES:
        raise FileReadError(f"{path.name} holds {chars / 1048576:,.0f} MB of shared text: more than this app reads "
                            f"({SHARED_STRINGS_MAX_BYTES // 1048576} MB). Save the sheet as CSV, or split it.")


def _fast_count(zf: zipfile.ZipFile, name: str, local: bytes) -> int:
    count = 0
    for buf in _chunks(zf, name):
        a, lt = _tags(buf)
        hit = np.ones(len(lt), dtype=bool)
        for i, ch in enumerate(local):
            hit &= a[lt + 1 + i] == ch
        hit &= _DELIM[a[lt + 1 + len(local)]]
        count += int(hit.sum())
        _no_prefixed(buf, a, local)
        if count > SHARED_STRINGS_MAX:
            break
    return count


def _expat_shared_strings(path: Path, zf: zipfile.ZipFile, name: str) -> tuple[int, int]:
    state = {"count": 0, "chars": 0}

    def start(tag: str, attrs: dict[str, str]) -> None:
        if tag.rpartition(":")[2] == "si":
            state["count"] += 1
            if state["count"] > SHARED_STRINGS_MAX:
                raise _Done

    def text(data: str) -> None:
        state["chars"] += len(data)
        if state["chars"] > SHARED_STRINGS_MAX_BYTES:
            raise _Done

    _expat(zf, name, start, text=text)
    return state["count"], state["chars"]


# ---------------------------------------------------------------------- ODS
_ODS_CONTENT = ("office:value", "office:string-value", "office:date-value", "office:time-value",
                "office:boolean-value", "table:formula")


def _repeat(attrs: dict[str, str], key: str) -> int:
    value = attrs.get(key)
    if value is None:
        return 1
    try:
        n = int(value.strip())
    except ValueError:
        raise _Irregular(f"a repeat count it cannot be ('{value[:40]}')") from None
    if n < 0:
        raise _Irregular(f"a negative repeat count ({n})")
    return n


def _measure_ods(path: Path, zf: zipfile.ZipFile, name: str) -> None:
    """Per sheet, what calamine's ODS reader builds (``table:`` names literally, as it reads them)."""
    state: dict[str, Any] = {"depth": 0, "row_repeat": 1, "col": 0, "width": 0, "in_cell": False,
                             "rows": 0, "pending": 0, "first": None, "last": 0, "widest": 0, "pushed": 0,
                             "spaces": 0, "total": 0}

    def new_table() -> None:
        state.update(rows=0, pending=0, first=None, last=0, widest=0, pushed=0)

    def start(tag: str, attrs: dict[str, str]) -> None:
        if tag == "table:table":
            new_table()
        elif tag == "table:table-row":
            state.update(row_repeat=_repeat(attrs, "table:number-rows-repeated"), col=0, width=0)
        elif tag in ("table:table-cell", "table:covered-table-cell"):
            span = _repeat(attrs, "table:number-columns-repeated")
            state["col"] += span
            if any(k in attrs for k in _ODS_CONTENT) or attrs.get("office:value-type") == "string":
                state["width"] = state["col"]
                if state["col"] > SHEET_MAX_COLUMNS:
                    _refuse(path, max(state["rows"], 1), state["col"], at_least=True)
        elif tag == "text:s":
            state["spaces"] += _repeat(attrs, "text:c")
            if state["spaces"] > TEXT_SPACES_MAX:
                raise FileReadError(f"{path.name} has cells asking for {state['spaces']:,} spaces (text:s): more "
                                    f"than this app reads ({TEXT_SPACES_MAX:,}). It is not a normal spreadsheet.")

    def end(tag: str) -> None:
        if tag == "table:table":  # calamine holds every sheet of an ODS at once
            if state["first"] is not None:
                state["total"] += (state["last"] - state["first"] + 1) * state["widest"]
            if state["total"] > SHEET_MAX_CELLS:
                raise FileReadError(f"{path.name} has sheets of {state['total']:,} cells together: more than this app "
                                    f"reads at once ({SHEET_MAX_CELLS:,}). Delete the sheets you do not need, or save "
                                    "the one with the trainees as CSV.")
            return
        if tag != "table:table-row":
            return
        state["rows"] += state["row_repeat"]
        state["pushed"] += state["width"]
        if state["width"]:
            if state["first"] is None:
                state["first"] = state["rows"] - state["row_repeat"] + 1
            state["last"] = state["rows"]
            state["widest"] = max(state["widest"], state["width"])
            _refuse(path, state["last"] - state["first"] + 1, state["widest"], state["pushed"], at_least=True)

    _expat(zf, name, start, end)
