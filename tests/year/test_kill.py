"""sync and withdraw killed with SIGKILL five times each, then resumed: nothing applied twice, no second placement."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from desktop.api.simulator import Faults, RegisterSimulator
from tests.helpers import write_csv
from tests.year.conftest import TODAY, TOKEN, create, person, write_rows

pytestmark = [pytest.mark.integration, pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")]

ROOT = Path(__file__).resolve().parents[2]
N = 24


def start(*argv: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "desktop.cli", *argv, "--yes", "--no-progress",
                             "--today", TODAY.isoformat()], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def kill_when(proc: subprocess.Popen[bytes], done: callable, timeout: float = 60) -> bool:
    """SIGKILL the process once ``done()``; False if it finished first."""
    deadline = time.monotonic() + timeout
    while not done():
        if proc.poll() is not None:
            proc.stderr.close()
            return False
        assert time.monotonic() < deadline, "no progress"
        time.sleep(0.002)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)
    proc.stderr.close()
    return True


@pytest.fixture
def slow_sim(tmp_path, monkeypatch):
    monkeypatch.setenv("REGISTER_API_TOKEN", TOKEN)
    # a short read timeout, so a request left open by a kill is looked up after seconds, not a minute; the
    # token in REGISTER_API_TOKEN named for the loopback (custom) address, as a user must
    (tmp_path / "config").mkdir(exist_ok=True)
    (tmp_path / "config" / "settings.json").write_text(json.dumps({"read_timeout": 1.0, "token_env": "REGISTER_API_TOKEN"}), "utf-8")
    sim = RegisterSimulator(token=TOKEN, today=TODAY, rate_limit=100_000, duplicate_rule=False, trn_after=0.0,
                            award_after=10_000.0, faults=Faults.parse("slow=1,slow-seconds=0.03"))
    sim.start()
    yield sim
    sim.stop()


def journal_states(tmp_path: Path, kind: str) -> dict[str, list[str]]:
    """The trainee ledger's requests of one kind, per trainee (Register's id): their states."""
    db = sqlite3.connect(tmp_path / "data" / "upload-journal.sqlite3")
    out: dict[str, list[str]] = {}
    for tid, state in db.execute("SELECT trainee.trainee_id, request.state FROM request JOIN trainee"
                                 " ON trainee.id = request.trainee WHERE request.kind = ?", (kind,)):
        out.setdefault(tid, []).append(state)
    db.close()
    return out


def test_sync_killed_five_times_adds_each_placement_once(tmp_path, slow_sim):
    sim = slow_sim
    rows = [person(i) for i in range(N)]
    made = create(sim, rows)
    for r in rows:
        r["placement_3_urn"] = f"{130300 + int(r['hesa_id'][-2:])}"
        r["last_name"] = r["last_name"] + "-Evans"
    path = write_csv(tmp_path / "trainees.csv", rows)

    def placements() -> int:
        return sim.stats.by_endpoint.get("POST /trainees/{id}/placements", 0)

    kills = 0
    for target in (2, 6, 11, 16, 20):
        if kill_when(start("sync", str(path), "--env", sim.base_url), lambda t=target: placements() >= t):
            kills += 1
    assert kills == 5
    proc = start("sync", str(path), "--env", sim.base_url)
    assert proc.wait(120) == 0, proc.stderr.read().decode()
    proc.stderr.close()

    held = {t["trainee_id"]: t for t in sim.trainees()}
    for t in made:
        mine = held[t["trainee_id"]]
        urns = [p["urn"] for p in mine["placements"]]
        assert len(urns) == 3 and len(set(urns)) == 3, urns  # never a second copy of the new placement
        assert mine["last_name"].endswith("-Evans")
    done = journal_states(tmp_path, "add_placement")
    assert all(states.count("done") == 1 for states in done.values()), done
    # and once more: nothing to send
    proc = start("sync", str(path), "--env", sim.base_url)
    assert proc.wait(60) == 0
    proc.stderr.close()
    assert placements() <= N + kills  # at most one request per kill was in flight


def test_withdraw_killed_five_times_withdraws_each_once(tmp_path, slow_sim):
    sim = slow_sim
    rows = [person(i) for i in range(N)]
    made = create(sim, rows)
    path = write_rows(tmp_path / "withdraw.csv", ["hesa_id", "withdrawal_date", "trigger", "reasons", "future_interest"],
                      [{"hesa_id": r["hesa_id"], "withdrawal_date": "2026-10-13", "trigger": "provider",
                        "reasons": "mandatory_reasons", "future_interest": "no"} for r in rows])

    def withdrawals() -> int:
        return sim.stats.by_endpoint.get("POST /trainees/{id}/withdraw", 0)

    kills = 0
    for target in (2, 6, 11, 16, 20):
        if kill_when(start("withdraw", str(path), "--env", sim.base_url), lambda t=target: withdrawals() >= t):
            kills += 1
    assert kills == 5
    proc = start("withdraw", str(path), "--env", sim.base_url)
    assert proc.wait(120) == 0, proc.stderr.read().decode()
    proc.stderr.close()
    held = {t["trainee_id"]: t for t in sim.trainees()}
    assert all(held[t["trainee_id"]]["state"] == "withdrawn" for t in made)
    assert withdrawals() <= N + kills
    done = journal_states(tmp_path, "withdraw")
    assert all(states.count("done") + states.count("already") == 1 for states in done.values()), done
    before = sim.stats.requests
    proc = start("withdraw", str(path), "--env", sim.base_url)
    assert proc.wait(60) == 0
    proc.stderr.close()
    assert sim.stats.requests == before
