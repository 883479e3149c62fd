"""What reading a file as Register's upload page would read it costs (issue 13).

    python benchmarks/register_page.py [--rows 50000] [--repeat 3]

Two files of the same seeded trainees (``benchmarks/generate.py``): the benchmark file as it is
(template shape, no padded cell), and the same file with a space after every non-empty cell, as
a fixed-width export writes it (every cell "untrimmed": the worst case). For each it prints, in
CPU seconds (steadier than wall time on a shared machine), reading (``read_table``, which notes
padded cells), the session (mapping and every rule) and the page view
(``ImportSession.register_page_findings``), with the number of padded cells and page findings.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.generate import DATA, ensure  # noqa: E402
from desktop.core.loading import read_table  # noqa: E402
from desktop.core.session import ImportSession  # noqa: E402

TODAY = dt.date(2026, 11, 28)


def padded(source: Path) -> Path:
    """The same file with a space after every non-empty cell (header left alone)."""
    target = source.with_name(source.stem + "-padded.csv")
    if target.exists() and target.stat().st_mtime >= source.stat().st_mtime:
        return target
    with source.open(newline="", encoding="utf-8") as fh, target.open("w", newline="", encoding="utf-8") as out:
        rows = csv.reader(fh)
        w = csv.writer(out)
        w.writerow(next(rows))
        for r in rows:
            w.writerow([c + " " if c else c for c in r])
    return target


def cpu(fn):  # type: ignore[no-untyped-def]
    start = time.process_time()
    result = fn()
    return time.process_time() - start, result


def measure(path: Path, repeat: int) -> dict[str, float | int]:
    best: dict[str, float | int] = {}
    for _ in range(repeat):
        t_read, raw = cpu(lambda: read_table(path))
        t_session, session = cpu(lambda raw=raw: ImportSession.from_raw(raw, today=TODAY, auto_profile=False))
        t_page, page = cpu(session.register_page_findings)
        figures = {"read": t_read, "session": t_session, "page": t_page}
        for k, v in figures.items():
            best[k] = min(best.get(k, v), v)
        best["padded cells"] = sum(len(t.positions) for t in raw.trimmed.values())
        best["page findings"] = len(page)
        best["page errors"] = page.error_count
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=50_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    source, _ = ensure(args.rows, "csv", folder=DATA)
    print(f"{'file':32} {'read s':>7} {'session s':>9} {'page s':>7} {'padded cells':>13} {'page findings':>14}")
    for path in (source, padded(source)):
        f = measure(path, args.repeat)
        print(f"{path.name:32} {f['read']:7.2f} {f['session']:9.2f} {f['page']:7.3f} {f['padded cells']:13,} "
              f"{f['page findings']:14,}")


if __name__ == "__main__":
    main()
