"""Findings: one columnar model for every problem found in a file.

Stored as columns (``row``, ``field``, ``severity``, ``code``, ``message``,
``register_message``, ``value``): ``row`` an int64 array, every other column a plain object
array; ``Finding`` objects are built only for the few shown at once. ``register_message`` is
Register's own message (its API's wording); reports add ``register_csv_message``, the wording of
Register's CSV upload page (``RulePack.csv_wording``). ``row`` is the frame position (-1 for
file-level findings) and ``field`` is None for row- or file-level findings. Codes are the
contract (``cell.*``, ``row.*``, ``header.*``, ``file.*``, ``api.*``); messages may change.

Numpy only: importing pandas costs a command-line check more than checking thousands of rows
(issue 16). ``Findings.frame`` still gives a pandas DataFrame, built on first use, for code that
wants one (tests, reports); nothing on the check or edit path asks for it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

COLUMNS = ["row", "field", "severity", "code", "message", "register_message", "value"]
NO_ROW = -1
_SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}

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


def object_array(values: Any, n: int | None = None) -> np.ndarray:
    """A 1-D object array of ``values`` (a list, array or one value repeated ``n`` times);
    never lets numpy turn a list of tuples or lists into a 2-D array."""
    if n is not None and not isinstance(values, (list, tuple, np.ndarray)):
        out = np.empty(n, dtype=object)
        out.fill(values)
        return out
    if isinstance(values, np.ndarray) and values.dtype == object and values.ndim == 1:
        return values
    items = values.tolist() if isinstance(values, np.ndarray) else values if isinstance(values, (list, tuple)) else list(values)
    return np.fromiter(items, object, len(items))  # item by item: a tuple stays one item


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
        vals = [values[i] for i in idx.tolist()]
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
        data: dict[str, np.ndarray] = {"row": np.concatenate([p["row"] for p in self._parts])}
        for c in COLUMNS[1:]:
            data[c] = np.concatenate([object_array(p[c], len(p["row"])) for p in self._parts])
        return Findings(data)


class Findings:
    """All findings of a table, columnar (see the module's docstring). Treat as immutable:
    every method returns new ``Findings``."""

    __slots__ = ("_c", "_frame")

    def __init__(self, data: Mapping[str, Any] | pd.DataFrame) -> None:
        if isinstance(data, Mapping):
            n = len(data["row"])
            cols = {"row": np.asarray(data["row"], dtype=np.int64)}
            for c in COLUMNS[1:]:
                cols[c] = object_array(data.get(c), n)
        else:  # a pandas DataFrame with the columns of COLUMNS
            cols = {"row": data["row"].to_numpy(dtype=np.int64)}
            for c in COLUMNS[1:]:
                cols[c] = object_array(data[c].to_numpy(dtype=object))
        self._c: dict[str, np.ndarray] = cols
        self._frame: pd.DataFrame | None = None

    @classmethod
    def empty(cls) -> Findings:
        return cls({"row": np.empty(0, dtype=np.int64)})

    @classmethod
    def of(cls, findings: Iterable[Finding]) -> Findings:
        sink = FindingSink()
        for f in findings:
            sink.add_one(f)
        return sink.findings()

    @classmethod
    def concat(cls, parts: Iterable[Findings]) -> Findings:
        full = [p for p in parts if len(p)]
        if not full:
            return cls.empty()
        if len(full) == 1:
            return full[0]
        return cls({c: np.concatenate([p._c[c] for p in full]) for c in COLUMNS})

    @classmethod
    def concat_consuming(cls, parts: list[Findings]) -> Findings:
        """``concat`` of parts no one else holds (a validation's chunks): each column is joined, then
        dropped from the parts, so the peak is the result and one column, not twice every column (a
        check with 5 million findings: 250 MB less). The parts are left empty."""
        full = [p for p in parts if len(p)]
        if len(full) <= 1:
            return full[0] if full else cls.empty()
        out: dict[str, np.ndarray] = {}
        for c in reversed(COLUMNS):  # "row" last: len() of a part reads it
            out[c] = np.concatenate([p._c[c] for p in full])
            for p in full:
                p._c[c] = np.empty(0, dtype=p._c[c].dtype)  # not a slice: a view would keep the column alive
        parts.clear()
        return cls(out)

    # ------------------------------------------------------------------ columns
    def column(self, name: str) -> np.ndarray:
        """One column (``row`` int64, the others object); read-only by agreement."""
        return self._c[name]

    @property
    def rows(self) -> np.ndarray:
        return self._c["row"]

    @property
    def frame(self) -> pd.DataFrame:
        """The findings as a pandas DataFrame (built once, on first use; a copy of the columns)."""
        if self._frame is None:
            import pandas as pd

            frame = pd.DataFrame({c: self._c[c].copy() for c in COLUMNS[1:]}, copy=False, dtype=object)
            frame.insert(0, "row", self._c["row"].copy())
            self._frame = frame
        return self._frame

    def __len__(self) -> int:
        return len(self._c["row"])

    def take(self, positions: np.ndarray) -> Findings:
        """The findings at these positions (in this order)."""
        return Findings({c: v[positions] for c, v in self._c.items()})

    def with_column(self, name: str, values: np.ndarray) -> Findings:
        """These findings with one column replaced (same length)."""
        return Findings({**self._c, name: values})

    def _select(self, mask: np.ndarray) -> Findings:
        return self if mask.all() else self.take(np.flatnonzero(mask))

    def _tuples(self) -> Iterator[tuple[Any, ...]]:
        """The rows as plain tuples in ``COLUMNS`` order."""
        return zip(*(self._c[c].tolist() for c in COLUMNS), strict=True)

    def __iter__(self) -> Iterator[Finding]:
        for row, field, severity, code, message, register_message, value in self._tuples():
            yield Finding(
                code=code, message=message, row=None if row == NO_ROW else int(row),
                field=field, severity=Severity(severity), register_message=register_message, value=value,
            )

    # ------------------------------------------------------------------ questions
    def severity_is(self, severity: Severity) -> np.ndarray:
        return np.asarray(self._c["severity"] == str(severity), dtype=bool)

    def code_is(self, code: str) -> np.ndarray:
        return np.asarray(self._c["code"] == code, dtype=bool)

    def count(self, severity: Severity) -> int:
        return int(self.severity_is(severity).sum())

    @property
    def error_count(self) -> int:
        return self.count(Severity.ERROR)

    @property
    def warning_count(self) -> int:
        return self.count(Severity.WARNING)

    def codes(self) -> set[str]:
        return set(self._c["code"].tolist())

    def rows_with(self, severity: Severity = Severity.ERROR) -> np.ndarray:
        rows = np.sort(self._c["row"][self.severity_is(severity) & (self._c["row"] != NO_ROW)])
        # np.unique would import numpy.ma (start-up time) for this
        return rows[np.concatenate(([True], rows[1:] != rows[:-1]))] if len(rows) else rows

    def invalid_row_mask(self, n_rows: int) -> np.ndarray:
        mask = np.zeros(n_rows, dtype=bool)
        rows = self._c["row"][self.severity_is(Severity.ERROR)]
        mask[rows[(rows >= 0) & (rows < n_rows)]] = True
        return mask

    def file_level(self) -> Findings:
        return self._select(self._c["row"] == NO_ROW)

    def has_file_errors(self) -> bool:
        return bool(((self._c["row"] == NO_ROW) & self.severity_is(Severity.ERROR)).any())

    def _row_mask(self, rows: Iterable[int]) -> np.ndarray:
        wanted = np.fromiter(rows, np.int64)
        have = self._c["row"]
        return have == wanted[0] if len(wanted) == 1 else np.isin(have, wanted)

    def for_rows(self, rows: Iterable[int]) -> Findings:
        return self._select(self._row_mask(rows))

    def without_rows(self, rows: Iterable[int]) -> Findings:
        return self._select(~self._row_mask(rows))

    def without(self, mask: np.ndarray) -> Findings:
        """These findings less those where ``mask`` is True."""
        return self._select(~np.asarray(mask, dtype=bool))

    def where(self, **equals: Any) -> Findings:
        mask = np.ones(len(self), dtype=bool)
        for col, val in equals.items():
            mask &= np.asarray(self._c[col] == val, dtype=bool)
        return self._select(mask)

    def cell_findings(self) -> Iterator[Finding]:
        """Findings attached to a cell (row and field known)."""
        has_field = np.fromiter((f is not None and f == f for f in self._c["field"].tolist()), bool, len(self))
        return iter(self._select((self._c["row"] != NO_ROW) & has_field))

    def split_unlisted(self) -> tuple[Findings, list[dict[str, Any]]]:
        """(the findings with their words, how many without per code, field and severity: most first)."""
        from collections import Counter

        messages = self._c["message"]
        unlisted = np.asarray(messages == UNLISTED, dtype=bool) if len(messages) else np.zeros(0, dtype=bool)
        if not unlisted.any():
            return self, []
        c = self._c
        counts: Counter[tuple[Any, Any, Any]] = Counter()
        where = np.flatnonzero(unlisted)
        for start in range(0, len(where), 500_000):  # a slice at a time: millions of them cost no copy
            at = where[start:start + 500_000]
            counts.update(zip(c["code"][at].tolist(), c["field"][at].tolist(), c["severity"][at].tolist(), strict=True))
        groups = [{"code": code, "field": _text_or_none(field), "severity": severity, "count": n}
                  for (code, field, severity), n in counts.items()]
        groups.sort(key=lambda g: (-g["count"], g["code"], g["field"] or ""))
        return self._select(~unlisted), groups

    def sorted(self) -> Findings:
        """By row (file-level first), then errors, warnings, infos; otherwise in their order."""
        rank = np.fromiter(map(_SEVERITY_ORDER.get, self._c["severity"].tolist()), np.int64, len(self))
        return self.take(np.lexsort((rank, self._c["row"])))

    def records(self, source_rows: np.ndarray | None = None,
                csv_wording: Callable[[str], str] | None = None) -> list[dict[str, Any]]:
        """Plain dicts for JSON: ``row`` as the spreadsheet row number (None for file level).

        ``register_csv_message`` is what Register's CSV upload page says: ``csv_wording`` of the
        API's ``register_message`` (the rule pack's; the same text when not given).
        """
        frame_rows = self._c["row"]
        shown: list[int | None] = frame_rows.tolist()
        if source_rows is not None and len(source_rows):
            inside = (frame_rows >= 0) & (frame_rows < len(source_rows))
            spreadsheet = np.where(inside, np.asarray(source_rows)[np.where(inside, frame_rows, 0)], frame_rows)
            shown = spreadsheet.tolist()
        for i in np.flatnonzero(frame_rows == NO_ROW).tolist():
            shown[i] = None
        wording = _memo(csv_wording)
        api = [_text_or_none(m) for m in self._c["register_message"].tolist()]
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
    if not len(findings):
        return findings, Findings.empty()
    codes = findings.column("code")
    is_root = np.fromiter(map(roots.__contains__, codes.tolist()), bool, len(codes))
    if not is_root.any():
        return findings, Findings.empty()
    rows = findings.rows
    fields = findings.column("field")
    root_cells = {(int(r), f) for r, f in zip(rows[is_root], fields[is_root], strict=True) if f is not None and r >= 0}
    if not root_cells:
        return findings, Findings.empty()
    candidates = np.flatnonzero(~is_root & np.isin(rows, [r for r, _ in root_cells]))
    dependent = np.zeros(len(findings), dtype=bool)
    per_cell: dict[tuple[int, str], int] = {}
    for i in candidates.tolist():
        cell = (int(rows[i]), fields[i])
        if cell in root_cells:
            dependent[i] = True
            per_cell[cell] = per_cell.get(cell, 0) + 1
    if not dependent.any():
        return findings, Findings.empty()
    kept = findings.without(dependent)
    messages = kept.column("message").copy()
    kept_codes, kept_rows, kept_fields = kept.column("code"), kept.rows, kept.column("field")
    for i in np.flatnonzero(np.fromiter(map(roots.__contains__, kept_codes.tolist()), bool, len(kept))).tolist():
        n = per_cell.get((int(kept_rows[i]), kept_fields[i]), 0)
        if n:
            other = "problem" if n == 1 else f"{n} problems"
            messages[i] = f"{messages[i]} The other {other} found in this cell come{'s' if n == 1 else ''} from this " \
                          "and go{} away when it is fixed.".format("es" if n == 1 else "")
    return kept.with_column("message", messages), findings.take(np.flatnonzero(dependent))


def _text_or_none(value: object) -> str | None:
    """None for a missing value (None, or a NaN in its place), else its text."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    return value if isinstance(value, str) else str(value)
