"""Receipts: proof of what one upload batch sent and what Register answered (CSV or XLSX).

One line per row: spreadsheet row → outcome → Register's trainee id → status, with Register's
messages, preceded by who sent it, when, to which environment, the file's SHA-256 and the app,
template and reference-data versions. No token, ever; cells are made safe to open in a
spreadsheet program (no formula injection: ``safety.py``; in the CSV each "# name: value" line is
one quoted cell, so a file name with a comma cannot start a cell of its own). Written user-only in
the app's folder; a copy saved elsewhere (``--receipt``) gets that folder's normal permissions.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from desktop.base.writer import write_file
from desktop.core.journal import Batch, Item, ItemState
from desktop.core.paths import data_dir, is_app_path
from desktop.core.safety import safe_cell, text_cells

COLUMNS = ["row", "provider_trainee_id", "outcome", "trainee_id", "status", "register_message", "attempts", "last_sent_at"]

OUTCOME_LABELS = {
    ItemState.CREATED: "created",
    ItemState.ALREADY: "already registered",
    ItemState.ALREADY_SENT: "already sent (earlier upload)",
    ItemState.REJECTED: "rejected",
    ItemState.PENDING: "not sent yet",
    ItemState.SENDING: "outcome unknown (checked when the upload resumes)",
    ItemState.UNKNOWN: "outcome unknown (checked when the upload resumes)",
}


@dataclass(frozen=True)
class Reconciliation:
    """The batch compared with ``GET /trainees``: every created trainee should be there."""

    checked: int  # created rows looked for
    found: int
    missing_rows: tuple[int, ...]  # spreadsheet rows whose trainee id Register did not list
    checked_at: str

    @property
    def ok(self) -> bool:
        return not self.missing_rows

    def describe(self) -> str:
        if not self.checked:
            return f"nothing to check ({self.checked_at})"
        if self.ok:
            return f"all {self.found} created trainees found in Register ({self.checked_at})"
        rows = ", ".join(str(r) for r in self.missing_rows[:20])
        return (f"{self.found} of {self.checked} created trainees found; not listed by Register: row(s) {rows} "
                f"({self.checked_at})")


def receipts_dir() -> Path:
    return data_dir() / "receipts"


def default_receipt_path(batch: Batch, fmt: str = "csv") -> Path:
    stamp = batch.created_at[:19].replace(":", "").replace("-", "").replace("T", "-")
    return receipts_dir() / f"receipt-{batch.id}-{batch.meta.environment}-{stamp}.{fmt}"


def header_lines(batch: Batch, reconciliation: Reconciliation | None = None) -> list[tuple[str, str]]:
    m = batch.meta
    c = batch.counts
    counts = (f"{batch.total} rows: {c.get(ItemState.CREATED, 0)} created, {c.get(ItemState.ALREADY, 0)} already "
              f"registered, {c.get(ItemState.REJECTED, 0)} rejected, {batch.outstanding} outstanding"
              + (f", {c[ItemState.ALREADY_SENT]} already sent in earlier uploads" if c.get(ItemState.ALREADY_SENT) else ""))
    lines = [
        ("Receipt for upload batch", str(batch.id)),
        ("Environment", f"{m.environment_label} ({m.base_url})"),
        ("Sent by", m.account),
        ("Started (UTC)", batch.created_at),
        ("Finished (UTC)", batch.finished_at or "not finished: run the upload again to resume"),
        ("File", m.file_name + (f" (sheet '{m.sheet}')" if m.sheet else "")),
        ("File SHA-256", m.file_hash),
        ("App version", m.app_version),
        ("Template version", m.template_version),
        ("Reference data", m.reference_data),
        ("Rows", counts),
    ]
    if reconciliation is not None:
        lines.append(("Checked against Register", reconciliation.describe()))
    return lines


def receipt_rows(items: Sequence[Item], provider_ids: Mapping[int, str] | None = None) -> list[list[str]]:
    out = []
    for it in sorted(items, key=lambda i: i.source_row):
        out.append([
            str(it.source_row),
            (provider_ids or {}).get(it.source_row, ""),
            OUTCOME_LABELS[it.state],
            it.trainee_id or "",
            it.trainee_state or "",
            " | ".join(it.messages),
            str(it.attempts),
            it.last_sent_at or "",
        ])
    return out


def write_receipt(path: Path, batch: Batch, items: Sequence[Item], *,
                  provider_ids: Mapping[int, str] | None = None,
                  reconciliation: Reconciliation | None = None) -> Path:
    """Write the receipt; the format follows the suffix (``.xlsx`` or anything else as CSV)."""
    rows = receipt_rows(items, provider_ids)
    header = header_lines(batch, reconciliation)
    if path.suffix.lower() == ".xlsx":
        return write_file(path, _xlsx(header, rows), private=is_app_path(path))
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    for k, v in header:
        flat = " ".join(str(v).splitlines())
        w.writerow([f"# {k}: {flat}"])  # one cell (quoted if it holds a comma), starting with '#'
    w.writerow(COLUMNS)
    for r in rows:
        w.writerow([safe_cell(c) for c in r])
    return write_file(path, buf.getvalue().encode("utf-8-sig"), private=is_app_path(path))


def _xlsx(header: list[tuple[str, str]], rows: list[list[str]]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Receipt"
    ws.append(COLUMNS)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for r in rows:
        text_cells(ws, r)
    ws.freeze_panes = "A2"
    for col, width in zip("ABCDEFGH", (6, 22, 22, 28, 20, 80, 9, 26), strict=True):
        ws.column_dimensions[col].width = width
    about = wb.create_sheet("About")
    for k, v in header:
        text_cells(about, [k, v])
    about.column_dimensions["A"].width = 26
    about.column_dimensions["B"].width = 90
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def read_receipt_csv(path: Path) -> tuple[dict[str, str], list[dict[str, str]]]:
    """The header and rows of a CSV receipt (for tests and ``history``)."""
    meta: dict[str, str] = {}
    table: list[list[str]] = []
    for row in csv.reader(io.StringIO(path.read_text("utf-8-sig"), newline="")):
        if len(row) == 1 and row[0].startswith("# ") and not table:
            k, _, v = row[0][2:].partition(": ")
            meta[k] = v
        elif row:
            table.append(row)
    if not table:
        return meta, []
    header, *body = table
    return meta, [dict(zip(header, r, strict=False)) for r in body]
