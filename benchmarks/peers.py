"""The peers and floors of ``benchmarks/speed.py``, each run as its own process (whole process timed).

Runs in ``benchmarks/.venv-peers`` (``benchmarks/peers.txt``), never in the app's environment:

    python benchmarks/peers.py frictionless FILE SCHEMA.json   # frictionless-py, field constraints only
    python benchmarks/peers.py pandas FILE                     # pandas read_csv(dtype=str): the CSV floor
    python benchmarks/peers.py calamine FILE                   # python-calamine, first sheet to Python: the XLSX floor

Prints one line: what it read (rows, errors) so the parent can check it really did the work.
"""

from __future__ import annotations

import json
import sys


def main(argv: list[str]) -> int:
    kind, path = argv[0], argv[1]
    if kind == "frictionless":
        from frictionless import Resource, Schema, system

        with open(argv[2], encoding="utf-8") as fh:
            schema = Schema.from_descriptor(json.load(fh))
        with system.use_context(trusted=True):  # our own file by an absolute path (refused as unsafe otherwise)
            report = Resource(path, schema=schema).validate(limit_errors=10**9)
        task = report.tasks[0]
        print(f"frictionless rows={task.stats.get('rows')} errors={len(task.errors)} valid={report.valid}")
        if not task.stats.get("rows"):  # it did not read the file: not a figure to compare with
            print(report.flatten(["type", "note"])[:3], file=sys.stderr)
            return 1
    elif kind == "pandas":
        import pandas as pd

        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        print(f"pandas rows={len(frame)} columns={len(frame.columns)}")
    elif kind == "calamine":
        from python_calamine import CalamineWorkbook

        rows = CalamineWorkbook.from_path(path).get_sheet_by_index(0).to_python()
        print(f"calamine rows={len(rows) - 1} columns={len(rows[0])}")
    else:
        raise SystemExit(f"unknown peer {kind!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
