"""ImportSession: the one object both front ends drive (open, map, validate, edit, export, upload).

It holds the source table, the mapping, the template-shaped columns of text and the findings.
Findings come from two places: those fixed at load time (damaged cells, extra cells, headers)
and those of the rule pack, which are recomputed on validation and per edited row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

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
from desktop.validation.findings import (
    UNLISTED,
    WORDED_IN_ALL,
    WORDED_PER_RULE_AND_FIELD,
    Finding,
    FindingBudget,
    Findings,
    FindingSink,
    Severity,
    fold_dependents,
)
from desktop.validation.packs import get_pack
from desktop.validation.template import DEFAULT_VERSION, Template, load_template

if TYPE_CHECKING:
    import pandas as pd

    from desktop.core.profile_model import MappingProfile

# rows checked per step: big enough that each rule's fixed cost is spread thin (per-value
# helpers factorise a field once a chunk), small enough for progress and cancel every ~0.2 s
CHUNK = 20_000

#: static findings about a cell that an edit of that cell makes obsolete
CLEARED_ON_EDIT = ("cell.excel_damage", VALUE_MAPPED, "cell.untrimmed")

#: findings that explain every other finding on their cell (one root cause per cell, issue 15)
ROOT_CAUSES = frozenset({"cell.excel_damage"})

@dataclass
class ImportSession:
    raw: RawTable
    template: Template
    code_lists: CodeLists
    pack: RulePack
    mapping: Mapping
    columns: Columns
    today: dt.date | None = None
    static: Findings = field(default_factory=Findings.empty)
    rule_findings: Findings = field(default_factory=Findings.empty)
    value_options: ValueOptions = field(default_factory=ValueOptions.off)  # the value mapping in force
    profile: MappingProfile | None = None  # the mapping profile used, if any
    #: also report the file as Register's own upload page reads it (core/register_page.py):
    #: None = when the file is in Register's template shape
    as_uploaded: bool | None = None
    _page: tuple[Any, Findings] | None = field(default=None, repr=False, compare=False)
    suggester: ColumnSuggester | None = field(default=None, repr=False)  # what unused columns probably hold
    suggestions: list[ColumnSuggestion] = field(default_factory=list, repr=False)  # for the columns unused now
    _shown: tuple[Findings, Findings, Findings, Findings] | None = field(default=None, init=False, repr=False)

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
            return cls.from_draft(draft, validate=validate)
        if value_options is None:
            from desktop.core.draft import default_options

            value_options = default_options(mapping, map_values)
        template = load_template(template_version)
        session = cls(raw=raw, template=template, code_lists=lists, pack=get_pack(template_version),
                      mapping=mapping, columns=Columns({}, raw.n_rows), today=today, value_options=value_options,
                      as_uploaded=as_uploaded)
        session.apply_mapping(session.mapping, validate=validate)
        return session

    @classmethod
    def from_draft(cls, draft: MappingDraft, *, validate: bool = True, as_uploaded: bool | None = None) -> ImportSession:
        """The session for what the Map step (or ``map --set``) decided."""
        session = cls(raw=draft.raw, template=draft.template, code_lists=draft.code_lists,
                      pack=get_pack(draft.template.version), mapping=draft.mapping,
                      columns=Columns({}, draft.raw.n_rows), today=draft.today, value_options=draft.options,
                      profile=draft.profile, suggester=draft.suggester, as_uploaded=as_uploaded)
        session.apply_mapping(session.mapping, validate=validate)
        return session

    def apply_mapping(self, mapping: Mapping, *, validate: bool = True, value_options: ValueOptions | None = None) -> None:
        """Map the source again (a changed mapping or value map): columns, load-time findings, rules."""
        self.mapping = mapping
        if value_options is not None:
            self.value_options = value_options
        columns = apply_mapping(self.raw, mapping, self.template)
        if self.suggester is None:
            self.suggester = ColumnSuggester(self.raw, self.template, self.code_lists)
        self.suggestions = self.suggester.suggest(mapping)
        value_findings = Findings.empty()
        if self.value_options.any_enabled:
            columns, value_findings = self.value_mapper().apply(columns)
        self.columns = columns
        self.static = Findings.concat([self._load_findings(), value_findings])
        self.rule_findings = Findings.empty()
        if validate:
            self.validate()

    # ------------------------------------------------------------------ value mapping
    def value_mapper(self) -> ValueMapper:
        return ValueMapper(self.template, self.code_lists, self.value_options, self.today)

    def value_change_groups(self) -> list[dict[str, Any]]:
        """Each distinct value change once: field, before, message and the spreadsheet rows, most cells first."""
        changed = self.static.where(code=VALUE_MAPPED)
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
        for name in self.static.where(code=VALUE_MAPPED).column("field").tolist():
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
        """Run every rule over every row, chunk by chunk (so the window can show progress and cancel)."""
        ctx = self.context
        n = self.columns.n
        budget = FindingBudget()  # findings beyond the caps keep everything but their words (UNLISTED)
        if n <= CHUNK:
            findings = self.pack.validate(self.columns, ctx, budget)
        else:
            # row rules by chunk, table rules once over the whole table
            sink_parts = []
            for start in range(0, n, CHUNK):
                if token is not None:
                    token.raise_if_cancelled()
                positions = np.arange(start, min(start + CHUNK, n))
                sub = self.columns.slice(start, start + CHUNK)  # views, not copies
                sink = FindingSink(positions, budget)
                for rule in self.pack.rules:
                    rule.check(sub, ctx, sink)
                sink_parts.append(sink.findings())
                progress(min(start + CHUNK, n), n)
            tsink = FindingSink()
            for trule in self.pack.table_rules:
                trule.check(self.columns, ctx, tsink)
            sink_parts.append(tsink.findings())
            findings = Findings.concat_consuming(sink_parts)
        progress(n, n)
        self.rule_findings = findings
        return self.findings

    @property
    def findings(self) -> Findings:
        """Every finding, one root cause per cell, rows' problems on a field with no column naming the
        unused column that probably holds it."""
        return self._present()[0]

    @property
    def folded_findings(self) -> Findings:
        """Findings left out of ``findings`` because another finding on their cell explains them."""
        return self._present()[1]

    def _present(self) -> tuple[Findings, Findings]:
        shown = self._shown
        if shown is not None and shown[0] is self.static and shown[1] is self.rule_findings:
            return shown[2], shown[3]
        kept, folded = fold_dependents(Findings.concat([self.static, self.rule_findings]), ROOT_CAUSES)
        hints = hints_from(self.suggestions)
        if hints and len(kept):
            kept = _with_hints(kept, hints, self.template)
        self._shown = (self.static, self.rule_findings, kept, folded)
        return kept, folded

    def edit_cell(self, row: int, field_name: str, value: str) -> list[Finding]:
        """Change one cell (trimmed) and revalidate its row; returns the row's findings."""
        if field_name not in self.template:
            raise KeyError(field_name)
        self.columns[field_name][row] = value.strip()
        self.columns.invalidate()
        static = self.static
        drop = (static.rows == row) & (static.column("field") == field_name) & self._cleared_on_edit(static)
        if drop.any():
            self.static = static.without(drop)
        self.rule_findings = self.pack.revalidate_rows(self.rule_findings, self.columns, self.context, np.array([row]))
        return list(self.findings.for_rows([row]))

    def edit_cells(self, changes: list[tuple[int, str, str]]) -> np.ndarray:
        """Change many cells (row, field, value; trimmed) and revalidate their rows in one pass.

        For fill down, replace all and undo of either: one revalidation, not one per cell.
        Returns the frame rows that were edited.
        """
        if not changes:
            return np.array([], dtype=np.int64)
        for row, field_name, value in changes:
            if field_name not in self.template:
                raise KeyError(field_name)
            self.columns[field_name][row] = value.strip()
        self.columns.invalidate()
        positions = np.unique(np.asarray([c[0] for c in changes], dtype=np.int64))
        static = self.static
        if len(static):
            edited = {(int(r), f) for r, f, _ in changes}
            drop = np.fromiter(((r, f) in edited for r, f in zip(static.rows.tolist(), static.column("field").tolist(),
                                                                   strict=True)), bool, len(static))
            drop &= self._cleared_on_edit(static)
            if drop.any():
                self.static = static.without(drop)
        self.rule_findings = self.pack.revalidate_rows(self.rule_findings, self.columns, self.context, positions)
        return positions

    @staticmethod
    def _cleared_on_edit(static: Findings) -> np.ndarray:
        codes = static.column("code")
        return np.fromiter(map(CLEARED_ON_EDIT.__contains__, codes.tolist()), bool, len(codes))

    def row_findings(self, row: int) -> list[Finding]:
        return list(self.findings_with_words([row]))

    def findings_with_words(self, rows: Iterable[int]) -> Findings:
        """The findings of these rows (frame positions) as ``findings`` shows them, each with its own
        words: a finding beyond the caps (``UNLISTED``) gets them back by running the row rules again
        on just these rows, without caps (a few milliseconds a row; the window asks for one row, the
        error report and ``check --all-findings`` for a chunk at a time)."""
        positions = np.unique(np.fromiter(rows, np.int64))
        shown = self.findings.for_rows(positions) if len(positions) else Findings.empty()
        if not len(shown) or not np.asarray(shown.column("message") == UNLISTED, dtype=bool).any():
            return shown
        sink = FindingSink(positions)  # no budget: every finding with its words
        ctx = self.context
        sub = self.columns.take(positions)
        for rule in self.pack.rules:
            rule.check(sub, ctx, sink)
        table_codes = frozenset().union(*(t.codes for t in self.pack.table_rules))
        stored = self.rule_findings.for_rows(positions)
        kept = stored.take(np.flatnonzero(np.fromiter(map(table_codes.__contains__, stored.column("code").tolist()),
                                                      bool, len(stored))))
        found, _ = fold_dependents(Findings.concat([self.static.for_rows(positions), sink.findings(), kept]), ROOT_CAUSES)
        hints = hints_from(self.suggestions)
        return _with_hints(found, hints, self.template) if hints and len(found) else found

    def iter_findings_with_words(self, chunk: int = CHUNK) -> Iterator[Findings]:
        """Every finding with its words, file-level ones first, then a chunk of rows at a time (bounded memory)."""
        page = self.register_page_findings()  # the file as Register's upload page reads it (as in ``report``)
        yield Findings.concat([page.file_level(), self.findings.file_level()])
        for start in range(0, self.n_rows, chunk):
            rows = range(start, min(start + chunk, self.n_rows))
            yield Findings.concat([self.findings_with_words(rows), page.for_rows(rows) if len(page) else page])

    # ------------------------------------------------------------------ results
    @property
    def n_rows(self) -> int:
        return self.columns.n

    @property
    def source_rows(self) -> np.ndarray:
        return self.raw.source_rows

    def invalid_row_mask(self) -> np.ndarray:
        return self.findings.invalid_row_mask(self.n_rows)

    def valid_positions(self) -> np.ndarray:
        if self.findings.has_file_errors():
            return np.array([], dtype=np.int64)
        return np.flatnonzero(~self.invalid_row_mask())

    def row(self, position: int) -> dict[str, str]:
        return {name: str(self.columns[name][position]) for name in self.template.names}

    def frame(self) -> pd.DataFrame:
        """The template-shaped table (one str column per field), for export."""
        import pandas as pd

        return pd.DataFrame({name: self.columns[name] for name in self.template.names}, dtype=object)

    def summary(self) -> dict[str, int]:
        f = self.findings
        rows_with_errors = int(self.invalid_row_mask().sum())
        valid = len(self.valid_positions())
        return {"errors": f.error_count, "warnings": f.warning_count,
                "rows_with_errors": rows_with_errors, "valid_rows": valid}

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
        # only the findings with words are listed: split first, so millions beyond the caps are never copied
        listed, unlisted = findings.split_unlisted()
        page = self.register_page_findings()
        if len(page):
            # Register's own file checks come first, in its order; then the app's; cells by row
            first = page.file_level()
            listed = Findings.concat([first, listed, page.without_rows([-1]) if len(first) else page])
            summary["errors"] += page.error_count
            summary["warnings"] += page.warning_count
            summary["rows_with_errors"] = int((findings.invalid_row_mask(self.n_rows)
                                               | page.invalid_row_mask(self.n_rows)).sum())
        folded, folded_unlisted = self.folded_findings.split_unlisted()
        unlisted = _merge_counts(unlisted, folded_unlisted)
        report: dict[str, Any] = {
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
            "findings": listed.sorted().records(self.source_rows, self.pack.csv_wording),
            "value_changes": self.value_change_groups(),
            # the file as Register's own upload page reads it: checked? and how many of the errors are its own
            "as_uploaded": {"checked": self.reads_as_uploaded, "errors": page.error_count},
            "summary": summary,
            "suggestions": [suggestion_record(s) for s in self.suggestions if s.field is not None],
            "folded_findings": folded.sorted().records(self.source_rows, self.pack.csv_wording),
        }
        if unlisted:  # beyond the caps (findings.WORDED_*): counted in the summary, listed here by kind only
            report["unlisted_findings"] = {
                "count": sum(g["count"] for g in unlisted), "per_rule_and_field": unlisted,
                "note": f"The report lists up to {WORDED_PER_RULE_AND_FIELD:,} findings of each kind on each field and "
                        f"{WORDED_IN_ALL:,} in all; 'check FILE --all-findings PATH' writes every one with its message."}
        return report


def _merge_counts(*groups: list[dict[str, Any]]) -> list[dict[str, Any]]:
    total: dict[tuple[Any, ...], int] = {}
    for group in groups:
        for g in group:
            key = (g["code"], g["field"], g["severity"])
            total[key] = total.get(key, 0) + g["count"]
    out = [{"code": c, "field": f, "severity": s, "count": n} for (c, f, s), n in total.items()]
    out.sort(key=lambda g: (-g["count"], g["code"], g["field"] or ""))
    return out


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
