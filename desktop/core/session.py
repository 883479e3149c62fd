"""ImportSession: the one object both front ends drive (open, map, validate, edit, export, upload).

It holds the source table, the mapping, the template-shaped columns of text and the findings.
Findings come from two places: those fixed at load time (damaged cells, extra cells, headers)
and those of the rule pack, which are recomputed on validation and per edited row.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from desktop.core.loading import DEFAULT_LIMITS, Limits, RawTable, read_table
from desktop.core.mapping import Mapping, apply_mapping, exact_mapping, header_findings, suggest_mapping
from desktop.core.profiles import LoadedProfile, MappingProfile, ProfileStore, choose_mapping
from desktop.core.progress import CancelToken, Progress, no_progress
from desktop.core.reference import current_code_lists
from desktop.core.values import CODE as VALUE_MAPPED
from desktop.core.values import KINDS, ValueMapper, ValueOptions, ValueRow, split_pieces
from desktop.validation.codelists import CodeLists
from desktop.validation.engine import Columns, RuleContext, RulePack
from desktop.validation.findings import Finding, Findings, FindingSink, Severity
from desktop.validation.packs import get_pack
from desktop.validation.template import DEFAULT_VERSION, Template, load_template

# rows checked per step: big enough that each rule's fixed cost is spread thin (per-value
# helpers factorise a field once a chunk), small enough for progress and cancel every ~0.2 s
CHUNK = 20_000

#: static findings about a cell that an edit of that cell makes obsolete
CLEARED_ON_EDIT = ("cell.excel_damage", VALUE_MAPPED)

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
    ) -> ImportSession:
        """Read a file and map it: ``mapping`` if given, else ``profile``, else a saved profile made
        for exactly these headers (``auto_profile``), else the suggested mapping.

        Values are mapped (``ValueOptions``) when ``map_values`` is True, or, when it is None,
        whenever the headers are not the template's own: a file in Register's template is
        checked exactly as Register would read it.
        """
        raw = read_table(path, sheet=sheet, limits=limits)
        return cls.from_raw(raw, mapping=mapping, today=today, template_version=template_version,
                            code_lists=code_lists, validate=validate, profile=profile, map_values=map_values,
                            value_options=value_options, profiles=profiles, auto_profile=auto_profile)

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
    ) -> ImportSession:
        template = load_template(template_version)
        lists = code_lists or current_code_lists(template_version)  # refreshed from Register, else bundled
        chosen_profile = None
        if mapping is None:
            exact = exact_mapping(raw.headers, template)
            if all(exact.columns.values()):  # every template column present: nothing to suggest
                choice = choose_mapping(raw.headers, lambda: exact, template, profile=profile, store=profiles,
                                        auto_profile=auto_profile)
            else:
                choice = choose_mapping(raw.headers, lambda: suggest_mapping(raw, template, lists), template,
                                        profile=profile, store=profiles, auto_profile=auto_profile)
            mapping, chosen_profile = choice.mapping, choice.profile
            if value_options is None and choice.value_options is not None and map_values is not False:
                value_options = choice.value_options
        if value_options is None:
            wanted = (not mapping.is_template_exact) if map_values is None else map_values
            value_options = ValueOptions() if wanted else ValueOptions.off()
        session = cls(raw=raw, template=template, code_lists=lists, pack=get_pack(template_version),
                      mapping=mapping, columns=Columns({}, raw.n_rows), today=today,
                      value_options=value_options, profile=chosen_profile)
        session.apply_mapping(session.mapping, validate=validate)
        return session

    def apply_mapping(self, mapping: Mapping, *, validate: bool = True, value_options: ValueOptions | None = None) -> None:
        """Map the source again (a changed mapping or value map): columns, load-time findings, rules."""
        self.mapping = mapping
        if value_options is not None:
            self.value_options = value_options
        columns = apply_mapping(self.raw, mapping, self.template)
        value_findings = Findings.empty()
        if self.value_options.any_enabled:
            columns, value_findings = self.value_mapper().apply(columns)
        self.columns = columns
        self.static = Findings.concat([self._load_findings(), value_findings])
        self.rule_findings = Findings.empty()
        if validate:
            self.validate()

    # ------------------------------------------------------------------ value mapping (for the window)
    def value_mapper(self) -> ValueMapper:
        return ValueMapper(self.template, self.code_lists, self.value_options, self.today)

    def value_rows(self, field_name: str) -> list[ValueRow]:
        """Distinct values of the column mapped to ``field_name``, with counts and what each becomes."""
        source = self.mapping.columns.get(field_name)
        if source is None or source not in self.raw.headers:
            return []
        return self.value_mapper().value_rows(field_name, self.raw.column(source).tolist())

    def set_user_value(self, field_name: str, source_value: str, code: str | None, *, validate: bool = True) -> None:
        """The user's choice for one source value of a field (``None`` forgets it); maps again."""
        if field_name not in self.template:
            raise KeyError(field_name)
        options = self.value_options.with_user_value(field_name, source_value, code)
        if "user" in options.disabled:
            options = ValueOptions(disabled=options.disabled - {"user"}, user_maps=options.user_maps)
        self.apply_mapping(self.mapping, validate=validate, value_options=options)

    def to_profile(self, name: str, description: str = "") -> MappingProfile:
        """The mapping and value map in force, as a profile to save or share."""
        return MappingProfile.from_mapping(name, self.mapping, self.raw.headers, options=self.value_options,
                                           description=description)

    def suggested_profile(self, name: str, description: str = "", limit: int = 500) -> MappingProfile:
        """A profile to review: the mapping, plus for every code field each distinct source value that
        is not a code with the code it would become (``None`` where we cannot tell: fill it in)."""
        mapper = ValueMapper(self.template, self.code_lists, ValueOptions(user_maps=self.value_options.user_maps,
                                                                          disabled=frozenset({"split"})), self.today)
        values: dict[str, dict[str, str | None]] = {}
        for f in self.template.fields:
            source = self.mapping.columns.get(f.name)
            code_list = mapper.code_list(f.name)
            if source is None or code_list is None or source not in self.raw.headers:
                continue
            distinct: dict[str, None] = {}
            for v in self.raw.column(source).tolist():
                if f.code_list == "disability" and v and v not in code_list.codes and mapper.change(f.name, v) is None:
                    for piece in split_pieces(v):
                        distinct.setdefault(piece)
                else:
                    distinct.setdefault(v)
            entries: dict[str, str | None] = {}
            for v in distinct:
                if not v or v in code_list.codes:
                    continue
                change = mapper.change(f.name, v)
                entries[v] = change.after if change is not None else None
                if len(entries) >= limit:
                    break
            if entries:
                values[f.name] = entries
        return MappingProfile.from_mapping(name, self.mapping, self.raw.headers, options=self.value_options,
                                           values=values, description=description)

    def value_change_groups(self) -> list[dict[str, Any]]:
        """Each distinct value change once: field, before, message and the spreadsheet rows, most cells first."""
        f = self.static.frame
        changed = f[f["code"] == VALUE_MAPPED]
        if not len(changed):
            return []
        rows = self.source_rows[changed["row"].to_numpy()]
        groups = changed.assign(source_row=rows).groupby(["field", "value", "message"], sort=False)["source_row"]
        out: list[dict[str, Any]] = [{"field": k[0], "value": k[1], "message": k[2], "count": len(v), "rows": [int(r) for r in v]}
               for k, v in groups]
        out.sort(key=lambda g: (-g["count"], g["field"], g["value"]))
        return out

    def value_change_counts(self) -> dict[str, int]:
        f = self.static.frame
        changed = f[f["code"] == VALUE_MAPPED]
        return {str(k): int(v) for k, v in changed.groupby("field").size().items()}

    def _load_findings(self) -> Findings:
        items: list[Finding] = list(header_findings(self.raw, self.mapping, self.template))
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
        if n <= CHUNK:
            findings = self.pack.validate(self.columns, ctx)
        else:
            # row rules by chunk, table rules once over the whole table
            sink_parts = []
            for start in range(0, n, CHUNK):
                if token is not None:
                    token.raise_if_cancelled()
                positions = np.arange(start, min(start + CHUNK, n))
                sub = self.columns.slice(start, start + CHUNK)  # views, not copies
                sink = FindingSink(positions)
                for rule in self.pack.rules:
                    rule.check(sub, ctx, sink)
                sink_parts.append(sink.findings())
                progress(min(start + CHUNK, n), n)
            tsink = FindingSink()
            for trule in self.pack.table_rules:
                trule.check(self.columns, ctx, tsink)
            sink_parts.append(tsink.findings())
            findings = Findings.concat(sink_parts)
        progress(n, n)
        self.rule_findings = findings
        return self.findings

    @property
    def findings(self) -> Findings:
        return Findings.concat([self.static, self.rule_findings])

    def edit_cell(self, row: int, field_name: str, value: str) -> list[Finding]:
        """Change one cell (trimmed) and revalidate its row; returns the row's findings."""
        if field_name not in self.template:
            raise KeyError(field_name)
        self.columns[field_name][row] = value.strip()
        self.columns.invalidate()
        static = self.static.frame
        drop = (static["row"] == row) & (static["field"] == field_name) & static["code"].isin(CLEARED_ON_EDIT)
        if drop.any():
            self.static = Findings(static[~drop].reset_index(drop=True))
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
        static = self.static.frame
        if len(static):
            edited = {(int(r), f) for r, f, _ in changes}
            drop = np.fromiter(((int(r), f) in edited for r, f in zip(static["row"], static["field"], strict=True)),
                               bool, len(static)) & static["code"].isin(CLEARED_ON_EDIT).to_numpy()
            if drop.any():
                self.static = Findings(static[~drop].reset_index(drop=True))
        self.rule_findings = self.pack.revalidate_rows(self.rule_findings, self.columns, self.context, positions)
        return positions

    def row_findings(self, row: int) -> list[Finding]:
        return list(self.findings.for_rows([row]))

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
            frame = findings.frame
            findings = Findings(frame[frame["code"] != VALUE_MAPPED].reset_index(drop=True))
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
            "findings": findings.sorted().records(self.source_rows),
            "value_changes": self.value_change_groups(),
            "summary": self.summary(),
        }
