"""The practice Register after creation (SPEC §11): PUT and its traps, degrees, placements, actions, states, TRNs."""

from __future__ import annotations

import httpx
import pytest

from desktop.api.payload import build_payload
from desktop.api.simulator import RegisterSimulator
from desktop.validation.actions import STE_MESSAGE
from tests.helpers import TODAY
from tests.year.conftest import TOKEN, person

STE = {"errors": [{"error": "StateTransitionError", "message": STE_MESSAGE}]}
MISSING = {"errors": ["Param is missing or the value is empty or invalid: data"]}


class Clock:
    now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def sim(clock):
    s = RegisterSimulator(token=TOKEN, today=TODAY, rate_limit=100_000, duplicate_rule=False, trn_after=5.0,
                          award_after=60.0, clock=clock)
    s.start()
    yield s
    s.stop()


@pytest.fixture
def c(sim):
    with httpx.Client(base_url=sim.base_url + "/", headers={"Authorization": f"Bearer {TOKEN}"}) as client:
        yield client


def make(c, i: int = 0, **changes) -> dict:
    r = c.post("trainees", json=build_payload(person(i, **changes)))
    assert r.status_code == 201, r.text
    return r.json()["data"]


def put(c, tid: str, data: dict) -> httpx.Response:
    return c.put(f"trainees/{tid}", json={"data": data})


def force_state(sim, tid: str, state: str) -> None:
    with sim._lock:
        sim._records[tid]["state"] = state


# ---------------------------------------------------------------------- PUT
def test_put_is_partial_and_recomputes_three_values_from_the_body_alone(c):
    t = make(c, 0, disability1="55", training_initiative="026")
    assert (t["training_initiative"], t["course_education_phase"], t["diversity_disclosure"]) == \
        ("026", "secondary", "diversity_disclosed")
    r = put(c, t["trainee_id"], {"first_names": "Alice", "provider_trainee_id": "99157234/2/01"})  # #8
    d = r.json()["data"]
    assert r.status_code == 200 and d["first_names"] == "Alice" and d["provider_trainee_id"] == "99157234/2/01"
    assert d["record_source"] == "api" and d["trainee_id"] == t["trainee_id"] and d["last_name"] == t["last_name"]
    # the traps of §11.2: a body without them resets the initiative and the disclosure, and the phase follows the body
    assert d["training_initiative"] is None and d["diversity_disclosure"] == "diversity_not_disclosed"
    assert d["disability1"] == "55"  # disabilities not in the body are kept (merge by position)


def test_put_of_the_complete_body_twice_is_harmless(c):
    """SPEC §11.8: the same full body again answers 200 with the same values (so sync may retry a PUT)."""
    t = make(c, 1, disability1="57", training_initiative="026")
    body = {k: v for k, v in build_payload(person(1, disability1="57", training_initiative="026",
                                                  last_name="Jones"))["data"].items()
            if k not in ("degrees_attributes", "placements_attributes")}
    first = put(c, t["trainee_id"], body).json()["data"]
    second = put(c, t["trainee_id"], body).json()["data"]
    drop = ("updated_at",)
    assert {k: v for k, v in first.items() if k not in drop} == {k: v for k, v in second.items() if k not in drop}
    assert first["last_name"] == "Jones" and first["training_initiative"] == "026"
    assert len(first["degrees"]) == 1 and len(first["placements"]) == 2


@pytest.mark.parametrize("state", ["recommended_for_award", "withdrawn", "awarded"])
def test_locked_states_refuse_every_change(sim, c, state):  # #3, #47, #53, #59, #61, #66, #70
    t = make(c)
    tid, did, pid = t["trainee_id"], t["degrees"][0]["degree_id"], t["placements"][0]["placement_id"]
    force_state(sim, tid, state)
    for method, path, body in (("PUT", f"trainees/{tid}", {"first_names": "X"}),
                               ("POST", f"trainees/{tid}/degrees", {"subject": "100425"}),
                               ("PUT", f"trainees/{tid}/degrees/{did}", {"subject": "100425"}),
                               ("DELETE", f"trainees/{tid}/degrees/{did}", None),
                               ("POST", f"trainees/{tid}/placements", {"urn": "100200"}),
                               ("PUT", f"trainees/{tid}/placements/{pid}", {"urn": "100200"}),
                               ("DELETE", f"trainees/{tid}/placements/{pid}", None)):
        r = c.request(method, path, json={"data": body} if body else None)
        assert (r.status_code, r.json()) == (422, STE), (method, path)
    assert c.get(f"trainees/{tid}").status_code == 200  # reads work in every state


