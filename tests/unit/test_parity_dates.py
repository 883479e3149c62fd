"""Date rules relative to an injected today (SPEC §5.3 P10–P13, §5.5 T3, T6–T11)."""

import datetime as dt

import pytest

from tests.helpers import check_rows, codes_for, register_messages, valid_row

TODAY = dt.date(2026, 11, 28)


def dob_messages(value, today=TODAY):
    f = check_rows(valid_row(date_of_birth=value), today=today)
    return {m for m in register_messages(f) if m.startswith("date_of_birth")}, codes_for(f, "date_of_birth")


@pytest.mark.parametrize(("dob", "message", "code"), [
    ("2010-11-28", None, None),  # 16 today: passes
    ("2010-11-29", "date_of_birth cannot be less than 16 years ago", "cell.date_of_birth_under_16"),
    ("2011-11-28", "date_of_birth cannot be less than 16 years ago", "cell.date_of_birth_under_16"),  # 15 years
    ("2026-11-28", "date_of_birth cannot be less than 16 years ago", "cell.date_of_birth_under_16"),  # today
    ("2026-11-29", "date_of_birth must be in the past", "cell.date_in_future"),  # future: P12 before P13
    ("2990-01-01", "date_of_birth must be in the past", "cell.date_in_future"),
    ("1926-11-29", None, None),
    ("1926-11-28", "date_of_birth is invalid", "cell.date_of_birth_too_old"),  # exactly 100 years ago fails
    ("1925-11-28", "date_of_birth is invalid", "cell.date_of_birth_too_old"),  # 101 years
    ("14/11/23", "date_of_birth is invalid", "cell.date_format"),
    ("2023-02-30", "date_of_birth is invalid", "cell.date_format"),
])
def test_date_of_birth_window_one_message_in_registers_order(dob, message, code):
    messages, codes = dob_messages(dob)
    assert messages == ({message} if message else set())
    assert codes == ({code} if code else set())


def test_date_of_birth_leap_day_sixteenth_birthday():
    """Born 29 February: 16 years later counts from 28 February (as Ruby's years.ago does)."""
    messages, _ = dob_messages("2008-02-29", today=dt.date(2024, 2, 28))
    assert messages == {"date_of_birth cannot be less than 16 years ago"}
    messages, _ = dob_messages("2008-02-28", today=dt.date(2024, 2, 29))
    assert messages == set()


# ---------------------------------------------------------------- T3 ITT start
@pytest.mark.parametrize(("start", "ok"), [("2026-11-28", True), ("2026-12-28", True), ("2027-12-31", True),
                                           ("2028-01-01", False), ("2030-09-01", False)])
def test_itt_start_year_at_most_next_year(start, ok):
    f = check_rows(valid_row(itt_start_date=start, trainee_start_date="", itt_end_date="2030-07-31"))
    assert ("itt_start_date must not be more than one year in the future" in register_messages(f)) is not ok
    assert ("cell.itt_start_too_far" in codes_for(f, "itt_start_date")) is not ok


# ---------------------------------------------------------------- T6–T8 ITT end
@pytest.mark.parametrize(("start", "end", "message"), [
    ("2026-09-01", "2031-12-31", None),
    ("2026-09-01", "2032-01-01", "itt_end_date must be within the next 5 years"),
    ("2015-09-01", "2016-11-29", None),
    ("2015-09-01", "2016-11-28", "itt_end_date must be within the last 10 years"),
    ("2014-09-01", "2015-11-28", "itt_end_date must be within the last 10 years"),
    ("2026-09-01", "2026-09-01", "itt_end_date must be after itt_start_date"),
    ("2026-09-01", "2026-08-31", "itt_end_date must be after itt_start_date"),
    ("2033-09-01", "2032-09-01", "itt_end_date must be within the next 5 years"),  # T6 before T8
])
def test_itt_end_date_checks_in_order(start, end, message):
    f = check_rows(valid_row(itt_start_date=start, trainee_start_date="2026-09-01", itt_end_date=end))
    got = {m for m in register_messages(f) if m.startswith("itt_end_date")}
    assert got == ({message} if message else set())


def test_itt_end_checks_need_both_dates_valid():
    f = check_rows(valid_row(itt_start_date="2026-02-30", itt_end_date="2020-01-01", trainee_start_date="2026-09-01"))
    assert {m for m in register_messages(f) if m.startswith("itt_end_date")} == set()


# ---------------------------------------------------------------- T9–T11 trainee start
@pytest.mark.parametrize(("itt", "trainee", "messages", "field", "code"), [
    ("2026-09-01", "", set(), None, None),
    ("2026-12-01", "", set(), None, None),  # future ITT start, trainee start blank: fine
    ("2026-12-01", "2026-12-01", set(), None, None),  # future but equal to ITT start: fine
    ("2026-09-01", "2026-11-28", set(), None, None),  # today is not in the future
    ("2026-09-01", "2026-11-29", {"trainee_start_date must be in the past"}, "trainee_start_date", "cell.trainee_start_in_future"),
    ("2026-09-01", "2016-11-28", {"trainee_start_date Cannot be more than 10 years in the past"}, "trainee_start_date",
     "cell.trainee_start_too_old"),
    ("2026-09-01", "2016-11-29", set(), None, None),
    ("2016-09-01", "", {"trainee_start_date Cannot be more than 10 years in the past"}, "itt_start_date",
     "row.trainee_start_from_itt"),
    ("2026-09-01", "01/09/2026", {"trainee_start_date is invalid"}, "trainee_start_date", "cell.date_format"),
    ("2026-02-30", "", {"trainee_start_date is invalid", "itt_start_date is invalid"}, "itt_start_date",
     "row.trainee_start_from_itt"),
])
def test_trainee_start_date(itt, trainee, messages, field, code):
    f = check_rows(valid_row(itt_start_date=itt, trainee_start_date=trainee, itt_end_date="2027-07-31"))
    got = {m for m in register_messages(f) if m.startswith(("trainee_start_date", "itt_start_date"))}
    assert got == messages
    if code:
        assert code in codes_for(f, field)


def test_blank_trainee_and_itt_start_give_only_itt_blank():
    f = check_rows(valid_row(itt_start_date="", trainee_start_date=""))
    assert {m for m in register_messages(f) if "start_date" in m} == {"itt_start_date can't be blank"}


def test_dates_follow_the_injected_today():
    """The same row is fine in 2026 and too old ten years later."""
    row = valid_row(trainee_start_date="2026-09-01")
    assert not codes_for(check_rows(row, today=TODAY), "trainee_start_date")
    later = check_rows(row, today=dt.date(2036, 9, 1))
    assert "cell.trainee_start_too_old" in codes_for(later, "trainee_start_date")
