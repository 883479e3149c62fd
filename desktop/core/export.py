"""Write Register's bulk-add CSV from a session: the 51 headers, UTF-8 without BOM, codes as text.

Every cell is safe to open in a spreadsheet program and keeps its leading zeros there, using
Register's own guard (SPEC §8.6): in the code and date columns Register lists, every non-empty
value is written with one leading apostrophe, which Register strips on upload (and which our
reader strips too). Elsewhere a cell gets the apostrophe when a spreadsheet would run it as a
formula (it starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return) or would turn
it into a number and lose digits (all digits with a leading zero, or more than 15 digits).

The export is refused while any row has an error, unless ``allow_errors``: then only the rows
without errors are written, and the others go to a separate error report in the shape of
Register's own errors file (the 51 columns, then ``Validation results`` and ``Errors``, with
Register's CSV-page wording of each message where Register has one), which can be corrected and
checked again as it is.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from desktop.base.writer import is_special, write_file
from desktop.core.errors import UserFacingError
from desktop.core.safety import safe_cell

if TYPE_CHECKING:
    from desktop.core.session import ImportSession

#: Register's own always-guarded columns (SPEC §8.6), plus the disability columns it lists
GUARDED = frozenset({
    "hesa_id", "date_of_birth", "sex", "ethnicity", *(f"disability{i}" for i in range(1, 10)), "itt_aim",
    "training_route", "itt_qualification_aim", "course_subject_1", "course_subject_2", "course_subject_3",
    "study_mode", "itt_start_date", "itt_end_date", "course_age_range", "trainee_start_date",
    "pg_apprenticeship_start_date", "fund_code", "funding_method", "training_initiative",
    "additional_training_initiative", "uk_degree", "non_uk_degree", "degree_subject", "degree_grade",
    "degree_graduation_year", "awarding_institution",
})

#: Register's upload refuses files over 1 MB (SPEC §8.2)
REGISTER_MAX_BYTES = 1_048_576


class ExportError(UserFacingError):
    title = "The file cannot be exported"


@dataclass
class ExportResult:
    written: bool  # False: refused (errors remain and allow_errors was not given)
    path: Path | None
    rows_written: int
    rows_with_errors: int
    error_report: Path | None = None
    size_bytes: int = 0
    notes: list[str] = field(default_factory=list)


def guard(value: str, field_name: str) -> str:
    """The cell as written: safe in a spreadsheet, leading zeros kept, unchanged after upload."""
    if not value:
        return value
    if field_name in GUARDED:
        return "'" + value
    if value.isdigit() and ((len(value) > 1 and value.startswith("0")) or len(value) > 15):
        return "'" + value
    if value.startswith("'"):
        return "'" + value  # Register strips one apostrophe: keep the one that is data
    return safe_cell(value)


def _guarded_rows(cols: list[np.ndarray], names: list[str], positions: np.ndarray) -> list[tuple[str, ...]]:
    """The chosen rows with every cell guarded, column by column (one guard per distinct value)."""
    import pandas as pd

    guarded = []
    for col, name in zip(cols, names, strict=True):
        index, uniques = pd.factorize(col[positions])
        table = np.empty(len(uniques), dtype=object)
        table[:] = [guard(str(u), name) for u in uniques.tolist()]
        guarded.append(table[index].tolist() if len(uniques) else [""] * len(positions))
    return list(zip(*guarded, strict=True)) if guarded else []


def _csv(header: list[str], rows: Iterable[Sequence[str]]) -> bytes:
    out = io.StringIO(newline="")
    w = csv.writer(out, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return out.getvalue().encode("utf-8")


def default_error_report(path: Path) -> Path:
    return path.with_name(f"{path.stem}-errors.csv")


def export_register_csv(session: ImportSession, path: str | Path, *, allow_errors: bool = False,
                        error_report: str | Path | None = None) -> ExportResult:
    """Write the template CSV for the rows Register would accept (see the module docstring)."""
    if not str(path).strip():
        raise ExportError("No file name was given for the Register CSV (--out).")
    path = Path(path)
    names = session.template.names
    invalid = session.invalid_row_mask()
    file_errors = session.has_file_errors()
    bad_rows = session.summary()["rows_with_errors"]
    blocked = file_errors or bad_rows > 0
    if blocked and not allow_errors:
        return ExportResult(False, None, 0, bad_rows)
    positions = session.valid_positions()
    cols = [session.columns[n] for n in names]
    data = _csv(names, _guarded_rows(cols, names, positions))
    notes: list[str] = []
    if file_errors:
        notes.append("The file itself has errors (see 'About the file' in check), so no row can be exported.")
    if len(data) > REGISTER_MAX_BYTES:
        notes.append(f"The file is {len(data) / 1048576:.1f} MB; Register's upload accepts at most 1 MB, so split it "
                     "or use the API.")
    report_path: Path | None = None
    if blocked:
        if not error_report and is_special(path):
            raise ExportError(f"The Register CSV goes to {path}; the rows with errors need a file of their own: "
                              "give one with --errors-out.")
        report_path = Path(error_report) if error_report else default_error_report(path)
    # the user's files: the folder's normal permissions, an existing file keeps its mode (desktop.base.writer)
    written_path: Path | None = None
    if len(positions) or not blocked:
        written_path = write_file(path, data)
    else:
        notes.append("No row is free of errors, so no Register file was written.")
    if report_path is not None:
        write_file(report_path, _error_report(session, names, cols, invalid, file_errors))
    return ExportResult(written_path is not None, written_path, len(positions) if written_path else 0, bad_rows,
                        report_path, len(data) if written_path else 0, notes)


def _error_report(session: ImportSession, names: list[str], cols: list[np.ndarray], invalid: np.ndarray,
                  file_errors: bool) -> bytes:
    frame = session.findings.frame
    errors = frame[frame["severity"] == "error"].sort_values("row", kind="stable")  # info notes can be millions
    wording = session.pack.csv_wording
    by_row: dict[int, list[str]] = {}
    for row, name, message, register in zip(errors["row"].tolist(), errors["field"].tolist(), errors["message"].tolist(),
                                            errors["register_message"].tolist(), strict=True):
        if isinstance(register, str) and register:
            text = wording(register)  # Register's own words, as its CSV page writes them in its errors file
        else:  # a problem Register does not word (it would drop the value silently, say): the app's words
            text = f"{name}: {message}" if isinstance(name, str) and name else str(message)
        if text not in by_row.setdefault(int(row), []):
            by_row[int(row)].append(text)
    rows = []
    file_level = by_row.pop(-1, [])
    positions = range(session.n_rows) if file_errors else np.flatnonzero(invalid)
    source_rows = session.source_rows
    for i in positions:
        messages = [*file_level, *by_row.get(int(i), [])]
        n = len(messages)
        result = f"Row {int(source_rows[i])}: " + ("1 error found" if n == 1 else f"{n} errors found")
        rows.append([*(guard(str(c[i]), name) for c, name in zip(cols, names, strict=True)),
                     result, safe_cell(";\n".join(messages))])
    return _csv([*names, "Validation results", "Errors"], rows)
