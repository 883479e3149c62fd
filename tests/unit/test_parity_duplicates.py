"""In-file duplicates by Register's rule (SPEC §5.12, §8.5) and their incremental recheck."""

import datetime as dt

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from desktop.validation.codelists import bundled_code_lists
from desktop.validation.packs import get_pack
from desktop.validation.packs.v2026_1.duplicates import first_name_key
from tests.helpers import TEMPLATE, TODAY, check_rows, columns, valid_row

DUP = "row.duplicate_in_file"


def dup_rows(*rows):
    f = check_rows(*rows).frame
    return sorted(f.loc[f["code"] == DUP, "row"].tolist())


BASE = {"first_names": "Siân", "last_name": "O'Brien", "date_of_birth": "1990-04-13", "training_route": "12",
        "email": "sian.obrien@example.com", "itt_start_date": "2026-09-01"}


@pytest.mark.parametrize(("changes", "duplicate"), [
    ({}, True),  # identical
    ({"last_name": "o'brien"}, True),  # surname case-insensitive
    ({"first_names": "SIAN", "email": "other@example.com"}, False),  # "Siân" -> "sin", "SIAN" -> "sian"
    ({"first_names": "Siân Mari", "email": "other@example.com"}, True),  # only the part before the first space
    ({"first_names": "Bobbie", "email": "SIAN.OBRIEN@EXAMPLE.COM"}, True),  # e-mail match, any case
    ({"first_names": "Bobbie", "email": "bob@example.com"}, False),  # neither first name nor e-mail
    ({"date_of_birth": "1990-04-14"}, False),
    ({"last_name": "Brien"}, False),
    ({"training_route": "03"}, False),
    ({"itt_start_date": "2027-03-01", "itt_end_date": "2028-07-16"}, True),  # same cycle, second calendar year
    ({"itt_start_date": "2026-07-31"}, False),  # previous cycle
    ({"itt_start_date": "2026-09-02", "trainee_start_date": "2020-09-01"}, True),  # the new trainee start date is not used
    ({"hesa_id": "1234567890123", "provider_trainee_id": "other"}, True),  # ids play no part
])
def test_registers_duplicate_rule(changes, duplicate):
    rows = (valid_row(**BASE), valid_row(**{**BASE, **changes}))
    assert dup_rows(*rows) == ([0, 1] if duplicate else [])


@pytest.mark.parametrize(("first", "second", "duplicate"), [
    # the earlier row, once created, starts (trainee start) in 2026/27 like the later row's ITT start
    ({"itt_start_date": "2025-09-01", "trainee_start_date": "2026-09-01"}, {"itt_start_date": "2026-09-01"}, True),
    # in the other order the later row is compared by its ITT start (2025/26): no match
    ({"itt_start_date": "2026-09-01"}, {"itt_start_date": "2025-09-01", "trainee_start_date": "2026-09-01"}, False),
    ({"itt_start_date": "2026-09-01", "trainee_start_date": "2025-09-01"}, {"itt_start_date": "2026-09-01"}, False),
])
def test_start_year_compares_existing_trainee_start_with_new_itt_start(first, second, duplicate):
    rows = (valid_row(**{**BASE, **first, "itt_end_date": "2027-07-16"}),
            valid_row(**{**BASE, **second, "itt_end_date": "2027-07-16"}))
    assert dup_rows(*rows) == ([0, 1] if duplicate else [])


def test_both_rows_flagged_with_registers_message_on_last_name():
    f = check_rows(valid_row(), valid_row(sex="11"), valid_row(first_names="Aoife", email="aoife@example.com")).frame
    dup = f[f["code"] == DUP]
    assert sorted(dup["row"]) == [0, 1]
    assert set(dup["field"]) == {"last_name"} and set(dup["severity"]) == {"error"}
    assert set(dup["register_message"]) == {"This trainee is already in Register"}


def test_three_rows_one_group():
    rows = [valid_row(), valid_row(email="x@example.com"), valid_row(first_names="Other")]
    assert dup_rows(*rows) == [0, 1, 2]


@pytest.mark.parametrize(("names", "key"), [("Mary-Jane Ann", "maryjane"), ("José", "jos"), ("  Siân  ", "sin"),
                                            ("Ó Conchúir", ""), ("Анна", ""), ("D'Arcy", "darcy")])
def test_first_name_key(names, key):
    assert first_name_key(names) == key


def test_names_reducing_to_nothing_match():
    rows = [valid_row(first_names="Анна", email="a@example.com"), valid_row(first_names="Мария", email="m@example.com")]
    assert dup_rows(*rows) == [0, 1]


