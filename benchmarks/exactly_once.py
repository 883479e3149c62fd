"""Exactly once per trainee (issues 11 and 17) as figures: per scenario, trials, duplicates and lost trainees.

    python benchmarks/exactly_once.py [-k EXPR]

Runs ``tests/integration/test_exactly_once.py`` (the same code: the local Register over loopback
*without* its duplicate rule, real ``register-desktop`` processes killed with SIGKILL, started
within 10 ms of each other — two uploads, or a sync and an upload of the same file —, a journal
written by the previous release) and prints what each scenario recorded. Target: zero duplicates and zero lost trainees in every scenario. Then run
``benchmarks/fault_matrix.py`` for the earlier faults and ``benchmarks/bench_upload.py`` for throughput.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("-k", default="test_a_ or test_b_ or test_c_ or test_d_cycle or test_e_ or test_f_",
                   help="which scenarios (a pytest -k expression)")
    args = p.parse_args()
    with tempfile.TemporaryDirectory(prefix="exactly-once-") as d:
        figures = Path(d) / "figures.jsonl"
        env = {**os.environ, "EXACTLY_ONCE_FIGURES": str(figures)}
        run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                              "tests/integration/test_exactly_once.py", "-k", args.k], cwd=ROOT, env=env,
                             capture_output=True, text=True)
        rows = [json.loads(line) for line in figures.read_text("utf-8").splitlines()] if figures.exists() else []
    print(f"{'scenario':<52} {'trials':>6} {'dupl.':>5} {'lost':>4}  details")
    for r in rows:
        extra = ", ".join(f"{k}={v}" for k, v in r.items() if k not in ("scenario", "trials", "duplicates", "lost"))
        print(f"{r['scenario']:<52} {r['trials']:>6} {r['duplicates']:>5} {r['lost']:>4}  {extra}")
    dup = sum(r["duplicates"] for r in rows)
    lost = sum(r["lost"] for r in rows)
    ok = run.returncode == 0 and dup == 0 and lost == 0 and rows
    print(f"\npytest: {run.stdout.strip().splitlines()[-1] if run.stdout.strip() else run.stderr[-300:]}")
    print(f"Target: zero duplicates, zero lost: {dup}, {lost} {'ok' if ok else 'FAILED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
