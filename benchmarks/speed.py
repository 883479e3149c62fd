"""Issue 16 in one command: the speed of the whole process, each figure beside its target and its peer.

    python benchmarks/speed.py                  # everything (about 10 minutes on 2 cores)
    python benchmarks/speed.py --runs 3 --skip-window --skip-frozen

What it does, in one run so every figure shares the machine's state:

1. Writes the seeded files it needs (``benchmarks/generate.py``): valid template files of 2,
   50,000 and 100,000 rows (CSV; 50,000 also XLSX), and 10,000 rows sharing one surname and
   birth date (the duplicate rule's worst case).
2. Installs the peers into ``benchmarks/.venv-peers`` (``benchmarks/peers.txt``: frictionless,
   pandas, python-calamine; never app dependencies). Without a package index the peers are
   reported as missing and the rest runs.
3. Times whole processes, ``--runs`` rounds (default 5), the cases interleaved in each round (so
   a burst of load from elsewhere hits all of them alike), and prints the median wall time, the
   peak memory (``wait4``) and the verdict against each target:
   ``register-desktop --version``, ``--help``, ``check`` of 2 rows, 50,000 rows CSV (against
   frictionless-py's validation with the same field constraints, and pandas' ``read_csv`` as a
   floor), 50,000 rows XLSX (against python-calamine reading the sheet), 100,000 rows CSV, and the
   10,000-row duplicate group; plus the duplicate rule alone at 10,000 and 40,000 rows in one
   group (linear: the ratio should be about 4).
4. The window (``benchmarks/bench_ui.py``, offscreen) and the frozen app's cold start
   (``benchmarks/bench_startup.py``, building the bundle into ``dist/`` if it is missing).

The machine's load average is printed before and after: the machine is shared, so run it when it
is quiet and more than once. Beside each wall time is the process's CPU time (user + system):
when other work holds the cores, wall time includes the wait for one and CPU time does not.
Outputs go to ``benchmarks/out/`` (git-ignored).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

OUT = ROOT / "benchmarks" / "out"
PEERS = ROOT / "benchmarks" / ".venv-peers"
TODAY = "2026-11-28"
BIN = Path(sys.executable).parent


@dataclass
class Case:
    key: str
    label: str
    cmd: list[str]
    target_s: float | None = None
    target_mb: float | None = None
    peer_of: str | None = None  # this case is the peer/floor of that case
    expect: tuple[int, ...] = (0,)
    times: list[float] = field(default_factory=list)
    cpus: list[float] = field(default_factory=list)  # user + system seconds of the process
    peaks: list[float] = field(default_factory=list)
    failed: str | None = None

    @property
    def median(self) -> float | None:
        return statistics.median(self.times) if self.times else None

    @property
    def cpu(self) -> float | None:
        return statistics.median(self.cpus) if self.cpus else None

    @property
    def peak(self) -> float | None:
        return max(self.peaks) if self.peaks else None


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, float, float, int, str]:
    """Wall seconds, CPU seconds (user + system), peak resident MB of that very process (wait4),
    exit code, standard error. On a shared machine the CPU time is the steadier figure: it leaves
    out the time the process waited for a core."""
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err, env=env, cwd=ROOT)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        text = err.read().decode(errors="replace")
    rss = usage.ru_maxrss / (1_048_576 if sys.platform == "darwin" else 1024)
    return wall, usage.ru_utime + usage.ru_stime, rss, proc.returncode, text


# ------------------------------------------------------------------------------------ set-up


def data_files() -> dict[str, Path]:
    from benchmarks.generate import DATA, ensure
    from desktop.core import synthetic

    files = {f"valid-{n}.{fmt}": ensure(n, fmt, defect_share=0)[0]
             for n, fmt in [(2, "csv"), (50_000, "csv"), (50_000, "xlsx"), (100_000, "csv")]}
    dup = DATA / "one-group-10000.csv"
    if not dup.exists():
        synthetic.write_csv(dup, one_group(10_000))
    files["one-group-10000.csv"] = dup
    return files


def one_group(n: int) -> list[dict[str, str]]:
    """``n`` valid rows that all share a surname, birth date and route: one duplicate group."""
    from desktop.core import synthetic

    out = []
    for row in synthetic.rows(n, seed=16, defect_share=0):
        row.update(last_name="Jones", date_of_birth="1990-04-13")
        if row["training_route"] != "12":  # same route: keep the course consistent with it
            continue
        out.append(row)
    while len(out) < n:
        out.extend(out[: n - len(out)])
    return out[:n]


def frictionless_schema(path: Path) -> Path:
    """The template's field constraints as a Table Schema: required, length, enum, date, pattern."""
    from desktop.validation.codelists import bundled_code_lists
    from desktop.validation.template import load_template

    lists = bundled_code_lists()
    fields = []
    for f in load_template().fields:
        constraints: dict[str, Any] = {}
        spec: dict[str, Any] = {"name": f.name, "type": "string"}
        if f.mandatory:
            constraints["required"] = True
        if f.max_length:
            constraints["maxLength"] = f.max_length
        if f.kind == "code" and f.code_list:
            constraints["enum"] = sorted(lists[f.code_list].codes)
        elif f.kind == "date":
            spec["type"], spec["format"] = "date", "%Y-%m-%d"
        elif f.kind == "email":
            spec["format"] = "email"
        elif f.kind == "hesa_id":
            constraints["pattern"] = r"\d{13}|\d{17}"
        elif f.kind == "integer":
            spec["type"] = "integer"
        elif f.kind == "placement_urn":
            constraints["pattern"] = r"\d{6}"
        if constraints:
            spec["constraints"] = constraints
        fields.append(spec)
    path.write_text(json.dumps({"fields": fields, "missingValues": [""]}, indent=1), encoding="utf-8")
    return path


