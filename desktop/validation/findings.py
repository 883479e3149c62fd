"""Findings: one columnar model for every problem found in a file.

Stored as a DataFrame (``row``, ``field``, ``severity``, ``code``, ``message``,
``register_message``, ``value``); ``Finding`` objects are built only for the few shown at once.
``register_message`` is Register's own message (its API's wording); reports add
``register_csv_message``, the wording of Register's CSV upload page (``RulePack.csv_wording``).
``row`` is the frame position (-1 for file-level findings) and ``field`` is None for row- or
file-level findings. Codes are the contract (``cell.*``, ``row.*``, ``header.*``, ``file.*``,
``api.*``); messages may change.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from typing import Any

import numpy as np
import pandas as pd

COLUMNS = ["row", "field", "severity", "code", "message", "register_message", "value"]
NO_ROW = -1

#: how many findings keep their own words: the first of each kind (code) on each field, and in all
#: (a 100,000-row file with every cell wrong has 5 million findings; their words took 3 GB)
WORDED_PER_RULE_AND_FIELD = 10_000
WORDED_IN_ALL = 100_000
#: the message of a finding beyond those caps: its row, field, code, severity and value are exact
#: (counts, the rows with errors, the grid's colours are complete); its own words are made again
#: when asked (``ImportSession.findings_with_words``: a row in the window, the error report,
#: ``check --all-findings``). One shared string, so it costs no memory per finding.
UNLISTED = "(More findings of this kind than a report lists: open the row to see this one's message.)"


class FindingBudget:
    """Which findings keep their words: the first ``per_key`` of each (code, field), at most ``total``."""

    def __init__(self, per_key: int | None = None, total: int | None = None) -> None:
        self.per_key = WORDED_PER_RULE_AND_FIELD if per_key is None else per_key
        self.total = WORDED_IN_ALL if total is None else total
        self.worded = 0
        self.unlisted = 0
        self._used: dict[tuple[str, str | None], int] = {}

    def grant(self, code: str, field: str | None, n: int) -> int:
        """How many of ``n`` new findings of ``code`` on ``field`` keep their words (the first ones)."""
        used = self._used.get((code, field), 0)
        k = max(0, min(n, self.per_key - used, self.total - self.worded))
        self._used[(code, field)] = used + k
        self.worded += k
        self.unlisted += n - k
        return k


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

    def __init__(self, positions: np.ndarray | None = None, budget: FindingBudget | None = None) -> None:
        self._positions = positions
        self._budget = budget
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
        worded = len(vals) if self._budget is None else self._budget.grant(code, field, len(vals))
        if worded < len(vals):  # beyond the caps: the same finding without its words (UNLISTED)
            words = vals[:worded]
            messages: Any = [*([message(v) for v in words] if callable(message) else [message] * worded),
                             *[UNLISTED] * (len(vals) - worded)]
            registers: Any = [*([register(v) for v in words] if callable(register) else [register] * worded),
                              *[None] * (len(vals) - worded)]
        else:
            messages = [message(v) for v in vals] if callable(message) else message
            registers = [register(v) for v in vals] if callable(register) else register
        self._parts.append({
            "row": np.asarray(rows, dtype=np.int64),
            "field": field,
            "severity": str(severity),
            "code": code,
            "message": messages,
            "register_message": registers,
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
        return Findings(_frame(data))


def _frame(data: dict[str, np.ndarray]) -> pd.DataFrame:
    """The findings frame: ``row`` int64, every other column plain object.

    Object, not pandas' inferred ``str`` dtype: that turns a missing ``register_message`` or
    ``field`` (None) into NaN, which reached the JSON report as ``NaN`` and the CSV as "nan".
    The arrays are new, so they are not copied.
    """
    frame = pd.DataFrame({c: data[c] for c in COLUMNS[1:]}, copy=False, dtype=object)
    frame.insert(0, "row", data["row"])
    return frame


@cache
def _empty_frame() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=np.int64 if c == "row" else object) for c in COLUMNS})


class Findings:
    """All findings of a table, columnar."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame

    @classmethod
    def empty(cls) -> Findings:
        # copying a prototype is ~30 times faster than building seven empty Series (a one-row
        # revalidation asks for several empty results)
        return cls(_empty_frame().copy())

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

    def _tuples(self) -> Iterator[tuple[Any, ...]]:
        """The rows as plain tuples in ``COLUMNS`` order (itertuples builds a class on every call)."""
        f = self.frame
        return zip(*(f[c].tolist() if c == "row" else f[c].to_numpy() for c in COLUMNS), strict=True)

    def __iter__(self) -> Iterator[Finding]:
        for row, field, severity, code, message, register_message, value in self._tuples():
            yield Finding(
                code=code, message=message, row=None if row == NO_ROW else int(row),
                field=field, severity=Severity(severity), register_message=register_message, value=value,
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

    def _row_mask(self, rows: Iterable[int]) -> np.ndarray:
        wanted = np.fromiter(rows, np.int64)
        have = self.frame["row"].to_numpy()
        return have == wanted[0] if len(wanted) == 1 else np.isin(have, wanted)

    def for_rows(self, rows: Iterable[int]) -> Findings:
        return Findings(self.frame.take(np.flatnonzero(self._row_mask(rows))).reset_index(drop=True))

    def without_rows(self, rows: Iterable[int]) -> Findings:
        return Findings(self.frame.take(np.flatnonzero(~self._row_mask(rows))).reset_index(drop=True))

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

    def split_unlisted(self) -> tuple[Findings, list[dict[str, Any]]]:
        """(the findings with their words, how many without per code, field and severity: most first)."""
        f = self.frame
        if not len(f):
            return self, []
        unlisted = (f["message"] == UNLISTED).to_numpy()
        if not unlisted.any():
            return self, []
        counts = f[unlisted].groupby(["code", "field", "severity"], sort=False, dropna=False).size()
        groups = [{"code": key[0], "field": _text_or_none(key[1]), "severity": key[2], "count": int(n)}
                  for key, n in counts.items() if isinstance(key, tuple)]
        groups.sort(key=lambda g: (-g["count"], g["code"], g["field"] or ""))
        return Findings(f[~unlisted].reset_index(drop=True)), groups

    def sorted(self) -> Findings:
        order = {"error": 0, "warning": 1, "info": 2}
        f = self.frame.assign(_s=self.frame["severity"].map(order))
        f = f.sort_values(["row", "_s"], kind="stable").drop(columns="_s")
        return Findings(f.reset_index(drop=True))

    def records(self, source_rows: np.ndarray | None = None,
                csv_wording: Callable[[str], str] | None = None) -> list[dict[str, Any]]:
        """Plain dicts for JSON: ``row`` as the spreadsheet row number (None for file level).

        ``register_csv_message`` is what Register's CSV upload page says: ``csv_wording`` of the
        API's ``register_message`` (the rule pack's; the same text when not given).
        """
        frame_rows = self.frame["row"].to_numpy()
        shown: list[int | None] = frame_rows.tolist()
        if source_rows is not None and len(source_rows):
            inside = (frame_rows >= 0) & (frame_rows < len(source_rows))
            spreadsheet = np.where(inside, np.asarray(source_rows)[np.where(inside, frame_rows, 0)], frame_rows)
            shown = spreadsheet.tolist()
        for i in np.flatnonzero(frame_rows == NO_ROW).tolist():
            shown[i] = None
        wording = _memo(csv_wording)
        api = [_text_or_none(m) for m in self.frame["register_message"].to_numpy()]
        page = [None if m is None else wording(m) for m in api]
        return [
            {"row": row, "field": _text_or_none(field), "severity": severity, "code": code, "message": message,
             "register_message": a, "register_csv_message": p, "value": _text_or_none(value)}
            for row, (_, field, severity, code, message, _, value), a, p in zip(shown, self._tuples(), api, page, strict=True)
        ]


def _memo(fn: Callable[[str], str] | None) -> Callable[[str], str]:
    """``fn`` once per distinct text (a file's findings repeat a few dozen messages)."""
    if fn is None:
        return str
    seen: dict[str, str] = {}

    def once(text: str) -> str:
        hit = seen.get(text)
        if hit is None:
            hit = seen[text] = fn(text)
        return hit
    return once


def fold_dependents(findings: Findings, roots: frozenset[str]) -> tuple[Findings, Findings]:
    """One root cause per cell: findings on a cell that also carries a ``roots`` finding are folded
    under it (a HESA ID Excel wrote as ``2.61149E+16`` is not also "11 characters long" and "not
    a number"). Returns (what to show and count, what was folded); the root's message says how
    many it explains."""
    frame = findings.frame
    if not len(frame):
        return findings, Findings.empty()
    codes = frame["code"].to_numpy(dtype=object)
    is_root = np.isin(codes, list(roots))
    if not is_root.any():
        return findings, Findings.empty()
    rows = frame["row"].to_numpy()
    fields = frame["field"].to_numpy(dtype=object)
    root_cells = {(int(r), f) for r, f in zip(rows[is_root], fields[is_root], strict=True) if f is not None and r >= 0}
    if not root_cells:
        return findings, Findings.empty()
    candidates = np.flatnonzero(~is_root & np.isin(rows, [r for r, _ in root_cells]))
    dependent = np.zeros(len(frame), dtype=bool)
    per_cell: dict[tuple[int, str], int] = {}
    for i in candidates.tolist():
        cell = (int(rows[i]), fields[i])
        if cell in root_cells:
            dependent[i] = True
            per_cell[cell] = per_cell.get(cell, 0) + 1
    if not dependent.any():
        return findings, Findings.empty()
    kept = frame[~dependent].reset_index(drop=True)
    messages = kept["message"].to_numpy(dtype=object).copy()
    kept_codes = kept["code"].to_numpy(dtype=object)
    kept_rows = kept["row"].to_numpy()
    kept_fields = kept["field"].to_numpy(dtype=object)
    for i in np.flatnonzero(np.isin(kept_codes, list(roots))).tolist():
        n = per_cell.get((int(kept_rows[i]), kept_fields[i]), 0)
        if n:
            other = "problem" if n == 1 else f"{n} problems"
            messages[i] = f"{messages[i]} The other {other} found in this cell come{'s' if n == 1 else ''} from this " \
                          "and go{} away when it is fixed.".format("es" if n == 1 else "")
    kept = kept.assign(message=messages)
    return Findings(kept), Findings(frame[dependent].reset_index(drop=True))


def _text_or_none(value: object) -> str | None:
    """None for a missing value (None, or the NaN pandas may put in its place), else its text."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    return value if isinstance(value, str) else str(value)
