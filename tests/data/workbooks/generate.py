"""Write the small synthetic workbooks of this folder: one XLSX, and the same as XLS and ODS.

Run ``python -m tests.data.workbooks.generate`` from the repository root. The XLSX is written
with openpyxl; the XLS and ODS are converted from it by LibreOffice (``soffice``), which CI does
not have, so the three files are committed. The rows are synthetic trainees (never real people)
written the way a spreadsheet holds them: text codes with leading zeros, an Excel date cell, a
whole number stored as a number, one HESA ID a spreadsheet turned into a number (damage), one
row with a label instead of a code, a blank row, and a second sheet of notes.
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from openpyxl import Workbook

from tests.helpers import TEMPLATE, valid_row

HERE = Path(__file__).parent
SOURCE = HERE / "trainees.xlsx"
SHEET = "Trainees"
NOTES = "Notes"


def rows() -> list[list[object]]:
    """The sheet's rows (header first), as cell values a spreadsheet would store."""
    people = [
        valid_row(),
        valid_row(provider_trainee_id="26/27-2", first_names="Gwenllian", last_name="ap Rhys", sex="Female",
                  email="gwenllian.aprhys@example.org", hesa_id="0310261553102"),
        {},  # a blank row: skipped, but rows after it keep their spreadsheet numbers
        valid_row(provider_trainee_id="26/27-3", first_names="Pádraig", last_name="Ó Súilleabháin",
                  email="padraig.osuilleabhain@example.net", hesa_id="0310261553103"),
        valid_row(provider_trainee_id="26/27-4", first_names="Zoë", last_name="Featherstonehaugh-Cholmondeley",
                  email="zoe.fc@example.com", hesa_id="0310261553104"),
    ]
    out: list[list[object]] = [list(TEMPLATE.names)]
    for i, person in enumerate(people):
        if not person:
            out.append([None] * len(TEMPLATE.names))
            continue
        cells: list[object] = [person[name] or None for name in TEMPLATE.names]
        # what spreadsheets do: a real date cell, a number cell, and (row 6) a long ID as a number
        cells[TEMPLATE.names.index("date_of_birth")] = dt.datetime.fromisoformat(person["date_of_birth"])
        cells[TEMPLATE.names.index("course_year")] = 1
        if i == 4:
            cells[TEMPLATE.names.index("hesa_id")] = 12100071451234567
        out.append(cells)
    return out


def write_xlsx(path: Path) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    for r in rows():
        ws.append(r)
    notes = wb.create_sheet(NOTES)
    notes.append(["note"])
    notes.append(["Exported for Register; synthetic trainees only."])
    wb.save(path)
    return path


def convert(source: Path, fmt: str) -> Path:
    """``source`` converted by LibreOffice to ``fmt`` (xls or ods), next to it."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        raise SystemExit("LibreOffice (soffice) is needed to write the XLS and ODS files.")
    with tempfile.TemporaryDirectory() as profile:  # a throwaway profile: never the user's own
        subprocess.run([soffice, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", fmt,
                        "--outdir", str(source.parent), str(source)], check=True, capture_output=True, timeout=300)
    out = source.with_suffix(f".{fmt}")
    if not out.exists():
        raise SystemExit(f"LibreOffice did not write {out.name}.")
    return out


def main() -> int:
    write_xlsx(SOURCE)
    for fmt in ("xls", "ods"):
        print(convert(SOURCE, fmt).relative_to(Path.cwd()) if HERE.is_relative_to(Path.cwd()) else fmt)
    return 0


if __name__ == "__main__":
    sys.exit(main())