def peers_python() -> Path | None:
    python = PEERS / "bin" / "python"
    stamp = PEERS / "installed.txt"
    wanted = (ROOT / "benchmarks" / "peers.txt").read_text(encoding="utf-8")
    if python.exists() and stamp.exists() and stamp.read_text(encoding="utf-8") == wanted:
        return python
    print(f"installing the peers into {PEERS.relative_to(ROOT)} (benchmarks/peers.txt) ...", flush=True)
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(PEERS)], check=True)
    proc = subprocess.run([str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", "-r",
                           str(ROOT / "benchmarks" / "peers.txt")], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        print(f"  peers not installed (no package index?): {proc.stderr.strip().splitlines()[-1:]}")
        return None
    stamp.write_text(wanted, encoding="utf-8")
    return python


# ------------------------------------------------------------------------------------ cases


def cli_cases(files: dict[str, Path], peers: Path | None, schema: Path) -> list[Case]:
    rd = [str(BIN / "register-desktop")]

    def check(name: str, fmt: str = "json") -> list[str]:
        return [*rd, "check", str(files[name]), "--today", TODAY, "--format", fmt, "--out", os.devnull]

    cases = [
        Case("version", "register-desktop --version", [*rd, "--version"], 0.35),
        Case("help", "register-desktop --help", [*rd, "--help"], 0.35),
        Case("check-2", "check, 2-row CSV", check("valid-2.csv", "text"), 0.35),
        # exit 1: every row is valid, but Register's upload page takes CSV files of 1 MB at most
        # (file.register_too_large); the check does all its work either way
        Case("check-50k-csv", "check, 50,000-row CSV", check("valid-50000.csv"), 1.0, expect=(0, 1)),
        Case("check-50k-xlsx", "check, 50,000-row XLSX", check("valid-50000.xlsx"), expect=(0, 1)),
        Case("check-100k-csv", "check, 100,000-row CSV", check("valid-100000.csv"), 2.0, 400, expect=(0, 1)),
        Case("check-dup-10k", "check, 10,000 rows in one duplicate group", check("one-group-10000.csv"), expect=(1,)),
    ]
    if peers is not None:
        script = str(ROOT / "benchmarks" / "peers.py")
        cases += [
            Case("frictionless", "frictionless-py, field constraints only, same 50,000-row CSV",
                 [str(peers), script, "frictionless", str(files["valid-50000.csv"]), str(schema)], peer_of="check-50k-csv"),
            Case("pandas", "pandas read_csv(dtype=str), same CSV (floor)",
                 [str(peers), script, "pandas", str(files["valid-50000.csv"])], peer_of="check-50k-csv"),
            Case("calamine", "python-calamine reads the same XLSX sheet (floor)",
                 [str(peers), script, "calamine", str(files["valid-50000.xlsx"])], peer_of="check-50k-xlsx"),
        ]
    return cases


def run_rounds(cases: list[Case], runs: int) -> None:
    env = {**os.environ, "PYTHONHASHSEED": "0", "QT_QPA_PLATFORM": "offscreen"}
    private = Path(tempfile.mkdtemp(prefix="bench-speed-"))
    env.update(DESKTOP_CONFIG_DIR=str(private / "config"), DESKTOP_DATA_DIR=str(private / "data"))
    for case in cases:  # warm the page cache and the .pyc files once, untimed
        timed(case.cmd, env)
    for r in range(runs):
        print(f"  round {r + 1}/{runs} (load {os.getloadavg()[0]:.2f})", flush=True)
        for case in cases:
            wall, cpu, rss, code, err = timed(case.cmd, env)
            if code not in case.expect:
                case.failed = f"exit {code}: {err.strip()[-300:]}"
                continue
            case.times.append(wall)
            case.cpus.append(cpu)
            case.peaks.append(rss)


def duplicate_rule_alone() -> dict[str, float]:
    """The in-file duplicate rule alone (in this process), one group of 10,000 and of 40,000 rows."""
    import datetime as dt

    from desktop.validation.codelists import bundled_code_lists
    from desktop.validation.engine import Columns
    from desktop.validation.findings import FindingSink
    from desktop.validation.packs import get_pack
    from desktop.validation.template import load_template

    template, pack = load_template(), get_pack()
    ctx = pack.context(template, bundled_code_lists(), dt.date.fromisoformat(TODAY))
    rule = next(r for r in pack.table_rules if r.name == "duplicates_in_file")
    out = {}
    for n in (10_000, 40_000):
        rows = one_group(n)
        times = []
        for _ in range(5):
            cols = Columns.from_rows(rows, template.names)
            cols.dates("date_of_birth")  # a date column every rule shares; not the rule's own work
            start = time.process_time()  # one thread: its CPU time, not the wait for a core
            rule.check(cols, ctx, FindingSink())
            times.append(time.process_time() - start)
        out[f"{n}"] = statistics.median(times)
    return out


def run_json(cmd: list[str]) -> dict[str, Any] | None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT, check=False)
    print("\n".join("    " + ln for ln in proc.stdout.strip().splitlines() if not ln.startswith("{")), flush=True)
    for line in reversed(proc.stdout.strip().splitlines()):
        if line.startswith("{"):
            return dict(json.loads(line))
    print(f"    failed: {proc.stderr.strip()[-500:]}")
    return None


