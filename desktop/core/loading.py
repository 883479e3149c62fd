"""Read a provider's spreadsheet faithfully: every cell becomes the text a person sees.

CSV (UTF-8 with or without BOM, UTF-16 with BOM, Windows-1252/Latin-1, mixed line by line),
comma/semicolon/tab delimited; XLSX, XLSM, XLS and ODS through python-calamine. The format is
decided by the file's content, not its name. Leading zeros are kept, Excel date cells become
ISO dates, whole numbers lose ``.0``, one guard apostrophe is removed, whitespace is trimmed and
blank rows are skipped while every row keeps the number the spreadsheet shows (header = row 1).

Excel damage is detected, never guessed back: a number too long for Excel's 15 significant
digits, or text like ``1.21E+16``, is reported with advice to re-export the column as text.
"""

from __future__ import annotations

import csv
import datetime as dt
import gc
import io
import math
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import compress, islice
from operator import methodcaller
from pathlib import Path
from typing import Any

import numpy as np

from desktop.core import register_words
from desktop.core.errors import FileReadError


@dataclass(frozen=True)
class Limits:
    """Caps that keep a hostile or mistaken file from exhausting the machine (documented in README)."""

    max_file_bytes: int = 200 * 1024 * 1024
    # 100,000 rows is 25 times the largest provider's year and what the benchmarks measure; a file of
    # 1,000,000 nearly empty rows (52 MB) took 9 GB to check, every row full of findings (issue 8)
    max_rows: int = 100_000
    max_columns: int = 2_000
    max_cell_chars: int = 1_048_576


DEFAULT_LIMITS = Limits()


@dataclass(frozen=True)
class Damage:
    """A cell a spreadsheet program has already damaged."""

    row: int  # position in the table (not the spreadsheet row)
    column: int  # source column position
    value: str
    kind: str  # "long_number" | "scientific"


@dataclass
class RawTable:
    """The sheet as read: source headers and columns of text, before any mapping."""

    path: Path
    format: str  # "csv" | "xlsx" | "xls" | "ods"
    headers: list[str]
    columns: list[np.ndarray]  # one object array of str per source column
    source_rows: np.ndarray  # spreadsheet row number of each data row
    header_row: int = 1
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    sheets: list[str] = field(default_factory=list)
    damage: list[Damage] = field(default_factory=list)
    extra_cells: list[tuple[int, int]] = field(default_factory=list)  # (row position, cells past the last header)
    notes: list[str] = field(default_factory=list)
    # what Register's own upload page would see, which the cleaning above hides (core/register_page.py):
    trimmed: dict[int, Trimmed] = field(default_factory=dict)  # source column -> its cells that had surrounding spaces
    raw_headers: list[str] = field(default_factory=list)  # the header cells as written, before trimming
    first_record_fields: int | None = None  # CSV: fields in the record right after the header
    utf8_size: int | None = None  # CSV: bytes once converted to UTF-8 with LF line ends

    @property
    def n_rows(self) -> int:
        return len(self.source_rows)

    def column(self, header: str) -> np.ndarray:
        return self.columns[self.headers.index(header)]


# what str.strip() removes (the characters for which str.isspace() is true), ASCII first
_ASCII_SPACE = "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f "
_SPACE = _ASCII_SPACE + "\x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
_SEP = "\x00"  # joins a column's cells for checks in C; a cell holding it can only cost a slower path


def maybe_untrimmed(joined: str) -> bool:
    """False when no cell of a column (its cells joined by ``_SEP``) starts or ends with whitespace,
    so none needs ``str.strip``; True when one may. A few substring searches in C instead of a
    strip per cell: most columns (codes, dates, IDs) hold no whitespace at all."""
    if not joined:
        return False
    if joined[0].isspace() or joined[-1].isspace():
        return True
    for ch in _ASCII_SPACE if joined.isascii() else _SPACE:
        if ch in joined and (_SEP + ch in joined or ch + _SEP in joined):
            return True
    return False


@dataclass(frozen=True)
class Trimmed:
    """Cells of one column that trimming changed and left non-blank: their row positions and their
    text as read (guard apostrophe and spaces included). Register never trims a cell."""

    positions: np.ndarray
    values: list[str]


