"""The window part of ``register-desktop self-test``: open the window, read the bundled sample
through the same background job a user's file takes, paint it, close. Exit 0 when all of that
works. It runs with throwaway settings and data folders so it never touches the user's recent
files, window state or autosaved session.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

TIMEOUT_MS = 60_000


def run() -> int:
    work = Path(tempfile.mkdtemp(prefix="register-desktop-selftest-"))
    os.environ["DESKTOP_CONFIG_DIR"] = str(work / "config")
    os.environ["DESKTOP_DATA_DIR"] = str(work / "data")
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from desktop.core.samples import sample_path
    from desktop.ui.main_window import MainWindow
    from desktop.ui.ui_state import UiState

    app = QApplication.instance() or QApplication([sys.argv[0]])
    window = MainWindow(ui_state=UiState(work / "config" / "window.ini"), autosave_file=work / "data" / "autosave.json")
    result: dict[str, int | str] = {"code": 1, "why": "the sample did not finish loading within 60 s"}

    def ready() -> None:
        model = window.model
        rows = model.rowCount() if model is not None else 0
        if rows > 0:
            window.grab()  # paint it once
            result.update(code=0, why=f"{rows} rows shown")
        else:
            result.update(code=1, why="the sample loaded but the grid is empty")
        window.close()
        app.quit()

    def give_up() -> None:
        window.close()
        app.quit()

    def accept_when_loaded() -> None:  # the user's "Continue to review" on the Map step
        if window.loaded is not None:
            poll.stop()
            window.accept_mapping()

    poll = QTimer()
    poll.setInterval(50)
    poll.timeout.connect(accept_when_loaded)
    window.file_ready.connect(ready)
    window.show()
    QTimer.singleShot(0, lambda: (window.open_file(sample_path()), poll.start()))
    QTimer.singleShot(TIMEOUT_MS, give_up)
    app.exec()
    window.deleteLater()
    shutil.rmtree(work, ignore_errors=True)
    print(f"window self-test: {result['why']}")  # noqa: T201 - read by the parent process
    return int(result["code"])
