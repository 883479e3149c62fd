"""``register-desktop check FILE``: every problem Register would reject, offline."""

from __future__ import annotations

import argparse
import csv
import json
from typing import TYPE_CHECKING, Any, TextIO

from desktop.cli.common import add_today, output, parse_today, plural
from desktop.core.errors import UsageError, UserFacingError

if TYPE_CHECKING:
    from desktop.core.draft import MappingDraft
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
    p.add_argument("--all-findings", metavar="PATH",
                   help="also write every finding, each with its message, to PATH (CSV); the report itself lists at "
                        "most 10,000 of one kind on one field and 100,000 in all, and counts the rest")
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
    p.add_argument("--set", dest="set_columns", action="append", default=[], metavar="FIELD=COLUMN",
                   help="take FIELD from the file's COLUMN (repeatable), e.g. --set degree_grade=Class")
    p.add_argument("--unset", dest="unset_fields", action="append", default=[], metavar="FIELD",
                   help="leave FIELD without a column (repeatable)")
    p.add_argument("--map-values", action=argparse.BooleanOptionalAction, default=None,
                   help="turn labels, UK dates and damaged codes into Register's codes (default: only when "
                        "the headers are not the template's own)")
    p.add_argument("--no-convert", action="append", choices=[*KINDS, "all"], default=[], metavar="KIND",
                   help=f"do not make this kind of value change ({', '.join(KINDS)}, or all); repeatable")


def mapping_changes(args: argparse.Namespace) -> list[tuple[str, str | None]]:
    """``--set FIELD=COLUMN`` and ``--unset FIELD`` as (field, column or None), in the order given."""
    out: list[tuple[str, str | None]] = []
    for item in getattr(args, "set_columns", None) or []:
        name, sep, column = item.partition("=")
        if not sep or not name.strip() or not column.strip():
            raise UsageError(f"--set needs FIELD=COLUMN (for example --set degree_grade=Class), not '{item}'.")
        out.append((name.strip(), column.strip()))
    out.extend((name.strip(), None) for name in getattr(args, "unset_fields", None) or [])
    return out


def repeat_options(args: argparse.Namespace) -> str:
    """The options that chose the sheet and the mapping, to repeat in a command we suggest."""
    import shlex

    parts: list[str] = []
    if getattr(args, "sheet", None):
        parts += ["--sheet", args.sheet]
    if getattr(args, "mapping", None):
        parts += ["--mapping", args.mapping]
    if getattr(args, "no_saved_profiles", False):
        parts.append("--no-saved-profiles")
    for item in getattr(args, "set_columns", None) or []:
        parts += ["--set", item]
    for item in getattr(args, "unset_fields", None) or []:
        parts += ["--unset", item]
    if getattr(args, "map_values", None) is not None:
        parts.append("--map-values" if args.map_values else "--no-map-values")
    if getattr(args, "as_uploaded", None) is not None:
        parts.append("--as-uploaded" if args.as_uploaded else "--no-as-uploaded")
    for kind in getattr(args, "no_convert", None) or []:
        parts += ["--no-convert", kind]
    if getattr(args, "today", None):
        parts += ["--today", args.today]
    return " ".join(shlex.quote(p) for p in parts)


def open_draft(args: argparse.Namespace, *, map_values_default: bool | None = None) -> MappingDraft:
    """Read FILE and decide its mapping as the window's Map step would, then apply --set/--unset."""
    from desktop.core.draft import MappingDraft
    from desktop.core.loading import read_table
    from desktop.core.profiles import load_profile

    profile = load_profile(args.mapping) if getattr(args, "mapping", None) else None
    raw = read_table(args.file, sheet=getattr(args, "sheet", None))
    draft = MappingDraft.start(raw, today=parse_today(getattr(args, "today", None)), profile=profile,
                               map_values=_first(getattr(args, "map_values", None), map_values_default),
                               auto_profile=not getattr(args, "no_saved_profiles", False))
    no_convert = list(getattr(args, "no_convert", None) or [])
    if no_convert:
        from desktop.core.values import KINDS, ValueOptions

        options = ValueOptions.off() if "all" in no_convert else draft.options.without(
            *(k for k in no_convert if k in KINDS))
        draft.set_options(options, text="--no-convert")
    changes = mapping_changes(args)
    if changes:
        try:
            draft.apply(changes, text="--set/--unset")
        except UserFacingError as exc:
            raise UsageError(exc.message) from None
    return draft


def _first(value: bool | None, default: bool | None) -> bool | None:
    return default if value is None else value


def open_session(args: argparse.Namespace) -> ImportSession:
    """Open FILE with the options common to check/export/upload (mapping options where present)."""
    from desktop.core.session import ImportSession

    return ImportSession.from_draft(open_draft(args), as_uploaded=getattr(args, "as_uploaded", None))


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
            write_text(report, out, today_label=str(today or "today (UTC)"), file_arg=args.file,
                       options=repeat_options(args))
    if args.all_findings:
        write_all_findings(session, args.all_findings)
    return 1 if report["summary"]["errors"] else 0


CSV_COLUMNS = ["row", "field", "severity", "code", "message", "register_message", "value", "register_csv_message"]