# ------------------------------------------------------------------------------------ report


def verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else "ok" if ok else "MISSED"


def report(cases: list[Case], dup: dict[str, float], window: dict[str, Any] | None,
           frozen: dict[str, Any] | None) -> list[tuple[str, str, str, str, str]]:
    by = {c.key: c for c in cases}
    rows: list[tuple[str, str, str, str, str]] = []  # what, figure, target, peer/floor, verdict

    def peer_text(key: str) -> str:
        peers = [c for c in cases if c.peer_of == key and c.median is not None]
        return "; ".join(f"{c.label.split(',')[0].split(' (')[0]} {c.median:.2f} s ({c.cpu:.2f} CPU)" for c in peers) or "-"

    for c in cases:
        if c.peer_of is not None:
            continue
        if c.failed or c.median is None:
            rows.append((c.label, f"FAILED {c.failed}", "", "", "MISSED"))
            continue
        figure = f"{c.median:.2f} s ({c.cpu:.2f} s CPU)"
        target = f"<= {c.target_s:.2f} s" if c.target_s else ""
        ok: bool | None = c.median <= c.target_s if c.target_s else None
        if c.target_mb:
            figure += f", {c.peak:.0f} MB peak"
            target += f", <= {c.target_mb:.0f} MB"
            ok = bool(ok) and (c.peak or 0) <= c.target_mb
        if c.key == "check-50k-csv" and by.get("frictionless") and by["frictionless"].median:
            ratio = by["frictionless"].median / c.median
            figure += f", {ratio:.1f}x faster than frictionless ({by['frictionless'].cpu / c.cpu:.1f}x by CPU)"
            target += ", >= 12x frictionless"
            ok = bool(ok) and ratio >= 12
        if c.key == "check-50k-xlsx":
            cal = by.get("calamine")
            if cal and cal.median:
                ratio = c.median / cal.median
                figure += f", {ratio:.2f}x calamine ({c.cpu / cal.cpu:.2f}x by CPU)"
                target, ok = "<= 1.5x calamine's read", ratio <= 1.5
        rows.append((c.label, figure + f" [{c.peak:.0f} MB]" if not c.target_mb else figure, target,
                     peer_text(c.key), verdict(ok)))
    if dup:
        t10, t40 = dup["10000"], dup["40000"]
        rows.append(("duplicate rule alone, one group of 10,000 rows", f"{t10:.3f} s CPU", "<= 0.30 s",
                     f"40,000 rows: {t40:.3f} s ({t40 / t10:.1f}x for 4x rows)", verdict(t10 <= 0.3)))
    if window:
        rows.append(("window: open + validate + first paint, 100,000 rows", f"{window['open_s']:.2f} s", "<= 1.50 s",
                     f"read {window['read_s']:.2f} s, session {window['session_s']:.2f} s, paint {window['paint_s']:.2f} s",
                     verdict(window["open_s"] <= 1.5)))
        rows.append(("window: edit revalidated + repainted + problems panel", f"p95 {window['edit_p95_ms']:.1f} ms",
                     "<= 30 ms p95", f"median {window['edit_median_ms']:.1f} ms, max {window['edit_max_ms']:.1f} ms",
                     verdict(window["edit_p95_ms"] <= 30)))
        rows.append(("window: scrolling, one repaint per frame", f"worst {window['scroll_worst_ms']:.1f} ms",
                     "no frame > 16 ms", f"median {window['scroll_median_ms']:.1f} ms, {window['scroll_over']} of "
                     f"{window['scroll_frames']} over 16 ms", verdict(window["scroll_worst_ms"] <= 16)))
    if frozen:
        rows.append(("frozen app: cold start to a painted window", f"{frozen['first_s']:.2f} s first run, "
                     f"median {frozen['median_s']:.2f} s", "<= 1.00 s", f"bundle {frozen['size_mb']:.0f} MB (<= 250)",
                     verdict(frozen["first_s"] <= 1.0 and frozen["size_mb"] <= 250)))
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5, help="rounds of every CLI case (median shown)")
    ap.add_argument("--no-peers", action="store_true", help="do not install or run frictionless/pandas/calamine")
    ap.add_argument("--skip-window", action="store_true")
    ap.add_argument("--skip-frozen", action="store_true")
    args = ap.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    load_before = os.getloadavg()
    print(f"Python {platform.python_version()}, {os.cpu_count()} CPUs, load average {load_before[0]:.2f} "
          f"{load_before[1]:.2f} {load_before[2]:.2f}; {time.strftime('%Y-%m-%d %H:%M')}", flush=True)
    files = data_files()
    peers = None if args.no_peers else peers_python()
    cases = cli_cases(files, peers, frictionless_schema(OUT / "frictionless-schema.json"))
    print(f"whole processes, {args.runs} rounds:", flush=True)
    run_rounds(cases, args.runs)
    dup = duplicate_rule_alone()
    window = frozen = None
    if not args.skip_window:
        print("window (benchmarks/bench_ui.py, 100,000 rows, offscreen):", flush=True)
        window = run_json([sys.executable, str(ROOT / "benchmarks" / "bench_ui.py"), "--json"])
    if not args.skip_frozen:
        print("frozen app (benchmarks/bench_startup.py):", flush=True)
        bundle = ROOT / "dist" / "RegisterDesktop"
        if not (bundle / "RegisterDesktop").exists():
            subprocess.run([str(BIN / "pyinstaller"), "build/desktop.spec", "--noconfirm", "--log-level", "WARN",
                            "--workpath", ".pyinstaller", "--distpath", "dist"], cwd=ROOT, check=True)
        frozen = run_json([sys.executable, str(ROOT / "benchmarks" / "bench_startup.py"), "--json"])
    rows = report(cases, dup, window, frozen)
    load_after = os.getloadavg()
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    print(f"\n{'':{widths[0]}}  {'figure':{widths[1]}}  {'target':{widths[2]}}  {'peer / floor':{widths[3]}}  verdict")
    for r in rows:
        print(f"{r[0]:{widths[0]}}  {r[1]:{widths[1]}}  {r[2]:{widths[2]}}  {r[3]:{widths[3]}}  {r[4]}")
    print(f"\nload average before {load_before[0]:.2f}, after {load_after[0]:.2f} (1-minute); "
          f"median of {args.runs} whole processes per CLI figure")
    (OUT / "speed.json").write_text(json.dumps({
        "load": [load_before, load_after], "rows": rows, "window": window, "frozen": frozen, "duplicates": dup,
        "cases": {c.key: {"times": c.times, "cpus": c.cpus, "peaks": c.peaks, "failed": c.failed}
                                for c in cases}}, indent=1) + "\n")
    return 0 if all(r[4] != "MISSED" for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
