"""Findings: one columnar model for every problem found in a file.

Stored as a DataFrame (``row``, ``field``, ``severity``, ``code``, ``message``,
``register_message``, ``value``); ``Finding`` objects are built only for the few shown at once.
``row`` is the frame position (-1 for file-level findings) and ``field`` is None for row- or
file-level findings. Codes are the contract (``cell.*``, ``row.*``, ``header.*``, ``file.*``,
``api.*``); messages may change.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import numpy as np
import pandas as pd

COLUMNS = ["row", "field", "severity", "code", "message", "register_message", "value"]
NO_ROW = -1


class Severity(StrEnum):
    ERROR = "error"  # Register would reject the row: blocks its upload
    WARNING = "warning"  # Register accepts it but silently drops or changes data, or it looks wrong
    INFO = "info"  # something the app changed or could not check


@dataclass(frozen=True, slots=True)
class Finding:
    code: str
    message: str
    row: int | None = None
    field: str | None = None
    severity: Severity = Severity.ERROR
    register_message: str | None = None
    value: object = None

    def to_dict(self, source_row: int | None = None) -> dict[str, Any]:
        return {
            "row": source_row if source_row is not None else self.row,
            "field": self.field,
            "severity": str(self.severity),
            "code": self.code,
            "message": self.message,
            "register_message": self.register_message,
            "value": self.value,
        }


Text = str | Callable[[str], str] | None


class FindingSink:
    """Collects findings rule by rule, columnar, and builds ``Findings`` once at the end.

    ``positions`` maps the local index of the columns being checked to frame rows (a one-row
    revalidation checks local row 0, which is frame row ``positions[0]``).
    """

    def __init__(self, positions: np.ndarray | None = None) -> None:
        self._positions = positions
        self._parts: list[dict[str, Any]] = []

    def add(
        self,
        mask: np.ndarray,
        values: np.ndarray,
        *,
        field: str | None,
        code: str,
        message: Text,
        register: Text = None,
        severity: Severity = Severity.ERROR,
    ) -> None:
        """Record one finding for each True in ``mask`` (values: the offending cells)."""
        idx = np.flatnonzero(mask)
        if idx.size == 0:
            return
        vals = [values[i] for i in idx]
        rows = self._positions[idx] if self._positions is not None else idx
        self._parts.append({
            "row": np.asarray(rows, dtype=np.int64),
            "field": field,
            "severity": str(severity),
            "code": code,
            "message": [message(v) for v in vals] if callable(message) else message,
            "register_message": [register(v) for v in vals] if callable(register) else register,
            "value": vals,
        })

    def add_one(self, finding: Finding) -> None:
        row = NO_ROW if finding.row is None else finding.row
        if finding.row is not None and self._positions is not None:
            row = int(self._positions[finding.row])
        self._parts.append({
            "row": np.asarray([row], dtype=np.int64), "field": finding.field, "severity": str(finding.severity),
            "code": finding.code, "message": finding.message, "register_message": finding.register_message,
            "value": [finding.value],
        })

    def findings(self) -> Findings:
        if not self._parts:
            return Findings.empty()
        frames = []
        for part in self._parts:
            n = len(part["row"])
            frames.append({k: (v if isinstance(v, (list, np.ndarray)) else [v] * n) for k, v in part.items()})
        data = {c: np.concatenate([np.asarray(f[c], dtype=object if c != "row" else np.int64) for f in frames]) for c in COLUMNS}
        return Findings(pd.DataFrame(data, columns=COLUMNS))


class Findings:
    """All findings of a table, columnar."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame

    @classmethod
    def empty(cls) -> Findings:
        return cls(pd.DataFrame({c: pd.Series(dtype=np.int64 if c == "row" else object) for c in COLUMNS}))

    @classmethod
    def of(cls, findings: Iterable[Finding]) -> Findings:
        sink = FindingSink()
        for f in findings:
            sink.add_one(f)
        return sink.findings()

    @classmethod
    def concat(cls, parts: Iterable[Findings]) -> Findings:
        frames = [p.frame for p in parts if len(p.frame)]
        if not frames:
            return cls.empty()
        return cls(pd.concat(frames, ignore_index=True))

    def __len__(self) -> int:
        return len(self.frame)

    def __iter__(self) -> Iterator[Finding]:
        for rec in self.frame.itertuples(index=False):
            yield Finding(
                code=rec.code, message=rec.message, row=None if rec.row == NO_ROW else int(rec.row),
                field=rec.field, severity=Severity(rec.severity), register_message=rec.register_message,
                value=rec.value,
            )

    def count(self, severity: Severity) -> int:
        return int((self.frame["severity"] == str(severity)).sum())

    @property
    def error_count(self) -> int:
        return self.count(Severity.ERROR)

    @property
    def warning_count(self) -> int:
        return self.count(Severity.WARNING)

    def codes(self) -> set[str]:
        return set(self.frame["code"])

    def rows_with(self, severity: Severity = Severity.ERROR) -> np.ndarray:
        f = self.frame
        rows = f.loc[(f["severity"] == str(severity)) & (f["row"] != NO_ROW), "row"].to_numpy()
        return np.unique(rows)

    def invalid_row_mask(self, n_rows: int) -> np.ndarray:
        mask = np.zeros(n_rows, dtype=bool)
        rows = self.rows_with(Severity.ERROR)
        mask[rows[rows < n_rows]] = True
        return mask

    def file_level(self) -> Findings:
        return Findings(self.frame[self.frame["row"] == NO_ROW].reset_index(drop=True))

    def has_file_errors(self) -> bool:
        f = self.frame
        return bool(((f["row"] == NO_ROW) & (f["severity"] == str(Severity.ERROR))).any())

    def for_rows(self, rows: Iterable[int]) -> Findings:
        return Findings(self.frame[self.frame["row"].isin(list(rows))].reset_index(drop=True))

    def without_rows(self, rows: Iterable[int]) -> Findings:
        return Findings(self.frame[~self.frame["row"].isin(list(rows))].reset_index(drop=True))

    def where(self, **equals: Any) -> Findings:
        f = self.frame
        mask = np.ones(len(f), dtype=bool)
        for col, val in equals.items():
            mask &= (f[col] == val).to_numpy()
        return Findings(f[mask].reset_index(drop=True))

    def cell_findings(self) -> Iterator[Finding]:
        """Findings attached to a cell (row and field known)."""
        f = self.frame
        return iter(Findings(f[(f["row"] != NO_ROW) & f["field"].notna()]))

    def by_code(self) -> pd.DataFrame:
        """Counts per (code, severity), most frequent first."""
        if not len(self.frame):
            return pd.DataFrame({"code": [], "severity": [], "count": []})
        g = self.frame.groupby(["code", "severity"], sort=False).size().reset_index(name="count")
        return g.sort_values("count", ascending=False, kind="stable").reset_index(drop=True)

    def sorted(self) -> Findings:
        order = {"error": 0, "warning": 1, "info": 2}
        f = self.frame.assign(_s=self.frame["severity"].map(order))
        f = f.sort_values(["row", "_s"], kind="stable").drop(columns="_s")
        return Findings(f.reset_index(drop=True))

    def records(self, source_rows: np.ndarray | None = None) -> list[dict[str, Any]]:
        """Plain dicts for JSON: ``row`` as the spreadsheet row number (None for file level)."""
        out = []
        for rec in self.frame.itertuples(index=False):
            row: int | None
            if rec.row == NO_ROW:
                row = None
            elif source_rows is not None and 0 <= rec.row < len(source_rows):
                row = int(source_rows[rec.row])
            else:
                row = int(rec.row)
            out.append({
                "row": row, "field": rec.field, "severity": rec.severity, "code": rec.code,
                "message": rec.message, "register_message": rec.register_message,
                "value": None if rec.value is None else str(rec.value),
            })
        return out
