"""ImportSession: the one object both front ends drive (open, map, validate, edit, export, upload).

It holds the source table, the mapping, the template-shaped columns of text and the findings,
and it alone changes them, so its promises hold whoever calls it:

- findings come from three places, kept apart: those fixed at load time (headers, damaged
  cells, extra cells, value-mapping notes), the rule pack's (``validate``, and per edited row),
  and Register's answers (``set_api_findings``);
- ``apply_edits`` is the one way a cell changes: it revalidates the edited rows (and whatever
  rows a table rule says an edit affects) and drops what the edit made obsolete — the load-time
  notes about an edited cell and Register's earlier answers about an edited row;
- ``summary`` and ``valid_positions`` are the one count of errors, warnings and ready rows that
  the grid, the status bar, ``check``, export and the upload all show.

Cells are read through ``columns`` (read-only views of the live arrays) or ``row``/``cell``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from collections.abc import Mapping as AbcMapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict

import numpy as np

from desktop.core.draft import MappingDraft, suggestion_record
from desktop.core.loading import DEFAULT_LIMITS, Limits, RawTable, read_table
from desktop.core.mapping import (
    ColumnSuggester,
    ColumnSuggestion,
    Mapping,
    apply_mapping,
    header_findings,
    hints_from,
)
from desktop.core.profiles import LoadedProfile, ProfileStore
from desktop.core.progress import CancelToken, Progress, no_progress
from desktop.core.reference import current_code_lists
from desktop.core.register_page import app_findings, is_template_shaped, register_page_findings
from desktop.core.values import CODE as VALUE_MAPPED
from desktop.core.values import KINDS, ValueMapper, ValueOptions
from desktop.validation.codelists import CodeLists
from desktop.validation.engine import Columns, RuleContext, RulePack
from desktop.validation.findings import NO_ROW, Finding, Findings, Severity, fold_dependents
from desktop.validation.packs import get_pack
from desktop.validation.template import DEFAULT_VERSION, Template, load_template

if TYPE_CHECKING:
    import pandas as pd

    from desktop.core.profile_model import MappingProfile

#: load-time findings about a cell that an edit of that cell makes obsolete
_CLEARED_ON_EDIT = frozenset({"cell.excel_damage", VALUE_MAPPED, "cell.untrimmed"})
#: findings that explain every other finding on their cell (one root cause per cell, issue 15)
ROOT_CAUSES = frozenset({"cell.excel_damage"})
#: the code family of Register's answers (``set_api_findings``)
API_PREFIX = "api."

#: a change to one cell: (frame row, template field, new value)
Edit = tuple[int, str, str]


class Summary(TypedDict):
    """The one count of a session's state (``check --format json``'s ``summary``)."""

    errors: int
    warnings: int
    rows_with_errors: int
    valid_rows: int  # rows Register would accept: none while the file itself has an error


class _Tally:
    """What the counts derive from, computed once per change of the findings."""

    def __init__(self, findings: Findings, n_rows: int) -> None:
        rows = findings.rows
        error = findings.severity_is(Severity.ERROR)
        self.errors = int(np.count_nonzero(error))
        self.warnings = int(np.count_nonzero(findings.severity_is(Severity.WARNING)))
        self.file_errors = bool(np.any(error & (rows == NO_ROW)))
        self.invalid = np.zeros(n_rows, dtype=bool)
        hit = rows[error]
        self.invalid[hit[(hit >= 0) & (hit < n_rows)]] = True
        self.invalid.flags.writeable = False


class ReadOnlyColumns(AbcMapping[str, np.ndarray]):
    """The session's columns for reading: each a read-only view of the live array (it shows later
    edits; writing to it raises). Cells change only through ``ImportSession.apply_edits``."""

    def __init__(self, columns: Columns, names: list[str]) -> None:
        self._columns = columns
        self._names = names

    def __getitem__(self, name: str) -> np.ndarray:
        if name not in self._names:
            raise KeyError(name)
        view = self._columns[name].view()
        view.flags.writeable = False
        return view

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)


class ImportSession:
    def __init__(self, *, raw: RawTable, template: Template, code_lists: CodeLists, pack: RulePack,
                 mapping: Mapping, today: dt.date | None = None, value_options: ValueOptions | None = None,
                 profile: MappingProfile | None = None, as_uploaded: bool | None = None,
                 suggester: ColumnSuggester | None = None) -> None:
        self._raw = raw
        self._template = template
        self._code_lists = code_lists
        self._pack = pack
        self._today = today
        self._mapping = mapping
        self._value_options = value_options if value_options is not None else ValueOptions.off()
        self._profile = profile  # the mapping profile used, if any
        #: also report the file as Register's own upload page reads it (core/register_page.py):
        #: None = when the file is in Register's template shape
        self._as_uploaded = as_uploaded
        self._page: tuple[Any, Findings] | None = None
        self._suggester = suggester  # what unused columns probably hold
        self._suggestions: list[ColumnSuggestion] = []  # for the columns unused now
        self._columns = Columns({}, raw.n_rows)
        self._static = Findings.empty()  # load time: headers, damaged and extra cells, value mapping
        self._rules = Findings.empty()  # the rule pack's
        self._api = Findings.empty()  # Register's answers
        self._validated = False
        self._findings: Findings | None = None  # the three together, built when asked for
        self._folded = Findings.empty()  # left out of ``_findings``: another finding on their cell explains them
        self._tally: _Tally | None = None

    # ------------------------------------------------------------------ what the session was made of
    @property
    def raw(self) -> RawTable:
        return self._raw

    @property
    def template(self) -> Template:
        return self._template

    @property
    def code_lists(self) -> CodeLists:
        return self._code_lists

    @property
    def pack(self) -> RulePack:
        return self._pack

    @property
    def today(self) -> dt.date | None:
        return self._today

    @property
    def mapping(self) -> Mapping:
        """The mapping in force (changed by ``apply_mapping``)."""
        return self._mapping

    @property
    def value_options(self) -> ValueOptions:
        """The value mapping in force (changed by ``apply_mapping`` and ``set_user_value``)."""
        return self._value_options

    @property
    def profile(self) -> MappingProfile | None:
        return self._profile

    @property
    def as_uploaded(self) -> bool | None:
        return self._as_uploaded

    @property
    def suggestions(self) -> list[ColumnSuggestion]:
        """What the columns the mapping leaves unused probably hold."""
        return self._suggestions

    @property
    def columns(self) -> ReadOnlyColumns:
        """One read-only column per template field (views of the live arrays)."""
        return ReadOnlyColumns(self._columns, self._template.names)

    # ------------------------------------------------------------------ construction
    @classmethod
    def open(
        cls,
        path: str | Path,
        *,
        sheet: str | None = None,
        mapping: Mapping | None = None,
        today: dt.date | None = None,
        template_version: str = DEFAULT_VERSION,
        code_lists: CodeLists | None = None,
        limits: Limits = DEFAULT_LIMITS,
        validate: bool = True,
        profile: MappingProfile | LoadedProfile | None = None,
        map_values: bool | None = None,
        value_options: ValueOptions | None = None,
        profiles: ProfileStore | None = None,
        auto_profile: bool = True,
        as_uploaded: bool | None = None,
    ) -> ImportSession:
        """Read a file and map it: ``mapping`` if given, else ``profile``, else a saved profile made
        for exactly these headers (``auto_profile``), else the suggested mapping.

        Values are mapped (``ValueOptions``) when ``map_values`` is True, or, when it is None,
        whenever the headers are not the template's own: a file in Register's template is
        checked exactly as Register would read it (and, ``as_uploaded``, as its upload page would).
        """
        raw = read_table(path, sheet=sheet, limits=limits)
        return cls.from_raw(raw, mapping=mapping, today=today, template_version=template_version,
                            code_lists=code_lists, validate=validate, profile=profile, map_values=map_values,
                            value_options=value_options, profiles=profiles, auto_profile=auto_profile,
                            as_uploaded=as_uploaded)

    @classmethod
    def from_raw(
        cls,
        raw: RawTable,
        *,
        mapping: Mapping | None = None,
        today: dt.date | None = None,
        template_version: str = DEFAULT_VERSION,
        code_lists: CodeLists | None = None,
        validate: bool = True,
        profile: MappingProfile | LoadedProfile | None = None,
        map_values: bool | None = None,
        value_options: ValueOptions | None = None,
        profiles: ProfileStore | None = None,
        auto_profile: bool = True,
        as_uploaded: bool | None = None,
    ) -> ImportSession:
        lists = code_lists or current_code_lists(template_version)  # refreshed from Register, else bundled
        if mapping is None:  # the draft decides, as the Map step and ``map`` do
            draft = MappingDraft.start(raw, template_version=template_version, code_lists=lists, today=today,
                                       profile=profile, profiles=profiles, auto_profile=auto_profile,
                                       map_values=map_values, value_options=value_options)
            return cls.from_draft(draft, validate=validate, as_uploaded=as_uploaded)
        if value_options is None:
            from desktop.core.draft import default_options

            value_options = default_options(mapping, map_values)
        template = load_template(template_version)
        session = cls(raw=raw, template=template, code_lists=lists, pack=get_pack(template_version),
                      mapping=mapping, today=today, value_options=value_options, as_uploaded=as_uploaded)
        session.apply_mapping(session.mapping, validate=validate)
        return session

    @classmethod
    def from_draft(cls, draft: MappingDraft, *, validate: bool = True, as_uploaded: bool | None = None) -> ImportSession:
        """The session for what the Map step (or ``map --set``) decided."""
        session = cls(raw=draft.raw, template=draft.template, code_lists=draft.code_lists,
                      pack=get_pack(draft.template.version), mapping=draft.mapping, today=draft.today,
                      value_options=draft.options, profile=draft.profile, suggester=draft.suggester,
                      as_uploaded=as_uploaded)
        session.apply_mapping(session.mapping, validate=validate)
        return session

    def apply_mapping(self, mapping: Mapping, *, validate: bool = True, value_options: ValueOptions | None = None) -> None:
        """Map the source again (a changed mapping or value map): columns, load-time findings, rules.

        Edits and Register's answers belong to the cells of the mapping they were made on: they go.
        """
        self._mapping = mapping
        if value_options is not None:
            self._value_options = value_options
        columns = apply_mapping(self.raw, mapping, self.template)
        if self._suggester is None:
            self._suggester = ColumnSuggester(self.raw, self.template, self.code_lists)
        self._suggestions = self._suggester.suggest(mapping)
        value_findings = Findings.empty()
        if self.value_options.any_enabled:
            columns, value_findings = self.value_mapper().apply(columns)
        self._columns = columns
        self._static = Findings.concat([self._load_findings(), value_findings])
        self._rules = Findings.empty()
        self._api = Findings.empty()
        self._validated = False
        self._changed()
        if validate:
            self.validate()

    # ------------------------------------------------------------------ value mapping
    def value_mapper(self) -> ValueMapper:
        return ValueMapper(self.template, self.code_lists, self.value_options, self.today)

    def value_change_groups(self) -> list[dict[str, Any]]:
        """Each distinct value change once: field, before, message and the spreadsheet rows, most cells first."""
        changed = self._static.where(code=VALUE_MAPPED)
        if not len(changed):
            return []
        rows = self.source_rows[changed.rows].tolist()
        groups: dict[tuple[Any, Any, Any], list[int]] = {}
        keys = zip(changed.column("field").tolist(), changed.column("value").tolist(), changed.column("message").tolist(),
                   strict=True)
        for key, row in zip(keys, rows, strict=True):
            groups.setdefault(key, []).append(row)
        out: list[dict[str, Any]] = [{"field": k[0], "value": k[1], "message": k[2], "count": len(v), "rows": v} for k, v in groups.items()]
        out.sort(key=lambda g: (-g["count"], g["field"], g["value"]))
        return out

    def value_change_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for name in self._static.where(code=VALUE_MAPPED).column("field").tolist():
            counts[name] = counts.get(name, 0) + 1
        return {str(k): counts[k] for k in sorted(counts)}

    # ------------------------------------------------------------------ the file as Register's page reads it
    @property
    def template_shaped(self) -> bool:
        """The file is Register's template filled in, so it may well be uploaded on Register's page as it is."""
        return is_template_shaped(self.raw.headers, self.template)

    @property
    def reads_as_uploaded(self) -> bool:
        return self.template_shaped if self.as_uploaded is None else self.as_uploaded

    def register_page_findings(self) -> Findings:
        """What Register's upload page would refuse in the file as it stands (empty when not asked for:
        ``as_uploaded``). The app's own export and upload repair all of it; see core/register_page.py."""
        if not self.reads_as_uploaded:
            return Findings.empty()
        key = (id(self.mapping), self.today)  # the file does not change; the mapping and today may
        if self._page is None or self._page[0] != key:
            self._page = (key, register_page_findings(self.raw, self.mapping, self.template, self.pack,
                                                      self.code_lists, self.today))
        return self._page[1]

    def _load_findings(self) -> Findings:
        items: list[Finding] = list(header_findings(self.raw, self.mapping, self.template, self.suggestions))
        items.extend(app_findings(self.raw, self.mapping, self.template, template_shaped=self.reads_as_uploaded))
        for note in self.raw.notes:  # what the reader decided on the user's behalf (e.g. a CSV named .xlsx)
            items.append(Finding(code="file.note", severity=Severity.INFO, message=note))
        by_source = {src: name for name, src in self.mapping.columns.items() if src is not None}
        for d in self.raw.damage:
            header = self.raw.headers[d.column]
            target = by_source.get(header)
            what = ("a number longer than a spreadsheet keeps (15 digits): the last digits are lost"
                    if d.kind == "long_number" else "in scientific notation, so its digits are lost")
            items.append(Finding(
                code="cell.excel_damage", row=d.row, field=target, severity=Severity.ERROR, value=d.value,
                message=f"The value '{d.value}' in column '{header}' is {what}. It cannot be repaired here: "
                        "re-export the column as text from your student record system (or format it as Text before pasting).",
            ))
        for row, n in self.raw.extra_cells:
            items.append(Finding(
                code="row.extra_cells", row=row, severity=Severity.ERROR, value=n,
                message=f"This row has {n} more cell(s) than there are headers; those cells have no column. "
                        "Check for an extra comma or a shifted row.",
                register_message="The selected CSV file has structural issues. Check columns for empty headers, "
                                 "an incorrect number of columns, or additional commas."))
        return Findings.of(items)

    # ------------------------------------------------------------------ validation
    @property
    def context(self) -> RuleContext:
        return self.pack.context(self.template, self.code_lists, self.today)

    def validate(self, progress: Progress = no_progress, token: CancelToken | None = None) -> Findings:
        """Run every rule over every row (``RulePack.validate``: chunk by chunk, so the window can
        show progress and cancel); Register's answers stay until an edit or a new mapping."""
        self._rules = self.pack.validate(self._columns, self.context, progress=progress, token=token)
        self._validated = True
        self._changed()
        return self.findings

    @property
    def findings(self) -> Findings:
        """Every finding shown: load-time, the rule pack's (one root cause per cell; rows' problems on
        a field with no column name the unused column that probably holds it) and Register's answers."""
        if self._findings is None:
            kept, self._folded = fold_dependents(Findings.concat([self._static, self._rules]), ROOT_CAUSES)
            hints = hints_from(self._suggestions)
            if hints and len(kept):
                kept = _with_hints(kept, hints, self.template)
            self._findings = Findings.concat([kept, self._api])
        return self._findings

    @property
    def folded_findings(self) -> Findings:
        """Findings left out of ``findings`` because another finding on their cell explains them."""
        self.findings  # noqa: B018 - builds both
        return self._folded

    def _changed(self) -> None:
        """Findings or cells changed: what was derived from them is out of date."""
        self._findings = None
        self._tally = None

    # ------------------------------------------------------------------ edits
    def cell(self, row: int, field_name: str) -> str:
        return str(self._columns[self._field(field_name)][self._row(row)])

    def apply_edits(self, edits: Iterable[Edit]) -> np.ndarray:
        """Change cells — (row, field, value), values trimmed — and bring the findings up to date.

        The one way a cell changes (typing, paste, fill down, replace all, undo, edits re-applied
        after a new mapping or a crash): the edited rows are revalidated together with any row a
        table rule says the edit affects (an in-file duplicate made or broken); the load-time notes
        about an edited cell (a value mapped, a damaged number) and Register's earlier answers
        about an edited row are dropped, since they no longer describe it. Before the first
        ``validate`` only the cells and those notes change. Returns the edited rows, sorted.
        """
        changes = [(self._row(row), self._field(name), value.strip()) for row, name, value in edits]
        if not changes:
            return np.zeros(0, dtype=np.int64)
        for row, name, value in changes:
            self._columns[name][row] = value
        self._columns.invalidate()
        positions = np.unique(np.fromiter((row for row, _, _ in changes), np.int64, len(changes)))
        self._static = _without_cells(self._static, {(row, name) for row, name, _ in changes}, positions)
        if len(self._api):
            answered = np.isin(self._api.rows, positions)
            if answered.any():
                self._api = self._api.without(answered)
        if self._validated:
            self._rules = self.pack.revalidate_rows(self._rules, self._columns, self.context, positions)
        self._changed()
        return positions

    def row_findings(self, row: int) -> list[Finding]:
        return list(self.findings.for_rows([row]))

    def _row(self, row: int) -> int:
        if not 0 <= row < self.n_rows:
            raise IndexError(f"row {row} is outside the table (0 to {self.n_rows - 1})")
        return int(row)

    def _field(self, name: str) -> str:
        if name not in self.template:
            raise KeyError(name)
        return name

    # ------------------------------------------------------------------ Register's answers
    def set_api_findings(self, findings: Findings) -> None:
        """Register's answers to the last upload (``api.*`` findings), replacing any earlier ones."""
        codes = {str(c) for c in findings.column("code").tolist()}
        wrong = sorted(c for c in codes if not c.startswith(API_PREFIX))
        if wrong:
            raise ValueError(f"not Register's answers: {', '.join(wrong)}")
        self._api = findings
        self._changed()

    @property
    def has_api_findings(self) -> bool:
        """Whether any of Register's answers are shown (none once every row they concern was edited)."""
        return len(self._api) > 0

    # ------------------------------------------------------------------ results
    @property
    def n_rows(self) -> int:
        return self._columns.n

    @property
    def source_rows(self) -> np.ndarray:
        return self.raw.source_rows

    def _counts(self) -> _Tally:
        if self._tally is None:
            self._tally = _Tally(self.findings, self.n_rows)
        return self._tally

    def invalid_row_mask(self) -> np.ndarray:
        """True for every row with an error (read-only)."""
        return self._counts().invalid

    def has_file_errors(self) -> bool:
        """An error about the file itself (a missing column, say): no row can be sent or exported."""
        return self._counts().file_errors

    def valid_positions(self, *, ignore_api: bool = False) -> np.ndarray:
        """Rows Register would accept: no error, and no error about the file itself.

        ``ignore_api`` leaves Register's own earlier answers out (the upload decides with its
        journal whether a rejected row is sent again).
        """
        if ignore_api and self.has_api_findings:
            own = _Tally(Findings.concat([self._static, self._rules]), self.n_rows)
            return np.zeros(0, dtype=np.int64) if own.file_errors else np.flatnonzero(~own.invalid)
        tally = self._counts()
        return np.zeros(0, dtype=np.int64) if tally.file_errors else np.flatnonzero(~tally.invalid)

    def summary(self) -> Summary:
        """Errors, warnings, rows with errors and rows ready to send: the one count everyone shows."""
        tally = self._counts()
        rows_with_errors = int(np.count_nonzero(tally.invalid))
        return {"errors": tally.errors, "warnings": tally.warnings, "rows_with_errors": rows_with_errors,
                "valid_rows": 0 if tally.file_errors else self.n_rows - rows_with_errors}

    def row(self, position: int) -> dict[str, str]:
        return {name: str(self._columns[name][position]) for name in self.template.names}

    def frame(self) -> pd.DataFrame:
        """The template-shaped table (one str column per field), for export."""
        import pandas as pd

        return pd.DataFrame({name: self._columns[name] for name in self.template.names}, dtype=object)

    def report(self, *, list_changes: bool = True) -> dict[str, Any]:
        """The ``check --format json`` object (a stable interface: extend, don't change).

        ``value_changes`` groups the value mapping's changes (field, before, after, rows); with
        ``list_changes=False`` they are left out of ``findings`` (a messy file of 100 000 rows can
        have millions), and the groups still show every one of them.
        """
        findings = self.findings
        if not list_changes:
            findings = findings.without(findings.code_is(VALUE_MAPPED))
        summary = self.summary()
        page = self.register_page_findings()
        if len(page):
            # Register's own file checks come first, in its order; then the app's; cells by row
            first = page.file_level()
            findings = Findings.concat([first, findings, page.without_rows([-1]) if len(first) else page])
            summary["errors"] += page.error_count
            summary["warnings"] += page.warning_count
            summary["rows_with_errors"] = int(findings.invalid_row_mask(self.n_rows).sum())
        return {
            "file": str(self.raw.path),
            "sheet": self.raw.sheet,
            "encoding": self.raw.encoding,
            "template_version": self.template.version,
            "reference_data_version": self.code_lists.label,
            "rows": self.n_rows,
            "mapping": self.mapping.as_json_mapping(self.template),
            "mapping_details": {**self.mapping.details(self.template),
                                "values_mapped": sorted(set(KINDS) - self.value_options.disabled),
                                "value_changes": self.value_change_counts()},
            "findings": findings.sorted().records(self.source_rows, self.pack.csv_wording),
            "value_changes": self.value_change_groups(),
            # the file as Register's own upload page reads it: checked? and how many of the errors are its own
            "as_uploaded": {"checked": self.reads_as_uploaded, "errors": page.error_count},
            "summary": summary,
            "suggestions": [suggestion_record(s) for s in self.suggestions if s.field is not None],
            "folded_findings": self.folded_findings.sorted().records(self.source_rows, self.pack.csv_wording),
        }


