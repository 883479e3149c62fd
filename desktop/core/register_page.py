"""The file as Register's own "bulk add new trainees" page would read it (SPEC §8.2, §8.3).

The app's export and upload repair what this module reports: they trim every cell, write the
template's headers and send nothing but trainee rows. A user who uploads their *own* file on
Register's website gets none of that. Register checks the file first (size, CSV shape, blank
headers, the exact set of column names, at least one trainee: §8.2, in that order) and then
validates every cell exactly as written: it never trims a cell, so ``'11 '`` is not a sex code
there (§5.14, §8.3).

``register_page_findings`` says, for a file in Register's template shape (or whenever asked),
everything that page would refuse as the file stands, in Register's words and order:

* ``file.register_too_large``, ``file.register_structure``, ``file.register_columns``: the
  file checks, each with Register's exact message as ``register_message``;
* ``header.untrimmed``: a header with spaces around it passes Register's header check, but its
  values are then lost;
* ``cell.untrimmed``: a cell with spaces around it, with what Register would say about the value
  as written (an error when Register rejects it, a warning when it silently drops or changes it,
  one note per column when it accepts it).

``app_findings`` are about the app's own reading of the file and go with its other findings:
``file.no_trainees`` (no trainee rows: nothing to send, and Register refuses such a file) and
``header.near_match`` (a template-shaped file's header the app mapped although it is not spelt
as in the template: never silently).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from desktop.core.loading import RawTable
from desktop.core.mapping import REGISTER_REPORT_COLUMNS, Mapping
from desktop.core.register_words import (
    COLUMNS,
    EXTRA,
    MAX_BYTES,
    MISSING,
    NO_TRAINEES,
    STRUCTURE,
    TOO_LARGE,
)
from desktop.validation.codelists import CodeLists
from desktop.validation.engine import Columns, RulePack
from desktop.validation.findings import Finding, Findings, FindingSink, Severity
from desktop.validation.template import Template

#: at least this share of the template's columns, or of the file's own headers, spelt exactly as in
#: the template (any case) makes a file "template shaped": meant for Register's upload page as it is
TEMPLATE_SHARE = 0.5
OWN_HEADER_SHARE = 0.8
OWN_HEADER_MIN = 10

_REPAIRED = "The app's export and upload trim the value"
_YOURSELF = "if you upload this file on Register's website yourself, trim it first"
_INVISIBLE = {"\t": "\\t", "\r": "\\r", "\n": "\\n", "\xa0": "\\u00a0", "\u2007": "\\u2007", "\u202f": "\\u202f",
              "\u3000": "\\u3000"}


def shown(value: str) -> str:
    """A value with its invisible characters written out (a tab as \\t), for messages."""
    if value.isprintable():
        return value
    return "".join(_INVISIBLE.get(c, c if c.isprintable() else f"\\u{ord(c):04x}") for c in value)


def _around(value: str) -> str:
    """What surrounds the value: 'the space' or the invisible characters."""
    core = value.strip()
    start = value.index(core[0]) if core else len(value)
    edges = value[:start] + value[start + len(core):]
    return "the space" if set(edges) == {" "} else "the invisible characters (tab, line break or non-breaking space)"


def rails_list(items: Sequence[str]) -> str:
    """Names quoted and joined as Register's messages join them: 'a' / 'a' and 'b' / 'a', 'b', and 'c'."""
    quoted = [f"'{i}'" for i in items]
    if len(quoted) <= 1:
        return "".join(quoted)
    if len(quoted) == 2:
        return f"{quoted[0]} and {quoted[1]}"
    return ", ".join(quoted[:-1]) + f", and {quoted[-1]}"


def columns_message(missing: Sequence[str], extra: Sequence[str]) -> str:
    """Register's header-check message for these differences (SPEC §8.2)."""
    parts = []
    if missing:
        parts.append(MISSING.format(rails_list(missing)))
    if extra:
        parts.append(EXTRA.format(rails_list(extra)))
    return f"{COLUMNS} {'. '.join(parts)}" if parts else COLUMNS


def headers_as_register_reads(raw: RawTable) -> list[str]:
    """The header cells as Register's upload check compares them: surrounding spaces stripped, but
    a UTF-8 byte-order mark stays glued to the first name (Register does not remove it, §8.3)."""
    headers = [h.strip() for h in (raw.raw_headers or raw.headers)]
    if headers and raw.format == "csv" and raw.encoding == "UTF-8 with BOM":
        headers[0] = "\ufeff" + headers[0]
    return headers


