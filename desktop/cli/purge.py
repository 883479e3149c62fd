"""``register-desktop purge [--all | --older-than DAYS]``: remove upload history, autosaves, practice data and logs.

Without options it applies the retention periods (``desktop.core.retention``: finished batches
and their receipts after 90 days, autosaves, practice data and logs after 30), as the app does
by itself. ``--older-than DAYS`` removes those kinds of file older than that; ``--all`` removes
all of them. Unfinished upload batches are always kept (their rows stop a row being sent twice);
the command says which and how to finish or forget them.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from desktop.core.errors import UsageError
from desktop.core.retention import RETENTION, purge


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "purge", help="remove finished upload history, receipts the app kept, autosaves, practice data and logs")
    which = p.add_mutually_exclusive_group()
    which.add_argument("--all", action="store_true", help="remove all of them (unfinished uploads are kept)")
    which.add_argument("--older-than", type=float, metavar="DAYS", help="remove those older than DAYS days")
    p.add_argument("--dry-run", action="store_true", help="only list what would be removed")
    p.add_argument("--yes", action="store_true", help="with --all or --older-than: do not ask")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    out = sys.stdout
    if args.older_than is not None and args.older_than < 0:
        raise UsageError("--older-than needs a number of days, 0 or more.")
    explicit = args.all or args.older_than is not None
    if explicit and not args.dry_run and not args.yes:
        if not sys.stdin.isatty():
            raise UsageError("Add --yes to purge without being asked (or --dry-run to see what would go).")
        what = "everything" if args.all else f"everything older than {args.older_than:g} days"
        answer = input(f"Remove {what}: finished upload history and the receipts the app kept, autosaved work, "
                       "practice data and logs? Type 'yes': ")
        if answer.strip().lower() not in ("yes", "y"):
            out.write("Nothing was removed.\n")
            return 1
    if not explicit:
        r = RETENTION
        out.write(f"Applying the retention periods: finished uploads and their receipts after {r.batches:g} days; "
                  f"autosaves, practice data and logs after {r.autosave:g} days.\n")
    report = purge(everything=args.all, older_than_days=args.older_than, dry_run=args.dry_run)
    for line in report.lines():
        out.write(line + "\n")
    return 0
