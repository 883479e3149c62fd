"""Disabilities (SPEC §5.9 D3–D4, §10.2)."""

import pytest

from tests.helpers import check_rows, register_messages, valid_row


def disabilities(*codes):
    return valid_row(**{f"disability{i}": c for i, c in enumerate(codes, start=1)})


def findings_of(*codes):
    f = check_rows(disabilities(*codes)).frame
    return f[f["field"].fillna("").str.startswith("disability")]


@pytest.mark.parametrize("codes", [(), ("95",), ("98",), ("99",), ("58", "57"),
                                   ("57", "58", "59", "51", "54", "55", "56", "53", "96")])
def test_valid_disability_answers(codes):
    assert findings_of(*codes).empty


@pytest.mark.parametrize(("codes", "field"), [(("58", "58"), "disability2"), (("57", "58", "", "57"), "disability4"),
                                              (("96", "51", "96", "51"), "disability3")])
def test_the_same_disability_twice_is_rejected_once(codes, field):
    f = findings_of(*codes)
    dup = f[f["code"] == "row.disability_duplicate"]
    assert list(dup["field"]) == [field] and (dup["severity"] == "error").all()
    assert "disabilities contain duplicate values" in register_messages(check_rows(disabilities(*codes)))


@pytest.mark.parametrize("codes", [("98", "99"), ("95", "98"), ("95", "95"), ("99", "99"), ("95", "", "", "99", "1")])
def test_not_provided_codes_only_among_themselves_are_rejected(codes):
    f = findings_of(*codes)
    combined = f[f["code"] == "row.disability_combined"]
    assert len(combined) == 1 and combined.iloc[0]["severity"] == "error"
    assert combined.iloc[0]["register_message"] == "Trainee has been disclosed as disabled but no disabilities exist"
    assert "row.disability_duplicate" not in set(f["code"])  # 95/98/99 are not stored disabilities


@pytest.mark.parametrize(("codes", "field"), [(("95", "58"), "disability1"), (("58", "98"), "disability2"),
                                              (("57", "99", "58"), "disability2")])
def test_no_disability_next_to_a_disability_is_an_error_register_would_hide(codes, field):
    """Register accepts these and drops the 95/98/99; the answers contradict each other."""
    f = findings_of(*codes)
    mixed = f[f["code"] == "row.disability_mixed"]
    assert list(mixed["field"]) == [field] and (mixed["severity"] == "error").all()
    assert mixed["register_message"].isna().all()


@pytest.mark.parametrize(("codes", "fields"), [(("5",), ["disability1"]), (("58", "blind"), ["disability2"]),
                                               (("95", "7"), ["disability2"])])
def test_unknown_codes_are_warnings_and_dropped_before_other_checks(codes, fields):
    f = findings_of(*codes)
    assert list(f["code"]) == ["cell.disability_unknown"] * len(fields)
    assert list(f["field"]) == fields and (f["severity"] == "warning").all()


def test_unknown_codes_do_not_make_duplicates():
    f = findings_of("x1", "x1")
    assert set(f["code"]) == {"cell.disability_unknown"}
