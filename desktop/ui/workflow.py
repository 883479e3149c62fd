"""The window's long-running steps as plain ``fn(progress, token)`` functions (Qt-free).

They drive the same core the command line does: ``MappingDraft.start`` chooses a saved profile
or suggests a mapping and value mapping (the Map step then changes the draft); ``prepare``
builds the session the grid shows;
the export is the core's ``export_register_csv``. Everything here runs in a ``Job``, a test or
the benchmark alike.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from desktop.core.draft import MappingDraft
from desktop.core.export import ExportResult, export_register_csv
from desktop.core.loading import RawTable, read_table
from desktop.core.mapping import Mapping
from desktop.core.profiles import MappingProfile
from desktop.core.progress import CancelToken, Progress
from desktop.core.reference import current_code_lists
from desktop.core.session import ImportSession
from desktop.core.values import ValueOptions
from desktop.validation.codelists import CodeLists

__all__ = ["ExportResult", "Loaded", "Prepared", "export_register_csv", "load", "prepare", "reference_lists",
           "sample_values"]


def reference_lists(version: str) -> CodeLists:
    """The code lists the window checks against: the last ones refreshed from Register, else the
    bundled ones — the same choice ``check``, ``export`` and ``upload`` make."""
    return current_code_lists(version)


@dataclass
class Loaded:
    raw: RawTable
    draft: MappingDraft  # the mapping being decided: a saved profile's, or the suggested one, then the user's
    samples: dict[str, list[str]]  # source header -> first few distinct values

    @property
    def mapping(self) -> Mapping:
        return self.draft.mapping

    @property
    def options(self) -> ValueOptions:
        return self.draft.options

    @property
    def profile(self) -> MappingProfile | None:
        return self.draft.profile


def sample_values(raw: RawTable, limit: int = 3, scan: int = 2000) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for header, column in zip(raw.headers, raw.columns, strict=False):
        seen: list[str] = []
        for value in column[:scan]:
            if value and value not in seen:
                seen.append(str(value))
                if len(seen) == limit:
                    break
        out.setdefault(header, seen)
    return out


def load(path: Path, sheet: str | None, today: dt.date | None = None,
         code_lists: CodeLists | None = None) -> Callable[[Progress, CancelToken], Loaded]:
    def run(progress: Progress, token: CancelToken) -> Loaded:
        progress(0, 0)  # reading has no steps to report: an indeterminate bar
        raw = read_table(path, sheet=sheet)
        token.raise_if_cancelled()
        # the draft chooses exactly as `check` does: a profile made for these headers, else a suggestion
        draft = MappingDraft.start(raw, today=today, code_lists=code_lists)
        token.raise_if_cancelled()
        draft.suggestions()  # what unused columns look like: worked out here, off the window's thread
        return Loaded(raw=raw, draft=draft, samples=sample_values(raw))

    return run


@dataclass
class Prepared:
    session: ImportSession
    originals: dict[tuple[int, str], str] = field(default_factory=dict)  # edited cells' values before the edit
    lost_edits: int = 0  # edits whose row or field no longer exists


def prepare(raw: RawTable, mapping: Mapping, options: ValueOptions, edits: dict[tuple[int, str], str],
            today: dt.date | None, code_lists: CodeLists | None = None) -> Callable[[Progress, CancelToken], Prepared]:
    """A fresh session for ``mapping`` and ``options``, earlier edits re-applied, every row validated."""

    def run(progress: Progress, token: CancelToken) -> Prepared:
        session = ImportSession.from_raw(raw, mapping=mapping, value_options=options, today=today, validate=False,
                                         code_lists=code_lists)
        originals: dict[tuple[int, str], str] = {}
        kept = []
        for (row, name), value in edits.items():
            if name in session.template and 0 <= row < session.n_rows:
                originals[(row, name)] = session.cell(row, name)
                kept.append((row, name, value))
        session.apply_edits(kept)  # before validation: the cells, less the notes they made obsolete
        lost = len(edits) - len(kept)
        token.raise_if_cancelled()
        session.validate(progress, token)
        return Prepared(session=session, originals=originals, lost_edits=lost)

    return run
