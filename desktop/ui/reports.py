"""The error report: one line per finding (row, field, value, message) as CSV or XLSX.

Personal data stays out unless the user asks: for the fields the field guide marks personal or
special-category, the value is left blank and the value is cut out of the message too, so a
report can be e-mailed to a colleague who fixes the source system.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path

from desktop.base.writer import open_output
from desktop.core.safety import safe_cell
from desktop.core.session import ImportSession

HEADERS = ["row", "field", "severity", "code", "value", "message"]
HIDDEN = "[hidden]"


def report_rows(session: ImportSession, personal_fields: Iterable[str], include_personal: bool = False) -> list[list[str]]:
    personal = set(personal_fields)
    out: list[list[str]] = []
    for rec in session.findings.sorted().records(session.source_rows):
        value = "" if rec["value"] is None else str(rec["value"])
        message = str(rec["message"])
        field = rec["field"] or ""
        if not include_personal and (field in personal or rec["code"].startswith("row.duplicate")) and value:
            if len(value) > 1:
                message = message.replace(value, HIDDEN)
            value = ""
        out.append(["" if rec["row"] is None else str(rec["row"]), field, rec["severity"], rec["code"], value, message])
    return out


def write_error_report(session: ImportSession, path: Path, personal_fields: Iterable[str], *,
                       include_personal: bool = False) -> int:
    """Write the report; the format follows the suffix (.xlsx, else CSV). Returns the lines written."""
    rows = report_rows(session, personal_fields, include_personal)
    # the user's file: the folder's normal permissions, atomic, an existing file keeps its mode
    if path.suffix.lower() == ".xlsx":
        from openpyxl import Workbook

        wb = Workbook(write_only=True)
        ws = wb.create_sheet("Problems")
        ws.append(HEADERS)
        for r in rows:
            ws.append([safe_cell(c) for c in r])
        with open_output(path, binary=True) as fh:
            wb.save(fh)
    else:
        with open_output(path, newline="") as fh:
            writer = csv.writer(fh, lineterminator="\r\n")
            writer.writerow(HEADERS)
            writer.writerows([[safe_cell(c) for c in r] for r in rows])
    return len(rows)
