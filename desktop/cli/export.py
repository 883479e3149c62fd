"""``register-desktop export FILE --out register.csv``: Register's bulk-add CSV, ready to upload.

Exit status: 0 the file was written (with ``--allow-errors``, the rows without errors, and the
others in an error report), 1 nothing was written because of errors in the data, 2 the file or
the command is wrong.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from desktop.base.writer import writes_to_stdout
from desktop.cli.check import add_mapping_options, open_session, repeat_options
from desktop.cli.common import add_today, plural
from desktop.core.export import default_error_report, export_register_csv


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "export", help="write Register's bulk-add CSV (mapped, checked, safe to open in a spreadsheet)")
    p.add_argument("file", help="CSV, XLSX, XLSM, XLS or ODS file")
    p.add_argument("--out", required=True, metavar="register.csv", help="where to write the Register CSV")
    p.add_argument("--sheet", help="sheet name (default: the first sheet with data)")
    p.add_argument("--allow-errors", action="store_true",
                   help="write the rows without errors and put the others in a separate error report")
    p.add_argument("--errors-out", metavar="PATH", help="where to write the error report (default: OUT-errors.csv)")
    add_mapping_options(p)
    add_today(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    out = sys.stderr if writes_to_stdout(args.out) else sys.stdout  # the data goes there: the words go aside
    session = open_session(args)
    result = export_register_csv(session, args.out, allow_errors=args.allow_errors, error_report=args.errors_out)
    total = session.n_rows
    if not result.written and result.error_report is None:
        why = ("the file itself has errors" if session.has_file_errors()
               else f"{result.rows_with_errors} of {total} rows have errors")
        import shlex

        again = " ".join(filter(None, [shlex.quote(args.file), repeat_options(args)]))
        sys.stderr.write(
            f"register-desktop: nothing was written: {why}. Run 'register-desktop check {again}' to see them, "
            "fix them and export again, or add --allow-errors to export the rows without errors "
            f"(the others go to {default_error_report(Path(args.out)).name}).\n")
        return 1
    if result.written:
        out.write(f"Wrote {result.rows_written:,} of {plural(total, 'row')} to {result.path} "
                  f"(Register template {session.template.version}, {result.size_bytes:,} bytes).\n")
    if result.error_report is not None:
        out.write(f"{plural(result.rows_with_errors, 'row')} with errors {'was' if result.rows_with_errors == 1 else 'were'} "
                  f"left out; they are in {result.error_report} "
                  "with Register's own 'Validation results' and 'Errors' columns.\n")
    changes = sum(session.value_change_counts().values())
    if changes:
        out.write(f"{changes} values were changed to Register's codes and dates ('register-desktop check' lists them).\n")
    for note in result.notes:
        out.write(f"Note: {note}\n")
    return 0 if result.written else 1