def header_differences(headers: Iterable[str], template: Template) -> tuple[list[str], list[str], bool]:
    """(missing template columns in template order, extra columns in file order, duplicated) as
    Register's header check finds them: any order, any case, Register's two report columns ignored."""
    names = {n.lower() for n in template.names}
    have: list[str] = []
    extra: list[str] = []
    for h in headers:
        if h.lower() in names:
            have.append(h.lower())
        elif h not in REGISTER_REPORT_COLUMNS:
            extra.append(h)
    missing = [n for n in template.names if n.lower() not in set(have)]
    return missing, extra, len(have) != len(set(have))


def is_template_shaped(headers: Iterable[str], template: Template) -> bool:
    """Whether the file is Register's template filled in (meant for Register's page as it is), rather
    than another system's export the app maps: enough of its headers are the template's own names."""
    own = [h.strip().lower() for h in headers if h and h.strip()]
    names = {n.lower() for n in template.names}
    exact = len({h for h in own if h in names})
    return exact >= TEMPLATE_SHARE * len(names) or (exact >= OWN_HEADER_MIN and exact >= OWN_HEADER_SHARE * len(own))


# ---------------------------------------------------------------------------------------------
# findings about the app's own reading (they go with the session's other findings)


def app_findings(raw: RawTable, mapping: Mapping, template: Template, *, template_shaped: bool) -> list[Finding]:
    out: list[Finding] = []
    if raw.n_rows == 0:
        out.append(Finding(
            code="file.no_trainees", severity=Severity.ERROR, register_message=NO_TRAINEES,
            message="The file has a header row but no trainee rows (blank rows do not count): there is nothing to "
                    "check or send. Register's upload page refuses such a file."))
    if template_shaped:
        for name in template.names:
            source = mapping.columns.get(name)
            if source is not None and source.strip().lower() != name.lower():
                out.append(Finding(
                    code="header.near_match", severity=Severity.WARNING, field=name, value=source,
                    message=f"The column '{source}' is not spelt as in Register's template; the app reads it as "
                            f"{name} ('{source}' → '{name}'). Check that is right. The app's export writes '{name}'; "
                            "Register's upload page would refuse the file with this header."))
    return out


# ---------------------------------------------------------------------------------------------
# the page's view of the file as it stands


def register_page_findings(raw: RawTable, mapping: Mapping, template: Template, pack: RulePack,
                           code_lists: CodeLists, today: dt.date | None) -> Findings:
    """Everything Register's upload page would refuse in this file as it stands (module docstring),
    file-level findings first in the order Register checks them."""
    first = _file_checks(raw, mapping, template)
    first.extend(_untrimmed_headers(raw, mapping, template))
    return Findings.concat([Findings.of(first), _untrimmed_cells(raw, mapping, template, pack, code_lists, today)])


def _file_checks(raw: RawTable, mapping: Mapping, template: Template) -> list[Finding]:
    """Register's file checks in its order. Register itself stops at a file too large or of the wrong
    structure; the later refusals are reported too (after it), so one round of fixes is enough."""
    out: list[Finding] = []
    if raw.format == "csv" and raw.utf8_size is not None and raw.utf8_size > MAX_BYTES:
        out.append(Finding(
            code="file.register_too_large", severity=Severity.ERROR, register_message=TOO_LARGE, value=raw.utf8_size,
            message=f"Register's upload page refuses files over 1 MB, and this one is {raw.utf8_size / MAX_BYTES:.2f} MB "
                    "as Register measures it (in UTF-8). Split it into smaller files for the website; the app's upload "
                    "has no such limit."))
    headers = headers_as_register_reads(raw)
    if any(not h for h in headers):
        blank = [i + 1 for i, h in enumerate(headers) if not h]
        where = ", ".join(map(str, blank[:10])) + (" …" if len(blank) > 10 else "")
        out.append(Finding(
            code="file.register_structure", severity=Severity.ERROR, register_message=STRUCTURE, value="",
            message=f"Register's upload page refuses a file with a column that has no header (column {where}). "
                    "Give it the template's header, or delete the column if it is empty."))
    elif raw.format == "csv" and raw.first_record_fields is not None and raw.first_record_fields > len(headers):
        n = raw.first_record_fields - len(headers)
        out.append(Finding(
            code="file.register_structure", severity=Severity.ERROR, register_message=STRUCTURE,
            value=raw.first_record_fields,
            message=f"Register's upload page refuses this file: the first trainee row (row {raw.header_row + 1}) has "
                    f"{n} more cell(s) than there are headers. Look for an extra comma or a cell split in two."))
    missing, extra, duplicated = header_differences([h for h in headers if h], template)
    if missing or extra or duplicated:
        out.append(Finding(code="file.register_columns", severity=Severity.ERROR, value=", ".join(extra) or None,
                           register_message=columns_message(missing, extra),
                           message=_columns_explained(missing, extra, duplicated, mapping, raw)))
    return out


