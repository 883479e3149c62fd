"""Sync and the actions on issue 11's trainee ledger: one create path, one writer per environment, every request
journalled on the trainee's entry, what Register holds remembered — so sync, upload and the actions never repeat
each other's work."""

from __future__ import annotations

import contextlib
import io
import os
import time

import pytest

from desktop.cli import main
from desktop.core.journal import Journal
from desktop.core.ledger import Lease, Ledger, run_requests
from tests.helpers import write_csv
from tests.year.conftest import TODAY, create, person, sent_since, write_rows

pytestmark = pytest.mark.integration


def cli(*args: str) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main([*args, "--yes", "--no-progress", "--today", TODAY.isoformat()])
    return code, err.getvalue()


def writes_since(sim, before: dict[str, int]) -> dict[str, int]:
    return {k: n for k, n in sent_since(sim, before).items() if not k.startswith("GET ")}


def ledger(sim) -> Ledger:
    from desktop.api.environments import resolve_environment

    return Ledger(Journal(), resolve_environment(sim.base_url).origin)


def test_sync_creates_through_the_upload_path_and_a_later_upload_or_sync_sends_nothing(tmp_path, sim, env_token):
    rows = [person(i) for i in range(5)]
    path = write_csv(tmp_path / "trainees.csv", rows)
    code, err = cli("sync", str(path), "--env", sim.base_url)
    assert code == 0, err
    assert "5 new" in err and "Sent: 5 create done." in err and "Requests: 2 reads, 5 changes." in err, err
    assert "New trainees: batch 1" in err
    assert sim.stats.by_endpoint["POST /trainees"] == 5
    with Journal() as j:
        (batch,) = j.batches()  # the upload's own batch: receipts, history, "already sent … in batch 1"
        assert batch.counts == {"created": 5} and batch.meta.scope == ledger(sim).environment
        entries = Ledger(j, batch.meta.scope).entries()
        assert [(e.state, e.batch_id, e.confirmed_by) for e in entries] == [("created", 1, "201")] * 5
        creates = [r for e in entries for r in Ledger(j, batch.meta.scope).requests(e.id)]
        assert [(r.kind, r.state) for r in creates] == [("create", "done")] * 5  # journalled under the lease
        assert {r.owner for r in creates} != {None}

    rows[2]["email"] = "moved@example.com"  # one change, so the file is another file for the upload's batches
    write_csv(path, rows)
    code, err = cli("sync", str(path), "--env", sim.base_url)
    assert code == 0 and "1 changed" in err, err
    before = dict(sim.stats.by_endpoint)
    code, err = cli("upload", str(path), "--env", sim.base_url, "--token-env", "REGISTER_API_TOKEN")
    assert code == 0, err  # what Register holds is what the file says: nothing differs, nothing is created
    assert writes_since(sim, before) == {} and "differs" not in err and "5 row(s) were already sent" in err, err
    before = dict(sim.stats.by_endpoint)
    code, err = cli("sync", str(path), "--env", sim.base_url)
    assert code == 0 and "Register already matches the file" in err
    assert writes_since(sim, before) == {}


def test_trainees_found_in_register_are_recorded_and_never_posted_by_an_upload(tmp_path, sim, env_token):
    rows = [person(i) for i in range(4)]
    made = create(sim, rows)  # made in Register by another channel (web service, an earlier system)
    rows[1]["last_name"] = "Ap Rhys-Evans"
    path = write_csv(tmp_path / "trainees.csv", rows)
    code, err = cli("sync", str(path), "--env", sim.base_url)
    assert code == 0 and "0 new, 1 changed, 3 unchanged" in err, err
    with Journal() as j:
        led = Ledger(j, ledger(sim).environment)
        found = {e.trainee_id: e for e in led.entries()}
        assert set(found) == {t["trainee_id"] for t in made}
        assert {(e.state, e.confirmed_by) for e in found.values()} == {("already_registered", "sync")}
        put = [r for e in found.values() for r in led.requests(e.id)]
        assert [(r.kind, r.state, r.fields) for r in put] == [("update", "done", ("last_name",))]
        assert not any(e.differs(e.held_hashes or {}) for e in found.values())
    before = dict(sim.stats.by_endpoint)
    code, err = cli("upload", str(path), "--env", sim.base_url, "--token-env", "REGISTER_API_TOKEN")
    assert writes_since(sim, before) == {}  # found by sync: never posted
    assert code == 0 and "4 row(s) were already sent" in err and "differs" not in err, err


