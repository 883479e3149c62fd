"""``register-desktop history [ID]``: past upload batches, what is outstanding, and their receipts."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, TextIO

from desktop.core.errors import UsageError
from desktop.core.journal import Batch, ItemState, Journal
from desktop.core.ledger import hold_batch, running_uploads
from desktop.core.receipt import OUTCOME_LABELS, receipts_dir
from desktop.core.retention import expire
from desktop.core.upload_receipts import write_batch_receipt


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser("history", help="list past uploads, show one, write or forget its receipt")
    p.add_argument("batch", nargs="?", type=int, help="a batch number from the list")
    p.add_argument("--format", choices=["text", "json"], default="text")
    p.add_argument("--receipt", metavar="PATH", help="write the batch's receipt here (.csv or .xlsx)")
    p.add_argument("--forget", action="store_true",
                   help="delete the batch from the journal (and the receipt the app kept); it can no longer be resumed")
    p.add_argument("--yes", action="store_true", help="with --forget: do not ask")
    p.add_argument("--run", type=int, metavar="N", dest="run_id", help="show one sync, withdraw, defer or recommend run")
    p.add_argument("--runs", action="store_true", help="list only the sync, withdraw, defer and recommend runs")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    out = sys.stdout
    if (args.receipt or args.forget) and args.batch is None:
        raise UsageError("Say which batch: register-desktop history N --receipt PATH (or --forget).")
    expire()  # what is past its retention period goes first (retention.py), so the list shows what is kept
    with Journal() as journal:
        running = running_uploads(journal)  # never waits: an upload elsewhere is said, not waited for
        for info in running:
            sys.stderr.write(f"Note: {info.describe()} (to {info.environment}); its batch is shown as it stands.\n")
        if args.run_id is not None or args.runs:
            return _year(journal, args, out)
        if args.batch is None:
            batches = journal.batches()
            if args.format == "json":
                json.dump([_as_json(b) for b in batches], out, indent=2)
                out.write("\n")
            else:
                _list(batches, out)
                from desktop.core.year_history import write_runs, year_runs

                write_runs(year_runs(journal), out)
            return 0
        batch = journal.batch(args.batch)
        if batch is None:
            raise UsageError(f"There is no batch {args.batch}; 'register-desktop history' lists them.")
        if args.forget:
            if not args.yes:
                if not sys.stdin.isatty():
                    raise UsageError("Add --yes to forget the batch without being asked.")
                answer = input(f"Forget batch {batch.id} ({batch.meta.file_name}, {batch.meta.environment_label})? "
                               "It can no longer be resumed. Type 'yes': ")
                if answer.strip().lower() not in ("yes", "y"):
                    return 1
            receipt = Path(batch.receipt_path) if batch.receipt_path else None
            with hold_batch(journal, batch.id):  # not while an upload to its environment runs
                journal.forget(batch.id)
            if receipt is not None and receipt.parent == receipts_dir() and receipt.exists():
                receipt.unlink()
            out.write(f"Batch {batch.id} forgotten.\n")
            return 0
        if args.receipt:
            path = write_batch_receipt(journal, batch, path=Path(args.receipt))
            out.write(f"Receipt written to {path}\n")
            return 0
        items = journal.items(batch.id)
        if args.format == "json":
            doc = _as_json(batch)
            doc["rows"] = [{"row": it.source_row, "outcome": it.state.value, "trainee_id": it.trainee_id,
                            "status": it.trainee_state, "messages": list(it.messages), "differs": list(it.differs)}
                           for it in items]
            json.dump(doc, out, indent=2, ensure_ascii=False)
            out.write("\n")
            return 0
        _show(batch, items, out)
    return 0


def _year(journal: Journal, args: argparse.Namespace, out: TextIO) -> int:
    """Sync and action runs (``--runs``, ``--run N``): kept beside the upload batches in the journal."""
    from desktop.core.year_history import run_as_json, write_run, write_runs, year_runs

    runs = year_runs(journal)
    if args.run_id is None:
        if args.format == "json":
            json.dump([run_as_json(r) for r in runs], out, indent=2, ensure_ascii=False)
            out.write("\n")
        elif runs:
            write_runs(runs, out)
        else:
            out.write("No sync or action runs yet.\n")
        return 0
    run = next((r for r in runs if r.id == args.run_id), None)
    if run is None:
        raise UsageError(f"There is no run {args.run_id}; 'register-desktop history --runs' lists them.")
    if args.format == "json":
        json.dump(run_as_json(run, journal), out, indent=2, ensure_ascii=False)
        out.write("\n")
    else:
        write_run(journal, run, out)
    return 0


def _as_json(b: Batch) -> dict[str, Any]:
    return {"batch": b.id, "status": b.status, "started": b.created_at, "finished": b.finished_at,
            "environment": b.meta.environment, "environment_label": b.meta.environment_label,
            "base_url": b.meta.base_url, "file": b.meta.file_name, "file_sha256": b.meta.file_hash,
            "sheet": b.meta.sheet, "sent_by": b.meta.account, "app_version": b.meta.app_version,
            "template_version": b.meta.template_version, "reference_data": b.meta.reference_data,
            "rows": b.total, "sent": b.sent, "created": b.counts.get(ItemState.CREATED, 0),
            "already_registered": b.counts.get(ItemState.ALREADY, 0),
            "rejected": b.counts.get(ItemState.REJECTED, 0), "outstanding": b.outstanding,
            "already_sent": b.counts.get(ItemState.ALREADY_SENT, 0),
            "receipt": b.receipt_path}


def _list(batches: list[Batch], out: TextIO) -> None:
    if not batches:
        out.write("No uploads yet.\n")
        return
    env = max(12, *(len(b.meta.environment_label) for b in batches))  # "Custom (127.0.0.1:8080)" in full
    out.write(f"{'Batch':>5}  {'Started (UTC)':<19}  {'Environment':<{env}} {'Rows':>5} {'Sent':>5} {'Created':>7} "
              f"{'Already':>7} {'Rejected':>8} {'Left':>5}  File\n")
    for b in batches:
        c = b.counts
        out.write(f"{b.id:>5}  {b.created_at[:19].replace('T', ' '):<19}  {b.meta.environment_label:<{env}} "
                  f"{b.total:>5} {b.sent:>5} {c.get(ItemState.CREATED, 0):>7} {c.get(ItemState.ALREADY, 0):>7} "
                  f"{c.get(ItemState.REJECTED, 0):>8} {b.outstanding:>5}  {b.meta.file_name}\n")
    out.write("\n'register-desktop history N' shows one batch; run the upload again to finish one with rows left.\n")


def _show(batch: Batch, items: list[Any], out: TextIO) -> None:
    doc = _as_json(batch)
    out.write(f"Batch {batch.id}: {batch.meta.file_name} → {batch.meta.environment_label} ({batch.meta.base_url})\n")
    out.write(f"  started {batch.created_at} by {batch.meta.account}; "
              f"{'finished ' + batch.finished_at if batch.finished_at else 'not finished'}\n")
    out.write(f"  file SHA-256 {batch.meta.file_hash}; app {batch.meta.app_version}, template "
              f"{batch.meta.template_version}, reference data {batch.meta.reference_data}\n")
    out.write(f"  {doc['rows']} rows: {doc['created']} created, {doc['already_registered']} already registered, "
              f"{doc['rejected']} rejected, {doc['outstanding']} outstanding"
              + (f", {doc['already_sent']} already sent in earlier uploads" if doc["already_sent"] else "") + "\n")
    out.write(f"  receipt: {batch.receipt_path or '(none yet)'}\n")
    notable = [it for it in items if it.state != ItemState.CREATED]
    if notable:
        out.write("\nRow  Outcome                   Trainee id                Register's answer\n")
        for it in notable:
            out.write(f"{it.source_row:<4} {OUTCOME_LABELS[it.state][:25]:<25} {(it.trainee_id or '-'):<25} "
                      f"{' | '.join(it.messages)}\n")