def _columns_explained(missing: list[str], extra: list[str], duplicated: bool, mapping: Mapping, raw: RawTable) -> str:
    parts = ["Register's upload page would refuse this file: its column names must be exactly the template's "
             "(in any order and any case)."]
    if missing:
        parts.append(f"Missing: {rails_list(missing)}.")
    if extra:
        parts.append(f"Not in the template: {rails_list(extra)}.")
    if duplicated:
        parts.append("A template column appears more than once (Register then names no column: look for the repeat).")
    if extra and extra[0].startswith("\ufeff"):
        parts.append("The file starts with a byte-order mark, which Register's page reads as part of the first "
                     "column's name: save it as CSV without one (the app's export does).")
    read_as = [f"'{s}' → {f}" for f, s in mapping.columns.items() if s is not None and s.strip() in set(extra)]
    if read_as:
        parts.append(f"The app reads {', '.join(read_as)}, so its own export and upload are not affected.")
    elif extra and any(h in extra for h in raw.headers):
        parts.append("The app's export and upload leave extra columns out.")
    return " ".join(parts)


def _untrimmed_headers(raw: RawTable, mapping: Mapping, template: Template) -> list[Finding]:
    """A header with spaces around it passes Register's upload check (it strips headers there), but
    Register looks its values up under the header as written later, and finds none (§8.3)."""
    out: list[Finding] = []
    names = {n.lower(): n for n in template.names}
    for i, written in enumerate(raw.raw_headers):
        name = names.get(written.strip().lower())
        if name is None or written == written.strip() or i >= len(raw.columns):
            continue
        f = template.field(name)
        has_values = bool(np.any(raw.columns[i] != ""))
        severity = Severity.ERROR if f.mandatory and has_values else Severity.WARNING
        lost = (f"every row would then fail with \"{f.api_name} can't be blank\"" if f.mandatory
                else "its values would be lost without a word")
        out.append(Finding(
            code="header.untrimmed", severity=severity, field=name, value=written,
            register_message=f"{f.api_name} can't be blank" if severity is Severity.ERROR else None,
            message=f"The header '{written}' has a space before or after it. Register's upload page accepts it but then "
                    f"reads no values from the column: {lost}. The app's export writes '{name}'; remove the space if "
                    "you upload this file on Register's website yourself."))
    return out


@dataclass(frozen=True)
class _Cell:
    position: int  # frame row
    field: str
    value: str  # as Register reads it (guard apostrophes gone, spaces kept)


def register_reads(text: str) -> str:
    """A cell as Register validates it: up to two leading guard apostrophes removed (one when it
    stores the row, one when it processes it), nothing trimmed (SPEC §8.3)."""
    for _ in range(2):
        if text.startswith("'"):
            text = text[1:]
    return text


def _untrimmed_list(raw: RawTable, mapping: Mapping, template: Template) -> list[_Cell]:
    field_of = {s: f for f, s in mapping.columns.items() if s is not None}
    first_index: dict[str, int] = {}
    for i, h in enumerate(raw.headers):
        first_index.setdefault(h, i)
    cells: list[_Cell] = []
    for c, trimmed in raw.trimmed.items():
        if c >= len(raw.headers) or first_index.get(raw.headers[c]) != c:
            continue
        name = field_of.get(raw.headers[c])
        if name is None or name not in template:
            continue  # a column the app does not use: Register would refuse its header anyway
        for pos, text in zip(trimmed.positions.tolist(), trimmed.values, strict=True):
            seen = register_reads(text)
            if seen.strip() and seen != seen.strip():
                cells.append(_Cell(int(pos), name, seen))
    return cells


