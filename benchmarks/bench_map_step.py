"""Speed of the Map step as a user drives it (issue 15): opening the step, one change, undo, suggestions.

    python benchmarks/bench_map_step.py [--file tests/data/exports/class-column.csv] [--repeat 20]

Offscreen, with private settings. Prints: suggesting what every column of the file probably holds
(``ColumnSuggester``, first time and again), showing a file on the Map step (``set_draft``: 51 rows,
each with its drop-down), one mapping change through the page (the draft, the table, the unused
columns, the summary, the value view), and one undo; median and worst of ``--repeat``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--file", default=str(ROOT / "tests" / "data" / "exports" / "class-column.csv"))
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    work = Path(tempfile.mkdtemp(prefix="bench-map-"))
    os.environ["DESKTOP_CONFIG_DIR"] = str(work / "config")
    os.environ["DESKTOP_DATA_DIR"] = str(work / "data")

    from PySide6.QtWidgets import QApplication

    from desktop.core.loading import read_table
    from desktop.core.mapping import ColumnSuggester
    from desktop.validation.template import load_template

    app = QApplication.instance() or QApplication([sys.argv[0]])
    raw = read_table(args.file)
    template = load_template()
    t = time.perf_counter()
    suggester = ColumnSuggester(raw, template)
    for h in raw.headers:
        suggester.ranked(h)
    first = time.perf_counter() - t
    t = time.perf_counter()
    again = ColumnSuggester(raw, template)
    for h in raw.headers:
        again.ranked(h)
    second = time.perf_counter() - t

    import datetime as dt

    from desktop.ui.main_window import MainWindow
    from desktop.ui.ui_state import UiState

    w = MainWindow(today=dt.date(2026, 11, 28), ui_state=UiState(work / "w.ini"), autosave_file=work / "a.json")
    w.show()
    w.open_file(Path(args.file))
    while w.loaded is None or w.jobs.busy:
        app.processEvents()
    page = w.mapping_page
    draft = w.loaded.draft
    shows, changes, undos = [], [], []
    field = next(n for n in template.names if draft.source_for(n) is not None)
    column = draft.source_for(field)
    for _ in range(args.repeat):
        t = time.perf_counter()
        page.set_draft(draft)
        app.processEvents()
        shows.append(time.perf_counter() - t)
        t = time.perf_counter()
        page.choose_column(field, None)
        app.processEvents()
        changes.append(time.perf_counter() - t)
        t = time.perf_counter()
        page.undo()
        app.processEvents()
        undos.append(time.perf_counter() - t)
        assert draft.source_for(field) == column
    w._may_discard = lambda: True  # type: ignore[method-assign]
    w.close()

    def ms(values: list[float]) -> str:
        return f"median {statistics.median(values) * 1000:6.1f} ms, worst {max(values) * 1000:6.1f} ms"

    print(f"{Path(args.file).name}: {len(raw.headers)} columns, {raw.n_rows} rows")
    print(f"  what every column probably holds: {first * 1000:.0f} ms (first time), {second * 1000:.0f} ms (again)")
    print(f"  show the Map step (51 rows, their drop-downs): {ms(shows)}")
    print(f"  one mapping change: {ms(changes)}")
    print(f"  undo it:            {ms(undos)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
