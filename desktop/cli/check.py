"""``register-desktop check FILE``: every problem Register would reject, offline."""

from __future__ import annotations

import argparse
import csv
import json
from typing import Any, TextIO

from desktop.cli.common import add_today, open_out, parse_today
from desktop.core.session import ImportSession


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser("check", help="check a spreadsheet against Register's rules, offline")
    p.add_argument("file", help="CSV, XLSX, XLSM, XLS or ODS file")
    p.add_argument("--sheet", help="sheet name (default: the first sheet with data)")
    p.add_argument("--format", choices=["text", "json", "csv"], default="text")
    p.add_argument("--out", help="write the report here instead of the screen")
    add_today(p)
    p.set_defaults(run=run)


def open_session(args: argparse.Namespace) -> ImportSession:
    """Open FILE with the options common to check/export/upload (mapping options where present)."""
    hook = getattr(args, "session_opener", None)
    if hook is not None:
        return hook(args)  # type: ignore[no-any-return]
    return ImportSession.open(args.file, sheet=args.sheet, today=parse_today(args.today))


def run(args: argparse.Namespace) -> int:
    today = parse_today(args.today)
    session = open_session(args)
    report = session.report()
    out = open_out(args.out)
    try:
        if args.format == "json":
            json.dump(report, out, ensure_ascii=False, indent=2)
            out.write("\n")
        elif args.format == "csv":
            write_csv(report, out)
        else:
            write_text(report, out, today_label=str(today or "today (UTC)"))
    finally:
        if out is not __import__("sys").stdout:
            out.close()
    return 1 if report["summary"]["errors"] else 0


def write_csv(report: dict[str, Any], out: TextIO) -> None:
    from desktop.core.safety import safe_cell

    w = csv.writer(out, lineterminator="\n")
    cols = ["row", "field", "severity", "code", "message", "register_message", "value"]
    w.writerow(cols)
    for f in report["findings"]:
        w.writerow([safe_cell("" if f[c] is None else str(f[c])) for c in cols])


def _short(value: Any, limit: int = 60) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def write_text(report: dict[str, Any], out: TextIO, today_label: str) -> None:
    s = report["summary"]
    where = report["file"] + (f" (sheet '{report['sheet']}')" if report["sheet"] else "")
    out.write(f"{where}\n")
    details = [f"{report['rows']} rows"]
    if report["encoding"]:
        details.append(f"encoding {report['encoding']}")
    details.append(f"template {report['template_version']}")
    details.append(f"reference data {report['reference_data_version']}")
    out.write("  " + ", ".join(details) + "\n")
    mapped = {k: v for k, v in report["mapping"].items() if v is not None and v != k}
    if mapped:
        out.write("  mapping used:\n")
        for k, v in mapped.items():
            out.write(f"    {v!r} -> {k}\n")
    findings = report["findings"]
    file_level = [f for f in findings if f["row"] is None]
    if file_level:
        out.write("\nAbout the file:\n")
        for f in file_level:
            out.write(f"  {f['severity'].upper():8} {f['message']}\n")
    rows = [f for f in findings if f["row"] is not None]
    if rows:
        out.write("\nRow  Field                           Severity  Problem\n")
        for f in rows:
            out.write(f"{f['row']:<4} {(f['field'] or '-'):<31} {f['severity']:<9} {f['message']}\n")
    out.write(
        f"\n{s['errors']} errors, {s['warnings']} warnings; {s['rows_with_errors']} of {report['rows']} rows "
        f"have errors, {s['valid_rows']} ready to send.\n")
