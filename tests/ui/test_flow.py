"""The whole journey, driven like a user: open the sample, accept the mapping, fix, undo, export, check."""

from __future__ import annotations

import csv
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLineEdit

from desktop.cli import main as cli_main
from desktop.core.samples import sample_path
from desktop.ui.dialogs import MessageDialog, SaveFileDialog
from desktop.ui.main_window import EXPORT, MAP, OPEN, REVIEW
from tests.ui.conftest import open_and_review


def errors(window) -> int:  # type: ignore[no-untyped-def]
    return int(window.session.summary()["errors"])


def test_open_map_fix_undo_export_check(qtbot, window, tmp_path: Path, monkeypatch):
    """Sample → mapping accepted → a cell fixed in the grid → fewer errors → undo → export → check passes."""
    assert window.step == OPEN
    open_and_review(qtbot, window, sample_path())
    assert window.step == REVIEW
    assert window.status_errors.text() == f"Errors: {errors(window)}"
    start = errors(window)
    assert start > 0

    # go to a missing first name with the keyboard, type it, press Enter
    page = window.review_page
    model = window.model
    col = model.column_of("first_names")
    row = next(r for r in range(model.rowCount()) if model.value(r, col) == "")
    page.select_cell(row, col)
    grid = page.grid
    qtbot.keyClick(grid, Qt.Key.Key_F2)
    editor = QApplication.focusWidget()
    assert isinstance(editor, QLineEdit)
    qtbot.keyClicks(editor, "Bronwen")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: model.value(row, col) == "Bronwen")  # Qt commits the editor on the next loop
    assert errors(window) == start - 1
    qtbot.waitUntil(lambda: window.status_errors.text() == f"Errors: {start - 1}")
    assert window.isWindowModified()

    # undo from the keyboard brings the error back; redo fixes it again
    grid.setFocus()
    qtbot.keyClick(grid, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert model.value(row, col) == ""
    assert errors(window) == start
    qtbot.keyClick(grid, Qt.Key.Key_Y, Qt.KeyboardModifier.ControlModifier)
    assert errors(window) == start - 1

    # export (Ctrl+S): only the clean rows, and the file passes `check`
    out = tmp_path / "register.csv"
    monkeypatch.setattr(MessageDialog, "ask", classmethod(lambda cls, *a, **k: "clean"))
    monkeypatch.setattr(SaveFileDialog, "ask", classmethod(lambda cls, *a, **k: out))
    qtbot.keyClick(window, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert out.exists()
    assert not window.isWindowModified()
    with out.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == window.template.names
    assert len(rows) - 1 == window.session.summary()["valid_rows"]
    assert not out.read_bytes().startswith(b"\xef\xbb\xbf")
    assert cli_main(["check", str(out), "--today", "2026-11-28"]) == 0


def test_steps_follow_what_is_possible(qtbot, window):
    """Map needs a file, Review and Export need a checked file; the step bar says which are open."""
    buttons = window.steps.buttons
    assert [b.isEnabled() for b in buttons] == [True, False, False, False]
    window.go_to(REVIEW)
    assert window.step == OPEN
    with qtbot.waitSignal(window.jobs.busy_changed, timeout=10000, check_params_cb=lambda busy: not busy):
        window.open_file(sample_path())
    assert window.step == MAP
    assert [b.isEnabled() for b in buttons] == [True, True, False, False]
    with qtbot.waitSignal(window.file_ready, timeout=10000):
        qtbot.keyClick(window.mapping_page.continue_button, Qt.Key.Key_Space)
    assert [b.isEnabled() for b in buttons] == [True, True, True, True]
    qtbot.keyClick(window, Qt.Key.Key_4, Qt.KeyboardModifier.ControlModifier)
    assert window.step == EXPORT
    assert "ready to send" in window.export_page.summary.text()


def test_next_and_previous_error_keys(qtbot, window):
    """F8 walks forward through error cells in view order and wraps; Shift+F8 walks back."""
    open_and_review(qtbot, window, sample_path())
    grid = window.review_page.grid
    model = window.model
    seen = []
    for _ in range(3):
        qtbot.keyClick(grid, Qt.Key.Key_F8)
        cur = grid.currentIndex()
        seen.append((cur.row(), cur.column()))
        assert model.data(model.index(cur.row(), cur.column()), model.SeverityRole) == 2
    assert seen == sorted(seen) and len(set(seen)) == 3
    qtbot.keyClick(grid, Qt.Key.Key_F8, Qt.KeyboardModifier.ShiftModifier)
    cur = grid.currentIndex()
    assert (cur.row(), cur.column()) == seen[1]


def test_status_bar_shows_rows_errors_warnings_and_versions(qtbot, window):
    """Status in text: rows, errors, warnings, template and reference-data versions."""
    open_and_review(qtbot, window, sample_path())
    s = window.session.summary()
    assert window.status_rows.text().startswith(f"Rows: {window.session.n_rows}")
    assert window.status_errors.text() == f"Errors: {s['errors']}"
    assert window.status_warnings.text() == f"Warnings: {s['warnings']}"
    assert "v2026.1" in window.status_versions.text() and "Reference data" in window.status_versions.text()


def test_a_file_that_cannot_be_read_is_explained(qtbot, window, tmp_path, monkeypatch):
    """A broken file gives a titled message and leaves the window as it was."""
    bad = tmp_path / "empty.csv"
    bad.write_bytes(b"")
    shown: list[tuple[str, str]] = []
    monkeypatch.setattr(MessageDialog, "inform", classmethod(lambda cls, parent, title, text, **k: shown.append((title, text))))
    with qtbot.waitSignal(window.jobs.busy_changed, timeout=10000, check_params_cb=lambda busy: not busy):
        window.open_file(bad)
    assert shown and "empty" in shown[0][1]
    assert window.step == OPEN and window.session is None


def test_a_file_error_means_no_row_is_ready_anywhere_in_the_window(qtbot, window, tmp_path, monkeypatch):
    """A column given twice is an error about the file: the status bar, the Export step and the
    export itself all say no row is ready, although every row is fine on its own."""
    from tests.helpers import TEMPLATE, valid_row, write_csv

    rows = [valid_row(provider_trainee_id=f"26/27-{i}", last_name=f"Jones{'ABC'[i]}") for i in range(3)]
    path = write_csv(tmp_path / "twice.csv", rows, headers=[*TEMPLATE.names, "EMAIL"])
    open_and_review(qtbot, window, path)
    s = window.session.summary()
    assert (s["rows_with_errors"], s["valid_rows"]) == (0, 0)
    assert window.status_rows.text() == "Rows: 3 (0 ready)"
    window.go_to(EXPORT)
    assert "0 of 3 rows are ready" in window.export_page.summary.text()
    shown: list[str] = []
    monkeypatch.setattr(MessageDialog, "inform", classmethod(lambda cls, parent, title, text, **k: shown.append(title)))
    assert window.export_csv() is None
    assert shown == ["Nothing can be exported yet"]
