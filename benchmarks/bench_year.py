"""Figures for the rest of the year (issue 17): sync and actions against the rate limit, scaled down.

    python benchmarks/bench_year.py [--trainees 120] [--rate 50] [--window 3]

The practice Register allows ``--rate`` requests per fixed ``--window`` (Register: 100 per 60 s),
and the client is given the same budget. Then:

0. **sync (new)**: every trainee is new — created through the upload's own path (the trainee
   ledger, the lease), one ``POST /trainees`` each after one listing of the cycle;
1. **sync**: every trainee changed in one field and given one new placement — one complete-body PUT
   and one placement POST each, after one listing of the cycle;
2. **withdraw**: every trainee withdrawn from one file (one listing per start cycle searched, then one
   POST each).

Every arrival is timestamped by the simulator; the figure is requests per complete window as a share
of the limit (the first and last, partial windows excluded), and per minute at Register's real limit
(the same share of 100 per 60 s). Also: 429s, requests per trainee, and the second run of each
(which must send nothing). Synthetic data only; everything stays on this computer.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def _windows(arrivals: list[float], window: float) -> tuple[float, int]:
    buckets = Counter(math.floor(a / window) for a in arrivals)
    if len(buckets) < 3:
        return float("nan"), 0
    first, last = min(buckets), max(buckets)
    full = [buckets.get(b, 0) for b in range(first + 1, last)]
    return sum(full) / len(full), len(full)


def run(trainees: int, rate: int, window: float) -> dict[str, Any]:
    from desktop.api.client import RegisterClient
    from desktop.api.environments import resolve_environment
    from desktop.api.ratelimit import RateLimiter
    from desktop.api.simulator import RegisterSimulator
    from desktop.core.action_files import open_action_file
    from desktop.core.actions import run_actions
    from desktop.core.journal import Journal
    from desktop.core.session import ImportSession
    from desktop.core.sync import plan_sync, run_sync
    from tests.helpers import TODAY, write_csv
    from tests.year.conftest import person, write_rows

    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        os.environ["DESKTOP_DATA_DIR"] = str(folder / "data")
        os.environ["DESKTOP_CONFIG_DIR"] = str(folder / "config")
        rows = [person(i) for i in range(trainees)]
        sim = RegisterSimulator(today=TODAY, rate_limit=rate, window=window, trn_after=0.0, duplicate_rule=False)
        with sim:
            arrivals: list[float] = []
            handle = sim.handle

            def timed(*args: Any, **kwargs: Any) -> Any:
                arrivals.append(sim.clock())
                return handle(*args, **kwargs)

            sim.handle = timed  # type: ignore[method-assign]
            path = write_csv(folder / "trainees.csv", rows)
            with Journal() as journal, RegisterClient(resolve_environment(sim.base_url), sim.token,
                                                      limiter=RateLimiter(rate, window)) as client:
                session = ImportSession.open(path, today=TODAY)
                t0 = time.perf_counter()
                plan = plan_sync(session, client, journal)
                result = run_sync(session, plan, client, journal, write_receipts=False)
                elapsed = time.perf_counter() - t0
                mean, full = _windows(arrivals, window)
                out["sync_new"] = {"trainees": trainees, "requests": len(arrivals), "seconds": elapsed,
                                   "created": result.count("create"), "mean_per_window": mean, "windows": full,
                                   "rate_limited": sim.stats.rate_limited,
                                   "posts": sim.stats.by_endpoint.get("POST /trainees", 0)}
            time.sleep(window - time.time() % window + 0.01)  # the creations' window is over: start clean
            arrivals.clear()
            limited0 = sim.stats.rate_limited
            for r in rows:
                r["email"] = "moved." + r["email"]
                r["placement_3_urn"] = f"{130000 + int(r['hesa_id'][-4:])}"
            path = write_csv(folder / "trainees.csv", rows)
            with Journal() as journal, RegisterClient(resolve_environment(sim.base_url), sim.token,
                                                      limiter=RateLimiter(rate, window)) as client:
                session = ImportSession.open(path, today=TODAY)
                t0 = time.perf_counter()
                plan = plan_sync(session, client, journal)
                result = run_sync(session, plan, client, journal, write_receipts=False)
                elapsed = time.perf_counter() - t0
                mean, full = _windows(arrivals, window)
                out["sync"] = {"trainees": trainees, "requests": len(arrivals), "seconds": elapsed,
                               "puts": result.count("update"), "placements": result.count("add_placement"),
                               "mean_per_window": mean, "windows": full,
                               "rate_limited": sim.stats.rate_limited - limited0}
                n = len(arrivals)
                again = plan_sync(ImportSession.open(path, today=TODAY), client, journal)
                out["sync_again"] = {"to_send": again.requests_to_send, "reads": len(arrivals) - n}

                arrivals.clear()
                limited = sim.stats.rate_limited
                wpath = write_rows(folder / "withdraw.csv", ["hesa_id", "withdrawal_date", "trigger", "reasons",
                                                               "future_interest"],
                                   [{"hesa_id": r["hesa_id"], "withdrawal_date": "2026-10-13", "trigger": "provider",
                                     "reasons": "mandatory_reasons", "future_interest": "no"} for r in rows])
                t0 = time.perf_counter()
                res = run_actions(open_action_file(wpath, "withdraw", today=TODAY), client, journal,
                                  write_receipts=False)
                elapsed = time.perf_counter() - t0
                mean, full = _windows(arrivals, window)
                out["withdraw"] = {"trainees": trainees, "requests": len(arrivals), "seconds": elapsed,
                                   "done": res.count("done"), "mean_per_window": mean, "windows": full,
                                   "rate_limited": sim.stats.rate_limited - limited}
                n = len(arrivals)
                run_actions(open_action_file(wpath, "withdraw", today=TODAY), client, journal, write_receipts=False)
                out["withdraw_again"] = {"requests": len(arrivals) - n}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--trainees", type=int, default=120)  # person(i) stays a plausible adult up to ~120
    ap.add_argument("--rate", type=int, default=50)
    ap.add_argument("--window", type=float, default=3.0)
    args = ap.parse_args()
    figures = run(args.trainees, args.rate, args.window)
    for name in ("sync_new", "sync", "withdraw"):
        f = figures[name]
        share = f["mean_per_window"] / args.rate
        print(f"{name}: {f['trainees']} trainees, {f['requests']} requests in {f['seconds']:.1f} s "
              f"({f['requests'] / f['trainees']:.2f} per trainee); {f['mean_per_window']:.1f} per complete window of "
              f"{args.window:g} s over {f['windows']} windows = {share:.1%} of the limit "
              f"(≈ {share * 100:.0f} requests per minute at Register's 100 per 60 s); 429s: {f['rate_limited']}")
    print(f"sync again: {figures['sync_again']['to_send']} requests to send, {figures['sync_again']['reads']} reads")
    print(f"withdraw again: {figures['withdraw_again']['requests']} requests")
    print(f"sync (new) created {figures['sync_new']['created']} trainees with {figures['sync_new']['posts']} "
          "POSTs (one create path: the upload's)")
    print(f"sync sent {figures['sync']['puts']} PUTs and {figures['sync']['placements']} placement POSTs")


if __name__ == "__main__":
    main()