def test_unknown_ids_missing_data_and_bad_json(c):  # #4, #5, #45, #60, #70, #71
    t = make(c)
    tid = t["trainee_id"]
    nf = c.post("trainees/XXXXXXXXXXXXXXXXXXXXXXXX/withdraw", json={"data": {"trigger": "provider"}})
    assert (nf.status_code, nf.json()) == (404, {"errors": [{"error": "NotFound", "message": "Trainee(s) not found"}]})
    assert put(c, "nope", {"first_names": "A"}).status_code == 404
    r = c.put(f"trainees/{tid}", json={"foo": {"bar": "Alice"}})
    assert (r.status_code, r.json()) == (422, MISSING)
    assert put(c, tid, {"trn": "567899"}).json() == MISSING  # read-only keys only
    bad = c.put(f"trainees/{tid}", content=b'{"data": {"first_names": "A",}}', headers={"Content-Type": "application/json"})
    assert bad.status_code == 400 and c.get(f"trainees/{tid}").json()["first_names"] == t["first_names"]
    assert c.get(f"trainees/{tid}/degrees/nope").json()["errors"][0]["message"] == "Degree(s) not found"
    assert c.delete(f"trainees/{tid}/placements/nope").json()["errors"][0]["message"] == "Placement(s) not found"
    # defer and QTS read the body before the trainee (§11.5)
    assert c.post("trainees/nope/defer", json={}).json() == MISSING


def test_nationality_is_replaced_and_lost_by_a_422(c):  # #11, #12
    tid = make(c)["trainee_id"]
    assert put(c, tid, {"nationality": "IE"}).json()["data"]["nationality"] == "IE"
    assert put(c, tid, {"nationality": "FR"}).json()["data"]["nationality"] == "FR"
    r = put(c, tid, {"nationality": "XX"})
    assert r.status_code == 422 and r.json()["errors"][0].startswith("nationality has invalid reference data value of 'XX'")
    assert c.get(f"trainees/{tid}").json()["nationality"] is None  # deleted before validation, not put back


def test_trn_ethnicity_route_and_subjects(c):  # #23, #24, #25, #32
    tid = make(c, course_subject_2="100302")["trainee_id"]
    d = put(c, tid, {"trn": "567899", "ethnicity": "899", "ethnic_group": "x"}).json()["data"]
    assert d["trn"] is None and d["ethnic_group"] == "other_ethnic_group"
    assert d["ethnic_background"] == "Another ethnic background"
    assert put(c, tid, {"ethnicity": "142"}).json()["data"]["ethnicity"] == "142"
    assert put(c, tid, {"ethnicity": None}).json()["data"]["ethnicity"] == "997"
    assert put(c, tid, {"training_route": None}).json()["data"]["training_route"] == "12"
    assert put(c, tid, {"course_subject_2": None}).json()["data"]["course_subject_2"] is None


def test_disabilities_merge_by_position(c):  # #27, #28, #29
    tid = make(c, disability1="55")["trainee_id"]
    assert put(c, tid, {"first_names": "A"}).json()["data"]["disability1"] == "55"
    two = put(c, tid, {"disability2": "57"}).json()["data"]
    assert (two["disability1"], two["disability2"], two["disability_disclosure"]) == ("55", "57", "disabled")
    one = put(c, tid, {"disability1": "57", "disability2": ""}).json()["data"]
    assert one["disability1"] == "57" and one["disability2"] == ""
    assert put(c, tid, {"disability1": "58", "disability2": "58"}).json()["errors"] == ["disabilities contain duplicate values"]
    tid2 = make(c, 2, disability1="55")["trainee_id"]
    assert put(c, tid2, {"disability1": "95"}).json()["data"]["disability_disclosure"] == "no_disability"


