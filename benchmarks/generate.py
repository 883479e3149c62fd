"""Write the seeded synthetic provider files the benchmarks read (never real people).

    python benchmarks/generate.py [--sizes 1000 10000 50000 100000] [--formats csv xlsx] [--force]

Files go to ``benchmarks/data/`` (git-ignored) as ``synthetic-<rows>.<csv|xlsx>``. The same seed
gives byte-identical CSVs, so figures from different machines or commits compare like for like.
A file that already exists is kept unless ``--force``; a ``.seed`` sidecar records how it was made
so a change of seed or defect share regenerates it.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from desktop.core import synthetic  # noqa: E402

DATA = ROOT / "benchmarks" / "data"
SIZES = (1_000, 10_000, 50_000, 100_000)
FORMATS = ("csv", "xlsx")
SEED = 2026
DEFECT_SHARE = 0.1


def data_path(n: int, fmt: str, folder: Path = DATA, *, defect_share: float = DEFECT_SHARE) -> Path:
    """``synthetic-<rows>.<fmt>`` (a tenth of rows with a defect), ``valid-<rows>.<fmt>`` without defects."""
    stem = "valid" if defect_share == 0 else "synthetic"
    return folder / f"{stem}-{n}.{fmt}"


def _stamp(n: int, seed: int, defect_share: float) -> str:
    return f"rows={n} seed={seed} defect_share={defect_share}" + (" unique" if defect_share == 0 else "") + "\n"


def ensure(n: int, fmt: str, *, seed: int = SEED, defect_share: float = DEFECT_SHARE,
           folder: Path = DATA, force: bool = False) -> tuple[Path, bool]:
    """The file for ``n`` rows in ``fmt``, written if missing or made differently; (path, written)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = data_path(n, fmt, folder, defect_share=defect_share)
    sidecar = path.with_suffix(path.suffix + ".seed")
    stamp = _stamp(n, seed, defect_share)
    if not force and path.exists() and sidecar.exists() and sidecar.read_text() == stamp:
        return path, False
    # defect-free files are also free of chance duplicates: "valid" means Register accepts every row
    rows = synthetic.rows(n, seed=seed, defect_share=defect_share, unique=defect_share == 0)
    tmp = path.with_name(path.name + ".part" + path.suffix)  # keep the suffix: openpyxl checks it
    if fmt == "csv":
        synthetic.write_csv(tmp, rows)
    elif fmt == "xlsx":
        synthetic.write_xlsx(tmp, rows)
    else:
        raise ValueError(f"unknown format {fmt!r}")
    tmp.replace(path)
    sidecar.write_text(stamp)
    return path, True


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    ap.add_argument("--formats", nargs="+", choices=FORMATS, default=list(FORMATS))
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--defect-share", type=float, default=DEFECT_SHARE)
    ap.add_argument("--force", action="store_true", help="rewrite files that already exist")
    args = ap.parse_args(argv)
    for n in args.sizes:
        for fmt in args.formats:
            t0 = time.perf_counter()
            path, written = ensure(n, fmt, seed=args.seed, defect_share=args.defect_share, force=args.force)
            size = path.stat().st_size / 1_048_576
            what = f"wrote in {time.perf_counter() - t0:.1f} s" if written else "kept"
            print(f"{path.relative_to(ROOT)}  {size:6.1f} MB  {what}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