def _trimmed(before: list[str], after: list[str]) -> tuple[list[int], list[str]]:
    """(positions, before) of the cells ``str.strip`` changed and left non-blank.

    ``str.strip`` returns the very same object when there is nothing to strip, so a column with
    no such cell costs one list comparison (identity first, in C) and nothing else.
    """
    if before == after:
        return [], []
    hits = [i for i, (a, b) in enumerate(zip(before, after, strict=True)) if a is not b and b]
    return hits, [before[i] for i in hits]


def _note_trimmed(table: RawTable, c: int, positions: list[int], values: list[str]) -> None:
    if not positions:
        return
    old = table.trimmed.get(c)
    if old is not None:  # a second pass (after a guard apostrophe): the first text read wins
        merged = dict(zip(positions, values, strict=True))
        merged.update(zip(old.positions.tolist(), old.values, strict=True))
        positions, values = sorted(merged), [merged[i] for i in sorted(merged)]
    table.trimmed[c] = Trimmed(np.asarray(positions, dtype=np.int64), values)


_SCIENTIFIC = re.compile(r"[+-]?\d(?:[.,]\d+)?[eE][+]\d+")
_SCIENTIFIC_HINT = re.compile(r"\d[eE]\+\d")  # a column without it holds no scientific cell


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while building many small acyclic objects.

    Parsing a large file allocates millions of lists and strings and no reference cycles; the
    collector would rescan the growing heap over and over (about 15% of the load time at 50,000
    rows). Nested or concurrent use is safe: only the outermost pause turns it back on.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def clean_text(value: str) -> str:
    """Trim, then drop one leading guard apostrophe (Register's own files use it)."""
    s = value.strip()
    if s.startswith("'"):
        s = s[1:].strip()
    return s


# ---------------------------------------------------------------------------------------------
# format detection

_ZIP = b"PK\x03\x04"
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def sniff_format(head: bytes, suffix: str) -> str:
    if head.startswith(_ZIP):
        if b"mimetypeapplication/vnd.oasis.opendocument.spreadsheet" in head[:200]:
            return "ods"
        return "ods" if suffix == ".ods" else "xlsx"
    if head.startswith(_OLE):
        return "xls"
    return "csv"