def test_iqts_country_follows_the_route(c):  # #39, #40
    tid = make(c)["trainee_id"]
    assert put(c, tid, {"training_route": "15"}).json()["errors"] == ["iqts_country can't be blank"]
    d = put(c, tid, {"training_route": "15", "iqts_country": "BO"}).json()["data"]
    assert d["iqts_country"] == "BO"
    assert put(c, tid, {"training_route": "12"}).json()["data"]["iqts_country"] is None


def test_study_mode_and_ignored_degrees_attributes(c):  # #43, #44
    t = make(c)
    d = put(c, t["trainee_id"], {"first_names": "A", "study_mode": "64",
                                 "degrees_attributes": [{"non_uk_degree": "097", "country": "MX"}]}).json()["data"]
    assert d["study_mode"] == "64" and d["degrees"] == t["degrees"]


# ---------------------------------------------------------------------- degrees
def test_degrees_create_echo_duplicate_switch_and_delete(c):  # #48, #49, #50, #55, #57, #59, #60
    t = make(c)
    tid = t["trainee_id"]
    r = c.post(f"trainees/{tid}/degrees", json={"data": {"grade": "02", "subject": "100425", "institution": "1166",
                                                          "uk_degree": "014", "graduation_year": "2015-01-01",
                                                          "country": "XF"}})
    d = r.json()["data"]
    assert r.status_code == 201 and d["graduation_year"] == 2015 and d["country"] is None and "locale_code" not in d
    dup = c.post(f"trainees/{tid}/degrees", json={"data": {"grade": "02", "subject": "100425", "institution": "1166",
                                                            "uk_degree": "014", "graduation_year": "2015"}})
    assert dup.status_code == 409 and dup.json()["errors"] == [{"error": "Conflict", "message": "This is a duplicate degree"}]
    assert [x["degree_id"] for x in dup.json()["data"]] == [d["degree_id"]]
    assert len(c.get(f"trainees/{tid}/degrees").json()["data"]) == 2
    non_uk = c.put(f"trainees/{tid}/degrees/{d['degree_id']}",
                   json={"data": {"non_uk_degree": "097", "country": "MX"}}).json()["data"]
    assert (non_uk["uk_degree"], non_uk["country"], non_uk["institution"]) == (None, "MX", None)
    back = c.put(f"trainees/{tid}/degrees/{d['degree_id']}", json={"data": {"uk_degree": "051"}}).json()["data"]
    assert back["country"] is None and back["uk_degree"] == "051"
    same = c.put(f"trainees/{tid}/degrees/{d['degree_id']}",
                 json={"data": {k: t["degrees"][0][k] for k in ("uk_degree", "subject", "grade", "institution")}
                       | {"graduation_year": str(t["degrees"][0]["graduation_year"])}})
    assert same.status_code == 409
    gone = c.delete(f"trainees/{tid}/degrees/{d['degree_id']}")
    assert gone.status_code == 200 and len(gone.json()["data"]["degrees"]) == 1
    assert c.delete(f"trainees/{tid}/degrees/{d['degree_id']}").status_code == 404  # a repeated DELETE: done


# ---------------------------------------------------------------------- placements
def test_placements_schools_names_and_no_duplicate_check(c):  # #62–#65, #67, #70
    tid = make(c)["trainee_id"]
    school = c.post(f"trainees/{tid}/placements", json={"data": {"urn": "100200", "name": "ignored"}}).json()["data"]
    assert school["urn"] == "100200" and school["name"] != "ignored" and school["address"].startswith("URN 100200, ")
    blank = c.post(f"trainees/{tid}/placements", json={"data": {"urn": None, "name": None, "postcode": None}})
    assert blank.json() == {"errors": [{"error": "UnprocessableEntity", "message": "name can't be blank"}]}
    free = c.post(f"trainees/{tid}/placements", json={"data": {"name": "Hill Farm Nursery", "postcode": "GU1 1AA"}})
    assert free.status_code == 201 and free.json()["data"]["urn"] is None
    assert c.post(f"trainees/{tid}/placements", json={"data": {"urn": "900020"}}).json()["errors"][0]["message"] == \
        "name can't be blank"  # PL5: no automatic name here
    again = c.post(f"trainees/{tid}/placements", json={"data": {"urn": "100200"}})
    assert again.status_code == 201  # PL7: a second placement at the same school
    moved = c.put(f"trainees/{tid}/placements/{school['placement_id']}",
                  json={"data": {"urn": "654321", "name": "New place"}}).json()["data"]
    assert moved["postcode"] is None and moved["address"] == "URN 654321"
    assert len(c.get(f"trainees/{tid}/placements").json()["data"]) == 5
    assert c.post(f"trainees/{tid}/placements", json={"data": {"urn": "12345", "name": "x"}}).json()["errors"][0][
        "message"] == "urn is invalid"