def _without_cells(findings: Findings, cells: set[tuple[int, str]], rows: np.ndarray) -> Findings:
    """``findings`` less the load-time notes about ``cells`` that an edit makes obsolete."""
    if not len(findings):
        return findings
    candidates = np.flatnonzero(np.isin(findings.rows, rows))  # few: the edited rows' findings
    if not len(candidates):
        return findings
    row_of = findings.rows[candidates].tolist()
    fields = findings.column("field")[candidates].tolist()
    codes = findings.column("code")[candidates].tolist()
    drop = [i for i, r, f, c in zip(candidates.tolist(), row_of, fields, codes, strict=True)
            if c in _CLEARED_ON_EDIT and (r, f) in cells]
    if not drop:
        return findings
    mask = np.zeros(len(findings), dtype=bool)
    mask[drop] = True
    return findings.without(mask)


def _with_hints(findings: Findings, hints: dict[str, ColumnSuggestion], template: Template) -> Findings:
    """Problems on a field no column feeds name the unused column that probably holds it."""
    fields = findings.column("field")
    on_rows = (findings.rows >= 0) & np.fromiter(map(hints.__contains__, fields.tolist()), bool, len(fields))
    if not on_rows.any():
        return findings
    messages = findings.column("message").copy()
    for name, s in hints.items():
        mask = on_rows & (fields == name)
        if mask.any():
            note = f" The column '{s.column}' probably holds it but is not mapped to {template.field(name).label}."
            messages[mask] = messages[mask] + note
    return findings.with_column("message", messages)
