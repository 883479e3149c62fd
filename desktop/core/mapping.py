"""Column mapping: which source column feeds which template field.

This module holds the mapping model and exact matching of template headers (any case, any
order). Suggestions for other headers, value mapping and profiles build on it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from desktop.core.loading import RawTable
from desktop.validation.engine import Columns
from desktop.validation.findings import Finding, Severity
from desktop.validation.template import Template


def normalise_header(text: str) -> str:
    return re.sub(r"[\s_\-]+", "_", text.strip().lower()).strip("_")


@dataclass
class Mapping:
    """template field -> source header (None: not mapped), for one template version."""

    template_version: str
    columns: dict[str, str | None] = field(default_factory=dict)
    confidence: dict[str, float] = field(default_factory=dict)

    def source_for(self, field_name: str) -> str | None:
        return self.columns.get(field_name)

    def as_json_mapping(self, template: Template) -> dict[str, str | None]:
        return {name: self.columns.get(name) for name in template.names}


def exact_mapping(headers: list[str], template: Template) -> Mapping:
    """Map headers equal to a template name, ignoring case and surrounding spaces."""
    wanted = {name.lower(): name for name in template.names}
    columns: dict[str, str | None] = dict.fromkeys(template.names)
    confidence: dict[str, float] = {}
    for header in headers:
        name = wanted.get(header.strip().lower())
        if name is not None and columns[name] is None:
            columns[name] = header
            confidence[name] = 1.0
    return Mapping(template.version, columns, confidence)


def header_findings(raw: RawTable, mapping: Mapping, template: Template) -> list[Finding]:
    """File-level findings about the columns: missing, duplicated and unmapped headers."""
    out: list[Finding] = []
    seen: dict[str, int] = {}
    for h in raw.headers:
        seen[h.strip().lower()] = seen.get(h.strip().lower(), 0) + 1
    for h, count in seen.items():
        if count > 1 and h:
            out.append(Finding(code="header.duplicate", severity=Severity.ERROR, value=h,
                               message=f"The column '{h}' appears {count} times. Only the first is used: "
                                       "delete or rename the others so no data is lost by mistake."))
    if any(not h for h in raw.headers):
        out.append(Finding(code="header.blank", severity=Severity.WARNING, value="",
                           message="A column has no header; its cells are ignored. Give it a header if it holds data."))
    mapped_sources = {s for s in mapping.columns.values() if s is not None}
    for f in template.fields:
        if mapping.columns.get(f.name) is None:
            sev = Severity.ERROR if f.mandatory else Severity.WARNING
            what = "Register needs it for every trainee" if f.mandatory else "its cells will be sent empty"
            out.append(Finding(code="header.missing", severity=sev, field=f.name, value=None,
                               message=f"No column is mapped to {f.name} ({f.label}): {what}.",
                               register_message=f"Your file is missing the following columns: '{f.name}'"))
    for h in raw.headers:
        if h and h not in mapped_sources:
            out.append(Finding(code="header.unmapped", severity=Severity.WARNING, value=h,
                               message=f"The column '{h}' is not mapped to any template field; it will not be sent."))
    return out


def apply_mapping(raw: RawTable, mapping: Mapping, template: Template) -> Columns:
    """One column per template field, every cell a str ("" where nothing is mapped)."""
    index: dict[str, int] = {}
    for i, h in enumerate(raw.headers):
        index.setdefault(h, i)
    data = {}
    for name in template.names:
        source = mapping.columns.get(name)
        if source is not None and source in index:
            data[name] = raw.columns[index[source]].copy()
        else:
            data[name] = np.full(raw.n_rows, "", dtype=object)
    return Columns(data, raw.n_rows)
