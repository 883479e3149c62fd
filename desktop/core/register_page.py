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
  file checks, each with Register's exact message as ``register_message`` (and, for a workbook,
  ``file.register_csv_only``: the page takes CSV, so this is the sheet saved as CSV);
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
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from desktop.core.loading import RawTable
from desktop.core.mapping import REGISTER_REPORT_COLUMNS, Mapping, apply_mapping
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
    start = len(value) - len(value.lstrip())
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
    if raw.format != "csv":
        out.append(Finding(
            code="file.register_csv_only", severity=Severity.INFO, value=raw.format,
            message=f"Register's upload page takes CSV files only, not {raw.format.upper()}: what follows about "
                    "Register's page is about this sheet saved as CSV by a spreadsheet program (which keeps spaces "
                    "and headers as they are). The app's export writes a CSV Register's page accepts."))
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


def register_reads(text: str) -> str:
    """A cell as Register validates it: up to two leading guard apostrophes removed (one when it
    stores the row, one when it processes it), nothing trimmed (SPEC §8.3)."""
    for _ in range(2):
        if text.startswith("'"):
            text = text[1:]
    return text


@dataclass
class _Cells:
    """The untrimmed cells of the file, columnar: template field index, frame row, value as Register reads it."""

    field: np.ndarray  # int64 index into the template's names
    position: np.ndarray  # int64 frame row
    value: np.ndarray  # object: str

    def __len__(self) -> int:
        return len(self.position)


def _untrimmed_list(raw: RawTable, mapping: Mapping, template: Template) -> _Cells:
    field_of = {s: f for f, s in mapping.columns.items() if s is not None}
    index = {n: i for i, n in enumerate(template.names)}
    first_index: dict[str, int] = {}
    for i, h in enumerate(raw.headers):
        first_index.setdefault(h, i)
    fields, positions, values = [], [], []
    for c, trimmed in sorted(raw.trimmed.items()):
        if c >= len(raw.headers) or first_index.get(raw.headers[c]) != c:
            continue
        name = field_of.get(raw.headers[c])
        if name is None or name not in index:
            continue  # a column the app does not use: Register would refuse its header anyway
        seen = [register_reads(t) if t.startswith("'") else t for t in trimmed.values]
        keep = [i for i, v in enumerate(seen) if v != v.strip() and v.strip()]
        if keep:
            positions.append(trimmed.positions[keep])
            values.append(np.fromiter((seen[i] for i in keep), object, len(keep)))
            fields.append(np.full(len(keep), index[name], dtype=np.int64))
    if not positions:
        return _Cells(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, object))
    return _Cells(np.concatenate(fields), np.concatenate(positions), np.concatenate(values))


def _untrimmed_cells(raw: RawTable, mapping: Mapping, template: Template, pack: RulePack, code_lists: CodeLists,
                     today: dt.date | None) -> Findings:
    """Run the row rules over the rows that have untrimmed cells twice, as the app reads them and as
    Register would (spaces kept), and say what the spaces change. Column by column throughout: a
    file whose every cell is padded (some systems export fixed-width text) has a million of them."""
    cells = _untrimmed_list(raw, mapping, template)
    if not len(cells):
        return Findings.empty()
    names = template.names
    positions = np.unique(cells.position)
    local = np.searchsorted(positions, cells.position)
    as_read = apply_mapping(raw, mapping, template).take(positions)  # what the app checks (trimmed, literal)
    sent = dict(as_read.items())
    # Register's date check reads surrounding spaces (Ruby's ISO 8601 parser) and a graduation year is
    # read by its leading digits: for those the spaces change nothing, so they are checked trimmed
    lenient = {i for i, f in enumerate(template.fields) if f.kind in ("date", "year")}
    for fi in np.unique(cells.field).tolist():
        if fi not in lenient:
            at = cells.field == fi
            column = sent[names[fi]].copy()
            column[local[at]] = cells.value[at]
            sent[names[fi]] = column
    as_sent = Columns(sent, as_read.n)  # what Register's page would check
    ctx = pack.context(template, code_lists, today)
    before, after = FindingSink(), FindingSink()
    for rule in pack.rules:  # row rules only: the duplicate rule is the same either way
        rule.check(as_read, ctx, before)
        rule.check(as_sent, ctx, after)
    return _compare(cells, local, before.findings(), after.findings(), template, raw.source_rows, pack.csv_wording)


def _keys(found: Findings, index: dict[str, int], width: int) -> dict[str, np.ndarray]:
    """The findings' columns, with each finding's cell as one number (local row × width + field)."""
    frame = found.frame
    rows = frame["row"].to_numpy(dtype=np.int64)
    fields = np.fromiter((index.get(f, width - 1) for f in frame["field"].tolist()), np.int64, len(frame))
    return {"cell": rows * width + fields, "severity": frame["severity"].to_numpy(dtype=object),
            "code": frame["code"].to_numpy(dtype=object), "message": frame["message"].to_numpy(dtype=object),
            "register": frame["register_message"].to_numpy(dtype=object)}


