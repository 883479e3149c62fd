"""The upload fault matrix: every bad day we can rehearse, each ending with every row in Register once.

Each scenario runs ``register-desktop upload`` (in-process, as a user would, again and again until
it finishes) against the local Register over loopback, with its rate window scaled down (12
requests per 0.25 s instead of 100 per 60 s) and **without Register's duplicate rule**, so the
journal and the look-ups alone must prevent doubles. For each scenario it asserts:

* zero duplicates and zero lost rows: every valid row is held exactly once by the simulator;
* no row reached Register without being journalled ``sending`` first (checked on arrival);
* the batch is complete, every row ``created``, and the receipt's trainee ids are Register's;
* every run that stopped exited 2 with a message saying what happened and that the upload can be
  resumed, never a traceback.

Faults: 5xx before and after creating, 429 storms (spurious and the real limit), slow answers
past the read timeout, connections dropped before and after creating, all of them at once, the
token revoked mid-batch, the disk filling while the journal is written (at four points), the
computer's clock jumping backwards or forwards while answers are lost, and SIGKILL at random
moments. ``benchmarks/fault_matrix.py`` prints the same matrix with more rows.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from desktop.api.client import RetryPolicy
from desktop.api.simulator import Faults, RegisterSimulator, _Reply
from desktop.cli import main
from desktop.core import journal as journal_mod
from desktop.core.config import AppConfig, save_config
from desktop.core.journal import Journal
from desktop.core.paths import data_dir
from desktop.core.receipt import read_receipt_csv
from tests.helpers import TODAY, write_csv
from tests.integration.test_upload import person

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
RATE, WINDOW = 12, 0.25  # Register: 100 per 60 s; scaled down so a scenario takes a second or two
FAST_RETRY = RetryPolicy(base_delay=0.01, max_delay=0.05, max_retry_after=WINDOW)  # Retry-After is whole seconds
HESA_BASE = 2610000000000  # tests.integration.test_upload.person(i) has HESA id HESA_BASE + i
DISK_FULL = "database or disk is full"


# ---------------------------------------------------------------------- the scenarios
@dataclass(frozen=True)
class Scenario:
    name: str
    faults: Faults = field(default_factory=Faults)
    told: tuple[str, ...] = ()  # a run that stopped says one of these (besides how to resume)
    sim_rate: int = RATE  # the simulator's real limit
    client_rate: int = RATE  # what the client thinks it may send
    read_timeout: float = 0.25  # scaled down too: a lost answer is looked up this long after the attempt
    disk_full_at: tuple[str, int] | None = None  # (SQL statement prefix, nth such statement) fails once
    clock_jumps: tuple[float, ...] = ()  # seconds; one at each of the first lost answers
    new_token_after_401: bool = False
    must_stop: bool = False  # the first run must stop part-way (the fault is certain)
    max_runs: int = 8


RESUMABLE = ("run the upload again", "Run the upload again", "run the same command again")

SCENARIOS = [
    Scenario("5xx before anything", Faults(server_error=0.25, seed=1)),
    Scenario("5xx after creating", Faults(server_error_after=0.3, seed=2)),
    Scenario("429 storm (spurious)", Faults(rate_limited=0.45, seed=3)),
    Scenario("429 storm (real limit)", sim_rate=3, client_rate=1000),
    Scenario("slow answers past the timeout", Faults(slow=0.25, slow_seconds=0.3, seed=4), read_timeout=0.2),
    Scenario("connections dropped before", Faults(drop=0.25, seed=5)),
    Scenario("connections dropped after creating", Faults(drop_after=0.3, seed=6)),
    Scenario("everything at once", Faults(server_error=0.08, server_error_after=0.08, drop=0.08, drop_after=0.08,
                                          slow=0.05, slow_seconds=0.3, rate_limited=0.1, seed=7), read_timeout=0.2),
    Scenario("token revoked mid-batch", Faults(revoke_after=6), told=("did not accept the API token",),
             new_token_after_401=True, must_stop=True),
    Scenario("disk full: starting the batch", disk_full_at=("INSERT INTO item", 1),
             told=("the disk is full",), must_stop=True),
    Scenario("disk full: before a request", disk_full_at=("UPDATE item SET state = 'sending'", 7),
             told=("the disk is full",), must_stop=True),
    Scenario("disk full: recording an answer", disk_full_at=("UPDATE item SET state = ?", 7),
             told=("the disk is full",), must_stop=True),
    Scenario("disk full: committing", disk_full_at=("COMMIT", 12), told=("the disk is full",), must_stop=True),
    Scenario("clock jumps back an hour", Faults(drop_after=0.2, seed=8), clock_jumps=(-3600.0, -3600.0)),
    Scenario("clock jumps forward a day", Faults(drop_after=0.2, seed=9), clock_jumps=(86400.0, 3600.0)),
]


@dataclass
class Result:
    """What a scenario did, and the figures the matrix reports."""

    scenario: Scenario
    expected: set[str]
    runs: list[tuple[int, str]] = field(default_factory=list)  # (exit code, standard error)
    held: Counter[str] = field(default_factory=Counter)  # HESA id -> trainees Register holds
    unjournalled: list[str] = field(default_factory=list)  # POSTs that arrived with the row not 'sending'
    faults: int = 0
    requests: int = 0
    rate_limited: int = 0  # 429s from the simulator's real limit (spurious ones count as faults)
    outcomes: Counter[str] = field(default_factory=Counter)
    confirmed_by: Counter[str] = field(default_factory=Counter)
    receipt_matches: bool = False
    first_run_created: int | None = None
    lost_answer_rows: list[int] = field(default_factory=list)

    @property
    def duplicates(self) -> int:
        return sum(n - 1 for n in self.held.values() if n > 1)

    @property
    def lost(self) -> int:
        return len(self.expected - set(self.held))


class AuditedRegister(RegisterSimulator):
    """The simulator, plus two test hooks: it checks the journal on each POST, and can jump the client's clock."""

    def __init__(self, *, journal_path: Path, result: Result, jumps: list[float],
                 skew: list[float], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.journal_path = journal_path
        self.result = result
        self.jumps = jumps
        self.skew = skew

    def handle(self, method: str, raw_path: str, headers: Any, body: bytes) -> _Reply:
        if method == "POST":  # on arrival, before any fault or delay
            hesa = _hesa(body)
            if hesa and not self._journalled(hesa):
                self.result.unjournalled.append(hesa)
        return super().handle(method, raw_path, headers, body)

    def _create(self, headers: Any, body: bytes) -> _Reply:
        hesa = _hesa(body)
        reply = super()._create(headers, body)
        if reply.status == 201 and self.jumps:
            # the answer is lost and this computer's clock jumps before anyone looks the row up
            self.skew[0] += self.jumps.pop(0)
            self.result.lost_answer_rows.append(int(hesa) - HESA_BASE + 2)
            return _Reply.dropped()
        return reply

    def _journalled(self, hesa: str) -> bool:
        """The row arriving now is journalled 'sending' in the newest batch (a separate read connection)."""
        source_row = int(hesa) - HESA_BASE + 2
        db = sqlite3.connect(f"file:{self.journal_path}?mode=ro", uri=True, timeout=10)
        try:
            row = db.execute("SELECT state FROM item WHERE source_row = ? AND batch_id = (SELECT MAX(id) FROM batch)",
                             (source_row,)).fetchone()
        finally:
            db.close()
        return row is not None and row[0] == "sending"


def _hesa(body: bytes) -> str:
    try:
        return str(json.loads(body)["data"]["hesa_id"])
    except (ValueError, KeyError, TypeError):
        return ""


class FullDisk:
    """A journal's SQLite connection whose ``nth`` statement starting with ``prefix`` fails as on a full disk."""

    def __init__(self, db: sqlite3.Connection, trigger: dict[str, Any]) -> None:
        self._db = db
        self._trigger = trigger

    def _fail_if_chosen(self, sql: str) -> None:
        t = self._trigger
        if t["armed"] and sql.lstrip().startswith(t["prefix"]):
            t["seen"] += 1
            if t["seen"] == t["nth"]:
                t["armed"] = False  # the user frees some space before the next run
                raise sqlite3.OperationalError(DISK_FULL)

    def execute(self, sql: str, params: Any = ()) -> sqlite3.Cursor:
        self._fail_if_chosen(sql)
        return self._db.execute(sql, params)

    def executemany(self, sql: str, params: Any) -> sqlite3.Cursor:
        self._fail_if_chosen(sql)
        return self._db.executemany(sql, params)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._db, name)


