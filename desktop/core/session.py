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
from desktop.core.mapping import Mapping, apply_mapping, exact_mapping, header_findings
from desktop.core.progress import CancelToken, Progress, no_progress
from desktop.validation.codelists import CodeLists, bundled_code_lists
from desktop.validation.engine import Columns, RuleContext, RulePack
from desktop.validation.findings import Finding, Findings, FindingSink, Severity
from desktop.validation.packs import get_pack
from desktop.validation.template import DEFAULT_VERSION, Template, load_template

CHUNK = 5000


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
    ) -> ImportSession:
        raw = read_table(path, sheet=sheet, limits=limits)
        return cls.from_raw(raw, mapping=mapping, today=today, template_version=template_version,
                            code_lists=code_lists, validate=validate)

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
    ) -> ImportSession:
        template = load_template(template_version)
        lists = code_lists or bundled_code_lists(template_version)
        session = cls(raw=raw, template=template, code_lists=lists, pack=get_pack(template_version),
                      mapping=mapping or exact_mapping(raw.headers, template),
                      columns=Columns({}, raw.n_rows), today=today)
        session.apply_mapping(session.mapping, validate=validate)
        return session

    def apply_mapping(self, mapping: Mapping, *, validate: bool = True) -> None:
        self.mapping = mapping
        self.columns = apply_mapping(self.raw, mapping, self.template)
        self.static = self._load_findings()
        self.rule_findings = Findings.empty()
        if validate:
            self.validate()

    def _load_findings(self) -> Findings:
        items: list[Finding] = list(header_findings(self.raw, self.mapping, self.template))
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
                sub = self.columns.take(positions)
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
        drop = (static["row"] == row) & (static["field"] == field_name) & (static["code"] == "cell.excel_damage")
        if drop.any():
            self.static = Findings(static[~drop].reset_index(drop=True))
        self.rule_findings = self.pack.revalidate_rows(self.rule_findings, self.columns, self.context, np.array([row]))
        return list(self.findings.for_rows([row]))

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

    def report(self) -> dict[str, Any]:
        """The ``check --format json`` object (a stable interface: extend, don't change)."""
        return {
            "file": str(self.raw.path),
            "sheet": self.raw.sheet,
            "encoding": self.raw.encoding,
            "template_version": self.template.version,
            "reference_data_version": self.code_lists.label,
            "rows": self.n_rows,
            "mapping": self.mapping.as_json_mapping(self.template),
            "findings": self.findings.sorted().records(self.source_rows),
            "summary": self.summary(),
        }