def write_all_findings(session: ImportSession, path: str) -> None:
    """Every finding with its message, as ``--format csv`` lists them (file-level first, then by row),
    made a chunk of rows at a time: the memory of a chunk, not of the whole list."""
    from desktop.base.writer import open_output
    from desktop.core.safety import safe_cell

    with open_output(path, newline="") as out:
        w = csv.writer(out, lineterminator="\r\n")
        w.writerow(CSV_COLUMNS)
        for part in session.iter_findings_with_words():
            for f in part.sorted().records(session.source_rows, session.pack.csv_wording):
                w.writerow([safe_cell("" if f[c] is None else str(f[c])) for c in CSV_COLUMNS])


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
    cols = CSV_COLUMNS
    w.writerow(cols)
    for f in report["findings"]:
        w.writerow([safe_cell("" if f[c] is None else str(f[c])) for c in cols])
    for g in (report.get("unlisted_findings") or {}).get("per_rule_and_field") or []:  # counted, not listed
        w.writerow([safe_cell(x) for x in ("", g["field"] or "", g["severity"], g["code"],
                                            f"{g['count']:,} more findings like this, not listed "
                                            "(check --all-findings PATH writes every one).", "", "", "")])
    if not any(f["code"] == "cell.value_mapped" for f in report["findings"]):
        for g in report.get("value_changes") or []:  # grouped; --list-changes gives one line per cell
            rows = ", ".join(map(str, g["rows"]))
            w.writerow([safe_cell(x) for x in ("", g["field"], "info", "cell.value_mapped",
                                                f"{g['message']} Rows: {rows}.", "", g["value"], "")])


def _short(value: Any, limit: int = 60) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def write_text(report: dict[str, Any], out: TextIO, today_label: str, file_arg: str | None = None,
               options: str = "") -> None:
    s = report["summary"]
    where = report["file"] + (f" (sheet '{report['sheet']}')" if report["sheet"] else "")
    out.write(f"{where}\n")
    details = [plural(report["rows"], "row")]
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
            out.write(f"  {'INFO':8} Not in this file, sent empty ({plural(len(optional_missing), 'optional field')}): "
                      f"{', '.join(optional_missing)}.\n")
    write_suggestions(report, out, file_arg or report["file"], options)
    write_value_changes(report.get("value_changes") or [], out)
    rows = [f for f in findings if f["row"] is not None and f["severity"] != "info"]
    if rows:
        out.write("\nRow  Field                           Severity  Problem\n")
        for f in rows:
            out.write(f"{f['row']:<4} {(f['field'] or '-'):<31} {f['severity']:<9} {f['message']}\n")
    unlisted = (report.get("unlisted_findings") or {}).get("count") or 0
    if unlisted:
        out.write(f"... and {plural(unlisted, 'more finding')} counted but not listed: "
                  f"{report['unlisted_findings']['note']}\n")
    folded = report.get("folded_findings") or []
    folded_note = (f" ({plural(len(folded), 'more problem')} on damaged cells counted once, under the damage)"
                   if folded else "")
    out.write(
        f"\n{plural(s['errors'], 'error')}, {plural(s['warnings'], 'warning')}{folded_note}; "
        f"{s['rows_with_errors']:,} of {plural(report['rows'], 'row')} "
        f"{'has' if s['rows_with_errors'] == 1 else 'have'} errors, {s['valid_rows']:,} ready to send.\n")
    if (report.get("as_uploaded") or {}).get("checked"):
        page = report["as_uploaded"]["errors"]
        if page or s["errors"]:
            written = (f" ({page} of the errors are about the file as written: its headers, size or spaces around "
                       "values; each says what the app's export and upload do about it)") if page else ""
            out.write(f"Register's upload page would refuse this file as it stands{written}.\n")
        else:
            out.write("Register's upload page would accept this file as it stands, as far as can be checked offline.\n")


def write_suggestions(report: dict[str, Any], out: TextIO, file_arg: str, options: str = "") -> None:
    """Unused columns that look like a field with no column: the one command that maps them."""
    import shlex

    free = [s for s in report.get("suggestions") or [] if s.get("field") and not s.get("taken_by")]
    if not free:
        return
    out.write("\nColumns that probably hold a field with no column:\n")
    for s in free:
        out.write(f"  '{s['column']}' -> {s['field']} ({s['reason']})\n")
    sets = " ".join(f"--set {shlex.quote(s['field'] + '=' + s['column'])}" for s in free)
    rest = f" {options}" if options else ""
    out.write(f"  Map {'it' if len(free) == 1 else 'them'} for this check: register-desktop check "
              f"{shlex.quote(file_arg)}{rest} {sets}\n"
              f"  Keep it for next time: register-desktop map {shlex.quote(file_arg)}{rest} {sets} --save\n")


def write_mapping(report: dict[str, Any], out: TextIO) -> None:
    """The mapping used, when the headers were not the template's own."""
    from desktop.core.mapping import METHOD_TITLES

    details = report.get("mapping_details") or {}
    fields = details.get("fields", {})
    mapped = {k: v for k, v in report["mapping"].items() if v is not None and v != k}
    changed = any(info.get("method") in ("user", "confirmed") for info in fields.values())
    if details.get("origin") == "profile":
        if details.get("profile_file"):
            out.write(f"  mapping: the profile '{details.get('profile')}' from {details['profile_file']}")
        else:
            out.write(f"  mapping: your saved profile '{details.get('profile')}' (made for files with these headers)")
        out.write(", with your changes\n" if changed else "\n")
    elif mapped:
        out.write("  mapping suggested from the headers (check it; 'register-desktop map FILE --save' keeps it for "
                  "next time, --set FIELD=COLUMN changes it):\n")
    if not mapped:
        return
    width = max(len(repr(v)) for v in mapped.values())
    for k, v in mapped.items():
        info = fields.get(k, {})
        method = info.get("method", "")
        how = "" if method == "profile" else (info.get("reason") or METHOD_TITLES.get(method, ""))
        out.write(f"    {v!r:<{width}} -> {k}{f'  ({how})' if how else ''}\n")


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
