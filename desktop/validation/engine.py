"""The validation engine: runs a rule pack over columns of text, vectorised.

Rules see a ``Columns`` object (one numpy object array of ``str`` per template field, blanks as
``""``) and write to a ``FindingSink``; they never raise for data problems. Row rules depend
only on their own row, so one row can be revalidated alone and a table checked chunk by chunk;
table rules (in-file duplicates) see every row and say which rows they recomputed.

``RulePack.validate`` is the one way a whole table is checked, whatever its size: row rules
chunk by chunk (progress and cancel between chunks), then the table rules once over every row.
``RulePack.revalidate_rows`` is the one way edited rows are rechecked.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol, TypeVar, cast

import numpy as np

from desktop.validation.codelists import CodeLists
from desktop.validation.findings import Findings, FindingSink
from desktop.validation.template import Template

ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")

# rows checked per step of ``RulePack.validate``: big enough that each rule's fixed cost is spread
# thin (per-value helpers factorise a field once a chunk), small enough for progress and cancel
# every ~0.2 s
CHUNK = 20_000

# per-distinct-value evaluation pays off from this many rows, when a sample of the first
# _DISTINCT_SAMPLE values holds at most a quarter of distinct ones
_DISTINCT_MIN_ROWS = 2048
_DISTINCT_SAMPLE = 512


_T = TypeVar("_T")


def utc_today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


class Columns(Mapping[str, np.ndarray]):
    """Equal-length object arrays of str, keyed by template field; missing fields read as blank."""

    def __init__(self, data: Mapping[str, np.ndarray], n: int) -> None:
        self._data = dict(data)
        self.n = n
        self._cache: dict[tuple[str, str], np.ndarray] = {}
        self._distinct_cache: dict[tuple[str, str], tuple[np.ndarray, np.ndarray] | None] = {}
        self._derived: dict[Hashable, Any] = {}
        self._state: dict[str, Any] = {}

    @classmethod
    def from_rows(cls, rows: Sequence[Mapping[str, str]], fields: Iterable[str]) -> Columns:
        n = len(rows)
        data = {}
        for f in fields:
            data[f] = np.fromiter((str(r.get(f, "") or "") for r in rows), object, n)
        return cls(data, n)

    def __getitem__(self, name: str) -> np.ndarray:
        arr = self._data.get(name)
        if arr is None:
            arr = np.full(self.n, "", dtype=object)
            self._data[name] = arr
        return arr

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def invalidate(self) -> None:
        """Forget cached per-field results after cells changed."""
        self._cache.clear()
        self._distinct_cache.clear()
        self._derived.clear()

    def derived(self, key: Hashable, fn: Callable[[], _T]) -> _T:
        """A result computed from several fields (e.g. the academic cycle of each row), computed
        once and shared by the rules that need it until the cells change. ``key`` must name
        everything the result depends on besides the cells (e.g. today's date)."""
        try:
            return cast("_T", self._derived[key])  # stored by this method under the same key
        except KeyError:
            value = self._derived[key] = fn()
            return value

    def table_state(self, key: str) -> dict[str, Any]:
        """Mutable state a table rule keeps for this table across edits (an index of duplicate
        groups, say). Not cleared by ``invalidate``: the rule updates it in ``recheck``."""
        state: dict[str, Any] = self._state.setdefault(key, {})
        return state

    def per_value(self, name: str, kind: str, fn: Callable[[str], Any], dtype: Any = object) -> np.ndarray:
        """``fn`` of each cell of a field, computed once per distinct value (codes repeat a lot)
        and cached under ``kind`` until the cells change."""
        return self._cached(name, kind, lambda a: self._each_value(name, fn, dtype))

    def take(self, positions: np.ndarray) -> Columns:
        return Columns({k: v[positions] for k, v in self._data.items()}, len(positions))

    def slice(self, start: int, stop: int) -> Columns:
        """Rows ``start:stop`` as views (no copy): for checking a large table chunk by chunk."""
        stop = min(stop, self.n)
        return Columns({k: v[start:stop] for k, v in self._data.items()}, max(stop - start, 0))

    # -- one pass per field, per distinct value where values repeat --
    def _distinct(self, name: str) -> tuple[np.ndarray, np.ndarray] | None:
        """(codes, distinct values) of a field whose values repeat, else None (cached).

        Codes, dates and flags take a few dozen values over thousands of rows, so a function of
        the value is computed once per distinct value and spread back with one numpy take. For
        small tables (one edited row) and for fields of mostly different values (names, e-mail
        addresses, IDs) the plain per-cell pass is cheaper.
        """
        key = (name, "distinct")
        if key in self._distinct_cache:
            return self._distinct_cache[key]
        result = None
        a = self[name]
        if len(a) >= _DISTINCT_MIN_ROWS and len(set(a[:_DISTINCT_SAMPLE].tolist())) <= _DISTINCT_SAMPLE // 4:
            codes, uniques = factorize(a)
            if len(uniques) <= len(a) // 4:
                result = (codes, uniques)
        self._distinct_cache[key] = result
        return result

    def _memo(self, name: str) -> tuple[np.ndarray, np.ndarray] | None:
        """(codes, distinct values) of a field whose sample did not repeat but whose values repeat
        often enough (a quarter of them) to call a Python function once per distinct value, else
        None; computed once per field until the cells change."""
        key = (name, "memo")
        if key not in self._distinct_cache:
            codes, uniques = factorize(self[name])
            self._distinct_cache[key] = (codes, uniques) if len(uniques) <= 0.75 * len(codes) else None
        return self._distinct_cache[key]

    def _each_value(self, name: str, fn: Callable[[str], Any], dtype: Any = object, *, memo: bool = True) -> np.ndarray:
        """``fn`` of every cell of a field, called once per distinct value.

        Repeating fields use the cached factorisation; other fields too when ``memo`` and their
        values repeat (worth it for a Python-level ``fn``; a C-level test such as
        ``set.__contains__`` is cheaper cell by cell).
        """
        distinct = self._distinct(name)
        if distinct is None and memo and self.n > 64:
            distinct = self._memo(name)
        if distinct is None:
            values = self[name].tolist()
            return np.fromiter(map(fn, values), dtype, len(values))  # object: a tuple result stays one item
        codes, uniques = distinct
        out: np.ndarray = np.fromiter(map(fn, uniques.tolist()), dtype, len(uniques))[codes]
        return out

    # -- cached per-field helpers (vectorised in the sense of one pass per field) --
    def _cached(self, name: str, kind: str, fn: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
        key = (name, kind)
        hit = self._cache.get(key)
        if hit is None:
            hit = fn(self[name])
            hit.flags.writeable = False  # shared by every rule: combine into new arrays, never in place
            self._cache[key] = hit
        return hit

    def blank(self, name: str) -> np.ndarray:
        return self._cached(name, "blank", lambda a: self.equals(name, ""))

    def present(self, name: str) -> np.ndarray:
        return self._cached(name, "present", lambda a: ~self.blank(name))

    def lengths(self, name: str) -> np.ndarray:
        return self._cached(name, "len", lambda a: np.fromiter(map(len, a.tolist()), np.int64, len(a)))

    def isin(self, name: str, allowed: frozenset[str] | set[str]) -> np.ndarray:
        return self._each_value(name, allowed.__contains__, bool, memo=False)

    def matches(self, name: str, pattern: re.Pattern[str]) -> np.ndarray:
        # the match object (or None) straight to bool: no Python-level function per value
        return self._cached(name, f"matches:{pattern.pattern}:{pattern.flags}",
                            lambda a: self._each_value(name, pattern.fullmatch, bool))

    def dates(self, name: str) -> np.ndarray:
        """Day ordinals of ISO ``YYYY-MM-DD`` dates; 0 where blank or not a valid date."""
        return self._cached(name, "date", lambda a: self._each_value(name, _date_ordinal, np.int64))

    def equals(self, name: str, value: str) -> np.ndarray:
        distinct = self._distinct_cache.get((name, "distinct"))  # only if some rule already made it
        if distinct is not None:  # a comparison per distinct value, then one take
            codes, uniques = distinct
            same: np.ndarray = np.asarray(uniques == value, dtype=bool)[codes]
            return same
        return np.asarray(self[name] == value, dtype=bool)


def factorize(values: np.ndarray | Sequence[Any]) -> tuple[np.ndarray, np.ndarray]:
    """(codes, distinct values in order of first appearance) with ``distinct[codes] == values``.

    Three loops in C (a dict of the values, a dict of their positions, a look-up per cell):
    as fast as pandas' factorize on text columns, without importing pandas.
    """
    items = values.tolist() if isinstance(values, np.ndarray) else list(values)
    distinct = list(dict.fromkeys(items))
    index = dict(zip(distinct, range(len(distinct)), strict=True))
    codes = np.fromiter(map(index.__getitem__, items), np.intp, len(items))
    return codes, np.fromiter(distinct, object, len(distinct))


def parse_iso_date(value: str) -> dt.date | None:
    if not ISO_DATE.fullmatch(value):
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None


def _date_ordinal(value: str) -> int:
    if not value:
        return 0
    d = parse_iso_date(value)
    return d.toordinal() if d else 0


@dataclass(frozen=True)
class RuleContext:
    template: Template
    code_lists: CodeLists
    today: dt.date = field(default_factory=utc_today)
    facts: Mapping[str, Any] = field(default_factory=dict)  # the pack's data (funding tables, ...)


class CancelCheck(Protocol):
    """What validation needs of a cancel token (``desktop.core.progress.CancelToken`` is one)."""

    def raise_if_cancelled(self) -> None: ...


def _no_progress(done: int, total: int, /) -> None:
    """Reports nowhere."""


class Rule(Protocol):
    """A row rule: its findings for a row depend only on that row."""

    @property
    def name(self) -> str: ...

    def check(self, cols: Columns, ctx: RuleContext, sink: FindingSink) -> None: ...


class TableRule(Protocol):
    """A rule across rows (in-file duplicates)."""

    @property
    def name(self) -> str: ...
    codes: ClassVar[frozenset[str]]  # every finding code this rule emits

    def check(self, cols: Columns, ctx: RuleContext, sink: FindingSink) -> None: ...

    def recheck(self, cols: Columns, ctx: RuleContext, sink: FindingSink, changed: np.ndarray) -> np.ndarray:
        """Recompute after ``changed`` rows were edited; return every row whose findings were recomputed."""
        ...


def same_wording(api_message: str) -> str:
    return api_message


@dataclass(frozen=True)
class RulePack:
    """The rules of one Register template version, in Register's order of concerns."""

    version: str
    rules: tuple[Rule, ...]
    table_rules: tuple[TableRule, ...] = ()
    facts: Mapping[str, Any] = field(default_factory=dict)
    #: Register's CSV page wording of one of its API messages (``register_csv_message``)
    csv_wording: Callable[[str], str] = same_wording

    def context(self, template: Template, code_lists: CodeLists, today: dt.date | None = None) -> RuleContext:
        return RuleContext(template=template, code_lists=code_lists, today=today or utc_today(), facts=self.facts)

    def validate(self, cols: Columns, ctx: RuleContext, *, progress: Callable[[int, int], object] = _no_progress,
                 token: CancelCheck | None = None, chunk: int = CHUNK) -> Findings:
        """Every rule over every row: the row rules ``chunk`` rows at a time (views, not copies),
        reporting ``progress(done, total)`` and checking ``token`` between chunks, then the table
        rules once over the whole table. The findings do not depend on ``chunk``."""
        n = cols.n
        parts: list[Findings] = []
        for start in range(0, n, max(chunk, 1)):
            if token is not None:
                token.raise_if_cancelled()
            stop = min(start + chunk, n)
            whole = start == 0 and stop == n
            sink = FindingSink(None if whole else np.arange(start, stop))
            part = cols if whole else cols.slice(start, stop)
            for rule in self.rules:
                rule.check(part, ctx, sink)
            parts.append(sink.findings())
            progress(stop, n)
        if token is not None:
            token.raise_if_cancelled()
        table_sink = FindingSink()
        for trule in self.table_rules:
            trule.check(cols, ctx, table_sink)
        parts.append(table_sink.findings())
        progress(n, n)
        return Findings.concat(parts)

    def revalidate_rows(self, old: Findings, cols: Columns, ctx: RuleContext, positions: np.ndarray) -> Findings:
        """Findings after ``positions`` were edited: their row findings are recomputed, and table
        rules recompute whichever rows the edit may affect (a new or broken duplicate pair)."""
        positions = np.asarray(positions, dtype=np.int64)
        sink = FindingSink(positions)
        sub = cols.take(positions)
        for rule in self.rules:
            rule.check(sub, ctx, sink)
        rows = old.rows
        keep = rows != positions[0] if len(positions) == 1 else ~np.isin(rows, positions)
        table_sink = FindingSink()
        for trule in self.table_rules:
            touched = np.asarray(trule.recheck(cols, ctx, table_sink, positions), dtype=np.int64)
            if not len(touched):
                continue
            # the rule's old findings on the rows it recomputed go; look at codes only on those rows
            hit = np.flatnonzero(np.isin(rows, touched) & keep)
            if len(hit):
                codes = old.column("code")[hit]
                keep[hit[np.fromiter(map(trule.codes.__contains__, codes), bool, len(hit))]] = False
        # file-level findings and other rows' findings stay as they were
        kept = old if keep.all() else old.take(np.flatnonzero(keep))
        return Findings.concat([kept, sink.findings(), table_sink.findings()])