def test_rows_without_a_valid_date_of_birth_or_start_are_not_compared():
    assert dup_rows(valid_row(date_of_birth="13/04/1990"), valid_row(date_of_birth="13/04/1990")) == []
    assert dup_rows(valid_row(itt_start_date=""), valid_row(itt_start_date="")) == []


# ---------------------------------------------------------------- recheck keeps an index
def _ctx():
    pack = get_pack()
    return pack, pack.context(TEMPLATE, bundled_code_lists(), TODAY)


def _dups(findings):
    f = findings.frame
    return sorted(f.loc[f["code"] == DUP, "row"].tolist())


NAMES = ["Siân", "Aoife", "Dafydd", "SIÂN"]
SURNAMES = ["O'Brien", "o'brien", "Ní Bhriain"]
DOBS = ["1990-04-13", "1991-01-01", ""]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, 7), st.sampled_from(["first_names", "last_name", "date_of_birth", "email",
                                                               "itt_start_date", "trainee_start_date", "training_route"]),
                          st.integers(0, 3)), min_size=1, max_size=12))
def test_recheck_after_edits_equals_a_full_check(edits):
    """Editing rows one at a time and rechecking gives exactly the duplicates a full check finds."""
    pack, ctx = _ctx()
    rows = [valid_row(first_names=NAMES[i % 4], last_name=SURNAMES[i % 3], email=f"p{i % 2}@example.com")
            for i in range(8)]
    cols = columns(*rows)
    findings = pack.validate(cols, ctx)
    choices = {"first_names": NAMES, "last_name": SURNAMES, "date_of_birth": DOBS,
               "email": ["p0@example.com", "P0@example.com", "q@example.com", "p1@example.com"],
               "itt_start_date": ["2026-09-01", "2025-09-01", "2026-02-30", "2027-01-10"],
               "trainee_start_date": ["", "2026-09-01", "2025-10-01", "x"],
               "training_route": ["12", "03", "", "12"]}
    for row, field, pick in edits:
        values = choices[field]
        cols[field][row] = values[pick % len(values)]
        cols.invalidate()
        findings = pack.revalidate_rows(findings, cols, ctx, np.array([row]))
        fresh = pack.validate(columns(*[{n: cols[n][i] for n in TEMPLATE.names} for i in range(cols.n)]), ctx)
        assert _dups(findings) == _dups(fresh)


def test_recheck_touches_only_the_old_and_new_groups():
    pack, ctx = _ctx()
    rows = [valid_row(last_name=f"Name{i}", email=f"n{i}@example.com") for i in range(50)]
    rows[10] = valid_row(last_name="Name3", email="n3@example.com")  # duplicate of row 3
    cols = columns(*rows)
    pack.validate(cols, ctx)
    rule = next(r for r in pack.table_rules if r.name == "duplicates_in_file")
    cols["last_name"][10] = "Name7"
    cols["email"][10] = "n7@example.com"
    cols.invalidate()
    from desktop.validation.findings import FindingSink

    sink = FindingSink()
    touched = rule.recheck(cols, ctx, sink, np.array([10]))
    assert sorted(touched.tolist()) == [3, 7, 10]
    assert sorted(sink.findings().frame["row"].tolist()) == [7, 10]


def test_recheck_without_a_prior_check_builds_the_index():
    pack, ctx = _ctx()
    cols = columns(valid_row(), valid_row())
    rule = next(r for r in pack.table_rules if r.name == "duplicates_in_file")
    from desktop.validation.findings import FindingSink

    sink = FindingSink()
    rule.recheck(cols, ctx, sink, np.array([0]))
    assert sorted(sink.findings().frame["row"].tolist()) == [0, 1]


def test_duplicates_use_itt_start_cycle_not_today():
    assert dup_rows(valid_row(), valid_row()) == [0, 1]
    f = check_rows(valid_row(), valid_row(), today=dt.date(2030, 1, 1)).frame
    assert sorted(f.loc[f["code"] == DUP, "row"]) == [0, 1]


def test_a_file_with_more_distinct_routes_than_16_bits_still_gets_its_keys():
    """Issue 12's all-error file: 100,000 rows, every route a different junk value, raised in the
    duplicate index (16 bits for routes); the key now has room for any file within the row cap."""
    from desktop.validation.engine import Columns
    from desktop.validation.packs.v2026_1.duplicates import _group_keys

    n = 70_000
    cols = Columns({"date_of_birth": np.array(["1990-01-01"] * n, dtype=object),
                    "last_name": np.array([f"Smith{i}" for i in range(n)], dtype=object),
                    "training_route": np.array([f"=bad{i}" for i in range(n)], dtype=object)}, n)
    keys = _group_keys(cols, {})
    assert len(np.unique(keys)) == n
