"""Find and replace over the grid's columns (Qt-free, so it runs in a Job and in tests)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from desktop.core.progress import CancelToken, Progress


@dataclass(frozen=True)
class Query:
    find: str
    replace: str = ""
    columns: tuple[int, ...] = ()  # empty: every column
    match_case: bool = False
    whole_cell: bool = False

    def pattern(self) -> re.Pattern[str]:
        flags = 0 if self.match_case else re.IGNORECASE
        text = re.escape(self.find)
        return re.compile(f"^{text}$" if self.whole_cell else text, flags)


@dataclass
class Matches:
    query: Query
    rows: np.ndarray  # frame rows of matching cells, column by column
    cols: np.ndarray
    new_values: list[str]  # each match's value after the replacement
    changes: int  # matches whose value would actually change

    def __len__(self) -> int:
        return len(self.rows)


def find_cells(columns: Sequence[np.ndarray], query: Query, progress: Progress | None = None,
               token: CancelToken | None = None) -> Matches:
    """Every cell matching ``query``, with what Replace All would make of it."""
    rows_out: list[np.ndarray] = []
    cols_out: list[np.ndarray] = []
    new_values: list[str] = []
    changes = 0
    if not query.find:
        return Matches(query, np.zeros(0, np.int64), np.zeros(0, np.int64), [], 0)
    pattern = query.pattern()
    wanted = query.columns or tuple(range(len(columns)))
    folded = query.find if query.match_case else query.find.casefold()
    for n, c in enumerate(wanted):
        if token is not None:
            token.raise_if_cancelled()
        arr = columns[c]
        if query.whole_cell:
            if query.match_case:
                hit = arr == query.find
            else:
                hit = np.fromiter((v.casefold() == folded for v in arr), bool, len(arr))
        elif query.match_case:
            hit = np.fromiter((folded in v for v in arr), bool, len(arr))
        else:
            hit = np.fromiter((folded in v.casefold() for v in arr), bool, len(arr))
        rows = np.flatnonzero(hit)
        if len(rows):
            rows_out.append(rows)
            cols_out.append(np.full(len(rows), c, dtype=np.int64))
            for r in rows:
                old = arr[r]
                new = pattern.sub(lambda _m: query.replace, old)
                new_values.append(new)
                changes += new != old
        if progress is not None:
            progress(n + 1, len(wanted))
    if not rows_out:
        return Matches(query, np.zeros(0, np.int64), np.zeros(0, np.int64), [], 0)
    return Matches(query, np.concatenate(rows_out), np.concatenate(cols_out), new_values, int(changes))
