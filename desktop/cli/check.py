"""``register-desktop check FILE``: every problem Register would reject, offline."""

from __future__ import annotations

import argparse
import csv
import json
from typing import TYPE_CHECKING, Any, TextIO

from desktop.cli.common import add_today, output, parse_today

if TYPE_CHECKING:
    from desktop.core.session import ImportSession


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser("check", help="check a spreadsheet against Register's rules, offline")
    p.add_argument("file", help="CSV, XLSX, XLSM, XLS or ODS file")
    p.add_argument("--sheet", help="sheet name (default: the first sheet with data)")
    p.add_argument("--format", choices=["text", "json", "csv"], default="text")
    p.add_argument("--out", help="write the report here instead of the screen")
    p.add_argument("--list-changes", action="store_true",
                   help="list every value change as its own finding in json/csv (default: grouped in 'value_changes')")
    p.add_argument("--as-uploaded", action=argparse.BooleanOptionalAction, default=None,
                   help="also check the file as Register's own upload page would read it as it stands (untrimmed "
                        "cells, exact column names, file checks); default: when the file is in the template's shape")
    add_mapping_options(p)
    add_today(p)
    p.set_defaults(run=run)


def add_mapping_options(p: argparse.ArgumentParser) -> None:
    """The mapping options shared by check, export and map."""
    from desktop.core.values import KINDS

    p.add_argument("--mapping", metavar="PROFILE.json",
                   help="use this mapping profile (made by 'register-desktop map') instead of choosing one")
    p.add_argument("--no-saved-profiles", action="store_true",
                   help="do not use a saved profile even if one was made for these headers")
    p.add_argument("--map-values", action=argparse.BooleanOptionalAction, default=None,
                   help="turn labels, UK dates and damaged codes into Register's codes (default: only when "
                        "the headers are not the template's own)")
    p.add_argument("--no-convert", action="append", choices=[*KINDS, "all"], default=[], metavar="KIND",
                   help=f"do not make this kind of value change ({', '.join(KINDS)}, or all); repeatable")


def open_session(args: argparse.Namespace) -> ImportSession:
    """Open FILE with the options common to check/export/upload (mapping options where present)."""
    from desktop.core.profiles import load_profile
    from desktop.core.session import ImportSession

    profile = load_profile(args.mapping) if getattr(args, "mapping", None) else None
    no_convert = list(getattr(args, "no_convert", None) or [])
    session = ImportSession.open(args.file, sheet=getattr(args, "sheet", None), today=parse_today(getattr(args, "today", None)),
                                 profile=profile, map_values=getattr(args, "map_values", None),
                                 auto_profile=not getattr(args, "no_saved_profiles", False), validate=not no_convert,
                                 as_uploaded=getattr(args, "as_uploaded", None))
    if no_convert:
        from desktop.core.values import KINDS, ValueOptions

        options = ValueOptions.off() if "all" in no_convert else session.value_options.without(
            *(k for k in no_convert if k in KINDS))
        session.apply_mapping(session.mapping, value_options=options)
    return session


def run(args: argparse.Namespace) -> int:
    today = parse_today(args.today)
    session = open_session(args)
    report = session.report(list_changes=args.list_changes and args.format != "text")
    with output(args.out) as out:
        if args.format == "json":
            write_json(report, out)
        elif args.format == "csv":
            write_csv(report, out)
        else:
            write_text(report, out, today_label=str(today or "today (UTC)"))
    return 1 if report["summary"]["errors"] else 0


def write_json(report: dict[str, Any], out: TextIO) -> None:
    """The report as indented JSON, one finding per line.

    ``json.dump(..., indent=2)`` runs the json module's pure-Python encoder, which took seconds
    on a file with hundreds of thousands of findings; each finding here goes through the C
    encoder, a batch at a time. The document is the same, only the whitespace differs.
    """
    encode = json.JSONEncoder(ensure_ascii=False).encode
    out.write("{\n")
    for i, (key, value) in enumerate(report.items()):
        out.write(("" if i == 0 else ",\n") + f"  {encode(key)}: ")
        if key == "findings" and isinstance(value, list) and value:
            out.write("[\n")
            for start in range(0, len(value), 5000):
                lead = "" if start == 0 else ",\n"
                out.write(lead + ",\n".join("    " + encode(f) for f in value[start:start + 5000]))
            out.write("\n  ]")
        else:
            out.write(json.dumps(value, ensure_ascii=False, indent=2).replace("\n", "\n  "))
    out.write("\n}\n")