def make_file(folder: Path, n: int) -> Path:
    """``n`` distinct trainees Register accepts (dates of birth spread over 33 years, so any ``n`` works)."""
    rows = [person(i) for i in range(n)]
    for i, r in enumerate(rows):
        r["date_of_birth"] = (dt.date(1970, 1, 1) + dt.timedelta(days=97 * i % 12_000)).isoformat()
    return write_csv(folder / "trainees.csv", rows)


@contextmanager
def _patched(mp: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    try:
        yield mp
    finally:
        mp.undo()


def run_scenario(sc: Scenario, folder: Path, n: int = 16) -> Result:
    """Upload ``n`` rows under the scenario's faults until the batch is complete; the figures.

    Needs DESKTOP_DATA_DIR and DESKTOP_CONFIG_DIR pointing at empty folders (tests: conftest does it).
    """
    path = make_file(folder, n)
    result = Result(sc, expected={str(HESA_BASE + i) for i in range(n)})
    skew = [0.0]
    sim = AuditedRegister(journal_path=data_dir() / journal_mod.FILE_NAME, result=result,
                          jumps=list(sc.clock_jumps), skew=skew, today=TODAY, rate_limit=sc.sim_rate, window=WINDOW,
                          faults=sc.faults, duplicate_rule=False, state_file=folder / "register-state.json")
    with _patched(pytest.MonkeyPatch()) as mp, sim:
        mp.setenv("REGISTER_API_TOKEN", sim.token or "")
        save_config(AppConfig(read_timeout=sc.read_timeout, connect_timeout=1.0))
        import desktop.cli.upload as cli_upload

        real_make_client = cli_upload.make_client
        mp.setattr(cli_upload, "make_client", lambda *a, **k: real_make_client(*a, retry=FAST_RETRY, **k))
        if sc.clock_jumps:
            real_time = time.time
            mp.setattr(time, "time", lambda: real_time() + skew[0])  # this computer's clock; Register's is sim.clock
        if sc.disk_full_at is not None:
            trigger = {"prefix": sc.disk_full_at[0], "nth": sc.disk_full_at[1], "seen": 0, "armed": True}
            real_init = Journal.__init__

            def init(self: Journal, p: Path | None = None) -> None:
                real_init(self, p)
                self._db = FullDisk(self._db, trigger)  # type: ignore[assignment]

            mp.setattr(Journal, "__init__", init)
        for _ in range(sc.max_runs):
            code, err = _cli_upload(path, sim.base_url, sc.client_rate)
            result.runs.append((code, err))
            if result.first_run_created is None:
                result.first_run_created = sim.stats.created
            if code != 2:
                break
            if sc.new_token_after_401 and "did not accept the API token" in err:
                mp.setenv("REGISTER_API_TOKEN", sim.issue_token())  # the user makes a new token in Register
        result.held = Counter(str(t["hesa_id"]) for t in sim.trainees())
        result.faults, result.requests = sim.stats.faults, sim.stats.requests
        result.rate_limited = sim.stats.rate_limited
        held_ids = {t["trainee_id"] for t in sim.trainees()}
    with Journal() as j:
        batches = j.batches()
        if batches:
            items = j.items(batches[0].id)
            result.outcomes = Counter(it.state.value for it in items)
            result.confirmed_by = Counter(str(it.confirmed_by) for it in items)
            if batches[0].receipt_path:
                _, rows = read_receipt_csv(Path(batches[0].receipt_path))
                result.receipt_matches = {r["trainee_id"] for r in rows} == held_ids
    return result


def _cli_upload(path: Path, url: str, rate: int) -> tuple[int, str]:
    """One ``register-desktop upload`` as a user runs it; (exit code, what it printed on standard error)."""
    import contextlib
    import io

    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main(["upload", str(path), "--env", url, "--yes", "--no-progress", "--rate-limit", str(rate),
                     "--rate-window", str(WINDOW), "--today", TODAY.isoformat(), "--token-env", "REGISTER_API_TOKEN"])
    return code, err.getvalue()


# ---------------------------------------------------------------------- the matrix
@pytest.mark.parametrize("sc", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_fault_matrix_nothing_lost_nothing_doubled(sc, tmp_path):
    """Under each fault the user re-runs until done: every row once, journalled before sent, the user told."""
    r = run_scenario(sc, tmp_path)
    assert (r.duplicates, r.lost) == (0, 0), r.held
    assert r.unjournalled == [], "a row reached Register without being journalled first"
    assert r.outcomes == Counter({"created": len(r.expected)})  # none misread as 'already registered'
    assert r.receipt_matches
    codes = [c for c, _ in r.runs]
    assert codes[-1] == 0, r.runs[-1][1]
    for code, err in r.runs:
        assert "Traceback" not in err
        if code == 2:  # stopped part-way: what happened, and that nothing is lost by running it again
            assert any(phrase in err for phrase in RESUMABLE), err
            assert not sc.told or any(phrase in err for phrase in sc.told), err
    if sc.must_stop:
        assert codes[0] == 2 and len(codes) >= 2
    if sc.faults.describe() != "none" and not sc.must_stop:
        assert r.faults > 0  # the fault really happened
    final = r.runs[-1][1]
    assert f"{len(r.expected)} created, 0 already registered, 0 rejected, 0 outstanding" in final or \
        "already has an outcome" in final


def test_disk_full_before_a_request_sends_nothing_unrecorded(tmp_path):
    """The 7th 'sending' mark fails: exactly 6 rows reached Register in that run; the user is told."""
    sc = Scenario("disk", disk_full_at=("UPDATE item SET state = 'sending'", 7), must_stop=True)
    r = run_scenario(sc, tmp_path)
    assert r.first_run_created == 6
    code, err = r.runs[0]
    assert code == 2 and "could not be written: the disk is full" in err and "nothing will be sent twice" in err
    assert (r.duplicates, r.lost) == (0, 0)


def test_disk_full_recording_an_answer_is_resolved_by_a_look_up(tmp_path):
    """Register created the row but the answer could not be journalled: the next run finds it, sends nothing."""
    sc = Scenario("disk", disk_full_at=("UPDATE item SET state = ?", 7), must_stop=True)
    r = run_scenario(sc, tmp_path)
    assert r.first_run_created == 7
    assert r.confirmed_by["lookup"] == 1 and (r.duplicates, r.lost) == (0, 0)
    assert "confirmed in Register, not created twice" in r.runs[-1][1]


def test_clock_jumping_back_does_not_hide_a_created_trainee(tmp_path):
    """The answer is lost, then this computer's clock goes back an hour: the look-up still finds the trainee."""
    sc = Scenario("clock", clock_jumps=(-3600.0,))
    r = run_scenario(sc, tmp_path, n=6)
    assert r.lost_answer_rows == [2]
    assert r.confirmed_by["lookup"] == 1 and r.outcomes == Counter({"created": 6})
    assert (r.duplicates, r.lost) == (0, 0)


def test_revoked_token_stops_the_batch_and_a_new_one_resumes_it(tmp_path):
    sc = Scenario("revoked", Faults(revoke_after=4), new_token_after_401=True, must_stop=True)
    r = run_scenario(sc, tmp_path, n=10)
    code, err = r.runs[0]
    assert code == 2 and r.first_run_created == 4
    assert "did not accept the API token" in err and "token set" in err and "nothing will be sent twice" in err
    assert [c for c, _ in r.runs[1:]] == [0] and "Resuming batch 1: 4 rows already have an outcome" in r.runs[1][1]
    assert (r.duplicates, r.lost) == (0, 0)


# ---------------------------------------------------------------------- SIGKILL at random moments
def _spawn(path: Path, url: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "desktop.cli", "upload", str(path), "--env", url, "--yes", "--no-progress",
         "--rate-limit", "8", "--rate-window", str(WINDOW), "--today", TODAY.isoformat(),
         "--token-env", "REGISTER_API_TOKEN"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
def test_sigkill_at_random_moments_then_resume(tmp_path, monkeypatch, capsys):
    """Five kills at seeded random moments (before, during, after requests and journal writes), then resume."""
    n = 100  # a run makes at most ~16 rows in the 0.25 s before its kill: five kills leave rows to send
    path = make_file(tmp_path, n)
    rng = random.Random(20261128)
    result = Result(Scenario("kill"), expected={str(HESA_BASE + i) for i in range(n)})
    with AuditedRegister(journal_path=data_dir() / journal_mod.FILE_NAME, result=result, jumps=[], skew=[0.0],
                         today=TODAY, rate_limit=8, window=WINDOW, duplicate_rule=False) as sim:
        monkeypatch.setenv("REGISTER_API_TOKEN", sim.token or "")
        for _ in range(5):
            before = sim.stats.requests
            proc = _spawn(path, sim.base_url)
            deadline = time.monotonic() + 60
            while sim.stats.requests == before:  # it has started talking to Register
                assert proc.poll() is None and time.monotonic() < deadline, "the upload did not start"
                time.sleep(0.002)
            time.sleep(rng.uniform(0.0, 0.25))
            os.kill(proc.pid, signal.SIGKILL)
            assert proc.wait(10) == -signal.SIGKILL
        assert len(sim.trainees()) < n  # every kill landed mid-batch
        code, err = _cli_upload(path, sim.base_url, 8)
        held = Counter(str(t["hesa_id"]) for t in sim.trainees())
    assert code == 0 and "Resuming batch 1" in err, err
    assert f"{n} created, 0 already registered, 0 rejected, 0 outstanding" in err
    assert held == Counter(dict.fromkeys(result.expected, 1))  # zero duplicates, zero lost
    assert result.unjournalled == []


def test_simulator_faults_parse_revoke_after():
    f = Faults.parse("revoke-after=5,5xx=0.1")
    assert (f.revoke_after, f.server_error) == (5, 0.1) and "revoke-after=5" in f.describe()
    with pytest.raises(ValueError, match="number of trainees"):
        Faults.parse("revoke-after=-1")


def test_wall_clock_is_read_through_time_time(monkeypatch):
    """Journal times follow ``time.time`` (so the clock scenarios above really move them)."""
    monkeypatch.setattr(time, "time", lambda: dt.datetime(2030, 1, 2, 3, 4, 5, tzinfo=dt.UTC).timestamp())
    assert journal_mod.utc_now() == "2030-01-02T03:04:05.000Z"


def test_registers_clock_estimate_ignores_wall_clock_jumps(monkeypatch, tmp_path):
    """After one answer, the client's idea of Register's time moves with the monotonic clock only."""
    from desktop.api.client import RegisterClient
    from desktop.api.environments import resolve_environment

    with RegisterSimulator(today=TODAY) as sim, RegisterClient(resolve_environment(sim.base_url), sim.token) as c:
        assert not c.knows_server_clock
        c.info()
        before = c.server_now()
        real = time.time
        monkeypatch.setattr(time, "time", lambda: real() - 7200)
        assert c.knows_server_clock and abs(c.server_now() - before) < 5
        assert abs(c.server_now() - real()) < 5
