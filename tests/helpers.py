"""Factories shared by tests: template-shaped rows and files."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np

from desktop.validation.codelists import bundled_code_lists
from desktop.validation.engine import Columns
from desktop.validation.findings import Findings
from desktop.validation.packs import get_pack
from desktop.validation.template import load_template

TEMPLATE = load_template()
TODAY = dt.date(2026, 11, 28)


def valid_row(**changes: str) -> dict[str, str]:
    """A row Register accepts in the 2026/27 cycle (route 12, maths PGCE with a UK degree)."""
    row = dict.fromkeys(TEMPLATE.names, "")
    row.update({
        "provider_trainee_id": "26/27-1", "application_id": "1234567", "hesa_id": "0310261553101",
        "first_names": "Siân", "last_name": "O'Brien", "date_of_birth": "1990-04-13", "ni_number": "AB123456C",
        "sex": "10", "email": "sian.obrien@example.com", "nationality": "GB", "ethnicity": "160",
        "itt_aim": "202", "training_route": "12", "itt_qualification_aim": "020", "course_subject_1": "100403",
        "study_mode": "01", "itt_start_date": "2026-09-01", "itt_end_date": "2027-07-16",
        "course_age_range": "13918", "course_year": "1", "fund_code": "2", "funding_method": "6",
        "uk_degree": "083", "degree_subject": "100403", "degree_grade": "02", "degree_graduation_year": "2012",
        "awarding_institution": "0117",
    })
    row.update(changes)
    return row


def columns(*rows: dict[str, str]) -> Columns:
    return Columns.from_rows(list(rows), TEMPLATE.names)


def check_rows(*rows: dict[str, str], today: dt.date = TODAY) -> Findings:
    pack = get_pack()
    ctx = pack.context(TEMPLATE, bundled_code_lists(), today)
    return pack.validate(columns(*rows), ctx)


def codes_for(findings: Findings, field: str | None = None, row: int | None = None) -> set[str]:
    f = findings.frame
    if field is not None:
        f = f[f["field"] == field]
    if row is not None:
        f = f[f["row"] == row]
    return set(f["code"])


def register_messages(findings: Findings) -> set[str]:
    return {m for m in findings.frame["register_message"] if isinstance(m, str) and m}  # missing may read as NaN


def write_csv(path: Path, rows: list[dict[str, Any]], *, encoding: str = "utf-8", delimiter: str = ",",
              headers: list[str] | None = None) -> Path:
    headers = headers or TEMPLATE.names
    with path.open("w", encoding=encoding, newline="") as fh:
        w = csv.writer(fh, delimiter=delimiter, lineterminator="\r\n")
        w.writerow(headers)
        for r in rows:
            w.writerow([r.get(h, "") for h in headers])
    return path


def as_array(values: list[str]) -> np.ndarray:
    arr = np.empty(len(values), dtype=object)
    arr[:] = values
    return arr


def journal_outcome(journal, batch_id: int, source_row: int, state: str, *, trainee_id: str | None = None,
                    messages: tuple[str, ...] | list[str] = (), environment: str = "sandbox") -> None:
    """Record a row's request and outcome as an upload would (``state``: sending, created, rejected, already)."""
    from desktop.core.ledger import Ledger, identity_of

    ledger = Ledger(journal, environment)
    item = journal.item_at(batch_id, source_row)
    identity = identity_of({"hesa_id": f"2610{batch_id:06d}{source_row:03d}", "itt_start_date": "2026-09-01",
                            "date_of_birth": "1990-01-01", "last_name": f"Row{batch_id}x{source_row}",
                            "first_names": "A", "training_route": "11", "email": ""}, journal, item.payload_hash)
    entry = ledger.mark_sending(identity, item_id=item.id, sent_at="2026-11-28T10:00:00.000Z", owner=None)
    if state == "created":
        ledger.record_created(entry, item.id, trainee_id=trainee_id, trainee_state=None, confirmed_by="201",
                              http_status=201)
    elif state == "rejected":
        ledger.record_rejected(entry, item.id, http_status=422, messages=list(messages))
    elif state == "already":
        ledger.record_already_registered(entry, item.id, trainee_id=trainee_id, trainee_state=None, http_status=409,
                                         messages=list(messages))
