"""The upload fault matrix as figures: per fault, runs, requests, faults injected, duplicates and lost rows.

    python benchmarks/fault_matrix.py [--rows 40] [--only NAME]

Runs the scenarios of ``tests/integration/test_fault_matrix.py`` (the same code, more rows) against
the local Register over loopback with its rate window scaled down and *without* Register's
duplicate rule, each in fresh data and settings folders, re-running the upload command until the
batch is complete, and prints one line per scenario. Target (issue 8): zero duplicates, zero lost
rows and zero rows sent before they were journalled, for every fault.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, default=40)
    p.add_argument("--only", help="run the scenarios whose name contains this text")
    args = p.parse_args()

    import keyring
    from keyring.backends import null

    keyring.set_keyring(null.Keyring())  # the token comes from REGISTER_API_TOKEN; never the real keychain
    from tests.integration.test_fault_matrix import SCENARIOS, run_scenario

    print(f"{'fault':<38} {'runs':>4} {'exits':<12} {'requests':>8} {'faults':>6} {'429s':>5} {'looked up':>9} "
          f"{'dupl.':>5} {'lost':>4} {'unjournalled':>12} {'s':>6}")
    total_dup = total_lost = total_unj = 0
    for sc in SCENARIOS:
        if args.only and args.only not in sc.name:
            continue
        with tempfile.TemporaryDirectory(prefix="fault-matrix-") as d:
            folder = Path(d)
            os.environ["DESKTOP_DATA_DIR"] = str(folder / "data")
            os.environ["DESKTOP_CONFIG_DIR"] = str(folder / "config")
            started = time.monotonic()
            r = run_scenario(sc, folder, n=args.rows)
            seconds = time.monotonic() - started
        exits = ",".join(str(c) for c, _ in r.runs)
        looked_up = r.confirmed_by.get("lookup", 0) + r.confirmed_by.get("409", 0)
        print(f"{sc.name:<38} {len(r.runs):>4} {exits:<12} {r.requests:>8} {r.faults:>6} {r.rate_limited:>5} {looked_up:>9} "
              f"{r.duplicates:>5} {r.lost:>4} {len(r.unjournalled):>12} {seconds:>6.1f}")
        total_dup += r.duplicates
        total_lost += r.lost
        total_unj += len(r.unjournalled)
    ok = total_dup == total_lost == total_unj == 0
    print(f"\nTarget: zero duplicates, zero lost, zero unjournalled: {total_dup}, {total_lost}, {total_unj} "
          f"{'ok' if ok else 'FAILED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
