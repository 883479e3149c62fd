"""SPEC §11.9: Register's own test situations — offline for every one a file row can express, and
against the practice Register for the rest (its endpoints, states, traps and error shapes)."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from desktop.api.payload import build_payload
from desktop.api.simulator import RegisterSimulator
from desktop.api.updates import TraineeRecord
from desktop.core.action_files import open_action_file
from desktop.core.actions import Outcome, precheck
from desktop.validation.actions import STE_MESSAGE
from tests.helpers import TODAY, check_rows, register_messages, valid_row
from tests.year.conftest import TOKEN, person, write_rows

STE = [{"error": "StateTransitionError", "message": STE_MESSAGE}]
LIST_AGE = ("course_age_range has invalid reference data value of '1234'. Example values include '13909', '13911', "
            "'13912', '13913', '13914', '13915', '13916', '13917', '13918', '13919'...")

# -- the PUT situations a row of the main file can express: sync checks the row offline with Register's rules
PUT_ROWS = [
    ("6", {"first_names": "A" * 73, "email": "invalid"},
     {"email Enter an email address in the correct format, like name@example.com"}, "including"),
    ("7", {"first_names": "A" * 73}, {"first_names is too long (maximum is 60 characters)"}, "exactly"),
    ("14 blank", {"course_age_range": ""}, {"course_age_range can't be blank"}, "exactly"),
    ("14 list", {"course_age_range": "1234"}, {LIST_AGE}, "exactly"),
    ("15 blank", {"sex": ""}, {"sex can't be blank"}, "exactly"),
    ("15 list", {"sex": "3"}, {"sex has invalid reference data value of '3'. Valid values are '10', '11', '12', '96', '99'."},
     "exactly"),
    ("16 start", {"itt_start_date": "2023-02-30"}, {"itt_start_date is invalid"}, "including"),
    ("16 end", {"itt_start_date": "2023-02-28", "itt_end_date": "2023-13-13"}, {"itt_end_date is invalid"}, "including"),
    ("17", {"itt_start_date": "2023-02-28", "itt_end_date": "2022-02-28", "trainee_start_date": ""},
     {"itt_end_date must be after itt_start_date"}, "exactly"),
    ("18 old", {"itt_end_date": "2015-11-27"}, {"itt_end_date must be within the last 10 years"}, "exactly"),
    ("18 ahead", {"itt_end_date": "2032-11-29"}, {"itt_end_date must be within the next 5 years"}, "exactly"),
    ("19 invalid", {"trainee_start_date": "2023-04-31"}, {"trainee_start_date is invalid"}, "including"),
    ("19 future", {"trainee_start_date": "2027-08-01"}, {"trainee_start_date must be in the past"}, "including"),
    ("20", {"training_partner_urn": "", "employing_school_urn": "900020"}, set(), "exactly"),
    ("24 list", {"ethnicity": "Irish"}, {"ethnicity has invalid reference data value of 'Irish'. Example values include "
                                          "'100', '101', '103', '104', '119', '120', '121', '139', '140', '141'..."}, "exactly"),
    ("26", {"itt_start_date": "2021-08-01", "trainee_start_date": "2021-08-01", "itt_end_date": "2022-07-01"},
     {"training_route has invalid reference data value of 'provider_led_postgrad'. Example values include '03', '09', "
      "'10', '11', '12', '14', '15', '16', '17', '18'..."}, "exactly"),
    ("28 two", {"disability1": "58", "disability2": "57"}, set(), "exactly"),
    ("28 same", {"disability1": "58", "disability2": "58"}, {"disabilities contain duplicate values"}, "exactly"),
    ("29", {"disability1": "95"}, set(), "exactly"),
    ("30", {"course_age_range": "13914", "course_subject_1": "100346", "course_subject_2": "101410", "course_subject_3": "100366"},
     {"course_subject_1 is invalid. It should be `100511` for the course_age_range provided"}, "exactly"),
    ("33", {"study_mode": "1"}, {"study_mode has invalid reference data value of '1'. Valid values are '01', '02', "
                                  "'31', '63', '64'."}, "exactly"),
    ("34", {"itt_qualification_aim": "321"}, {"itt_qualification_aim has invalid reference data value of '321'. Example "
                                               "values include '001', '002', '003', '004', '007', '008', '020', '021', "
                                               "'028', '031'..."}, "exactly"),
    ("35", {"training_initiative": "025"},
     {"training_initiative 'transition_to_teach' is not available in academic cycle '2026 to 2027'"}, "exactly"),
    ("36", {"course_year": "abc"}, {"course_year is not a valid course year"}, "including"),
    ("38", {"training_route": "19", "course_subject_1": "100346", "course_age_range": "13920"},
     {"course_subject_1 is invalid. It should be `100510` for the training_route provided"}, "exactly"),
    ("39 alone", {"training_route": "15"}, {"iqts_country can't be blank"}, "exactly"),
    ("39 list", {"training_route": "15", "iqts_country": "InvalidCountry"},
     {"iqts_country has invalid reference data value of 'InvalidCountry'. Example values include 'AD', 'AE', 'AF', 'AG', "
      "'AI', 'AL', 'AM', 'AO', 'AR', 'AS'..."}, "exactly"),
    ("39 ok", {"training_route": "15", "iqts_country": "BO"}, set(), "exactly"),
    ("39 blank", {"iqts_country": "BO"}, {"iqts_country must be blank"}, "exactly"),
    ("46", {"training_route": "09", "fund_code": "2", "funding_method": "D", "uk_degree": "", "degree_subject": "", "degree_grade": "",
                "degree_graduation_year": "", "awarding_institution": ""},
     {"funding_method 'bursary' is not allowed when fund_code is '2' and course_subject_1 is 'mathematics'"}, "exactly"),
    ("51", {"degree_grade": "First", "degree_subject": "Practical Magic", "degree_graduation_year": "2028",
                "uk_degree": "Bachelor of Arts", "awarding_institution": "University of Oxford", "degree_country": "France"},
     {"graduation_year must be in the past, for example 2014", "graduation_year is invalid",
      "subject must be entered if specifying a previous UK degree or non-UK degree",
      "uk_degree has invalid reference data value of 'Bachelor of Arts'. Example values include '001', '002', '003', "
      "'005', '007', '009', '010', '012', '013', '014'...",
      "grade must be entered if specifying a previous UK degree or non-UK degree"}, "exactly"),
    ("PL1", {"placement_1_urn": "12345"}, {"placements_attributes urn is invalid"}, "exactly"),
]


@pytest.mark.parametrize(("case", "changes", "expected", "how"), PUT_ROWS, ids=[c[0] for c in PUT_ROWS])
def test_put_situations_a_row_can_express_are_caught_offline(case, changes, expected, how):
    got = register_messages(check_rows(valid_row(**changes), today=TODAY))
    if how == "exactly":
        assert got == expected
    else:
        assert expected <= got


# -- the same rows against the practice Register, as a PUT of only those fields on a stored trainee
@pytest.fixture
def sim():
    s = RegisterSimulator(token=TOKEN, today=TODAY, rate_limit=100_000, duplicate_rule=False, trn_after=0.0,
                          award_after=10_000.0)
    s.start()
    yield s
    s.stop()


@pytest.fixture
def http(sim):
    with httpx.Client(base_url=sim.base_url + "/", headers={"Authorization": f"Bearer {TOKEN}"}) as c:
        yield c


def new(http, **changes) -> str:
    r = http.post("trainees", json=build_payload(person(len(changes) % 7, **changes)))
    assert r.status_code == 201, r.text
    return r.json()["data"]["trainee_id"]


@pytest.mark.parametrize(("case", "changes", "expected", "how"),
                         [c for c in PUT_ROWS if not c[0].startswith(("51", "PL1", "20", "28 two", "29", "39 ok"))],
                         ids=[c[0] for c in PUT_ROWS if not c[0].startswith(("51", "PL1", "20", "28 two", "29", "39 ok"))])
def test_the_practice_register_answers_the_same_put(http, case, changes, expected, how):
    tid = new(http)
    r = http.put(f"trainees/{tid}", json={"data": {k: v for k, v in build_payload(valid_row(**changes))["data"].items()
                                                   if k in changes or (k in ("training_route", "iqts_country")
                                                                       and k in changes)}
                                          | {k: v for k, v in changes.items() if v == ""}})
    assert r.status_code == 422, r.text
    got = set(r.json()["errors"])
    assert got == expected if how == "exactly" else expected <= got


# -- the action rows: checked offline, and with the trainee's state and data before anything is sent
def record(**values) -> TraineeRecord:
    base = {"trainee_id": "A" * 24, "state": "trn_received", "itt_start_date": "2026-09-01", "training_route": "12",
            "placements": [{"urn": "100100"}, {"urn": "100101"}], "degrees": [{"degree_id": "d"}]}
    return TraineeRecord(base | values)


def offline(tmp_path, kind: str, data: dict[str, str]) -> set[str]:
    f = write_rows(tmp_path / f"{kind}.csv", ["trainee_id", *data], [{"trainee_id": "A" * 24, **data}])
    action = open_action_file(f, kind, today=TODAY)
    return {x.register_message for x in action.findings if x.register_message}


ACTION_ROWS = [
    ("73 without", "withdraw", {"withdrawal_date": "2026-10-01", "trigger": "provider",
                                   "reasons": "had_to_withdraw_trainee_another_reason", "future_interest": "no"},
     {"another_reason Enter another reason"}),
    ("73 with", "withdraw", {"withdrawal_date": "2026-10-01", "trigger": "provider",
                                "reasons": "had_to_withdraw_trainee_another_reason", "future_interest": "no",
                                "another_reason": "Moved abroad"}, set()),
    ("74 without", "withdraw", {"withdrawal_date": "2026-10-01", "trigger": "trainee", "reasons": "safeguarding_concerns",
                                   "future_interest": "no"}, {"safeguarding_concern_reasons Enter the concerns"}),
    ("75 blank", "withdraw", {"withdrawal_date": "", "trigger": "provider", "reasons": "mandatory_reasons",
                                 "future_interest": "no"}, {"withdrawal_date Choose a withdrawal date"}),
    ("76", "withdraw", {"withdrawal_date": "", "trigger": "", "reasons": "invalid_reason", "future_interest": ""},
     {"withdrawal_date Choose a withdrawal date",
      "reasons entered not valid for selected trigger eg unacceptable_behaviour for a trainee trigger",
      "future_interest is not included in the list", "trigger is not included in the list"}),
    ("78", "withdraw", {"withdrawal_date": "31/02/23", "trigger": "provider", "reasons": "", "future_interest": "no"},
     {"withdrawal_date Choose a valid withdrawal date",
      "reasons Choose one or more reasons why the trainee withdrew from the course"}),
    ("79 null", "defer", {"defer_date": ""}, {"defer_date can't be blank"}),
    ("80 abc", "defer", {"defer_date": "abc"}, {"defer_date is invalid"}),
    ("80 501", "defer", {"defer_date": "2026-11-01", "defer_reason": "x" * 501},
     {"defer_reason is too long (maximum is 500 characters)"}),
    ("80 500", "defer", {"defer_date": "2026-11-01", "defer_reason": "x" * 500}, set()),
    ("85 null", "recommend", {"qts_standards_met_date": ""},
     {"qts_standards_met_date can't be blank. Enter a date the trainee met the QTS or EYTS requirements."}),
    ("86 abc", "recommend", {"qts_standards_met_date": "abc"}, {"qts_standards_met_date is invalid"}),
    ("86 tomorrow", "recommend", {"qts_standards_met_date": (TODAY + dt.timedelta(days=1)).isoformat()},
     {"qts_standards_met_date must not be in the future"}),
]


@pytest.mark.parametrize(("case", "kind", "data", "expected"), ACTION_ROWS, ids=[c[0] for c in ACTION_ROWS])
def test_action_rows_are_checked_offline_with_registers_messages(tmp_path, case, kind, data, expected):
    assert offline(tmp_path, kind, data) == expected


WITH_TRAINEE = [
    ("75 before ITT", "withdraw", {"withdrawal_date": "2026-08-31", "trigger": "provider", "reasons": ["mandatory_reasons"],
                                      "future_interest": "no"}, {}, Outcome.REJECTED,
     ["withdrawal_date must be after itt_start_date"]),
    ("77 draft", "withdraw", {"withdrawal_date": "2026-10-01", "trigger": "provider", "reasons": ["mandatory_reasons"],
                                 "future_interest": "no"}, {"state": "draft", "itt_start_date": "2027-09-01"}, Outcome.REFUSED,
     [STE_MESSAGE]),
    ("80 draft", "defer", {"defer_date": "2026-11-01"}, {"state": "draft"}, Outcome.REFUSED,
     ["state is invalid must be one of [submitted_for_trn, trn_received]"]),
    ("83 route 12, none", "recommend", {"qts_standards_met_date": "2026-11-01"}, {"placements": []}, Outcome.REJECTED,
     ["placements must be at least 2 for the provider_led_postgrad training route"]),
    ("83 route 03, one", "recommend", {"qts_standards_met_date": "2026-11-01"},
     {"training_route": "03", "placements": [{"urn": "1"}]}, Outcome.REJECTED,
     ["placements must be at least 2 for the school_direct_salaried training route"]),
    ("83 route 03, two", "recommend", {"qts_standards_met_date": "2026-11-01"}, {"training_route": "03"}, None, []),
    ("84 iQTS one", "recommend", {"qts_standards_met_date": "2026-11-01"},
     {"training_route": "15", "placements": [{"urn": "1"}]}, None, []),
    ("84 iQTS none", "recommend", {"qts_standards_met_date": "2026-11-01"}, {"training_route": "15", "placements": []},
     Outcome.REJECTED, ["placements must be at least 1 for the iqts training route"]),
    ("85 no degree", "recommend", {"qts_standards_met_date": "2026-11-01"}, {"degrees": []}, Outcome.REJECTED,
     ["degree_id must be completed before qts_standards_met_date"]),
    ("86 before ITT", "recommend", {"qts_standards_met_date": "2026-08-01"}, {}, Outcome.REJECTED,
     ["qts_standards_met_date must be after itt_start_date"]),
    ("86 waiting for TRN", "recommend", {"qts_standards_met_date": "2026-11-01"}, {"state": "submitted_for_trn"},
     Outcome.REFUSED, ["state must be selected as trn_received"]),
    ("87 route 16", "recommend", {"qts_standards_met_date": "2026-11-01"}, {"training_route": "16", "placements": []},
     None, []),
    ("87 route 18 none, no degree", "recommend", {"qts_standards_met_date": "2026-11-01"},
     {"training_route": "18", "placements": [], "degrees": []}, None, []),
    ("87 route 20 none", "recommend", {"qts_standards_met_date": "2026-11-01"}, {"training_route": "20", "placements": []},
     None, []),
]


@pytest.mark.parametrize(("case", "kind", "body", "held", "outcome", "messages"), WITH_TRAINEE,
                         ids=[c[0] for c in WITH_TRAINEE])
def test_rules_that_need_the_trainee_are_checked_before_sending(case, kind, body, held, outcome, messages):
    got = precheck(kind, record(**held), body, TODAY)
    if outcome is None:
        assert got is None
    else:
        assert got is not None and got[0] == outcome and got[1] == messages and got[2]  # and words saying what to do


@pytest.mark.parametrize(("case", "kind", "body", "held", "outcome", "messages"),
                         [c for c in WITH_TRAINEE if "draft" not in c[0]],
                         ids=[c[0] for c in WITH_TRAINEE if "draft" not in c[0]])
def test_the_practice_register_answers_the_same_action(sim, http, case, kind, body, held, outcome, messages):
    route = held.get("training_route", "12")
    changes: dict[str, str] = {"training_route": route}
    if route == "15":
        changes["iqts_country"] = "BO"
    if route in ("18", "20", "16", "03"):
        changes.update(course_age_range="13920" if route in ("18", "20") else "13918",
                       course_subject_1="100510" if route in ("18", "20") else "100403",
                       itt_aim="201" if route == "18" else "202",
                       fund_code="2" if route in ("16", "18") else "7", funding_method="6")
    if route in ("18", "16"):
        changes["study_mode"] = "01" if route == "18" else ""
    if "placements" in held:
        n = len(held["placements"])
        changes.update(placement_1_urn="100100" if n > 0 else "", placement_2_urn="100101" if n > 1 else "")
    drop_degree = held.get("degrees") == [] and route not in ("09", "11", "14", "18")
    if held.get("degrees") == [] and not drop_degree:
        changes.update(uk_degree="", degree_subject="", degree_grade="", degree_graduation_year="",
                       awarding_institution="")
    if held.get("state") == "submitted_for_trn":
        sim.trn_after = 10_000.0
    payload = build_payload(person(3, **changes))
    created = http.post("trainees", json=payload)
    assert created.status_code == 201, created.text
    tid = created.json()["data"]["trainee_id"]
    if drop_degree:  # DG5: Register lets a degree route lose its degree; Q4 then refuses the recommendation
        degree_id = created.json()["data"]["degrees"][0]["degree_id"]
        assert http.delete(f"trainees/{tid}/degrees/{degree_id}").status_code == 200
    path = {"withdraw": "withdraw", "defer": "defer", "recommend": "update-qts-or-eyts-status"}[kind]
    r = http.post(f"trainees/{tid}/{path}", json={"data": body})
    if outcome is None:
        assert r.status_code in (200, 202), r.text
    else:
        assert r.status_code == 422
        assert [e["message"] for e in r.json()["errors"]] == messages
