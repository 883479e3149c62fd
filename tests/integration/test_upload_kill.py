"""The command line killed with SIGKILL mid-batch, twice, then resumed: every row created exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from desktop.api.simulator import RegisterSimulator
from desktop.cli import main
from desktop.core.journal import Journal
from desktop.core.receipt import read_receipt_csv
from tests.helpers import TODAY
from tests.integration.test_upload import TOKEN, make_file

pytestmark = [pytest.mark.integration,
              pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")]

ROOT = Path(__file__).resolve().parents[2]


def start_upload(path: Path, url: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "desktop.cli", "upload", str(path), "--env", url, "--yes", "--no-progress",
         "--rate-limit", "8", "--rate-window", "0.5", "--today", TODAY.isoformat(),
         "--token-env", "REGISTER_API_TOKEN"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def kill_after(proc: subprocess.Popen[bytes], sim: RegisterSimulator, created: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while len(sim.trainees()) < created:
        if proc.poll() is not None:
            pytest.fail(f"the upload ended before it could be killed: {proc.stderr.read().decode()}")
        assert time.monotonic() < deadline, "the upload made no progress"
        time.sleep(0.005)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)
    proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL


def test_sigkill_mid_batch_then_resume_sends_each_row_once(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("REGISTER_API_TOKEN", TOKEN)
    n = 40
    path = make_file(tmp_path, n)
    with RegisterSimulator(token=TOKEN, today=TODAY, rate_limit=8, window=0.5) as sim:
        kill_after(start_upload(path, sim.base_url), sim, created=5)
        first = len(sim.trainees())
        kill_after(start_upload(path, sim.base_url), sim, created=first + 6)
        assert len(sim.trainees()) < n  # really mid-batch

        with Journal() as j:
            (batch,) = j.batches()  # both killed runs worked on the same batch
            assert batch.status == "open" and batch.outstanding > 0

        assert main(["upload", str(path), "--env", sim.base_url, "--yes", "--no-progress", "--rate-limit", "8",
                     "--rate-window", "0.5", "--today", TODAY.isoformat(), "--token-env", "REGISTER_API_TOKEN"]) == 0
        assert f"{n} created, 0 already registered, 0 rejected, 0 outstanding" in capsys.readouterr().err
        held = sim.trainees()

    assert Counter(t["hesa_id"] for t in held) == Counter({f"{2610000000000 + i}": 1 for i in range(n)})
    with Journal() as j:
        (batch,) = j.batches()
        assert batch.status == "complete"
        _, rows = read_receipt_csv(Path(batch.receipt_path))
    assert {r["trainee_id"] for r in rows} == {t["trainee_id"] for t in held}
    assert {r["outcome"] for r in rows} == {"created"}
