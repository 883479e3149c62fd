"""In-file duplicates by Register's duplicate rule (SPEC §5.12, §8.5), flagged on every row involved.

Register answers ``409 This trainee is already in Register`` to a new trainee that matches one it
has: same date of birth, same last name (case-insensitive), same route, the existing trainee's
start academic year (its trainee start date, else its ITT start date) equal to the year of the
new trainee's ``itt_start_date``, and either the same first-name key or the same e-mail. Rows of
one file are created in order, so a later row that matches an earlier one would be rejected (in a
CSV upload, the whole file fails). Both rows are errors until one is removed or corrected, so a
file never sends a trainee twice.

Rows are grouped by the exact, symmetric part of the key (date of birth, lower-cased last name,
route); only groups of two or more are compared, in file order. The grouping is kept per table,
so an edit rechecks only the edited rows' old and new groups, never the whole table.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from desktop.validation.engine import Columns, RuleContext, parse_iso_date
from desktop.validation.findings import FindingSink
from desktop.validation.packs.v2026_1.facts import NO_CYCLE, PackFacts, facts_of

_NOT_A_TO_Z = re.compile(r"[^a-z ]")
Key = tuple[int, str, str]


def first_name_key(names: str) -> str:
    """Register's first-name comparison: lower-case, strip, drop everything but a–z and spaces, keep
    the part before the first space (``Mary-Jane Ann`` -> ``maryjane``, ``José`` -> ``jos``)."""
    return _NOT_A_TO_Z.sub("", names.strip().lower()).partition(" ")[0]


def email_key(email: str) -> str:
    return email.strip().lower()


def _row_keys(cols: Columns) -> list[Key | None]:
    """The symmetric part of Register's duplicate key for every row (None: not comparable)."""
    lower: dict[str, str] = {}
    out: list[Key | None] = []
    for d, last, route in zip(cols.dates("date_of_birth").tolist(), cols["last_name"], cols["training_route"],
                              strict=True):
        if d == 0 or not route or not last:
            out.append(None)
            continue
        low = lower.get(last)
        if low is None:
            low = lower[last] = last.lower()
        out.append((d, low, route))
    return out


def _identities(cycle: int, first_names: str, email: str) -> list[tuple[int, str, str]]:
    """What Register compares once the key matches: (start year, first-name key) and (start year, e-mail)."""
    if cycle == NO_CYCLE:
        return []
    out = [(cycle, "name", first_name_key(first_names))]
    mail = email_key(email)
    if mail:
        out.append((cycle, "mail", mail))
    return out


def _cycle(value: str, facts: PackFacts) -> int:
    day = parse_iso_date(value) if value else None
    return facts.cycle_of(day) if day is not None else NO_CYCLE


@dataclass(frozen=True)
class DuplicatesInFile:
    name: str = "duplicates_in_file"
    codes: ClassVar[frozenset[str]] = frozenset({"row.duplicate_in_file"})

    def check(self, cols: Columns, ctx: RuleContext, sink: FindingSink) -> None:
        state = cols.table_state(self.name)
        keys = _row_keys(cols)
        groups: dict[Key, set[int]] = defaultdict(set)
        for i, k in enumerate(keys):
            if k is not None:
                groups[k].add(i)
        state.clear()
        state.update({"n": cols.n, "keys": keys, "groups": groups})
        self._emit(cols, facts_of(ctx), sink, [g for g in groups.values() if len(g) > 1])

    def recheck(self, cols: Columns, ctx: RuleContext, sink: FindingSink, changed: np.ndarray) -> np.ndarray:
        state = cols.table_state(self.name)
        if state.get("n") != cols.n:
            self.check(cols, ctx, sink)
            return np.arange(cols.n, dtype=np.int64)
        keys: list[Key | None] = state["keys"]
        groups: dict[Key, set[int]] = state["groups"]
        changed = np.unique(np.asarray(changed, dtype=np.int64))
        new_keys = _row_keys(cols.take(changed))  # only the edited rows' cells are read
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
        self._emit(cols, facts_of(ctx), sink, [groups[k] for k in affected if len(groups.get(k, ())) > 1])
        return np.fromiter(sorted(touched), np.int64, len(touched))

    @staticmethod
    def _emit(cols: Columns, facts: PackFacts, sink: FindingSink, groups: list[set[int]]) -> None:
        if not groups:
            return
        first, email = cols["first_names"], cols["email"]
        itt, trainee = cols["itt_start_date"], cols["trainee_start_date"]
        flagged: list[int] = []
        for members in groups:
            rows = sorted(members)
            # as a new trainee a row is compared by the year of its ITT start; once created, by the
            # year of its trainee start (else ITT start)
            as_new = {i: _identities(_cycle(itt[i], facts), first[i], email[i]) for i in rows}
            as_created = {i: _identities(_cycle(trainee[i] or itt[i], facts), first[i], email[i]) for i in rows}
            earlier: set[tuple[int, str, str]] = set()  # what earlier rows look like once created
            later: set[tuple[int, str, str]] = set()  # what later rows look like as new trainees
            hit: set[int] = set()
            for i in rows:
                if any(k in earlier for k in as_new[i]):
                    hit.add(i)
                earlier.update(as_created[i])
            for i in reversed(rows):
                if any(k in later for k in as_created[i]):
                    hit.add(i)
                later.update(as_new[i])
            flagged.extend(hit)
        if not flagged:
            return
        mask = np.zeros(cols.n, dtype=bool)
        mask[flagged] = True
        sink.add(mask, cols["last_name"], field="last_name", code="row.duplicate_in_file",
                 message="Another row of this file is the same trainee by Register's rule (same date of birth, last "
                         "name, route and start year, and the same first name or e-mail). Register would add the first "
                         "and reject the other as already in Register. Delete the extra row, or correct the details if "
                         "they are different people.",
                 register="This trainee is already in Register")
