"""Receipts of a sync or an action run: each row, what was asked, what Register answered.

A sync receipt has one line per change: the row, the trainee, the field, its value before (as
Register held it) and after (as sent), the request and its outcome. An action receipt has one line
per row: the action, the trainee, its state before and after, Register's messages and what to do.
Like upload receipts they are written user-only and safe to open in a spreadsheet program
(``safety.py``); they hold the values the user's own file holds, so they live beside the upload
receipts and expire with them (``retention.py``).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from desktop import __version__
from desktop.base.writer import write_file
from desktop.core.journal import utc_now
from desktop.core.paths import is_app_path
from desktop.core.receipt import receipts_dir
from desktop.core.safety import safe_cell

if TYPE_CHECKING:  # pragma: no cover
    from desktop.core.action_files import ActionFile
    from desktop.core.actions import ActionRunResult
    from desktop.core.session import ImportSession
    from desktop.core.sync import SyncResult

ACTION_COLUMNS = ["row", "identifier", "trainee_id", "action", "outcome", "state_before", "state_after",
                  "register_message", "what_to_do", "confirmed_by"]
SYNC_COLUMNS = ["row", "trainee_id", "change", "field", "before", "after", "request", "outcome", "register_message"]

OUTCOME_WORDS = {
    "done": "done", "already": "already so in Register (nothing sent)", "refused": "refused by the trainee's state",
    "rejected": "rejected", "not_found": "not found in Register", "invalid": "not sent: errors in the row",
    "would_send": "would be sent (dry run)", "unknown": "outcome unknown (checked when run again)",
}


def _stamp() -> str:
    return utc_now()[:19].replace(":", "").replace("-", "").replace("T", "-")


def write_table(path: Path, header: Sequence[tuple[str, str]], columns: Sequence[str],
                rows: Sequence[Sequence[str]]) -> Path:
    """A receipt as CSV (or XLSX by suffix), with '# name: value' header lines."""
    if path.suffix.lower() == ".xlsx":
        from desktop.core.receipt import _xlsx

        return write_file(path, _xlsx(list(header), [list(columns), *[list(r) for r in rows]]),
                          private=is_app_path(path))
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    for k, v in header:
        w.writerow([f"# {k}: {' '.join(str(v).splitlines())}"])
    w.writerow(columns)
    for r in rows:
        w.writerow([safe_cell(str(c)) for c in r])
    # the app's copy user-only; one saved elsewhere (--receipt) with that folder's normal permissions
    return write_file(path, buf.getvalue().encode("utf-8-sig"), private=is_app_path(path))


def write_action_receipt(result: ActionRunResult, action_file: ActionFile, environment_label: str, *,
                         directory: Path | None = None, path: Path | None = None) -> Path:
    target = path or (directory or receipts_dir()) / f"{result.kind}-{result.run_id}-{_stamp()}.csv"
    by_pos = {r.position: r for r in action_file.rows}
    rows = []
    for o in sorted(result.outcomes, key=lambda o: o.source_row):
        r = by_pos.get(o.position)
        ident = f"{r.identity[0]} {r.identity[1]}" if r and r.identity[1] else ""
        rows.append([str(o.source_row), ident, o.trainee_id or "", result.kind, OUTCOME_WORDS.get(o.outcome, o.outcome),
                     o.state_before or "", o.state_after or "", " | ".join(o.register_messages), o.advice,
                     o.confirmed_by or ""])
    counts = ", ".join(f"{n} {OUTCOME_WORDS.get(k, k)}" for k, n in _counts(result.outcomes).items())
    header = [(f"Receipt for {result.kind} run", str(result.run_id)), ("Environment", environment_label),
              ("Written (UTC)", utc_now()), ("File", action_file.path.name), ("App version", __version__),
              ("Rows", counts or "none"),
              ("Requests", f"{result.counter.reads} reads, {result.counter.total_writes} changes")]
    return write_table(target, header, ACTION_COLUMNS, rows)


def write_sync_receipt(result: SyncResult, session: ImportSession, environment_label: str, *,
                       path: Path | None = None) -> Path:
    """One line per field changed (before → after) and per request with its outcome; then the rest."""
    target = path or receipts_dir() / f"sync-{result.run_id}-{_stamp()}.csv"
    plan = result.plan
    answers: dict[tuple[int, str], list[Any]] = {}
    for o in result.outcomes:
        answers.setdefault((o.position, o.request), []).append(o)
    rows: list[list[str]] = []
    request_of = {"degree": "change_degree", "placement": "add_placement"}
    for item in sorted(plan.items, key=lambda i: i.source_row):
        if item.status in ("new",):
            for o in answers.get((item.position, "create"), []):
                rows.append([str(item.source_row), getattr(o, "trainee_id", None) or "", "new", "", "", "",
                             "create", OUTCOME_WORDS.get(getattr(o, "outcome", ""), ""),
                             " | ".join(getattr(o, "messages", ()))])
            continue
        if item.status != "changed":
            rows.append([str(item.source_row), item.trainee_id or "", item.status, "", "", "", "", "", item.note])
            continue
        for c in item.changes:
            kind = ("update" if not (c.field.startswith("placement_") or c.field in
                                     ("uk_degree", "non_uk_degree", "degree_subject", "degree_grade",
                                      "degree_graduation_year", "awarding_institution", "degree_country"))
                    else request_of["placement" if c.field.startswith("placement_") else "degree"])
            if kind == "change_degree" and item.degree_id is None:
                kind = "add_degree"
            done = answers.get((item.position, kind)) or answers.get((item.position, "update")) or []
            outcome = getattr(done[0], "outcome", "") if done else "not sent"
            rows.append([str(item.source_row), item.trainee_id or "", "changed", c.field, c.before, c.after, kind,
                         OUTCOME_WORDS.get(outcome, outcome),
                         " | ".join(m for o in done for m in getattr(o, "messages", ()))])
    for a in plan.absent:
        rows.append(["", a.trainee_id, "in Register only (kept)", "", "", "", "", "", f"state {a.state}"])
    counts = plan.counts
    header = [("Receipt for sync run", str(result.run_id)), ("Environment", environment_label),
              ("Written (UTC)", utc_now()), ("File", Path(session.raw.path).name), ("App version", __version__),
              ("Rows", f"{counts['new']} new, {counts['changed']} changed, {counts['unchanged']} unchanged, "
                       f"{counts['locked']} locked, {counts['ambiguous']} to do in Register, {counts['invalid']} with "
                       f"errors; {counts['in_register_only']} in Register but not in the file"),
              ("Requests", f"{result.counter.reads} reads, {result.counter.total_writes} changes")]
    return write_table(target, header, SYNC_COLUMNS, rows)


def _counts(outcomes: Sequence[object]) -> dict[str, int]:
    out: dict[str, int] = {}
    for o in outcomes:
        k = getattr(o, "outcome", "")
        out[k] = out.get(k, 0) + 1
    return out


def read_receipt(path: Path) -> tuple[dict[str, str], list[dict[str, str]]]:
    """(header, rows) of a receipt CSV written here (for tests and ``history``)."""
    text = path.read_text("utf-8-sig")
    header: dict[str, str] = {}
    lines = []
    for line in text.splitlines():
        if line.startswith(("# ", '"# ')):
            cell = next(csv.reader([line]))[0][2:]
            k, _, v = cell.partition(": ")
            header[k] = v
        else:
            lines.append(line)
    reader = csv.DictReader(lines)
    return header, list(reader)
