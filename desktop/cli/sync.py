"""``register-desktop sync FILE --env ENV [--dry-run] [--yes]``: keep Register in step with the file.

Reads Register's trainees for the file's start cycles and sorts each valid row: new (created),
changed (each field shown before → after; sent as one PUT with the complete trainee-level body, then
the degree and placement requests), unchanged, locked by its state, and the trainees Register holds
that the file does not name (listed, never deleted or changed). ``--dry-run`` shows it and sends
nothing. Running sync again on the same file sends nothing.

Exit status: 0 Register now matches every valid row, 1 some rows have errors or Register refused or
rejected something (listed with what to do), 2 the command could not run or stopped part-way
(nothing is lost: run it again), 130 cancelled.
"""

from __future__ import annotations

import argparse
import signal
import sys
from typing import Any, TextIO

from desktop.cli.actions import add_connection_options, confirm, connection
from desktop.cli.check import add_mapping_options, open_session
from desktop.cli.common import add_today


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "sync", help="send the file's new and changed trainees to Register (updates, degrees, placements)")
    p.add_argument("file", help="CSV, XLSX, XLSM, XLS or ODS file (the main trainee file)")
    add_connection_options(p)
    p.add_argument("--dry-run", action="store_true", help="show what would change, field by field; send nothing")
    p.add_argument("--receipt", metavar="PATH", help="also write the receipt here (.csv or .xlsx)")
    p.add_argument("--show", type=int, default=50, metavar="N", help="changed rows to list (default 50)")
    add_mapping_options(p)
    add_today(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from desktop.core.config import load_config
    from desktop.core.journal import Journal
    from desktop.core.ledger import Lease
    from desktop.core.progress import Cancelled, CancelToken
    from desktop.core.sync import plan_sync, remember_plan, run_sync

    if args.receipt:
        from desktop.base.writer import check_target

        check_target(args.receipt)  # a folder or a link is said now, not after the requests
    err = sys.stderr
    session = open_session(args)
    settle = load_config().settle_margin
    with connection(args, today=getattr(session, "today", None)) as (environment, client), Journal() as journal:
        token = CancelToken()
        from desktop.cli.upload import _on_interrupt

        # one writer per environment: a sync that may send holds the environment from its first read to its last
        # request (another upload, sync or action to it is told at once; a dry run only reads and never waits)
        lease = None if args.dry_run else Lease(journal, environment.origin, label=environment.label,
                                                what="sync").acquire()
        previous = _on_interrupt(token, err)
        try:
            plan = plan_sync(session, client, journal, token=token, settle=settle, lease=lease)
            if plan.running is not None:
                err.write(f"Note: {plan.running.describe()}; what it sends is not shown here yet.\n")
            describe_plan(plan, session, err, show=args.show)
            if args.dry_run or plan.requests_to_send == 0:
                if lease is not None:
                    remember_plan(plan, journal, client, lease)  # trainees found, what Register holds: in the ledger
                    err.write("Register already matches the file: nothing to send.\n")
                return 1 if (plan.invalid_rows or plan.counts["locked"] or plan.counts["ambiguous"]) else 0
            if not args.yes and not confirm(environment, f"send {plan.requests_to_send} change(s)", err):
                err.write("Nothing was sent.\n")
                return 1
            result = run_sync(session, plan, client, journal, token=token, settle=settle, lease=lease)
        except Cancelled:
            err.write("Stopped. Run the same command again to carry on; nothing will be sent twice.\n")
            return 130
        finally:
            signal.signal(signal.SIGINT, previous)
            if lease is not None:
                lease.release()
    report(result, session, err)
    if args.receipt:
        from pathlib import Path

        from desktop.core.year_receipts import write_sync_receipt

        path = write_sync_receipt(result, session, environment.label, path=Path(args.receipt))
        err.write(f"Receipt also written to {path}\n")
    if any(o.outcome == "unknown" for o in result.outcomes):
        return 2
    return 1 if (result.problems or plan.invalid_rows or plan.counts["locked"]) else 0


def describe_plan(plan: Any, session: Any, err: TextIO, *, show: int = 50) -> None:
    c = plan.counts
    err.write(f"{session.raw.path.name if hasattr(session.raw.path, 'name') else session.raw.path}: "
              f"{c['new']} new, {c['changed']} changed, {c['unchanged']} unchanged"
              + (f", {c['locked']} cannot be changed through the API" if c["locked"] else "")
              + (f", {c['ambiguous']} need Register's web service" if c["ambiguous"] else "")
              + (f", {c['invalid']} with errors (not sent)" if c["invalid"] else "")
              + f"; {c['in_register_only']} in Register but not in the file (kept as they are).\n")
    shown = 0
    for item in plan.items:
        if item.status not in ("changed", "locked", "ambiguous") and not (item.status == "new" and item.note):
            continue
        if shown == show:
            err.write("  ... (the receipt lists every change)\n")
            break
        shown += 1
        err.write(f"  row {item.source_row} (trainee {item.trainee_id or 'not created yet'}): {item.status}\n")
        for ch in item.changes:
            err.write(f"    {ch.field}: {ch.before or '(blank)'} → {ch.after or '(blank)'}\n")
        if item.note:
            err.write(f"    {item.note}\n")
        for urn in item.kept_placements:
            err.write(f"    placement {urn} is in Register, not in the file: kept\n")
    if plan.absent:
        err.write("In Register but not in the file (nothing is done to them):\n")
        for a in plan.absent[:show]:
            err.write(f"  trainee {a.trainee_id}" + (f" ({a.provider_trainee_id})" if a.provider_trainee_id else "")
                      + f", {a.state}\n")
    err.write(f"Requests to send: {plan.requests_to_send} (read so far: {plan.counter.reads}).\n")


def report(result: Any, session: Any, err: TextIO) -> None:
    done: dict[str, int] = {}
    for o in result.outcomes:
        key = f"{o.request.replace('_', ' ')} {o.outcome}"
        done[key] = done.get(key, 0) + 1
    err.write("Sent: " + (", ".join(f"{n} {k}" for k, n in sorted(done.items())) or "nothing") + ".\n")
    err.write(f"Requests: {result.counter.reads} reads, {result.counter.total_writes} changes.\n")
    if result.batch_id is not None:
        err.write(f"New trainees: batch {result.batch_id} ('register-desktop history {result.batch_id}').\n")
    source = session.source_rows
    for f in result.findings:
        if f.severity == "error" or (f.code == "api.already_sent" and f.field is None):
            err.write(f"  row {int(source[f.row])} {f.field or '-'}: {f.message}\n")
    if result.receipt_path is not None:
        err.write(f"Receipt: {result.receipt_path}\n")
