"""In-file duplicates by Register's duplicate rule (SPEC §5.12, §8.5), flagged on every row involved.

Register answers ``409 This trainee is already in Register`` to a new trainee that matches one it
has: same date of birth, same last name (case-insensitive), same route, the existing trainee's
start academic year (its trainee start date, else its ITT start date) equal to the year of the
new trainee's ``itt_start_date``, and either the same first-name key or the same e-mail. Rows of
one file are created in order, so a later row that matches an earlier one would be rejected (in a
CSV upload, the whole file fails). Both rows are errors until one is removed or corrected, so a
file never sends a trainee twice.

Rows are grouped by the exact, symmetric part of the key (date of birth, lower-cased last name,
route) as one integer per row, computed column by column; only groups of two or more are
compared, and that comparison is linear in their rows whatever the group sizes (the first row
that could match each identity, and the last, looked up in a dict). The group key of every row is
kept per table, so an edit rechecks only the edited rows' old and new groups.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from desktop.validation.engine import Columns, RuleContext, factorize, parse_iso_date
from desktop.validation.findings import FindingSink
from desktop.validation.packs.v2026_1.facts import NO_CYCLE, PackFacts, facts_of

_NOT_A_TO_Z = re.compile(r"[^a-z ]")


def first_name_key(names: str) -> str:
    """Register's first-name comparison: lower-case, strip, drop everything but a–z and spaces, keep
    the part before the first space (``Mary-Jane Ann`` -> ``maryjane``, ``José`` -> ``jos``)."""
    return _NOT_A_TO_Z.sub("", names.strip().lower()).partition(" ")[0]


def email_key(email: str) -> str:
    return email.strip().lower()


# bits of the group key: date of birth (a day ordinal, < 2**22) | last name | route. A file has at
# most 100,000 rows (< 2**17 distinct values of either), and a file of junk can have as many
# distinct routes as rows (issue 12's all-error file: 16 bits for routes raised on it)
_LAST_BITS, _ROUTE_BITS = 20, 20
NOT_COMPARABLE = -1


def _code(index: dict[str, int], value: str) -> int:
    code = index.get(value)
    if code is None:
        code = index[value] = len(index)
    return code


def _group_keys(cols: Columns, state: dict[str, Any]) -> np.ndarray:
    """The symmetric part of Register's duplicate key of every row as one int64 (NOT_COMPARABLE
    when a part is blank or the date is not a date). ``state`` keeps the codes of last names
    (lower-cased) and routes, so keys computed later for edited rows agree with these."""
    lasts: dict[str, int] = state.setdefault("lasts", {})
    routes: dict[str, int] = state.setdefault("routes", {})
    last_codes, last_values = factorize(cols["last_name"])
    route_codes, route_values = factorize(cols["training_route"])
    last_of = np.fromiter((_code(lasts, v.lower()) for v in last_values.tolist()), np.int64, len(last_values))
    route_of = np.fromiter((_code(routes, v) for v in route_values.tolist()), np.int64, len(route_values))
    if len(lasts) >= 1 << _LAST_BITS or len(routes) >= 1 << _ROUTE_BITS:  # cannot happen below a million rows
        raise ValueError("too many distinct last names or routes for the duplicate index")
    born = cols.dates("date_of_birth")
    keys = (born << (_LAST_BITS + _ROUTE_BITS)) | (last_of[last_codes] << _ROUTE_BITS) | route_of[route_codes]
    comparable = (born != 0) & cols.present("last_name") & cols.present("training_route")
    return np.where(comparable, keys, NOT_COMPARABLE)


def _in_groups_of_two_or_more(keys: np.ndarray) -> np.ndarray:
    """Positions (ascending) of the rows whose comparable key another row shares."""
    order = np.argsort(keys, kind="stable")
    ordered = keys[order]
    same = ordered[1:] == ordered[:-1]
    shared = np.zeros(len(keys), dtype=bool)
    shared[1:] |= same
    shared[:-1] |= same
    shared &= ordered != NOT_COMPARABLE
    return np.sort(order[shared])


def _matching_rows(cols: Columns, facts: PackFacts, rows: list[int], groups: list[int]) -> list[int]:
    """Of ``rows`` (ascending, each with its group key), those another row of its group matches by
    Register's rule: as a new trainee (its ITT start year) it matches an earlier row once created
    (that row's trainee start year, else ITT start), or once created it matches a later new one.
    Identities are (group, year, "name", first-name key) and (group, year, "mail", e-mail); each is
    looked up in two dicts (its first row once created, its last row as new): linear in rows."""
    first, email = cols["first_names"], cols["email"]
    itt, trainee = cols["itt_start_date"], cols["trainee_start_date"]
    cycles: dict[str, int] = {}
    names: dict[str, str] = {}

    def cycle(value: str) -> int:
        c = cycles.get(value)
        if c is None:
            c = cycles[value] = _cycle(value, facts)
        return c

    def identities(group: int, year: int, row: int) -> list[tuple[int, int, str, str]]:
        if year == NO_CYCLE:
            return []
        given = first[row]
        key = names.get(given)
        if key is None:
            key = names[given] = first_name_key(given)
        out = [(group, year, "name", key)]
        mail = email_key(email[row])
        if mail:
            out.append((group, year, "mail", mail))
        return out

    as_new = [identities(g, cycle(itt[i]), i) for i, g in zip(rows, groups, strict=True)]
    as_created = [identities(g, cycle(trainee[i] or itt[i]), i) for i, g in zip(rows, groups, strict=True)]
    first_created: dict[tuple[int, int, str, str], int] = {}
    last_new: dict[tuple[int, int, str, str], int] = {}
    for i, created, new in zip(rows, as_created, as_new, strict=True):
        for k in created:
            first_created.setdefault(k, i)
        for k in new:
            last_new[k] = i  # rows ascend: the last one stays
    return [i for i, new, created in zip(rows, as_new, as_created, strict=True)
            if any(first_created.get(k, i) < i for k in new) or any(last_new.get(k, i) > i for k in created)]


def _cycle(value: str, facts: PackFacts) -> int:
    day = parse_iso_date(value) if value else None
    return facts.cycle_of(day) if day is not None else NO_CYCLE


@dataclass(frozen=True)
class DuplicatesInFile:
    name: str = "duplicates_in_file"
    codes: ClassVar[frozenset[str]] = frozenset({"row.duplicate_in_file"})

    def check(self, cols: Columns, ctx: RuleContext, sink: FindingSink) -> None:
        state = cols.table_state(self.name)
        state.clear()
        keys = _group_keys(cols, state)
        state.update({"n": cols.n, "keys": keys})
        rows = _in_groups_of_two_or_more(keys)
        self._emit(cols, facts_of(ctx), sink, rows, keys[rows])

    def recheck(self, cols: Columns, ctx: RuleContext, sink: FindingSink, changed: np.ndarray) -> np.ndarray:
        state = cols.table_state(self.name)
        if state.get("n") != cols.n:
            self.check(cols, ctx, sink)
            return np.arange(cols.n, dtype=np.int64)
        keys: np.ndarray = state["keys"]
        changed = np.unique(np.asarray(changed, dtype=np.int64))
        new = _group_keys(cols.take(changed), state)  # only the edited rows' cells are read
        affected = np.concatenate([keys[changed], new])
        affected = affected[affected != NOT_COMPARABLE]
        keys[changed] = new
        members = np.flatnonzero(np.isin(keys, affected)) if len(affected) else np.array([], dtype=np.int64)
        touched = np.union1d(changed, members)
        rows = members[_in_groups_of_two_or_more(keys[members])]  # members ascend, so these do too
        self._emit(cols, facts_of(ctx), sink, rows, keys[rows])
        return touched

    @staticmethod
    def _emit(cols: Columns, facts: PackFacts, sink: FindingSink, rows: np.ndarray, groups: np.ndarray) -> None:
        if not len(rows):
            return
        flagged = _matching_rows(cols, facts, rows.tolist(), groups.tolist())
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
