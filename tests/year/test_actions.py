"""Withdraw, defer and recommend from files against the loopback Register: states, refusals, exactly once."""

from __future__ import annotations

import pytest

from desktop.cli import main
from tests.year.conftest import TODAY, create, person, sent_since, state_of, write_rows

pytestmark = pytest.mark.integration


def run(*args: str) -> int:
    return main([*args, "--yes", "--no-progress", "--today", TODAY.isoformat()])


def test_withdraw_defer_recommend_with_states_refusals_and_no_repeats(tmp_path, sim, env_token, capsys):
    people = [person(i) for i in range(9)]
    people[8]["placement_2_urn"] = ""  # one placement only: too few to be recommended (route 12 needs 2)
    made = create(sim, people)
    sim.trn_after = 10_000.0  # the next trainee waits for its TRN
    waiting = create(sim, [person(9)])[0]
    ids = [t["trainee_id"] for t in made]
    env = sim.base_url

    withdraw = write_rows(tmp_path / "withdraw.csv",
                          ["HESA ID", "withdrawal_date", "trigger", "reasons", "future_interest", "another_reason"], [
        {"HESA ID": people[0]["hesa_id"], "withdrawal_date": "13/10/2026", "trigger": "Provider",
         "reasons": "Record added in error", "future_interest": "No"},
        {"HESA ID": people[1]["hesa_id"], "withdrawal_date": "2026-10-20", "trigger": "trainee",
         "reasons": "does_not_want_to_become_a_teacher; trainee_workload_issues", "future_interest": "unknown"},
        {"HESA ID": people[2]["hesa_id"], "withdrawal_date": "2026-11-02", "trigger": "provider",
         "reasons": "had_to_withdraw_trainee_another_reason", "future_interest": "yes",
         "another_reason": "Moved abroad before the second placement"},
    ])
    before = sim.stats.requests
    assert run("withdraw", str(withdraw), "--env", env) == 0, capsys.readouterr().err
    assert [state_of(sim, ids[i])["state"] for i in range(3)] == ["withdrawn"] * 3
    w = state_of(sim, ids[2])
    assert w["withdrawal_trigger"] == "provider" and w["withdrawal_another_reason"].startswith("Moved abroad")
    assert state_of(sim, ids[1])["withdrawal_reasons"] == ["does_not_want_to_become_a_teacher", "trainee_workload_issues"]
    assert sim.stats.requests > before

    defer = write_rows(tmp_path / "defer.csv", ["provider_trainee_id", "defer_date", "defer_reason"], [
        {"provider_trainee_id": people[3]["provider_trainee_id"], "defer_date": "2026-11-01",
         "defer_reason": "Illness"},
        {"provider_trainee_id": people[4]["provider_trainee_id"], "defer_date": "02/11/2026"},
    ])
    assert run("defer", str(defer), "--env", env) == 0, capsys.readouterr().err
    assert [state_of(sim, ids[i])["state"] for i in (3, 4)] == ["deferred"] * 2

    recommend = write_rows(tmp_path / "recommend.csv", ["trainee_id", "qts_standards_met_date"], [
        {"trainee_id": ids[5], "qts_standards_met_date": "2026-11-20"},
        {"trainee_id": ids[6], "qts_standards_met_date": "2026-11-20"},
        {"trainee_id": ids[7], "qts_standards_met_date": "20/11/2026"},
        {"trainee_id": ids[8], "qts_standards_met_date": "2026-11-20"},
        {"trainee_id": waiting["trainee_id"], "qts_standards_met_date": "2026-11-20"},
    ])
    capsys.readouterr()
    assert run("recommend", str(recommend), "--env", env) == 1
    err = capsys.readouterr().err
    assert [state_of(sim, ids[i])["state"] for i in (5, 6, 7)] == ["recommended_for_award"] * 3
    assert state_of(sim, ids[8])["state"] == "trn_received"
    assert state_of(sim, waiting["trainee_id"])["state"] == "submitted_for_trn"
    assert "placements must be at least 2 for the provider_led_postgrad training route" in err
    assert "state must be selected as trn_received" in err and "waiting for its TRN" in err
    assert state_of(sim, ids[8]).get("outcome_date") is None

    # each command again: nothing is sent, nothing is even read
    for kind, path in (("withdraw", withdraw), ("defer", defer)):
        before = sim.stats.requests
        assert run(kind, str(path), "--env", env) == 0
        assert sim.stats.requests == before, kind
    before = dict(sim.stats.by_endpoint)
    assert run("recommend", str(recommend), "--env", env) == 1
    # the two refused rows are read again (their state may have changed); nothing is sent
    assert all(k.startswith("GET ") for k in sent_since(sim, before)), sent_since(sim, before)