def _compare(cells: _Cells, local: np.ndarray, before: Findings, after: Findings, template: Template,
             source_rows: np.ndarray, wording: Callable[[str], str]) -> Findings:
    """What the spaces change, cell by cell: rules that fire on the value as Register reads it and not
    as the app reads it. Their errors (with Register's message) make the cell an error; their warnings
    (a value Register drops without a word) a warning; nothing new, one note per column. A value that
    is wrong either way ('Female ' for sex) is the app's own finding already, not the space's."""
    names = template.names
    width = len(names) + 1  # the last "field" stands for a finding on no field
    index = {n: i for i, n in enumerate(names)}
    b, a = _keys(before, index, width), _keys(after, index, width)
    codes = {c: i for i, c in enumerate(dict.fromkeys([*b["code"].tolist(), *a["code"].tolist()]))}
    n_codes = len(codes)

    def rule_keys(k: dict[str, np.ndarray]) -> np.ndarray:
        return k["cell"] * n_codes + np.fromiter(map(codes.__getitem__, k["code"].tolist()), np.int64, len(k["code"]))

    had = rule_keys(b)[b["severity"] != "info"]
    fresh = ~np.isin(rule_keys(a), had)
    is_error = a["severity"] == "error"
    wrong_anyway = np.unique(a["cell"][is_error & ~fresh])
    new_error = is_error & fresh & np.fromiter((isinstance(m, str) and bool(m) for m in a["register"].tolist()), bool,
                                                len(is_error))
    new_warning = (a["severity"] == "warning") & fresh

    cell_key = local * width + cells.field
    order = np.argsort(cell_key, kind="stable")
    sorted_keys = cell_key[order]
    # the row's first untrimmed cell (lowest field) carries the new errors found on fields without one
    first_in_row = _first_cell_per_row(cell_key, local, width)

    def owner(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The untrimmed cell each finding's cell is (or -1), by key."""
        at = np.searchsorted(sorted_keys, keys)
        hit = (at < len(sorted_keys)) & (sorted_keys[np.minimum(at, len(sorted_keys) - 1)] == keys)
        return np.where(hit, order[np.minimum(at, len(order) - 1)], -1), hit

    err_cell, own = owner(a["cell"][new_error])
    err_cell = np.where(own, err_cell, first_in_row[a["cell"][new_error] // width])
    err_msg = a["register"][new_error]
    # one finding per cell and message, in the rules' order
    pairs = list(dict.fromkeys(zip(err_cell.tolist(), err_msg.tolist(), strict=True)))
    error_cells = {c for c, _ in pairs}
    wrong = np.isin(cell_key, wrong_anyway)
    warn_cell, warn_own = owner(a["cell"][new_warning])
    warnings: dict[int, str] = {}
    for c, m in zip(warn_cell[warn_own].tolist(), a["message"][new_warning][warn_own].tolist(), strict=True):
        warnings.setdefault(c, m)

    by_field: dict[int, list[tuple[int, str]]] = {}
    field_of = cells.field.tolist()
    for c, m in pairs:
        by_field.setdefault(field_of[c], []).append((c, m))
    parts: list[Findings] = []
    for fi in np.unique(cells.field).tolist():
        name = names[fi]
        mine = by_field.get(fi, [])
        if mine:
            idx = np.fromiter((c for c, _ in mine), np.int64, len(mine))
            texts: dict[tuple[str, str], str] = {}  # a padded file repeats its values: each text once
            for v, (_, m) in zip(cells.value[idx].tolist(), mine, strict=True):
                if (v, m) not in texts:
                    texts[(v, m)] = (f"Register would reject '{shown(v)}' because of {_around(v)} before or after it "
                                     f"(\"{shown(wording(m))}\"). {_REPAIRED}; {_YOURSELF}.")
            parts.append(_emit(cells, idx, name, Severity.ERROR, [m for _, m in mine],
                               [texts[(v, m)] for v, (_, m) in zip(cells.value[idx].tolist(), mine, strict=True)]))
        in_field = np.flatnonzero((cells.field == fi) & ~wrong)
        rest = [c for c in in_field.tolist() if c not in error_cells]
        warned = [c for c in rest if c in warnings]
        if warned:
            idx = np.asarray(warned, dtype=np.int64)
            parts.append(_emit(cells, idx, name, Severity.WARNING, [None] * len(idx), [
                f"Because of {_around(v)} before or after it, Register would not read '{shown(v)}' as the app does: "
                f"{shown(warnings[c])} {_REPAIRED}; {_YOURSELF}." for c, v in zip(warned, cells.value[idx].tolist(),
                                                                                  strict=True)]))
        accepted = [c for c in rest if c not in warnings]
        if accepted:  # accepted as written: one note per column, not one per cell
            example = str(cells.value[accepted[0]])
            rows = [int(source_rows[cells.position[c]]) for c in accepted[:10]]
            where = ", ".join(map(str, rows)) + (", …" if len(accepted) > 10 else "")
            parts.append(Findings.of([Finding(
                code="cell.untrimmed", field=name, severity=Severity.INFO, value=example,
                message=f"{len(accepted)} {name} cell(s) have a space before or after the value (row {where}; for "
                        f"example '{shown(example)}'). Register's upload page accepts them as written. The app's export "
                        "and upload trim them.")]))
    return Findings.concat(parts)


def _first_cell_per_row(cell_key: np.ndarray, local: np.ndarray, width: int) -> np.ndarray:
    """For each local row, the untrimmed cell with the lowest field (-1 where the row has none)."""
    out = np.full(int(local.max()) + 1, -1, dtype=np.int64)
    order = np.lexsort((cell_key, local))  # by row, then by key (i.e. field)
    rows = local[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = rows[1:] != rows[:-1]
    out[rows[first]] = order[first]
    return out


def _emit(cells: _Cells, idx: np.ndarray, name: str, severity: Severity, registers: list[str | None],
          messages: list[str]) -> Findings:
    """``cell.untrimmed`` findings on cells ``idx`` of one field, with their own texts."""
    sink = FindingSink(cells.position[idx])
    each = iter(messages)
    each_register = iter(registers)
    # the sink calls a text function once per cell, in order: hand it the texts made above
    sink.add(np.ones(len(idx), dtype=bool), cells.value[idx], field=name, code="cell.untrimmed", severity=severity,
             message=lambda _v: next(each), register=lambda _v: next(each_register))  # type: ignore[arg-type,return-value]
    return sink.findings()
