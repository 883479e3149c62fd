"""History of updates and actions: sync, withdraw, defer and recommend runs, and what each request did.

Runs are the journal's views (``Journal.runs``); their requests are the trainee ledger's
(``desktop.core.ledger.run_requests``): field names, outcomes, Register's ids and words — no values.
"""

from __future__ import annotations

from typing import Any, TextIO

from desktop.core.journal import Journal, Run
from desktop.core.ledger import run_requests


def year_runs(journal: Journal) -> list[Run]:
    return journal.runs()


def run_as_json(run: Run, journal: Journal | None = None) -> dict[str, Any]:
    doc: dict[str, Any] = {"run": run.id, "kind": run.kind, "started": run.created_at, "finished": run.finished_at,
                           "environment": run.environment, "environment_label": run.environment_label,
                           "file": run.file_name, "app_version": run.app_version, "counts": run.counts,
                           "receipt": run.receipt_path}
    if journal is not None:
        doc["requests"] = [{"row": r.source_row, "trainee_id": r.trainee_id, "request": r.kind,
                            "fields": list(r.fields), "outcome": r.state, "confirmed_by": r.confirmed_by,
                            "http_status": r.http_status, "messages": list(r.messages), "sent_at": r.sent_at}
                           for r in run_requests(journal, run.id)]
    return doc


def write_runs(runs: list[Run], out: TextIO) -> None:
    if not runs:
        return
    out.write("\nUpdates and actions (sync, withdraw, defer, recommend):\n")
    out.write(f"{'Run':>5}  {'Started (UTC)':<19}  {'What':<9} {'Environment':<12}  Outcome\n")
    for r in runs:
        counts = ", ".join(f"{n} {k.replace(':', ' ')}" for k, n in sorted(r.counts.items())) or (
            "not finished" if not r.finished_at else "nothing to do")
        out.write(f"{r.id:>5}  {r.created_at[:19].replace('T', ' '):<19}  {r.kind:<9} {r.environment_label[:12]:<12}  "
                  f"{counts}  ({r.file_name})\n")
    out.write("'register-desktop history --run N' shows one run: each request, the fields it changed and its outcome.\n")


def write_run(journal: Journal, run: Run, out: TextIO) -> None:
    doc = run_as_json(run, journal)
    out.write(f"Run {run.id}: {run.kind} of {run.file_name} → {run.environment_label}, started {run.created_at}"
              f"{', finished ' + run.finished_at if run.finished_at else ', not finished'}\n")
    out.write(f"  receipt: {run.receipt_path or '(none)'}\n")
    out.write("Row  Request         Outcome    Trainee id                Fields / Register's answer\n")
    for r in doc["requests"]:
        detail = ", ".join(r["fields"]) if r["outcome"] in ("done", "already") else " | ".join(r["messages"])
        out.write(f"{r['row'] if r['row'] is not None else '-':<4} {r['request']:<15} {r['outcome']:<10} "
                  f"{r['trainee_id'] or '-':<25} {detail}\n")
