"""The local Register: Register's paths, shapes, auth, fixed-window rate limit, duplicate rule, faults."""

import httpx
import pytest

from desktop.api.payload import build_payload
from desktop.api.simulator import Faults, RegisterSimulator
from tests.helpers import TODAY, valid_row

TOKEN = "practice_" + "0f" * 32


class Clock:
    now = 1_800_000_000.0  # a multiple of 60: windows start here

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def sim(tmp_path):
    s = RegisterSimulator(token=TOKEN, today=TODAY, rate_limit=1000, window=60)
    s.start()
    yield s
    s.stop()


def call(sim, method, path, *, token=TOKEN, body=None, headers=None, params=None):
    h = {"Authorization": f"Bearer {token}"} if token else {}
    h.update(headers or {})
    with httpx.Client(base_url=sim.base_url + "/") as c:
        if body is not None:
            return c.request(method, path, json=body, headers=h, params=params)
        return c.request(method, path, headers=h, params=params)


def test_info_with_the_token():
    with RegisterSimulator(token=TOKEN) as s:
        r = call(s, "GET", "info")
    assert r.status_code == 200
    assert r.json() == {"status": "ok", "version": {"requested": "v2026.1", "latest": "v2026.1"}}


def test_wrong_token_gets_registers_401_shape(sim):
    r = call(sim, "GET", "info", token="practice_nope")
    assert r.status_code == 401 and r.json() == {"error": "Unauthorized"}
    assert call(sim, "GET", "info", token=None).status_code == 401


def test_bare_token_without_bearer_is_accepted(sim):
    with httpx.Client() as c:
        assert c.get(f"{sim.base_url}/info", headers={"Authorization": TOKEN}).status_code == 200


def test_generated_token_when_none_given():
    s = RegisterSimulator()
    assert s.token.startswith("practice_") and len(s.token) == len("practice_") + 64


def test_other_versions_and_paths_are_404(sim):
    with httpx.Client() as c:
        r = c.get(sim.base_url.replace("v2026.1", "v2025.0") + "/info", headers={"Authorization": f"Bearer {TOKEN}"})
        assert r.status_code == 404
        assert r.json() == {"errors": [{"error": "NotFound", "message": "Not found"}]}
    assert call(sim, "GET", "nothing-here").status_code == 404


def test_reference_data_without_token(sim):
    r = call(sim, "GET", "reference-data", token=None)
    assert r.status_code == 200
    doc = r.json()
    assert {"sex", "training_route", "degree_subject", "withdrawal_reasons"} <= set(doc)
    assert {"code": "10", "display_name": doc["sex"]["entries"][0]["display_name"], "start_year": None,
            "end_year": None} == doc["sex"]["entries"][0]
    one = call(sim, "GET", "reference-data", token=None, params={"field": "sex"}).json()
    assert one == doc["sex"]
    bad = call(sim, "GET", "reference-data", token=None, params={"field": "bogus"})
    assert bad.status_code == 404 and bad.json()["errors"][0]["message"] == "Reference data field 'bogus' not found"


def test_create_then_duplicate(sim):
    r = call(sim, "POST", "trainees", body=build_payload(valid_row()))
    assert r.status_code == 201
    trainee = r.json()["data"]
    assert len(trainee["trainee_id"]) == 24 and trainee["state"] == "submitted_for_trn"
    assert trainee["trainee_start_date"] == "2026-09-01"  # blank → copy of itt_start_date
    again = call(sim, "POST", "trainees", body=build_payload(valid_row()))
    assert again.status_code == 409
    assert again.json()["errors"] == [{"error": "Conflict", "message": "This trainee is already in Register"}]
    assert [t["trainee_id"] for t in again.json()["data"]] == [trainee["trainee_id"]]


@pytest.mark.parametrize(("change", "duplicate"), [
    ({"first_names": "SIÂN Mair", "email": "other@example.com"}, True),  # first-name key "sin" both
    ({"first_names": "Ann", "email": "SIAN.OBRIEN@example.com "}, True),  # e-mail match
    ({"last_name": "o'brien"}, True),  # surname any case
    ({"first_names": "Ann", "email": "ann@example.com"}, False),
    ({"date_of_birth": "1990-04-14"}, False),
    ({"itt_start_date": "2025-09-01", "itt_end_date": "2026-07-16"}, False),  # another cycle
])
def test_registers_duplicate_rule(sim, change, duplicate):
    assert call(sim, "POST", "trainees", body=build_payload(valid_row())).status_code == 201
    status = call(sim, "POST", "trainees", body=build_payload(valid_row(**change))).status_code
    assert status == (409 if duplicate else 201)


def test_validation_errors_in_registers_words(sim):
    r = call(sim, "POST", "trainees", body=build_payload(valid_row(sex="Female", email="nope")))
    assert r.status_code == 422
    doc = r.json()
    assert doc["message"] == "Validation failed: 2 errors prohibited this trainee from being saved"
    assert "email Enter an email address in the correct format, like name@example.com" in doc["errors"]
    assert any(m.startswith("sex has invalid reference data value of 'Female'") for m in doc["errors"])
    assert sim.trainees() == []


def test_enhanced_errors_shape(sim):
    r = call(sim, "POST", "trainees", body=build_payload(valid_row(email="nope", degree_subject="xyz")),
             headers={"Enhanced-Errors": "true"})
    errors = r.json()["errors"]
    assert errors["email"] == ["Enter an email address in the correct format, like name@example.com"]
    assert "subject" in errors["degrees_attributes"]


