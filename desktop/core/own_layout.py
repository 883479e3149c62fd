"""Save a copy of the user's own file with the fixes: their headers, their columns, corrected cells.

Register's CSV is one output; the file the provider started from is another they keep working
in (to send back to their record system, or to fix next year's export the same way). The copy
has every column and every row the file was read with, in the same order, under the same
headers, with:

- each cell the user corrected in the review holding the correction (``values="yours"``, the
  default: everything else exactly as read, so labels stay labels and dates stay as written), or
  every mapped column as Register reads it (``values="register"``: codes, ISO dates, the value
  mapping applied);
- optionally a last column, "Problems (Register Desktop)", listing what is still wrong in the
  row (errors and warnings, in words), so the file can be corrected in a spreadsheet program.

XLSX (every cell stored as text: leading zeros and long IDs survive, nothing runs as a formula)
or CSV (UTF-8 with a byte-order mark so spreadsheet programs read accents, formula-guarded cells),
chosen by the file's suffix. Written by ``desktop.base.writer``: the user's folder keeps its
permissions and a failure leaves any earlier copy as it was. Blank rows the reader skipped are not
in the copy, nor cells beyond the last header (both are reported when the file is read).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from desktop.base.writer import write_file
from desktop.core.errors import UserFacingError
from desktop.core.mapping import apply_mapping
from desktop.core.safety import safe_cell, text_cells

if TYPE_CHECKING:
    from desktop.core.session import ImportSession

PROBLEMS_HEADER = "Problems (Register Desktop)"
VALUES = ("yours", "register")


class CopyError(UserFacingError):
    title = "The copy cannot be saved"


@dataclass(frozen=True)
class CopyResult:
    path: Path
    rows: int
    columns: int
    corrected_cells: int  # cells whose value differs from the file as read
    rows_with_problems: int  # rows whose Problems cell is not empty (0 without that column)


def corrected_cells(session: ImportSession) -> dict[str, np.ndarray]:
    """Field -> the rows whose cell the user changed after the file was mapped (edits in the review)."""
    baseline = apply_mapping(session.raw, session.mapping, session.template)
    if session.value_options.any_enabled:
        baseline, _ = session.value_mapper().apply(baseline)
    out: dict[str, np.ndarray] = {}
    for name in session.template.names:
        if session.mapping.columns.get(name) is None:
            continue
        changed = np.flatnonzero(session.columns[name] != baseline[name])
        if len(changed):
            out[name] = changed
    return out


def row_problems(session: ImportSession) -> list[str]:
    """For each row, what is still wrong in it, in words ("Sex: '9' is not …; Email: …")."""
    frame = session.findings.frame
    out = [""] * session.n_rows
    wanted = frame[(frame["row"] >= 0) & frame["severity"].isin(["error", "warning"])]
    if not len(wanted):
        return out
    labels = {f.name: f.label for f in session.template.fields}
    parts: dict[int, list[str]] = {}
    for row, field_name, message in zip(wanted["row"].tolist(), wanted["field"].tolist(), wanted["message"].tolist(),
                                        strict=True):
        if 0 <= row < session.n_rows:
            where = labels.get(field_name, "") if field_name else ""
            parts.setdefault(int(row), []).append(f"{where}: {message}" if where else str(message))
    for row, items in parts.items():
        out[row] = " | ".join(items)
    return out


def save_own_layout(session: ImportSession, path: str | Path, *, values: str = "yours",
                    problems_column: bool = False) -> CopyResult:
    """Write the copy (see the module docstring); the format follows the suffix (.xlsx, else CSV)."""
    if values not in VALUES:
        raise CopyError(f"values must be one of {', '.join(VALUES)}, not '{values}'.")
    if not str(path).strip():
        raise CopyError("No file name was given for the copy.")
    target = Path(path)
    source = Path(session.raw.path)
    try:
        if target.exists() and source.exists() and target.resolve() == source.resolve():
            raise CopyError("Saving the copy over the file you opened would lose the original. Choose another name.")
    except OSError:
        pass
    raw = session.raw
    headers = list(raw.headers)
    columns: list[np.ndarray] = [np.asarray(c, dtype=object).copy() for c in raw.columns]
    first_index: dict[str, int] = {}
    for i, h in enumerate(headers):
        first_index.setdefault(h, i)
    changed = corrected_cells(session)
    n_corrected = 0
    for name, source_header in session.mapping.columns.items():
        if source_header is None or source_header not in first_index:
            continue
        col = first_index[source_header]
        current = session.columns[name]
        if values == "register":
            n_corrected += int(np.count_nonzero(columns[col] != current))
            columns[col] = np.asarray(current, dtype=object).copy()
        else:
            edited = changed.get(name)
            if edited is not None and len(edited):
                columns[col][edited] = current[edited]
                n_corrected += len(edited)
    problems: list[str] | None = row_problems(session) if problems_column else None
    out_headers = headers + ([PROBLEMS_HEADER] if problems is not None else [])
    lines = _rows(columns, raw.n_rows, problems)
    data = _xlsx(out_headers, lines) if target.suffix.lower() in (".xlsx", ".xlsm") else _csv(out_headers, lines)
    written = write_file(target, data)
    with_problems = sum(1 for p in problems if p) if problems is not None else 0
    return CopyResult(written, raw.n_rows, len(out_headers), n_corrected, with_problems)


def _rows(columns: Sequence[np.ndarray], n: int, problems: list[str] | None) -> Iterable[list[str]]:
    for r in range(n):
        row = ["" if c[r] is None else str(c[r]) for c in columns]
        if problems is not None:
            row.append(problems[r])
        yield row


def _csv(headers: list[str], rows: Iterable[list[str]]) -> bytes:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow([safe_cell(h) for h in headers])
    for row in rows:
        w.writerow([safe_cell(v) for v in row])
    return out.getvalue().encode("utf-8-sig")


def _xlsx(headers: list[str], rows: Iterable[list[str]]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Trainees")
    from openpyxl.cell import WriteOnlyCell

    header_cells = []
    for h in headers:
        cell = WriteOnlyCell(ws, value=h)
        cell.data_type = "s"
        cell.font = Font(bold=True)
        header_cells.append(cell)
    ws.append(header_cells)
    for row in rows:
        text_cells(ws, row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