def read_table(path: str | Path, sheet: str | None = None, limits: Limits = DEFAULT_LIMITS) -> RawTable:
    """Read any supported spreadsheet; raises ``FileReadError`` with a one-line reason."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise FileReadError(f"There is no file at {path}.") from None
    except OSError as exc:
        raise FileReadError(f"{path.name} cannot be opened: {exc.strerror or exc}.") from None
    if path.is_dir():
        raise FileReadError(f"{path} is a folder, not a spreadsheet file.")
    if size == 0:
        raise FileReadError(f"{path.name} is empty.", register_message=register_words.EMPTY)
    if size > limits.max_file_bytes:
        raise FileReadError(
            f"{path.name} is {size / 1048576:.0f} MB; the largest file this app reads is "
            f"{limits.max_file_bytes / 1048576:.0f} MB. Split it into smaller files.")
    try:
        with path.open("rb") as fh:
            head = fh.read(4096)
    except OSError as exc:
        raise FileReadError(f"{path.name} cannot be opened: {exc.strerror or exc}.") from None
    kind = sniff_format(head, path.suffix.lower())
    with gc_paused():
        if kind == "csv":
            table = _read_csv(path, path.read_bytes(), limits)
        else:
            table = _read_workbook(path, kind, sheet, limits)
    if kind == "csv" and sheet:
        table.notes.append("A CSV file has no sheets; --sheet was ignored.")
    if path.suffix.lower() in {".xlsx", ".xlsm", ".xls", ".ods"} and kind == "csv":
        table.notes.append(f"{path.name} is named like a workbook but holds CSV text; it was read as CSV.")
    return table


# ---------------------------------------------------------------------------------------------
# CSV

_LEGACY = ("cp1252", "latin_1", "iso8859_15", "cp1250", "mac_roman")


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Decode a text file; returns (text, encoding name as reported to the user)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return _strict(data[3:], "utf-8", "UTF-8 with BOM")
    if data.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):  # before UTF-16: same first bytes
        return _strict(data, "utf-32", "UTF-32")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _strict(data, "utf-16", "UTF-16")
    if b"\x00" in data[:4096]:
        even, odd = data[0:4096:2].count(0), data[1:4096:2].count(0)
        if odd > 0.3 * len(data[1:4096:2]) and even == 0:
            return _strict(data, "utf-16-le", "UTF-16LE")
        if even > 0.3 * len(data[0:4096:2]) and odd == 0:
            return _strict(data, "utf-16-be", "UTF-16BE")
        raise FileReadError("The file holds binary data, not text: it is not a CSV file or a spreadsheet this app can read.")
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    legacy = _guess_legacy(data)
    lines = data.split(b"\n")
    utf8_lines = 0
    out = []
    for line in lines:
        try:
            text = line.decode("utf-8")
            if any(b > 127 for b in line):
                utf8_lines += 1
        except UnicodeDecodeError:
            text = line.decode(legacy, errors="replace")
        out.append(text)
    if utf8_lines:
        return "\n".join(out), f"mixed UTF-8 and {_pretty(legacy)}"
    return data.decode(legacy, errors="replace"), _pretty(legacy)


def _strict(data: bytes, codec: str, label: str) -> tuple[str, str]:
    try:
        return data.decode(codec), label
    except UnicodeDecodeError as exc:
        raise FileReadError(f"The file says it is {label} but byte {exc.start} is not valid {label}; re-save it as CSV UTF-8.") from None


def _guess_legacy(data: bytes) -> str:
    """Windows-1252 unless it cannot decode the bytes (English providers' exports are 1252)."""
    try:
        data.decode("cp1252")
        return "cp1252"
    except UnicodeDecodeError:
        pass
    try:
        from charset_normalizer import from_bytes

        best = from_bytes(data[:200_000], cp_isolation=[c for c in _LEGACY if c != "cp1252"]).best()
        if best is not None and best.encoding in _LEGACY:
            return str(best.encoding)
    except Exception:  # noqa: BLE001 - detection is a hint; Latin-1 decodes any byte
        pass
    return "latin_1"


def _pretty(codec: str) -> str:
    return {"cp1252": "Windows-1252", "latin_1": "ISO-8859-1", "iso8859_15": "ISO-8859-15",
            "cp1250": "Windows-1250", "mac_roman": "Mac Roman"}.get(codec, codec)


def sniff_delimiter(text: str) -> str:
    """Comma, semicolon or tab: the one that splits the header line into the most fields."""
    first = ""
    for line in _first_lines(text):
        if line.strip(" \t,;"):
            first = line
            break
    counts = {d: first.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: (counts[d], d == ","))
    return best if counts[best] else ","


def _first_lines(text: str, head: int = 65_536) -> Iterator[str]:
    """``text.splitlines()``, splitting the whole text only if its head holds no complete line we need."""
    if len(text) <= head:
        yield from text.splitlines()
        return
    lines = text[:head].splitlines()[:-1]  # the last may be cut short
    yield from lines
    yield from text.splitlines()[len(lines):]


_CHUNK = 65_536  # records parsed per step: bounded memory for hostile files, C-speed for the rest


def _read_csv(path: Path, data: bytes, limits: Limits) -> RawTable:
    text, encoding = decode_bytes(data)
    utf8_size = _utf8_size(data, text, encoding)
    del data
    if "\x00" in text:
        raise FileReadError("The file holds NUL bytes: it is not a plain CSV file. Re-save it from your spreadsheet program as CSV.")
    delimiter = sniff_delimiter(text)
    plain = _split_plain(text, delimiter, limits)
    if plain is not None:
        del text
        head_cells, cells, head_row, row_numbers = plain
        headers = [clean_text(h) for h in head_cells]
        table = RawTable(path=path, format="csv", headers=headers, columns=[],
                         source_rows=np.asarray(row_numbers, dtype=np.int64), header_row=head_row, encoding=encoding,
                         delimiter=delimiter, raw_headers=head_cells, utf8_size=utf8_size,
                         first_record_fields=len(head_cells) if row_numbers and row_numbers[0] == head_row + 1 else None)
        table.columns = [_clean_column(cells[c], table, c, limits) for c in range(len(headers))]
        return table
    csv.field_size_limit(max(limits.max_cell_chars * 4, 131072))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    records: list[list[str]] = []
    numbers: list[int] = []
    header: list[str] | None = None
    written_header: list[str] = []  # the header record as written (with any blank tail)
    header_row = 0
    parsed = 0
    lines = _LineTracker(reader)  # without a quote no record can span lines: the reader alone is faster
    source: Iterator[list[str]] = iter(lines) if '"' in text else reader
    try:
        while chunk := list(islice(source, _CHUNK)):
            # a record is blank when its cells joined hold nothing but whitespace; blank records
            # are dropped here, so a file of blank lines costs nothing, but keep their numbers
            keep = list(map(str.strip, map("".join, chunk)))
            kept = list(compress(chunk, keep))
            kept_numbers = list(compress(range(parsed + 1, parsed + len(chunk) + 1), keep))
            parsed += len(chunk)
            del chunk, keep
            if header is None and kept:
                header, header_row = kept[0], kept_numbers[0]
                written_header = header
                if len(header) > limits.max_columns:
                    header = _without_blank_tail(header)
                if len(header) > limits.max_columns:
                    raise FileReadError(f"The file has {len(header):,} columns; this app reads at most {limits.max_columns:,}.")
                kept, kept_numbers = kept[1:], kept_numbers[1:]
            records.extend(kept)
            numbers.extend(kept_numbers)
            if len(records) > limits.max_rows:
                raise FileReadError(f"The file has more than {limits.max_rows:,} rows; split it into smaller files.")
    except csv.Error as exc:
        start = f"row {lines.records + 1:,} (line {lines.line + 1:,})" if source is not reader else f"line {reader.line_num:,}"
        if "field larger than field limit" in str(exc):
            raise FileReadError(
                f"A cell of {start} runs past line {reader.line_num:,}: more than {csv.field_size_limit():,} characters, "
                f"and the most this app reads in one cell is {limits.max_cell_chars:,}. An unbalanced quote (\") that opens "
                "there runs the rest of the file into one cell: remove it or close it, then save again.",
                register_message=register_words.NOT_CSV) from None
        raise FileReadError(f"The CSV file cannot be parsed at {start}: {exc}. Check for unbalanced quotes.",
                            register_message=register_words.NOT_CSV) from None
    if header is not None:
        _check_quotes(text, lines, delimiter, header)
    del text, reader  # the reader's buffer holds a copy of the text (4 bytes a character)
    if header is None:
        raise FileReadError(f"{path.name} has no header row and no data.")
    headers = [clean_text(h) for h in header]
    width = len(headers)
    first_fields = len(records[0]) if records and numbers[0] == header_row + 1 else None
    extra: list[tuple[int, int]] = []
    if any(n != width for n in set(map(len, records))):
        extra = [(i, len(r) - width) for i, r in enumerate(records) if len(r) > width and any(c.strip() for c in r[width:])]
        pad = [""] * width
        records = [r if len(r) == width else (r[:width] if len(r) > width else r + pad[len(r):]) for r in records]
    grid = _grid(records, width)
    del records
    table = RawTable(path=path, format="csv", headers=headers, columns=[], source_rows=np.asarray(numbers, dtype=np.int64),
                     header_row=header_row, encoding=encoding, delimiter=delimiter, extra_cells=extra,
                     raw_headers=written_header, first_record_fields=first_fields, utf8_size=utf8_size)
    table.columns = [_clean_column(grid[:, c].tolist(), table, c, limits) for c in range(width)]
    return table


class _LineTracker:
    """The csv reader's records, noting where each ends (``line``) and the records that span lines
    (a quoted cell holding a line break): (record number, first line, last line, record)."""

    def __init__(self, reader: Any) -> None:
        self._reader = reader
        self.records = 0
        self.line = 0
        self.spanning: list[tuple[int, int, int, list[str]]] = []

    def __iter__(self) -> Iterator[list[str]]:
        reader = self._reader
        for record in reader:
            self.records += 1
            end = reader.line_num
            if end - self.line > 1:
                self.spanning.append((self.records, self.line + 1, end, record))
            self.line = end
            yield record


def _check_quotes(text: str, lines: _LineTracker, delimiter: str, header: list[str]) -> None:
    """Refuse a file where a quote that opens a cell is not closed where the cell ends, so that rows
    ran into one cell: a cell that holds line breaks, and after the first of them lines as full of
    delimiters as rows are (a real multi-line cell, an address say, holds a few at most)."""
    if not lines.spanning:
        return
    width = len(header)
    full = max(2, (width - 1) // 2)
    for number, first, last, record in lines.spanning:
        for col, cell in enumerate(record):
            pieces = cell.replace("\r\n", "\n").replace("\r", "\n").split("\n")
            if len(pieces) < 2 or not any(p.count(delimiter) >= full for p in pieces[1:]):
                continue
            name = " ".join(clean_text(header[col]).split()) if col < len(header) else f"column {col + 1}"
            name = name if len(name) <= 40 else name[:39] + "…"  # the header cell may be the one that swallowed rows
            n = last - first + 1
            if last >= lines.line and text.count('"') % 2 == 1:
                where = f"is never closed: the rest of the file ({n:,} lines) was read as one cell"
            else:
                where = f"is not closed until line {last:,}: {n:,} lines were read as one cell"
            raise FileReadError(f"Row {number:,} (line {first:,}) opens a quote (\") in column '{name}' that {where}. "
                                "Remove that quote or close it, then save the file again.",
                                register_message=register_words.NOT_CSV)


def _split_plain(text: str, delimiter: str, limits: Limits) -> tuple[list[str], list[list[str]], int, list[int]] | None:
    """(header cells, data cells column by column, header row, data row numbers) of a CSV text with
    no quote character, no line break but CRLF or LF and every non-blank row as wide as the header,
    split by ``str.split`` in C; None for any other text, which the csv module reads.

    Most exports are such files, and for them this is the csv module's result exactly (no cell can
    hold a delimiter or a line break without quotes), three to four times faster.
    """
    if '"' in text:
        return None
    if "\r" in text:
        if text.count("\r") != text.count("\r\n"):
            return None
        text = text.replace("\r\n", "\n")
    lines = text.split("\n")
    del text
    if lines and not lines[-1]:  # the line end after the last row starts no row
        lines.pop()
    if len(lines) > 2 * limits.max_rows + 2:  # leave floods of blank lines to the chunked reader
        return None
    # a blank row: nothing but delimiters and whitespace (the csv path's test on joined cells)
    keep = list(map(str.strip, map(methodcaller("replace", delimiter, ""), lines)))
    numbers = list(compress(range(1, len(lines) + 1), keep))
    kept = list(compress(lines, keep))
    del lines, keep
    if not kept:
        return None
    width = kept[0].count(delimiter) + 1
    if width > limits.max_columns:
        return None
    data = kept[1:]
    if len(data) > limits.max_rows:
        raise FileReadError(f"The file has more than {limits.max_rows:,} rows; split it into smaller files.")
    counts = list(map(methodcaller("count", delimiter), data))
    if counts.count(width - 1) != len(counts):
        return None
    flat = delimiter.join(data).split(delimiter) if data else []
    del data
    return kept[0].split(delimiter), [flat[c::width] for c in range(width)], numbers[0], numbers[1:]


def _utf8_size(data: bytes, text: str, encoding: str) -> int:
    """The file's size as Register measures it: converted to UTF-8 (a UTF-8 BOM stays), CRLF as LF."""
    if encoding in ("UTF-8", "UTF-8 with BOM"):
        return len(data) - data.count(b"\r\n")
    step = 1 << 20  # a slice at a time: a large legacy file is not encoded twice in memory
    size = sum(len(text[i:i + step].encode("utf-8", "surrogatepass")) for i in range(0, len(text), step))
    return size - text.count("\r\n")


def _without_blank_tail(header: list[str]) -> list[str]:
    """The header without trailing blank cells: a spreadsheet saved as CSV writes formatted but
    empty columns as empty fields, thousands of them. Cells under them, if any, become extra
    cells (reported per row) rather than a reason to refuse the file."""
    end = len(header)
    while end and not clean_text(header[end - 1]):
        end -= 1
    return header[:end]


def _grid(records: list[list[Any]], width: int) -> np.ndarray:
    """Rows of equal length as one 2-D object array (numpy transposes in C, not per cell)."""
    if not records:
        return np.empty((0, width), dtype=object)
    grid = np.empty((len(records), width), dtype=object)
    grid[:] = records
    return grid


def _clean_column(values: list[str], table: RawTable, c: int, limits: Limits, *, stripped: bool = False) -> np.ndarray:
    """Clean one column of text (see ``clean_text``), refuse oversized cells, note scientific damage.

    Each check looks first at the whole column joined into one string (C speed) and only then at
    single cells, so a column without guard apostrophes, huge cells or ``E+`` costs three passes
    in C. The separator may occur inside a cell; that can only send a column to the per-cell
    path, never let a cell skip a check.
    """
    joined = _SEP.join(values)
    if not stripped and maybe_untrimmed(joined):
        raw, values = values, list(map(str.strip, values))
        _note_trimmed(table, c, *_trimmed(raw, values))
        joined = _SEP.join(values)
    if joined.startswith("'") or "\x00'" in joined:
        guarded = [v[1:] if v.startswith("'") else v for v in values]
        values = list(map(str.strip, guarded))
        _note_trimmed(table, c, *_trimmed(guarded, values))
        joined = "\x00".join(values)
    if len(joined) > limits.max_cell_chars:
        for i, v in enumerate(values):
            if len(v) > limits.max_cell_chars:
                raise FileReadError(
                    f"Row {table.source_rows[i]}, column '{table.headers[c]}' holds {len(v):,} characters; "
                    f"the most this app reads in one cell is {limits.max_cell_chars:,}.")
    if ("E+" in joined or "e+" in joined) and _SCIENTIFIC_HINT.search(joined):
        fullmatch = _SCIENTIFIC.fullmatch
        table.damage.extend(Damage(i, c, v, "scientific") for i, v in enumerate(values)
                            if ("E" in v or "e" in v) and fullmatch(v))
    return np.fromiter(values, object, len(values))  # twice as fast as filling np.empty


# ---------------------------------------------------------------------------------------------
# Workbooks


_SUFFIXES = {"xlsx": {".xlsx", ".xlsm"}, "xls": {".xls"}, "ods": {".ods"}}


def _read_workbook(path: Path, kind: str, sheet: str | None, limits: Limits) -> RawTable:
    if kind in ("xlsx", "ods"):
        from desktop.core.guards import check_zip_workbook

        check_zip_workbook(path)
    try:
        from python_calamine import CalamineWorkbook

        if path.suffix.lower() in _SUFFIXES[kind]:
            book = CalamineWorkbook.from_path(str(path))
        else:  # from_path goes by the name: an XLS or ODS saved as ".xlsx" must go by its content
            with path.open("rb") as fh:
                book = CalamineWorkbook.from_filelike(fh)
    except Exception as exc:  # noqa: BLE001 - calamine raises several types; all mean "unreadable"
        raise FileReadError(
            f"{path.name} looks like a {kind.upper()} workbook but cannot be read ({_short(exc)}). "
            "It may be damaged, incomplete or password-protected: open it in your spreadsheet program and save it again.") from None
    names = list(book.sheet_names)
    if not names:
        raise FileReadError(f"{path.name} has no sheets.")
    try:
        if sheet is not None:
            if sheet not in names:
                listed = ", ".join(f"'{n}'" for n in names)
                raise FileReadError(f"{path.name} has no sheet named '{sheet}'. Its sheets are {listed}.")
            chosen = sheet
            rows, start = _sheet_rows(book, chosen)
        else:
            chosen, rows, start = names[0], [], (0, 0)
            for name in names:
                rows, start = _sheet_rows(book, name)
                if any(any(_cell_text(v) for v in r) for r in rows):
                    chosen = name
                    break
    except FileReadError:
        raise
    except Exception as exc:  # noqa: BLE001
        raise FileReadError(f"{path.name} cannot be read ({_short(exc)}). Open it in your spreadsheet program and save it again.") from None
    table = _table_from_rows(path, kind, rows, start, limits)
    table.sheet = chosen
    table.sheets = names
    return table


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:160]


def _sheet_rows(book: Any, name: str) -> tuple[list[list[Any]], tuple[int, int]]:
    sh = book.get_sheet_by_name(name)
    start = sh.start or (0, 0)
    return sh.to_python(skip_empty_area=True), (int(start[0]), int(start[1]))


def _cell_text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v) or math.isinf(v):
            return ""
        if v.is_integer() and abs(v) < 1e15:
            return str(int(v))
        if v.is_integer():
            return f"{int(v)}"
        return repr(v)
    if isinstance(v, dt.datetime):
        if v.time() == dt.time(0, 0):
            return v.date().isoformat()
        return v.isoformat(sep=" ")
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, dt.time):
        return v.isoformat()
    if isinstance(v, dt.timedelta):
        return str(v)
    return str(v)


