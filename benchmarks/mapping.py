"""Speed of mapping a messy provider export (issue 4): suggest, map values, validate, export.

    python benchmarks/mapping.py [--sizes 10000 50000 100000] [--repeat 1]

Writes seeded SITS-style exports (the style of ``tests/data/exports/sits-labels.csv``: own
headers, labels, UK dates, one disability column with several codes) into ``benchmarks/data/``
once, then times in this process, best of ``--repeat``: reading the file, suggesting the column
mapping, the value mapping (every cell of every field, with its info findings), validation, and
writing Register's CSV. Figures depend on the machine: compare runs on the same machine.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DATA = ROOT / "benchmarks" / "data"
TODAY = dt.date(2026, 11, 28)


def messy_file(n: int) -> Path:
    from desktop.core import synthetic
    from tests.data.exports.generate import SITS, _csv_text

    path = DATA / f"messy-sits-{n}.csv"
    if not path.exists():
        DATA.mkdir(parents=True, exist_ok=True)
        rows = list(synthetic.rows(n, seed=4, defect_share=0, today=TODAY))
        path.write_bytes(_csv_text(SITS, rows).encode("utf-8-sig"))
    return path


def best(repeat: int, fn):  # type: ignore[no-untyped-def]
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 50_000, 100_000])
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args(argv)

    from desktop.core.export import export_register_csv
    from desktop.core.loading import read_table
    from desktop.core.mapping import apply_mapping, suggest_mapping
    from desktop.core.session import ImportSession
    from desktop.core.values import ValueMapper, ValueOptions
    from desktop.validation.codelists import bundled_code_lists
    from desktop.validation.template import load_template

    template, lists = load_template(), bundled_code_lists()
    print(f"{'rows':>8} {'read':>7} {'suggest':>8} {'values':>7} {'changes':>8} {'session':>8} {'export':>7}  (seconds)")
    for n in args.sizes:
        path = messy_file(n)
        t_read, raw = best(args.repeat, lambda p=path: read_table(p))
        t_suggest, mapping = best(args.repeat, lambda r=raw: suggest_mapping(r, template, lists))
        cols = apply_mapping(raw, mapping, template)
        t_values, (_, findings) = best(args.repeat, lambda c=cols: ValueMapper(template, lists, ValueOptions(), TODAY).apply(c))
        t_session, session = best(args.repeat, lambda r=raw: ImportSession.from_raw(r, today=TODAY, auto_profile=False))
        with tempfile.TemporaryDirectory() as tmp:
            # large synthetic files hold a few rows that are the same trainee by Register's rule
            t_export, result = best(args.repeat, lambda s=session, d=tmp: export_register_csv(
                s, Path(d) / "r.csv", allow_errors=True))
        assert result.written and result.rows_written >= 0.99 * n, "the benchmark file should export"
        print(f"{n:>8} {t_read:>7.2f} {t_suggest:>8.3f} {t_values:>7.2f} {len(findings):>8,} {t_session:>8.2f} {t_export:>7.2f}")
    print("session = suggest + value mapping + every rule (what 'check' does after reading)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
