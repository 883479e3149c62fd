"""A real window process for ``test_crash_recovery``: it opens FILE, then edits cells until it is killed.

    python tests/ui/crash_driver.py FILE

Runs offscreen with the data and config folders of its environment. Each edit goes through the
grid's model as a typed-in value does (the undo stack, the session, revalidation, autosave), one
distinct cell at a time, every 20 ms; after each edit returns it prints ``edited ROW FIELD VALUE``.
A printed edit is one the user saw happen, so it must come back after the process is killed.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

FIELDS = ("first_names", "last_name", "email")


def value_for(i: int, field: str) -> str:
    return {"first_names": f"Llŷr-{i}", "last_name": f"O'Brien-{i}", "email": f"edited{i}@example.com"}[field]


def main(path: Path) -> int:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from desktop.ui.main_window import MainWindow

    app = QApplication([sys.argv[0]])
    window = MainWindow(today=dt.date(2026, 11, 28))
    window.show()
    todo = [(row, field) for field in FIELDS for row in range(40)]
    timer = QTimer()
    timer.setInterval(20)

    def edit_next() -> None:
        model = window.model
        if model is None or not todo:
            timer.stop()
            return
        row, field = todo.pop(0)
        if row >= model.rowCount():
            return
        value = value_for(row, field)
        model.setData(model.index(row, model.column_of(field)), value)  # as the grid's editor does
        print(f"edited {row} {field} {value}", flush=True)

    def ready() -> None:
        print("ready", flush=True)
        timer.start()

    timer.timeout.connect(edit_next)
    window.file_ready.connect(ready)

    def accept_when_loaded() -> None:
        if window.loaded is not None and not window.jobs.busy:
            poll.stop()
            window.accept_mapping()

    poll = QTimer()
    poll.setInterval(20)
    poll.timeout.connect(accept_when_loaded)
    QTimer.singleShot(0, lambda: (window.open_file(path), poll.start()))
    return int(app.exec())


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