def _table_from_rows(path: Path, kind: str, rows: list[list[Any]], start: tuple[int, int], limits: Limits) -> RawTable:
    if not rows:
        raise FileReadError(f"{path.name} has no header row and no data.")
    lengths = np.fromiter(map(len, rows), np.int64, len(rows))
    full = int(lengths.max())
    if int(lengths.min()) != full:
        rows = [r if len(r) == full else [*r, *([None] * (full - len(r)))] for r in rows]
    grid = _grid(rows, full)
    rows.clear()  # consumed: the grid holds the cells now, so the row lists can go
    n = len(grid)
    # every cell as trimmed text, a column at a time (most columns hold only str: no conversion,
    # and no trimming unless a cell starts or ends with whitespace)
    texts: list[list[str]] = []
    converted = np.zeros(full, dtype=bool)
    trimmed: dict[int, tuple[list[int], list[str]]] = {}  # column -> (sheet rows, text) of cells with spaces around
    for c in range(full):
        values = grid[:, c].tolist()
        if not set(map(type, values)) <= {str}:
            values = list(map(_cell_text, values))
            converted[c] = True
        if maybe_untrimmed(_SEP.join(values)):
            stripped = list(map(str.strip, values))
            rows_hit, hit_texts = _trimmed(values, stripped)
            if rows_hit:
                trimmed[c] = (rows_hit, hit_texts)
            values = stripped
        texts.append(values)
    if all("" in values for values in texts):  # else some column is full, so no row is blank
        filled = np.zeros(n, dtype=bool)
        for values in texts:
            filled |= np.fromiter(map(bool, values), bool, n)
        used = np.flatnonzero(filled)
    else:
        used = np.arange(n)
    if used.size == 0:
        raise FileReadError(f"{path.name} has no header row and no data.")
    first = int(used[0])
    raw_header = [_cell_text(v) for v in grid[first].tolist()]
    header = [clean_text(values[first]) for values in texts]
    while header and not header[-1]:
        header.pop()
    if len(header) > limits.max_columns:
        raise FileReadError(f"The sheet has {len(header):,} columns; this app reads at most {limits.max_columns:,}.")
    data = used[1:]
    if len(data) > limits.max_rows:
        raise FileReadError(f"The sheet has more than {limits.max_rows:,} rows; split it into smaller files.")
    width = len(header)
    damage: list[Damage] = []
    for c in np.flatnonzero(converted[:width]).tolist():
        for r, v in enumerate(grid[data, c].tolist()):
            if isinstance(v, float) and v.is_integer() and abs(v) >= 1e15:
                damage.append(Damage(r, c, _cell_text(v), "long_number"))
            elif isinstance(v, int) and not isinstance(v, bool) and abs(v) >= 10**15:
                damage.append(Damage(r, c, str(v), "long_number"))
    extra: list[tuple[int, int]] = []
    if width < full:
        for i in np.flatnonzero(lengths[data] > width).tolist():
            r = int(data[i])
            if any(texts[c][r] for c in range(width, full)):
                extra.append((i, int(lengths[r]) - width))
    del grid
    table = RawTable(path=path, format=kind, headers=header, columns=[],
                     source_rows=(data + start[0] + 1).astype(np.int64), header_row=start[0] + first + 1,
                     damage=damage, extra_cells=extra, raw_headers=raw_header[:width])
    for c, (sheet_rows, values) in trimmed.items():
        if c < width:  # sheet row -> data position (header and blank rows have none)
            wanted = np.asarray(sheet_rows, dtype=np.int64)
            at = np.searchsorted(data, wanted)
            ok = (at < len(data)) & (data[np.minimum(at, max(len(data) - 1, 0))] == wanted) if len(data) else at < 0
            _note_trimmed(table, c, at[ok].tolist(), [v for v, k in zip(values, ok.tolist(), strict=True) if k])
    contiguous = len(data) == n - first - 1  # no blank row below the header: a slice, not a gather
    picks = data.tolist()
    table.columns = [_clean_column(texts[c][first + 1:] if contiguous else [texts[c][i] for i in picks], table, c, limits,
                                   stripped=True) for c in range(width)]
    return table