def test_one_writer_per_environment_whatever_it_sends_and_readers_never_wait(tmp_path, sim, env_token):
    """While a sync holds the environment (here: this process), an upload, a withdrawal and a second sync are each
    told at once who is sending, and send nothing; a dry run and history only read, and say so within 2 s."""
    rows = [person(i) for i in range(3)]
    made = create(sim, rows)
    rows[0]["email"] = "new@example.com"
    path = write_csv(tmp_path / "trainees.csv", rows)
    withdraw = write_rows(tmp_path / "withdraw.csv", ["trainee_id", "withdrawal_date", "trigger", "reasons",
                                                      "future_interest"],
                          [{"trainee_id": made[2]["trainee_id"], "withdrawal_date": "2026-10-13", "trigger": "provider",
                            "reasons": "record_added_in_error", "future_interest": "no"}])
    env = ledger(sim).environment
    before = dict(sim.stats.by_endpoint)
    with Journal() as j, Lease(j, env, label="loopback", what="sync"):
        for args in (("upload", str(path), "--env", sim.base_url, "--token-env", "REGISTER_API_TOKEN"),
                     ("sync", str(path), "--env", sim.base_url), ("withdraw", str(withdraw), "--env", sim.base_url),
                     ("sync", str(path), "--env", sim.base_url, "--dry-run"), ("history",)):
            t0 = time.monotonic()
            code, err = cli(*args) if args[0] != "history" else _history()
            took = time.monotonic() - t0
            assert f"a sync is running in another window (pid {os.getpid()}" in err.lower(), (args, err)
            assert took < 2.0 or args[0] != "history", took
            if args[0] != "history" and "--dry-run" not in args:  # a writer: refused at once
                assert code == 2 and "nothing was sent from here" in err, (args, err)
            else:
                assert code in (0, 1), (args, err)
    assert writes_since(sim, before) == {}
    code, err = cli("withdraw", str(withdraw), "--env", sim.base_url)
    assert code == 0, err  # the environment is free again


def _history() -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main(["history"])
    return code, err.getvalue()


def test_actions_are_journalled_on_the_ledger_and_a_lost_answer_is_read_back_not_resent(tmp_path, sim, env_token,
                                                                                      monkeypatch):
    made = create(sim, [person(i) for i in range(2)])
    path = write_rows(tmp_path / "defer.csv", ["trainee_id", "defer_date"],
                      [{"trainee_id": t["trainee_id"], "defer_date": "2026-11-01"} for t in made])
    from desktop.api import updates

    real = updates.TraineeApi.action
    lost = {"n": 0}

    def lose_first(self, kind, trainee_id, body, *, before_send=None):  # type: ignore[no-untyped-def]
        res = real(self, kind, trainee_id, body, before_send=before_send)
        if lost["n"] == 0:  # Register did it; its answer never arrived
            lost["n"] += 1
            from desktop.api.errors import ApiConnectionError

            raise ApiConnectionError("The connection dropped before Register answered.", maybe_sent=True)
        return res

    monkeypatch.setattr(updates.TraineeApi, "action", lose_first)
    (tmp_path / "config").mkdir(exist_ok=True)
    (tmp_path / "config" / "settings.json").write_text(
        '{"read_timeout": 0.2, "settle_margin": 0.1, "token_env": "REGISTER_API_TOKEN"}', "utf-8")
    before = dict(sim.stats.by_endpoint)
    code, err = cli("defer", str(path), "--env", sim.base_url)
    assert code == 0, err
    assert writes_since(sim, before) == {"POST /trainees/{id}/defer": 2}  # the lost one was read back, not resent
    with Journal() as j:
        runs = j.runs()
        assert [(r.kind, r.counts) for r in runs] == [("defer", {"done": 2})]
        requests = run_requests(j, runs[0].id)
        assert sorted((r.state, r.confirmed_by) for r in requests) == [("done", "answer"), ("done", "lookup")]
        assert {r.trainee_id for r in requests} == {t["trainee_id"] for t in made}
        led = Ledger(j, ledger(sim).environment)
        assert {e.confirmed_by for e in led.entries()} == {"action"}  # found by the action, recorded
    before = sim.stats.requests
    code, err = cli("defer", str(path), "--env", sim.base_url)
    assert code == 0 and sim.stats.requests == before  # again: nothing sent, nothing read