# ---------------------------------------------------------------------- states, TRNs, actions
def test_trn_arrives_after_trn_after_seconds_and_awards_follow_recommendations(sim, c, clock):
    tid = make(c)["trainee_id"]
    assert c.get(f"trainees/{tid}").json()["state"] == "submitted_for_trn"
    clock.now += 6
    got = c.get(f"trainees/{tid}").json()
    assert got["state"] == "trn_received" and len(got["trn"]) == 7
    r = c.post(f"trainees/{tid}/recommend-for-qts", json={"data": {"qts_standards_met_date": TODAY.isoformat()}})
    assert r.status_code == 202 and r.json()["data"]["state"] == "recommended_for_award"  # #81, the old path
    assert r.json()["data"]["outcome_date"] == TODAY.isoformat()
    clock.now += 61
    done = c.get(f"trainees/{tid}").json()
    assert done["state"] == "awarded" and done["awarded_at"] == TODAY.isoformat()
    listed = c.get("trainees", params={"academic_cycle": 2026, "status": "awarded"}).json()["data"]
    assert [t["trainee_id"] for t in listed] == [tid]


def test_a_deferred_trainee_keeps_its_state_when_the_trn_arrives_and_can_be_withdrawn(sim, c, clock):
    tid = make(c)["trainee_id"]
    d = c.post(f"trainees/{tid}/defer", json={"data": {"defer_date": "2026-11-01", "defer_reason": "x" * 500}})
    assert d.status_code == 200 and d.json()["data"]["state"] == "deferred"
    again = c.post(f"trainees/{tid}/defer", json={"data": {"defer_date": "2026-11-01"}})
    assert again.json()["errors"][0]["message"] == "state is invalid must be one of [submitted_for_trn, trn_received]"
    clock.now += 6
    held = c.get(f"trainees/{tid}").json()
    assert held["state"] == "deferred" and held["trn"]
    qts = c.post(f"trainees/{tid}/update-qts-or-eyts-status", json={"data": {"qts_standards_met_date": "2026-11-02"}})
    assert qts.json()["errors"][-1]["message"] == "state must be selected as trn_received"
    w = c.post(f"trainees/{tid}/withdraw", json={"data": {"withdrawal_date": "2026-11-03", "trigger": "trainee",
                                                          "reasons": ["trainee_workload_issues"],
                                                          "future_interest": "yes"}}).json()["data"]
    assert (w["state"], w["withdrawal_trigger"], w["withdrawal_reasons"]) == ("withdrawn", "trainee",
                                                                              ["trainee_workload_issues"])
    assert c.post(f"trainees/{tid}/withdraw", json={"data": {"withdrawal_date": "2026-11-03"}}).json() == STE
    assert c.post(f"trainees/{tid}/withdraw", json={"data": {"withdraw_date": "2026-11-03"}}).status_code == 422


def test_withdraw_before_the_course_starts_is_a_state_transition_error(c):  # W2
    tid = make(c, 4, itt_start_date="2027-01-05", trainee_start_date="", itt_end_date="2027-12-01")["trainee_id"]
    r = c.post(f"trainees/{tid}/withdraw", json={"data": {"withdrawal_date": "2027-01-10", "trigger": "provider",
                                                          "reasons": ["mandatory_reasons"], "future_interest": "no"}})
    assert r.json() == STE
