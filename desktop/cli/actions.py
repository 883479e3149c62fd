"""``register-desktop withdraw|defer|recommend FILE --env ENV``: actions on trainees Register holds.

Each reads its own small file (``register-desktop template --kind withdraw|defer|recommend``),
checks every row offline with Register's rules, then reads each trainee's state from Register and
sends only what Register would accept, each request exactly once (a repeated command sends
nothing). ``--dry-run`` reads and checks but sends nothing.

Exit status: 0 every row done (or already so in Register), 1 some rows were refused, rejected, not
found or have errors (each is listed with what to do), 2 the command could not run or stopped
part-way (nothing is lost: run it again), 130 cancelled.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, TextIO

from desktop.cli.common import add_today, parse_today
from desktop.core.errors import UsageError
from desktop.validation.actions import ACTIONS, DEFER, RECOMMEND, WITHDRAW

HELP = {
    WITHDRAW: "withdraw trainees listed in a file (withdrawal date, trigger, reasons, future interest)",
    DEFER: "defer trainees listed in a file (defer date, optional reason)",
    RECOMMEND: "recommend trainees for QTS or EYTS (the date they met the standards)",
}


def register_kind(sub: Any, kind: str) -> None:
    """The command of one action (``withdraw``, ``defer`` and ``recommend`` are modules of their own,
    so each imports only itself and this module)."""
    if kind in ACTIONS:
        p: argparse.ArgumentParser = sub.add_parser(kind, help=HELP[kind])
        p.add_argument("file", help=f"CSV, XLSX, XLS or ODS file (template: register-desktop template --kind {kind})")
        add_connection_options(p)
        p.add_argument("--dry-run", action="store_true",
                       help="read each trainee's state from Register and check every row, but send nothing")
        p.add_argument("--receipt", metavar="PATH", help="also write the receipt here (.csv or .xlsx)")
        add_today(p)
        p.set_defaults(run=run, kind=kind)


def add_connection_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--env", required=True, metavar="ENV",
                   help="production, sandbox, practice (a local rehearsal) or an API address ending /api/v2026.1")
    p.add_argument("--sheet", help="sheet name (default: the first sheet with data)")
    p.add_argument("--yes", action="store_true", help="send without asking for confirmation")
    p.add_argument("--rate-limit", type=int, metavar="N",
                   help="requests per rate window (default from settings: 100, Register's limit per 60 s)")
    p.add_argument("--rate-window", type=float, metavar="SECONDS", help=argparse.SUPPRESS)  # tests, benchmarks
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--token-env", metavar="NAME",
                   help="read the API token from this environment variable (needed for a custom address: "
                        "REGISTER_API_TOKEN alone is only used for production and sandbox)")


def run(args: argparse.Namespace) -> int:
    from desktop.core.action_files import open_action_file
    from desktop.core.actions import Outcome, run_actions
    from desktop.core.journal import Journal
    from desktop.core.progress import Cancelled, CancelToken

    if args.receipt:
        from desktop.base.writer import check_target

        check_target(args.receipt)  # a folder or a link is said now, not after the requests
    err = sys.stderr
    kind = args.kind
    today = parse_today(args.today)
    action_file = open_action_file(args.file, kind, sheet=args.sheet, today=today)
    describe_findings(action_file, err)
    valid = len(action_file.valid_rows)
    if valid == 0:
        err.write("Nothing to send.\n")
        return 1 if action_file.rows else 0
    with connection(args, today=today) as (environment, client):
        if not args.dry_run and not args.yes and not confirm(environment, f"{kind} up to {valid} trainee(s)", err):
            err.write("Nothing was sent.\n")
            return 1
        token = CancelToken()
        from desktop.cli.upload import _on_interrupt

        previous = _on_interrupt(token, err)
        import signal

        try:
            from desktop.core.config import load_config

            with Journal() as journal:
                result = run_actions(action_file, client, journal, token=token, dry_run=args.dry_run,
                                     settle=load_config().settle_margin)
        except Cancelled:
            err.write("Stopped. Run the same command again to carry on; nothing will be sent twice.\n")
            return 130
        finally:
            signal.signal(signal.SIGINT, previous)
    report_actions(result, action_file, err)
    if args.receipt and result.run_id is not None:
        from pathlib import Path

        from desktop.core.year_receipts import write_action_receipt

        path = write_action_receipt(result, action_file, environment.label, path=Path(args.receipt))
        err.write(f"Receipt also written to {path}\n")
    if any(o.outcome == Outcome.UNKNOWN for o in result.outcomes):
        return 2
    return 1 if result.problems else 0


def describe_findings(action_file: Any, err: TextIO) -> None:
    from desktop.validation.findings import Severity

    rows = action_file.rows
    errors = [f for f in action_file.findings if f.severity == Severity.ERROR]
    bad = len({f.row for f in errors if f.row is not None and f.row >= 0})
    err.write(f"{action_file.path.name}: {len(rows)} rows, {len(action_file.valid_rows)} ready"
              + (f", {bad} with errors (not sent)" if bad else "") + ".\n")
    for f in errors[:40]:
        where = f"row {action_file.source_row(f.row)}" if f.row is not None and f.row >= 0 else "file"
        err.write(f"  {where:<9} {f.field or '-':<28} {f.message}"
                  + (f" [Register: {f.register_message}]" if f.register_message else "") + "\n")
    if len(errors) > 40:
        err.write(f"  ... and {len(errors) - 40} more\n")


def report_actions(result: Any, action_file: Any, err: TextIO) -> None:
    from desktop.core.year_receipts import OUTCOME_WORDS

    counts: dict[str, int] = {}
    for o in result.outcomes:
        counts[o.outcome] = counts.get(o.outcome, 0) + 1
    summary = ", ".join(f"{n} {OUTCOME_WORDS.get(k, k)}" for k, n in counts.items())
    err.write(f"{result.kind}: {summary or 'nothing to do'}. Requests: {result.counter.reads} reads, "
              f"{result.counter.total_writes} changes.\n")
    for o in sorted(result.outcomes, key=lambda o: o.source_row):
        if o.outcome in ("done", "already", "would_send", "invalid"):
            continue
        msg = " | ".join(o.register_messages)
        err.write(f"  row {o.source_row}: {OUTCOME_WORDS.get(o.outcome, o.outcome)}"
                  + (f" — Register: {msg}" if msg else "") + (f"\n    {o.advice}" if o.advice else "") + "\n")
    if result.receipt_path is not None:
        err.write(f"Receipt: {result.receipt_path}\n")


def confirm(environment: Any, what: str, err: TextIO) -> bool:
    if not sys.stdin.isatty():
        raise UsageError("Add --yes to send without being asked (there is no one to answer the question).")
    if environment.is_live:
        err.write("These change real trainee records in Register; the API cannot undo a withdrawal, deferral or "
                  "recommendation.\n")
    err.flush()
    answer = input(f"{what[0].upper()}{what[1:]} in {environment.label}? Type 'yes' to send: ")
    return answer.strip().lower() in ("yes", "y")


class connection:  # noqa: N801 - used as a context manager, reads like a function
    """The environment and a client for it (Practice starts the local Register for the command's time)."""

    def __init__(self, args: argparse.Namespace, *, today: Any = None) -> None:
        self.args = args
        self.today = today
        self.simulator: Any = None
        self.client: Any = None

    def __enter__(self) -> tuple[Any, Any]:
        from desktop.api.environments import resolve_environment
        from desktop.cli.upload import _token
        from desktop.core.config import load_config
        from desktop.core.connect import make_client, start_practice
        from desktop.core.secrets import default_store

        args = self.args
        if args.rate_limit is not None and args.rate_limit < 1:
            raise UsageError("--rate-limit must be at least 1 request.")
        if args.rate_window is not None and args.rate_window <= 0:
            raise UsageError("--rate-window must be a positive number of seconds.")
        environment = resolve_environment(args.env)
        config = load_config()
        if environment.name == "practice":
            self.simulator, environment = start_practice(
                rate_limit=args.rate_limit or config.rate_limit, window=args.rate_window or config.rate_window,
                today=self.today)
            token = self.simulator.token
        else:
            token = _token(environment, default_store(), sys.stderr, getattr(args, "token_env", None) or config.token_env)
        self.client = make_client(environment, token, config, rate_limit=args.rate_limit, rate_window=args.rate_window)
        return environment, self.client

    def __exit__(self, *exc: object) -> None:
        if self.client is not None:
            self.client.close()
        if self.simulator is not None:
            self.simulator.stop()
