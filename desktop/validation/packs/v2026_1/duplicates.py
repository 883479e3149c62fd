"""In-file duplicates by Register's duplicate rule (SPEC §5.12, §8.5), flagged on every row involved.

Register answers ``409 This trainee is already in Register`` to a trainee that matches one it
has: same date of birth, same last name (case-insensitive), same route, an existing start in the
academic year of the new ``itt_start_date``, and either the same first-name key or the same
e-mail. Two rows of one file that match would create the trainee once and reject the other (in a
CSV upload, fail the whole file), so every row of such a group is an error until one is removed
or the details corrected.

Rows are grouped by the exact part of the key (date of birth, lower-cased last name, route,
cycle); only groups of two or more are compared pairwise. The grouping is kept per table, so an
edit rechecks only the edited rows' old and new groups, never the whole table.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from desktop.validation.engine import Columns, RuleContext
from desktop.validation.findings import FindingSink
from desktop.validation.packs.v2026_1.common import itt_start_cycle
from desktop.validation.packs.v2026_1.facts import NO_CYCLE, facts_of

_NOT_A_TO_Z = re.compile(r"[^a-z ]")
Key = tuple[int, str, str, int]


def first_name_key(names: str) -> str:
    """Register's first-name comparison: lower-case, strip, drop everything but a–z and spaces, keep
    the part before the first space (``Mary-Jane Ann`` -> ``maryjane``, ``José`` -> ``jos``)."""
    return _NOT_A_TO_Z.sub("", names.strip().lower()).partition(" ")[0]


def email_key(email: str) -> str:
    return email.strip().lower()


def _row_keys(cols: Columns, rows: np.ndarray, cycle: np.ndarray) -> list[Key | None]:
    dob = cols.dates("date_of_birth")
    last = cols["last_name"]
    route = cols["training_route"]
    out: list[Key | None] = []
    for i in rows.tolist():
        c = int(cycle[i])
        d = int(dob[i])
        if d == 0 or c == NO_CYCLE or not route[i] or not last[i]:
            out.append(None)
        else:
            out.append((d, last[i].lower(), route[i], c))
    return out


@dataclass(frozen=True)
class DuplicatesInFile:
    name: str = "duplicates_in_file"
    codes: ClassVar[frozenset[str]] = frozenset({"row.duplicate_in_file"})

    def check(self, cols: Columns, ctx: RuleContext, sink: FindingSink) -> None:
        state = cols.table_state(self.name)
        cycle = itt_start_cycle(cols, facts_of(ctx))
        keys = _row_keys(cols, np.arange(cols.n), cycle)
        groups: dict[Key, set[int]] = defaultdict(set)
        for i, k in enumerate(keys):
            if k is not None:
                groups[k].add(i)
        state.clear()
        state.update({"n": cols.n, "keys": keys, "groups": groups})
        self._emit(cols, sink, [g for g in groups.values() if len(g) > 1])

    def recheck(self, cols: Columns, ctx: RuleContext, sink: FindingSink, changed: np.ndarray) -> np.ndarray:
        state = cols.table_state(self.name)
        if state.get("n") != cols.n:
            self.check(cols, ctx, sink)
            return np.arange(cols.n, dtype=np.int64)
        keys: list[Key | None] = state["keys"]
        groups: dict[Key, set[int]] = state["groups"]
        changed = np.unique(np.asarray(changed, dtype=np.int64))
        sub = cols.take(changed)  # only the edited rows' cells are read
        new_keys = _row_keys(sub, np.arange(len(changed)), itt_start_cycle(sub, facts_of(ctx)))
        affected: set[Key] = set()
        touched: set[int] = set(changed.tolist())
        for pos, new in zip(changed.tolist(), new_keys, strict=True):
            old = keys[pos]
            if old is not None:
                members = groups.get(old)
                if members is not None:
                    members.discard(pos)
                    touched.update(members)
                    if members:
                        affected.add(old)
                    else:
                        del groups[old]
            if new is not None:
                groups[new].add(pos)
                affected.add(new)
                touched.update(groups[new])
            keys[pos] = new
        self._emit(cols, sink, [groups[k] for k in affected if len(groups.get(k, ())) > 1])
        return np.fromiter(sorted(touched), np.int64, len(touched))

    @staticmethod
    def _emit(cols: Columns, sink: FindingSink, groups: list[set[int]]) -> None:
        if not groups:
            return
        first, email = cols["first_names"], cols["email"]
        flagged: list[int] = []
        for members in groups:
            # a row matches another when they share the first-name key or a (non-blank) e-mail
            fk = {i: first_name_key(first[i]) for i in members}
            ek = {i: email_key(email[i]) for i in members}
            fk_count = Counter(fk.values())
            ek_count = Counter(v for v in ek.values() if v)
            flagged.extend(i for i in members if fk_count[fk[i]] > 1 or (ek[i] and ek_count[ek[i]] > 1))
        if not flagged:
            return
        mask = np.zeros(cols.n, dtype=bool)
        mask[flagged] = True
        sink.add(mask, cols["last_name"], field="last_name", code="row.duplicate_in_file",
                 message="Another row of this file is the same trainee by Register's rule (same date of birth, last "
                         "name, route and start year, and the same first name or e-mail). Register would add one and "
                         "reject the other as already in Register. Delete the extra row, or correct the details if "
                         "they are different people.",
                 register="This trainee is already in Register")
