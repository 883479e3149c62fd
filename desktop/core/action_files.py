"""Files of actions on trainees Register already holds: withdraw, defer, recommend (SPEC §11.4–§11.6).

Each kind has a small template of its own (``resources/template/actions-v2026.1.json``) whose
columns carry the API's names: the trainee first (``hesa_id``, ``provider_trainee_id`` or Register's
``trainee_id`` — any one), then the request's fields. A file is read like the main file (any
encoding or workbook, the same guards), its headers mapped the same way (names, labels, HESA names,
known wordings, then values), and its values mapped as the main file's are: UK dates to ISO, reason
labels to codes (several separated by ``;``), "Provider"/"Trainee" and "Yes"/"No"/"Don't know" to the
API's words — each change an ``info`` finding with before → after.

Every rule of §11.4–§11.6 that needs nothing from Register is then checked offline, with Register's
messages (``desktop.validation.actions``); the rules that need the trainee (its state, ITT start,
route, placements, degrees) are checked by ``desktop.core.actions`` once the trainee has been read
from Register, before anything is sent.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from desktop.core.loading import DEFAULT_LIMITS, Limits, RawTable, read_table
from desktop.core.mapping import Mapping, exact_mapping, suggest_mapping
from desktop.core.values import CODE as VALUE_MAPPED
from desktop.core.values import parse_date
from desktop.validation.actions import (
    ACTIONS,
    DEFER,
    RECOMMEND,
    WITHDRAW,
    defer_messages,
    load_action_facts,
    reasons_from_text,
    recommend_messages,
    withdraw_messages,
)
from desktop.validation.engine import utc_today
from desktop.validation.findings import Finding, Findings, Severity
from desktop.validation.resources import read_json
from desktop.validation.template import Field, Template

IDENTITY = ("trainee_id", "hesa_id", "provider_trainee_id")
_REGISTER_ID = re.compile(r"[1-9A-HJ-NP-Za-km-z]{24}")
_HESA_ID = re.compile(r"\d{13}|\d{17}")

#: wordings of the action columns beyond their names and labels (the identity columns use the main
#: file's table); compared without case, spaces or punctuation
SYNONYMS: dict[str, tuple[str, ...]] = {
    "trainee_id": ("Register ID", "Register trainee ID", "Register slug", "Slug"),
    "withdrawal_date": ("Date withdrawn", "Withdrawn on", "Date of withdrawal", "Leaving date", "Date left",
                        "End date", "ENDDATE"),
    "trigger": ("Withdrawn by", "Who decided", "Decided by", "Initiated by", "Withdrawal trigger"),
    "reasons": ("Reason", "Reasons", "Reason for leaving", "Reason(s) for withdrawal", "Withdrawal reason",
                "Withdrawal reasons", "RSNEND"),
    "future_interest": ("Future interest", "Interested in future", "Interest in teaching in future",
                        "Withdrawal future interest"),
    "another_reason": ("Other reason", "Other reason details", "Another reason details", "Withdrawal another reason"),
    "safeguarding_concern_reasons": ("Safeguarding concerns", "Safeguarding details", "Safeguarding"),
    "defer_date": ("Date deferred", "Deferral date", "Deferred on", "Deferred from", "Interruption start date"),
    "defer_reason": ("Reason for deferral", "Deferral reason", "Interruption reason"),
    "qts_standards_met_date": ("QTS date", "EYTS date", "Standards met date", "Date standards met",
                               "QTS standards met", "Outcome date", "Date QTS standards met",
                               "Date EYTS standards met"),
}

_TRIGGERS = {"provider": "provider", "the provider": "provider", "provider decided": "provider",
             "university": "provider", "us": "provider", "trainee": "trainee", "the trainee": "trainee",
             "trainee decided": "trainee", "student": "trainee"}
_INTEREST = {"yes": "yes", "y": "yes", "true": "yes", "interested": "yes", "no": "no", "n": "no", "false": "no",
             "not interested": "no", "unknown": "unknown", "don't know": "unknown", "dont know": "unknown",
             "not known": "unknown", "unsure": "unknown", "maybe": "unknown"}


@cache
def action_template(kind: str, version: str = "v2026.1") -> Template:
    if kind not in ACTIONS:
        raise ValueError(f"unknown action '{kind}'; use {', '.join(ACTIONS)}")
    doc = read_json("template", f"actions-{version}.json")
    fields = tuple(Field(**f) for f in doc["kinds"][kind])
    return Template(version=doc["version"], api_version=doc["api_version"], published=doc["published"],
                    fields=fields)


def template_csv(kind: str) -> str:
    return action_template(kind).header_line() + "\n"


@dataclass
class ActionRow:
    position: int  # row in the file (0-based, data rows only)
    source_row: int  # as the spreadsheet numbers it
    cells: dict[str, str]  # mapped values (API names)
    body: dict[str, Any]  # the request's ``data``

    @property
    def identity(self) -> tuple[str, str]:
        """(which identifier, its value): Register's id first, then HESA ID, then the provider's id."""
        for name in IDENTITY:
            if self.cells.get(name):
                return name, self.cells[name]
        return "", ""


@dataclass
class ActionFile:
    kind: str
    path: Path
    raw: RawTable
    template: Template
    mapping: Mapping
    rows: list[ActionRow]
    findings: Findings
    today: dt.date
    changes: int = 0  # values mapped (dates, labels)
    notes: list[str] = field(default_factory=list)

    @property
    def valid_rows(self) -> list[ActionRow]:
        bad = set(self.findings.rows_with(Severity.ERROR).tolist())
        if self.findings.has_file_errors():
            return []
        return [r for r in self.rows if r.position not in bad]

    def source_row(self, position: int) -> int:
        return int(self.raw.source_rows[position])


def open_action_file(path: str | Path, kind: str, *, sheet: str | None = None, today: dt.date | None = None,
                     limits: Limits = DEFAULT_LIMITS) -> ActionFile:
    """Read, map and check an action file offline (nothing is sent, Register is not asked)."""
    template = action_template(kind)
    today = today or utc_today()
    raw = read_table(path, sheet=sheet, limits=limits)
    mapping = map_headers(raw, template)
    findings: list[Finding] = []
    for name in template.names:
        if mapping.columns.get(name) is None and template.field(name).mandatory:
            findings.append(Finding(
                code="header.missing", row=-1, field=name, severity=Severity.ERROR, value=None,
                message=f"No column for {name} ({template.field(name).label}): add it (the template from "
                        f"'register-desktop template --kind {kind}' has every column)."))
    if not any(mapping.columns.get(n) for n in IDENTITY):
        findings.append(Finding(
            code="header.missing", row=-1, field=None, severity=Severity.ERROR, value=None,
            message="No column says which trainee each row is about: add hesa_id, provider_trainee_id or "
                    "trainee_id (Register's id of the trainee)."))
    for name, source in mapping.columns.items():
        if source and mapping.method.get(name) not in ("exact", None):
            findings.append(Finding(code="header.mapped", row=-1, field=name, severity=Severity.INFO, value=source,
                                    message=f"Column '{source}' is read as {name} ({mapping.method[name]})."))
    rows: list[ActionRow] = []
    index = {h: i for i, h in reversed(list(enumerate(raw.headers)))}
    changes = 0
    for pos in range(raw.n_rows):
        cells: dict[str, str] = {}
        for name in template.names:
            source = mapping.columns.get(name)
            cells[name] = str(raw.columns[index[source]][pos]).strip() if source is not None else ""
        body, mapped = _body(kind, cells, today)
        for fname, before, after in mapped:
            changes += 1
            findings.append(Finding(code=VALUE_MAPPED, row=pos, field=fname, severity=Severity.INFO, value=before,
                                    message=f"'{before}' read as '{after}'."))
        rows.append(ActionRow(position=pos, source_row=int(raw.source_rows[pos]), cells=cells, body=body))
        findings.extend(check_row(kind, pos, cells, body, today))
    findings.extend(_duplicates(rows))
    return ActionFile(kind=kind, path=Path(path), raw=raw, template=template, mapping=mapping, rows=rows,
                      findings=Findings.of(findings), today=today, changes=changes, notes=list(raw.notes))


def map_headers(raw: RawTable, template: Template) -> Mapping:
    """The main file's mapping steps, then this module's wordings for the action columns."""
    exact = exact_mapping(raw.headers, template)
    mapping = exact if all(exact.columns.values()) else suggest_mapping(raw, template)
    used = mapping.sources
    for name, words in SYNONYMS.items():
        if name not in template or mapping.columns.get(name):
            continue
        keys = {_compact(w) for w in words}
        for h in raw.headers:
            if h not in used and _compact(h) in keys:
                mapping = mapping.with_column(name, h)
                mapping.method[name] = "synonym"
                mapping.confidence[name] = 0.9
                used.add(h)
                break
    return mapping


def _compact(text: str) -> str:
    return "".join(c for c in text.casefold() if c.isalnum())


def _body(kind: str, cells: dict[str, str], today: dt.date) -> tuple[dict[str, Any], list[tuple[str, str, str]]]:
    """The request's ``data`` from a row's cells, and the values mapped on the way (field, before, after)."""
    changed: list[tuple[str, str, str]] = []
    body: dict[str, Any] = {}
    template = action_template(kind)
    for f in template.fields:
        if f.name in IDENTITY:
            continue
        value = cells.get(f.name, "")
        if f.kind == "date" and value:
            parsed = parse_date(value, today=today)
            if parsed is not None:
                changed.append((f.name, value, parsed[0]))
                value = cells[f.name] = parsed[0]
        elif f.name == "trigger" and value:
            mapped = _TRIGGERS.get(value.casefold().strip())
            if mapped and mapped != value:
                changed.append((f.name, value, mapped))
                value = cells[f.name] = mapped
        elif f.name == "future_interest" and value:
            mapped = _INTEREST.get(value.casefold().strip())
            if mapped and mapped != value:
                changed.append((f.name, value, mapped))
                value = cells[f.name] = mapped
        if f.name == "reasons":
            codes, _ = reasons_from_text(value)
            joined = ";".join(codes)
            if codes and joined != value:
                changed.append((f.name, value, joined))
                cells[f.name] = joined
            body["reasons"] = codes
            continue
        if value:
            body[f.name] = value
    return body, changed


def check_row(kind: str, pos: int, cells: dict[str, str], body: dict[str, Any], today: dt.date) -> list[Finding]:
    """Offline: the trainee's identifier, then Register's own rules for the body (no state, no trainee)."""
    out: list[Finding] = []
    if not any(cells.get(n) for n in IDENTITY):
        out.append(Finding(code="row.no_trainee", row=pos, field=None, severity=Severity.ERROR, value=None,
                           message="This row does not say which trainee it is about: fill in hesa_id, "
                                   "provider_trainee_id or trainee_id."))
    tid = cells.get("trainee_id", "")
    if tid and not _REGISTER_ID.fullmatch(tid):
        out.append(Finding(code="cell.trainee_id", row=pos, field="trainee_id", severity=Severity.ERROR, value=tid,
                           message=f"'{tid}' is not a Register trainee id (24 letters and digits, the last part of "
                                   "the trainee's address in Register). If the column holds your own student "
                                   "numbers, name it provider_trainee_id."))
    hid = cells.get("hesa_id", "")
    if hid and not _HESA_ID.fullmatch(hid):
        out.append(Finding(code="cell.hesa_id", row=pos, field="hesa_id", severity=Severity.ERROR, value=hid,
                           message=f"'{hid}' is not a HESA ID: it has 13 or 17 digits (a spreadsheet may have "
                                   "turned it into a number and lost digits; format the column as text)."))
    if kind == WITHDRAW:
        messages = withdraw_messages(body, itt_start=None)
    elif kind == DEFER:
        messages = defer_messages(body)
    else:
        # the checks that need nothing from Register; placements, degree, ITT start and state come later
        messages = list(recommend_messages(body, today=today, itt_start=None, route=None, placements=0,
                                                  degrees=0, routes={}))
    for m in messages:
        out.append(rule_finding(kind, pos, m, cells))
    if kind == WITHDRAW:
        _, unknown = reasons_from_text(cells.get("reasons", "") if cells.get("reasons") else "")
        for piece in unknown:
            out.append(Finding(
                code="cell.withdrawal_reason", row=pos, field="reasons", severity=Severity.ERROR, value=piece,
                message=f"'{piece}' is not one of Register's withdrawal reasons. Use a code or its wording from "
                        "the list ('register-desktop template --kind withdraw' describes them), several separated "
                        "by ';'."))
    return out


#: first word of Register's message -> the column it is about
_MESSAGE_FIELD = {"withdrawal_date": "withdrawal_date", "reasons": "reasons", "trigger": "trigger",
                  "future_interest": "future_interest", "another_reason": "another_reason",
                  "safeguarding_concern_reasons": "safeguarding_concern_reasons", "defer_date": "defer_date",
                  "defer_reason": "defer_reason", "qts_standards_met_date": "qts_standards_met_date"}

_PLAIN = {
    "withdrawal_date Choose a withdrawal date": "The withdrawal date is missing.",
    "withdrawal_date Choose a valid withdrawal date": "The withdrawal date is not a date Register can read (use YYYY-MM-DD or DD/MM/YYYY).",
    "withdrawal_date must be after itt_start_date": "The withdrawal date is before the trainee's ITT start date in Register.",
    "reasons Choose one or more reasons why the trainee withdrew from the course": "No withdrawal reason is given: give at least one.",
    "reasons entered not valid for selected trigger eg unacceptable_behaviour for a trainee trigger":
        "One of the reasons does not go with who decided (trigger): some reasons are only for a provider's "
        "decision, others only for the trainee's.",
    "trigger is not included in the list": "Say who decided the withdrawal: provider or trainee.",
    "future_interest is not included in the list": "Say whether the trainee may be interested in teacher training in future: yes, no or unknown.",
    "another_reason Enter another reason": "The reason is 'another reason': describe it in another_reason.",
    "safeguarding_concern_reasons Enter the concerns": "The reason is safeguarding concerns: describe them in safeguarding_concern_reasons.",
    "defer_date can't be blank": "The defer date is missing.",
    "defer_date is invalid": "The defer date is not a date Register can read (use YYYY-MM-DD or DD/MM/YYYY).",
    "qts_standards_met_date is invalid": "The date the standards were met is not a date Register can read.",
    "qts_standards_met_date must not be in the future": "The date the standards were met is in the future.",
    "qts_standards_met_date must be after itt_start_date": "The date the standards were met is before the trainee's ITT start date in Register.",
    "degree_id must be completed before qts_standards_met_date":
        "Register holds no degree for this trainee, and the route needs one: add the degree first (sync sends it).",
}


def rule_finding(kind: str, pos: int, message: str, cells: dict[str, str], *, code: str = "row.register_rule") -> Finding:
    """One of Register's messages as a finding on the column it names, in plain words beside Register's."""
    word = message.split(" ", 1)[0]
    fname = _MESSAGE_FIELD.get(word)
    plain = _PLAIN.get(message)
    if plain is None and message.startswith("qts_standards_met_date can't be blank"):
        plain = "The date the trainee met the QTS or EYTS standards is missing."
    elif plain is None and message.startswith("defer_reason is too long"):
        plain = "The defer reason is longer than Register's 500 characters."
    elif plain is None and message.startswith("placements must be at least"):
        plain = (f"Register needs more placements before recommending this trainee ({message.split(' for ')[0].removeprefix('placements must be ')}): "
                 "add them first (sync sends the file's placements).")
    return Finding(code=code, row=pos, field=fname, severity=Severity.ERROR, register_message=message,
                   value=cells.get(fname, "") if fname else None, message=plain or f"Register would say: {message}")


def _duplicates(rows: list[ActionRow]) -> list[Finding]:
    seen: dict[tuple[str, str], int] = {}
    out = []
    for r in rows:
        key = r.identity
        if not key[1]:
            continue
        first = seen.setdefault(key, r.position)
        if first != r.position:
            out.append(Finding(code="row.duplicate_trainee", row=r.position, field=key[0], severity=Severity.ERROR,
                               value=key[1], message=f"The same trainee ({key[0]} {key[1]}) is on an earlier row "
                                                     f"too; keep one row per trainee."))
    return out


def positions_with_errors(findings: Findings) -> np.ndarray:
    return findings.rows_with(Severity.ERROR)


def reason_lines() -> list[str]:
    """The withdrawal reasons for help texts: code — label (who may give it)."""
    facts = load_action_facts()
    return [f"{r.code} — {r.label} ({' or '.join(r.triggers)})" for r in facts.reasons.values()]


__all__ = ["ACTIONS", "DEFER", "IDENTITY", "RECOMMEND", "WITHDRAW", "ActionFile", "ActionRow", "action_template",
           "open_action_file", "rule_finding", "template_csv"]
