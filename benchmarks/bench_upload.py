"""Upload figures against the local Register with its rate window scaled down (issue 6 targets).

    python benchmarks/bench_upload.py [--rows 600] [--rate 50] [--window 2]
                                      [--kills 20] [--kill-rows 500] [--skip-throughput] [--skip-kills]

1. **Throughput**: the simulator allows ``--rate`` requests per fixed ``--window`` (Register: 100 per
   60 s); the client is set to the same budget and uploads ``--rows`` rows in-process. Every arrival
   is timestamped by the simulator; *sustained throughput* is the mean number of requests per
   complete window (the first and last, partial ones excluded) as a share of the limit. Target:
   at least 95 % of the limit, with zero 429s.
2. **Resume after kill**: ``register-desktop upload`` runs as a child process and is killed with
   SIGKILL ``--kills`` times at random moments (after a random number of new trainees, plus a
   random few milliseconds, so kills land before, during and after requests); a last run
   finishes the batch. Checked against the simulator: every valid row held exactly once (zero
   duplicates) and none missing (zero lost), the batch complete, the receipt's trainee ids equal
   to the simulator's. Run twice: with Register's duplicate rule (its 409 is the safety net) and
   without it (the journal and look-ups alone must prevent doubles). Target: zero duplicates and
   zero lost rows over 20 kills.

Synthetic data only (``desktop.core.synthetic``); everything stays on this computer.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

TODAY = dt.date(2026, 11, 28)


def _file(folder: Path, n: int, seed: int) -> Path:
    from desktop.core import synthetic

    return synthetic.write_csv(folder / f"upload-{n}.csv", list(synthetic.rows(n, seed=seed, defect_share=0.05, today=TODAY)))


def _valid_hesa_ids(path: Path) -> list[str]:
    from desktop.core.session import ImportSession

    session = ImportSession.open(path, today=TODAY)
    return [session.row(int(p))["hesa_id"] for p in session.valid_positions()]


# ------------------------------------------------------------------------------ throughput
def throughput(rows: int, rate: int, window: float) -> dict[str, Any]:
    from desktop.api.client import RegisterClient
    from desktop.api.environments import resolve_environment
    from desktop.api.ratelimit import RateLimiter
    from desktop.api.simulator import RegisterSimulator
    from desktop.core.journal import Journal
    from desktop.core.session import ImportSession
    from desktop.core.upload import upload_valid_rows

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["DESKTOP_DATA_DIR"] = str(Path(tmp) / "data")
        path = _file(Path(tmp), rows, seed=21)
        session = ImportSession.open(path, today=TODAY)
        arrivals: list[float] = []
        sim = RegisterSimulator(today=TODAY, rate_limit=rate, window=window)
        handle = sim.handle

        def timed(*args: Any, **kwargs: Any) -> Any:
            arrivals.append(sim.clock())
            return handle(*args, **kwargs)

        sim.handle = timed  # type: ignore[method-assign]
        with sim, Journal() as journal, RegisterClient(resolve_environment(sim.base_url), sim.token,
                                                       limiter=RateLimiter(rate, window)) as client:
            t0 = time.perf_counter()
            result = upload_valid_rows(session, client, journal, reconcile=False, write_receipts=False)
            elapsed = time.perf_counter() - t0
        buckets = Counter(math.floor(a / window) for a in arrivals)
        first, last = min(buckets), max(buckets)
        full = [buckets.get(b, 0) for b in range(first + 1, last)]  # complete windows only
        return {
            "rows": result.created, "requests": len(arrivals), "elapsed": elapsed, "windows": len(full),
            "mean_per_window": sum(full) / len(full) if full else float("nan"),
            "min_per_window": min(full) if full else 0, "max_per_window": max(buckets.values()),
            "rate_limited": sim.stats.rate_limited, "client_429": result.rate_limited,
        }


# ------------------------------------------------------------------------------ kills
def kills(n_rows: int, n_kills: int, rate: int, window: float, duplicate_rule: bool, seed: int) -> dict[str, Any]:
    from desktop.api.simulator import RegisterSimulator
    from desktop.core.journal import ItemState, Journal
    from desktop.core.receipt import read_receipt_csv

    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        env = {**os.environ, "DESKTOP_DATA_DIR": str(folder / "data"), "DESKTOP_CONFIG_DIR": str(folder / "config"),
               "HOME": str(folder / "home")}
        os.environ.update({k: env[k] for k in ("DESKTOP_DATA_DIR", "DESKTOP_CONFIG_DIR")})
        path = _file(folder, n_rows, seed=seed)
        expected = Counter(_valid_hesa_ids(path))
        sim = RegisterSimulator(today=TODAY, rate_limit=rate, window=window, duplicate_rule=duplicate_rule)
        env["REGISTER_API_TOKEN"] = sim.token
        args = [sys.executable, "-m", "desktop.cli", "upload", str(path), "--yes", "--no-progress",
                "--rate-limit", str(rate), "--rate-window", str(window), "--today", TODAY.isoformat(),
                "--token-env", "REGISTER_API_TOKEN"]
        mid_request = 0
        landed = 0
        with sim:
            args[5:5] = ["--env", sim.base_url]
            for _ in range(n_kills):
                proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                target = len(sim.trainees()) + rng.randint(1, 12)
                while len(sim.trainees()) < target and proc.poll() is None:
                    time.sleep(0.002)
                time.sleep(rng.uniform(0, 0.02))
                if proc.poll() is None:
                    os.kill(proc.pid, signal.SIGKILL)
                    landed += 1
                proc.wait()
                with Journal() as j:
                    batches = j.batches()
                    if batches:
                        mid_request += sum(1 for it in j.items(batches[0].id) if it.state == ItemState.SENDING)
            final = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True)
            held = sim.trainees()
        counts = Counter(t["hesa_id"] for t in held)
        with Journal() as j:
            batches = j.batches()
            batch = batches[0]
            receipt_ids: set[str] = set()
            if batch.receipt_path:
                _, rows = read_receipt_csv(Path(batch.receipt_path))
                receipt_ids = {r["trainee_id"] for r in rows if r["trainee_id"]}
        return {
            "valid_rows": sum(expected.values()), "kills": landed, "kills_mid_request": mid_request,
            "batches": len(batches), "complete": batch.status == "complete", "final_exit": final.returncode,
            "duplicates": sum(c - 1 for c in counts.values() if c > 1),
            "lost": sum(1 for h in expected if counts[h] == 0),
            "unexpected": sum(1 for h in counts if h not in expected),
            "receipt_matches": receipt_ids == {t["trainee_id"] for t in held},
        }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=600)
    ap.add_argument("--rate", type=int, default=50)
    ap.add_argument("--window", type=float, default=2.0)
    ap.add_argument("--kills", type=int, default=20)
    ap.add_argument("--kill-rows", type=int, default=500)
    ap.add_argument("--kill-rate", type=int, default=40)
    ap.add_argument("--kill-window", type=float, default=0.5)
    ap.add_argument("--seed", type=int, default=6)
    ap.add_argument("--skip-throughput", action="store_true")
    ap.add_argument("--skip-kills", action="store_true")
    a = ap.parse_args(argv)
    ok = True
    if not a.skip_throughput:
        print(f"Throughput: {a.rows} rows, limit {a.rate} requests per {a.window:g} s window "
              f"(= Register's 100 per 60 s, {60 / a.window * a.rate / 100:.0f}x faster)", flush=True)
        r = throughput(a.rows, a.rate, a.window)
        share = r["mean_per_window"] / a.rate
        good = share >= 0.95 and r["rate_limited"] == 0
        ok &= good
        print(f"  {r['rows']} created with {r['requests']} requests in {r['elapsed']:.1f} s; "
              f"{r['windows']} complete windows: mean {r['mean_per_window']:.1f}, min {r['min_per_window']}, "
              f"max (any window) {r['max_per_window']} requests")
        print(f"  sustained throughput {share:.1%} of the limit (target >= 95 %), "
              f"429s: {r['rate_limited']} (target 0)  {'ok' if good else 'MISSED'}", flush=True)
    if not a.skip_kills:
        for rule in (True, False):
            label = "with Register's duplicate rule" if rule else "without the duplicate rule (no 409 safety net)"
            print(f"Resume after kill, {label}: {a.kill_rows}-row file, {a.kills} SIGKILLs, "
                  f"limit {a.kill_rate} per {a.kill_window:g} s", flush=True)
            k = kills(a.kill_rows, a.kills, a.kill_rate, a.kill_window, rule, a.seed)
            good = (k["duplicates"] == 0 and k["lost"] == 0 and k["complete"] and k["receipt_matches"]
                    and k["unexpected"] == 0 and k["final_exit"] in (0, 1) and k["batches"] == 1)
            ok &= good
            print(f"  {k['kills']} kills landed ({k['kills_mid_request']} with a request in flight); final run exit "
                  f"{k['final_exit']}; batch complete: {k['complete']}; {k['valid_rows']} valid rows")
            print(f"  duplicates {k['duplicates']}, lost {k['lost']} (targets 0 and 0); receipt matches Register: "
                  f"{k['receipt_matches']}  {'ok' if good else 'MISSED'}", flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