def write_csv(report: dict[str, Any], out: TextIO) -> None:
    from desktop.core.safety import safe_cell

    # CRLF, as RFC 4180 has it: the csv module then also quotes a cell holding a lone carriage return
    # (a value as written, with its invisible characters), which a spreadsheet would take for a new row
    w = csv.writer(out, lineterminator="\r\n")
    cols = ["row", "field", "severity", "code", "message", "register_message", "value", "register_csv_message"]
    w.writerow(cols)
    for f in report["findings"]:
        w.writerow([safe_cell("" if f[c] is None else str(f[c])) for c in cols])
    if not any(f["code"] == "cell.value_mapped" for f in report["findings"]):
        for g in report.get("value_changes") or []:  # grouped; --list-changes gives one line per cell
            rows = ", ".join(map(str, g["rows"]))
            w.writerow([safe_cell(x) for x in ("", g["field"], "info", "cell.value_mapped",
                                                f"{g['message']} Rows: {rows}.", "", g["value"], "")])


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
    details.append(f"dates checked as of {today_label}")
    out.write("  " + ", ".join(details) + "\n")
    write_mapping(report, out)
    findings = report["findings"]
    file_level = [f for f in findings if f["row"] is None]
    if file_level:
        out.write("\nAbout the file:\n")
        optional_missing = [f["field"] for f in file_level if f["code"] == "header.missing" and f["severity"] == "info"]
        for f in file_level:
            if not (f["code"] == "header.missing" and f["severity"] == "info"):
                out.write(f"  {f['severity'].upper():8} {f['message']}\n")
                if f["code"].startswith("file.") and f.get("register_csv_message"):
                    out.write(f"  {'':8} Register's upload page says: \"{f['register_csv_message']}\"\n")
        if optional_missing:
            out.write(f"  {'INFO':8} Not in this file, sent empty ({len(optional_missing)} optional fields): "
                      f"{', '.join(optional_missing)}.\n")
    write_value_changes(report.get("value_changes") or [], out)
    rows = [f for f in findings if f["row"] is not None and f["severity"] != "info"]
    if rows:
        out.write("\nRow  Field                           Severity  Problem\n")
        for f in rows:
            out.write(f"{f['row']:<4} {(f['field'] or '-'):<31} {f['severity']:<9} {f['message']}\n")
    out.write(
        f"\n{s['errors']} errors, {s['warnings']} warnings; {s['rows_with_errors']} of {report['rows']} rows "
        f"have errors, {s['valid_rows']} ready to send.\n")
    if (report.get("as_uploaded") or {}).get("checked"):
        page = report["as_uploaded"]["errors"]
        if page or s["errors"]:
            written = (f" ({page} of the errors are about the file as written: its headers, size or spaces around "
                       "values; each says what the app's export and upload do about it)") if page else ""
            out.write(f"Register's upload page would refuse this file as it stands{written}.\n")
        else:
            out.write("Register's upload page would accept this file as it stands, as far as can be checked offline.\n")


def write_mapping(report: dict[str, Any], out: TextIO) -> None:
    """The mapping used, when the headers were not the template's own."""
    from desktop.core.mapping import METHOD_TITLES

    details = report.get("mapping_details") or {}
    fields = details.get("fields", {})
    mapped = {k: v for k, v in report["mapping"].items() if v is not None and v != k}
    if details.get("origin") == "profile":
        out.write(f"  mapping: the saved profile '{details.get('profile')}'\n")
    elif mapped:
        out.write("  mapping suggested from the headers (check it; 'register-desktop map FILE --out PROFILE.json' "
                  "saves it for next time):\n")
    if not mapped:
        return
    width = max(len(repr(v)) for v in mapped.values())
    for k, v in mapped.items():
        info = fields.get(k, {})
        how = METHOD_TITLES.get(info.get("method", ""), "")
        conf = info.get("confidence")
        extra = f"  ({how}, {conf:.0%})" if how and conf is not None and info.get("method") not in ("profile", "user") else ""
        out.write(f"    {v!r:<{width}} -> {k}{extra}\n")


def write_value_changes(groups: list[dict[str, Any]], out: TextIO, limit: int = 40) -> None:
    """Value changes, grouped: each distinct change once with the number of cells."""
    if not groups:
        return
    total = sum(g["count"] for g in groups)
    out.write(f"\nValues changed ({total} cells; --format json lists the rows of each):\n")
    for g in groups[:limit]:
        n = g["count"]
        where = f"  [{n} rows]" if n > 1 else f"  [row {g['rows'][0]}]"
        out.write(f"  {g['message']}{where}\n")
    if len(groups) > limit:
        out.write(f"  ... and {len(groups) - limit} other changes.\n")