def test_unknown_school_urn(sim):
    r = call(sim, "POST", "trainees", body=build_payload(valid_row(employing_school_urn="123456")))
    assert r.status_code == 422
    assert "employing_school_id is invalid. The URN '123456' does not match any known schools" in r.json()["errors"]


def test_missing_data_and_bad_json(sim):
    r = call(sim, "POST", "trainees", body={"nothing": 1})
    assert r.status_code == 422 and r.json() == {"errors": ["Param is missing or the value is empty or invalid: data"]}
    with httpx.Client() as c:
        bad = c.post(f"{sim.base_url}/trainees", content=b"{oops", headers={
            "Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"})
    assert bad.status_code == 400 and isinstance(bad.json()["errors"][0], str)


def test_list_paging_since_and_empty_404(sim):
    for i in range(5):
        assert call(sim, "POST", "trainees", body=build_payload(valid_row(last_name=f"Ní Bhriain{i}"))).status_code == 201
    first = call(sim, "GET", "trainees", params={"per_page": 2, "page": 1, "sort_order": "asc"}).json()
    assert first["meta"] == {"current_page": 1, "total_pages": 3, "total_count": 5, "per_page": 2}
    assert [t["last_name"] for t in first["data"]] == ["Ní Bhriain0", "Ní Bhriain1"]
    past = call(sim, "GET", "trainees", params={"page": 4, "per_page": 2})
    assert past.status_code == 404 and past.json()["errors"][0]["message"] == "No trainees found"
    assert call(sim, "GET", "trainees", params={"since": "2999-01-01T00:00:00Z"}).status_code == 404
    assert call(sim, "GET", "trainees", params={"academic_cycle": "2025"}).status_code == 404
    bad = call(sim, "GET", "trainees", params={"since": "2023-13-01"})
    assert bad.status_code == 422 and bad.json()["errors"] == {"since": ["2023-13-01 is not a valid date"]}
    tid = first["data"][0]["trainee_id"]
    assert call(sim, "GET", f"trainees/{tid}").json()["trainee_id"] == tid  # bare, not wrapped
    assert call(sim, "GET", "trainees/nope").status_code == 404


def test_fixed_window_rate_limit_with_retry_after():
    clock = Clock()
    with RegisterSimulator(token=TOKEN, rate_limit=3, window=60, clock=clock) as s:
        clock.now += 45.2
        assert [call(s, "GET", "info").status_code for _ in range(3)] == [200, 200, 200]
        r = call(s, "GET", "info")
        assert r.status_code == 429 and r.text == "Retry later\n"
        assert r.headers["content-type"] == "text/plain" and r.headers["retry-after"] == "15"
        assert call(s, "GET", "reference-data", token=None).status_code == 429  # counts every /api path
        clock.now += 15
        assert call(s, "GET", "info").status_code == 200  # a new window
        assert s.stats.rate_limited == 2


def test_state_file_survives_a_restart(tmp_path):
    state = tmp_path / "sim.json"
    with RegisterSimulator(token=TOKEN, state_file=state) as s:
        tid = call(s, "POST", "trainees", body=build_payload(valid_row())).json()["data"]["trainee_id"]
    assert oct(state.stat().st_mode & 0o777) == "0o600"
    assert TOKEN not in state.read_text("utf-8")
    with RegisterSimulator(token=TOKEN, state_file=state) as s:
        assert [t["trainee_id"] for t in s.trainees()] == [tid]
        assert call(s, "POST", "trainees", body=build_payload(valid_row())).status_code == 409


def test_damaged_state_file_is_refused_clearly(tmp_path):
    state = tmp_path / "sim.json"
    state.write_text("{not json", "utf-8")
    with pytest.raises(ValueError, match="not a simulator state file"):
        RegisterSimulator(state_file=state)


def test_faults_parse():
    f = Faults.parse("5xx=0.1, drop-after=0.05,slow=1,slow-seconds=3,429=0.2,seed=7")
    assert (f.server_error, f.drop_after, f.slow, f.slow_seconds, f.rate_limited, f.seed) == (0.1, 0.05, 1, 3, 0.2, 7)
    for bad in ["boom=1", "5xx=2", "5xx=x", "drop"]:
        with pytest.raises(ValueError):
            Faults.parse(bad)


def test_drop_after_creates_but_never_answers():
    with RegisterSimulator(token=TOKEN, faults=Faults(drop_after=1.0)) as s:
        with pytest.raises(httpx.RemoteProtocolError):
            call(s, "POST", "trainees", body=build_payload(valid_row()))
        assert len(s.trainees()) == 1


def test_server_error_before_creates_nothing():
    with RegisterSimulator(token=TOKEN, faults=Faults(server_error=1.0)) as s:
        assert call(s, "POST", "trainees", body=build_payload(valid_row())).status_code == 500
        assert s.trainees() == []


def test_listens_on_loopback_only():
    with pytest.raises(ValueError, match="this computer only"):
        RegisterSimulator(host="0.0.0.0")


def test_readiness_422_for_not_disabled_codes_together(sim, monkeypatch):
    """Past the attribute checks, 98 and 99 together fail Register's record-level check (SPEC §7.5.4)."""
    monkeypatch.setattr(sim, "_validate", lambda data: [])  # as if the attribute checks passed
    r = call(sim, "POST", "trainees", body=build_payload(valid_row(disability1="98", disability2="99")))
    assert r.status_code == 422
    assert r.json() == {"message": "Validation failed: 1 error prohibited this trainee from being saved",
                        "errors": {"diversity": {"disability_ids": ["Trainee has been disclosed as disabled but no disabilities exist"]}}}
    assert call(sim, "POST", "trainees", body=build_payload(valid_row(disability1="98", disability2="57"))).status_code == 201