def _untrimmed_cells(raw: RawTable, mapping: Mapping, template: Template, pack: RulePack, code_lists: CodeLists,
                     today: dt.date | None) -> Findings:
    cells = _untrimmed_list(raw, mapping, template)
    if not cells:
        return Findings.empty()
    positions = np.unique(np.fromiter((c.position for c in cells), np.int64, len(cells)))
    local = {int(p): i for i, p in enumerate(positions.tolist())}
    as_read = _literal_columns(raw, mapping, template, positions)  # what the app checks (trimmed)
    as_sent = Columns({k: v.copy() for k, v in as_read.items()}, as_read.n)  # what Register's page would check
    # Register's date check reads surrounding spaces (Ruby's ISO 8601 parser) and a graduation year is
    # read by its leading digits: for those the spaces change nothing, so they are checked trimmed
    lenient = {f.name for f in template.fields if f.kind in ("date", "year")}
    for cell in cells:
        if cell.field not in lenient:
            as_sent[cell.field][local[cell.position]] = cell.value
    ctx = pack.context(template, code_lists, today)
    before, after = FindingSink(), FindingSink()
    for rule in pack.rules:  # row rules only: the duplicate rule is the same either way
        rule.check(as_read, ctx, before)
        rule.check(as_sent, ctx, after)
    return _compare(cells, local, before.findings(), after.findings(), raw.source_rows)


def _literal_columns(raw: RawTable, mapping: Mapping, template: Template, positions: np.ndarray) -> Columns:
    index: dict[str, int] = {}
    for i, h in enumerate(raw.headers):
        index.setdefault(h, i)
    data = {}
    for name in template.names:
        source = mapping.columns.get(name)
        if source is not None and source in index:
            data[name] = raw.columns[index[source]][positions]
        else:
            data[name] = np.full(len(positions), "", dtype=object)
    return Columns(data, len(positions))


def _compare(cells: list[_Cell], local: dict[int, int], before: Findings, after: Findings,
             source_rows: np.ndarray) -> Findings:
    """What changes when Register reads the cells untrimmed: the errors (with Register's message) and
    warnings of rules that did not fire on the cell as the app reads it. A value that is wrong either
    way ('Female ' for sex) is not the space's fault: the app reports it already."""
    old: set[tuple[int | None, str | None, str]] = {(f.row, f.field, f.code) for f in before if f.severity is not Severity.INFO}
    new_errors: dict[int, dict[str | None, list[str]]] = {}
    new_warnings: dict[tuple[int, str | None], str] = {}
    wrong_anyway: set[tuple[int, str | None]] = set()
    for f in after:
        row = f.row or 0
        if (f.row, f.field, f.code) in old:
            if f.severity is Severity.ERROR:
                wrong_anyway.add((row, f.field))
            continue
        if f.severity is Severity.ERROR and f.register_message:
            by_field = new_errors.setdefault(row, {}).setdefault(f.field, [])
            if f.register_message not in by_field:
                by_field.append(f.register_message)
        elif f.severity is Severity.WARNING:
            new_warnings.setdefault((row, f.field), f.message)

    items: list[Finding] = []
    accepted: dict[str, list[_Cell]] = {}
    by_row: dict[int, list[_Cell]] = {}
    for cell in cells:
        by_row.setdefault(local[cell.position], []).append(cell)
    for row, row_cells in by_row.items():
        errors = new_errors.get(row, {})
        own_fields = {c.field for c in row_cells}
        others = [m for f, ms in errors.items() if f not in own_fields for m in ms]  # e.g. a route's degree rule
        for k, cell in enumerate(row_cells):
            messages = errors.get(cell.field, []) + (others if k == 0 else [])
            if messages:
                for m in messages:
                    items.append(Finding(
                        code="cell.untrimmed", row=cell.position, field=cell.field, severity=Severity.ERROR,
                        value=cell.value, register_message=m,
                        message=f"Register would reject '{shown(cell.value)}' because of {_around(cell.value)} "
                                f"before or after it (\"{shown(m)}\"). {_REPAIRED}; {_YOURSELF}."))
            elif (row, cell.field) in wrong_anyway:
                continue  # the app already reports the value itself
            elif (warning := new_warnings.get((row, cell.field))) is not None:
                items.append(Finding(
                    code="cell.untrimmed", row=cell.position, field=cell.field, severity=Severity.WARNING,
                    value=cell.value,
                    message=f"Because of {_around(cell.value)} before or after it, Register would not read "
                            f"'{shown(cell.value)}' as the app does: {shown(warning)} {_REPAIRED}; {_YOURSELF}."))
            else:
                accepted.setdefault(cell.field, []).append(cell)
    for name, group in accepted.items():  # accepted as written: one note per column, not one per cell
        example = group[0].value
        rows = [int(source_rows[c.position]) for c in group[:10]]
        where = ", ".join(map(str, rows)) + (", …" if len(group) > 10 else "")
        items.append(Finding(
            code="cell.untrimmed", field=name, severity=Severity.INFO, value=example,
            message=f"{len(group)} {name} cell(s) have a space before or after the value (row {where}; for example "
                    f"'{shown(example)}'). Register's upload page accepts them as written. The app's export and upload trim them."))
    return Findings.of(items)
