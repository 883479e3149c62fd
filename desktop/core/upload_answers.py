"""Register's answers as findings on the session's rows and cells (codes ``api.*``).

* ``api.rejected`` (error) — Register's 422 message on the cell it names;
* ``api.already_registered`` (warning) — Register held the trainee before this app sent it (409);
* ``api.already_sent`` (warning) — the ledger holds the trainee, sent on DATE in batch N (trainee id
  X): a row-level finding, and one on each field whose value differs from what was sent.

``earlier_answers`` picks the answers of a batch that still describe the rows (a rejected row
changed since will be sent again, so its old answer no longer applies). The session owns its
findings: answers go in with ``ImportSession.set_api_findings``, and an edit drops those about its
row (``ImportSession.apply_edits``), so the upload never reaches into the session's fields.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from desktop.api.models import ApiMessage
from desktop.api.payload import build_payload, field_for_message, payload_hash
from desktop.core.journal import Batch, Item, ItemState, Journal
from desktop.core.ledger import fields_text
from desktop.core.session import ImportSession
from desktop.validation.findings import Finding, Findings, Severity


def api_findings(session: ImportSession, items: Iterable[Item]) -> Findings:
    """Register's answers as findings on the session's rows and cells."""
    by_source = {int(s): i for i, s in enumerate(session.source_rows)}
    out: list[Finding] = []
    for it in items:
        pos = by_source.get(it.source_row)
        if pos is None:
            continue
        if it.state == ItemState.REJECTED:
            row = session.row(pos)
            for full in it.messages:
                msg = ApiMessage.parse(full)
                out.append(Finding(
                    code="api.rejected", row=pos, field=field_for_message(msg, row, session.template),
                    severity=Severity.ERROR, register_message=full, value=None,
                    message=f"Register rejected this row: {full}"))
        elif it.state == ItemState.ALREADY:
            out.append(Finding(
                code="api.already_registered", row=pos, field=None, severity=Severity.WARNING,
                value=it.trainee_id, register_message="This trainee is already in Register",
                message=f"Register already holds this trainee (trainee id {it.trainee_id or 'not given'}), so it "
                        "was not added again. Check the existing record in Register if this is unexpected."))
        elif it.state == ItemState.ALREADY_SENT or it.differs:
            said = it.messages[0] if it.messages else "This trainee was already sent"
            out.append(Finding(code="api.already_sent", row=pos, field=None, severity=Severity.WARNING,
                               value=it.trainee_id, register_message=None, message=f"{said}."))
            for name in it.differs:
                if name in session.template:
                    out.append(Finding(
                        code="api.already_sent", row=pos, field=name, severity=Severity.WARNING, value=None,
                        register_message=None,
                        message="Changed since this trainee was sent: Register still holds the value sent then "
                                "(this app sends changes as updates, never as a new trainee)."))
    return Findings.of(out)


def still_applies(item: Item, session: ImportSession, position: int, salt: bytes) -> bool:
    """A rejected row whose body has changed since will be sent again: its old answer no longer applies."""
    if item.state != ItemState.REJECTED:
        return True
    return payload_hash(build_payload(session.row(position), session.template), salt) == item.payload_hash


def earlier_answers(session: ImportSession, journal: Journal, batch: Batch) -> Findings:
    """Register's answers in ``batch`` that still describe the session's rows."""
    by_source = {int(s): i for i, s in enumerate(session.source_rows)}
    keep: list[Item] = []
    for it in journal.items(batch.id):
        pos = by_source.get(it.source_row)
        if pos is None or not still_applies(it, session, pos, journal.salt):
            continue
        keep.append(it)
    return api_findings(session, keep)


def plan_answers(session: ImportSession, journal: Journal, batch: Batch | None, decisions: Iterable[Any]) -> Findings:
    """What the window shows before an upload: the batch's answers that still apply, and every row whose
    trainee the ledger holds from an earlier upload ("already sent on DATE in batch N")."""
    parts = [earlier_answers(session, journal, batch)] if batch is not None else []
    out: list[Finding] = []
    for d in decisions:
        if d.action != "already_sent" or (d.item is not None and d.item.state == ItemState.ALREADY_SENT):
            continue
        said = f"This trainee was {d.entry.describe()}"
        if d.differs:
            said += f"; the row now differs in {fields_text(d.differs)} (not sent: Register keeps what was sent)"
        out.append(Finding(code="api.already_sent", row=d.row.position, field=None, severity=Severity.WARNING,
                           value=d.entry.trainee_id, register_message=None, message=f"{said}."))
    return Findings.concat([*parts, Findings.of(out)])
