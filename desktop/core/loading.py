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
import io
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from desktop.core.errors import FileReadError


@dataclass(frozen=True)
class Limits:
    """Caps that keep a hostile or mistaken file from exhausting the machine (documented in README)."""

    max_file_bytes: int = 200 * 1024 * 1024
    max_rows: int = 1_000_000
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

    @property
    def n_rows(self) -> int:
        return len(self.source_rows)

    def column(self, header: str) -> np.ndarray:
        return self.columns[self.headers.index(header)]


_SCIENTIFIC = re.compile(r"[+-]?\d(?:[.,]\d+)?[eE][+]\d+")


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
        raise FileReadError(f"{path.name} is empty.")
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
    for line in text.splitlines():
        if line.strip(" \t,;"):
            first = line
            break
    counts = {d: first.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: (counts[d], d == ","))
    return best if counts[best] else ","


def _read_csv(path: Path, data: bytes, limits: Limits) -> RawTable:
    text, encoding = decode_bytes(data)
    if "\x00" in text:
        raise FileReadError("The file holds NUL bytes: it is not a plain CSV file. Re-save it from your spreadsheet program as CSV.")
    delimiter = sniff_delimiter(text)
    csv.field_size_limit(max(limits.max_cell_chars * 4, 131072))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    records: list[list[str]] = []
    numbers: list[int] = []
    header: list[str] | None = None
    header_row = 0
    try:
        for number, record in enumerate(reader, start=1):
            if not any(c.strip() for c in record):
                continue
            if header is None:
                header = record
                header_row = number
                if len(header) > limits.max_columns:
                    raise FileReadError(f"The file has {len(header)} columns; this app reads at most {limits.max_columns}.")
                continue
            records.append(record)
            numbers.append(number)
            if len(records) > limits.max_rows:
                raise FileReadError(f"The file has more than {limits.max_rows:,} rows; split it into smaller files.")
    except csv.Error as exc:
        raise FileReadError(f"The CSV file cannot be parsed near line {reader.line_num}: {exc}. Check for unbalanced quotes.") from None
    if header is None:
        raise FileReadError(f"{path.name} has no header row and no data.")
    headers = [clean_text(h) for h in header]
    width = len(headers)
    extra = [(i, len(r) - width) for i, r in enumerate(records) if len(r) > width and any(c.strip() for c in r[width:])]
    columns = []
    for c in range(width):
        col = np.empty(len(records), dtype=object)
        col[:] = [clean_text(r[c]) if c < len(r) else "" for r in records]
        columns.append(col)
    table = RawTable(path=path, format="csv", headers=headers, columns=columns,
                     source_rows=np.asarray(numbers, dtype=np.int64), header_row=header_row,
                     encoding=encoding, delimiter=delimiter, extra_cells=extra)
    _check_cells(table, limits)
    return table


def _check_cells(table: RawTable, limits: Limits) -> None:
    for c, col in enumerate(table.columns):
        for i, v in enumerate(col):
            if len(v) > limits.max_cell_chars:
                raise FileReadError(
                    f"Row {table.source_rows[i]}, column '{table.headers[c]}' holds {len(v):,} characters; "
                    f"the most this app reads in one cell is {limits.max_cell_chars:,}.")
            if ("E" in v or "e" in v) and _SCIENTIFIC.fullmatch(v):
                table.damage.append(Damage(i, c, v, "scientific"))


# ---------------------------------------------------------------------------------------------
# Workbooks


def _read_workbook(path: Path, kind: str, sheet: str | None, limits: Limits) -> RawTable:
    if kind in ("xlsx", "ods"):
        from desktop.core.guards import check_zip_workbook

        check_zip_workbook(path)
    try:
        from python_calamine import CalamineWorkbook

        book = CalamineWorkbook.from_path(str(path))
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
    header: list[str] | None = None
    header_row = 0
    records: list[list[Any]] = []
    numbers: list[int] = []
    for i, raw in enumerate(rows):
        number = start[0] + i + 1
        if not any(_cell_text(v).strip() for v in raw):
            continue
        if header is None:
            header = [clean_text(_cell_text(v)) for v in raw]
            while header and not header[-1]:
                header.pop()
            header_row = number
            if len(header) > limits.max_columns:
                raise FileReadError(f"The sheet has {len(header)} columns; this app reads at most {limits.max_columns}.")
            continue
        records.append(raw)
        numbers.append(number)
        if len(records) > limits.max_rows:
            raise FileReadError(f"The sheet has more than {limits.max_rows:,} rows; split it into smaller files.")
    if header is None:
        raise FileReadError(f"{path.name} has no header row and no data.")
    width = len(header)
    damage: list[Damage] = []
    columns = []
    for c in range(width):
        col = np.empty(len(records), dtype=object)
        values = []
        for r, raw in enumerate(records):
            v = raw[c] if c < len(raw) else None
            if isinstance(v, float) and v.is_integer() and abs(v) >= 1e15:
                damage.append(Damage(r, c, _cell_text(v), "long_number"))
            elif isinstance(v, int) and not isinstance(v, bool) and abs(v) >= 10**15:
                damage.append(Damage(r, c, str(v), "long_number"))
            values.append(clean_text(_cell_text(v)))
        col[:] = values
        columns.append(col)
    extra = [(i, len(r) - width) for i, r in enumerate(records) if len(r) > width and any(_cell_text(v).strip() for v in r[width:])]
    table = RawTable(path=path, format=kind, headers=header, columns=columns,
                     source_rows=np.asarray(numbers, dtype=np.int64), header_row=header_row,
                     damage=damage, extra_cells=extra)
    _check_cells(table, limits)
    return table
