"""Starting the window: FILE on the command line, no display, drag and drop, keyboard and accessible names."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QApplication,
    QComboBox,
    QLabel,
    QLineEdit,
    QTextBrowser,
)

from desktop.core.samples import sample_path
from desktop.ui import app as app_module
from desktop.ui.app import NO_DISPLAY, display_available
from desktop.ui.main_window import MAP, MainWindow
from tests.ui.conftest import open_and_review

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(("env", "platform", "expected"), [
    ({}, "linux", False),
    ({"DISPLAY": ":99"}, "linux", False),  # no X99 socket in the test's own socket folder
    ({"DISPLAY": ":7"}, "linux", True),  # X7 is there
    ({"DISPLAY": "remotehost:0"}, "linux", True),
    ({"WAYLAND_DISPLAY": "wayland-0"}, "linux", True),
    ({"QT_QPA_PLATFORM": "offscreen"}, "linux", True),
    ({}, "win32", True),
    ({}, "darwin", True),
])
def test_display_detection(env, platform, expected, tmp_path):
    """Linux without X or Wayland has no display; Windows and macOS always have one."""
    (tmp_path / "X7").touch()  # a local X server's socket (another Xvfb on this machine must not matter)
    assert display_available(env, platform, x11_sockets=tmp_path) is expected


def test_without_a_display_one_line_points_to_the_command_line(capsys, monkeypatch):
    """No display: one line on stderr naming the command line, exit status 2, no Qt abort."""
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    assert app_module.main(["whatever.csv"]) == 2
    err = capsys.readouterr().err
    assert err.strip() == NO_DISPLAY and err.count("\n") == 1
    assert "register-desktop check" in err


def test_python_m_desktop_without_a_display_says_so_and_exits(tmp_path):
    """The real entry point, in a process with no display: one line, status 2, no traceback."""
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    result = subprocess.run([sys.executable, "-m", "desktop", str(sample_path())], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 2
    assert result.stderr.strip() == NO_DISPLAY
    assert "Traceback" not in result.stderr


def test_main_opens_the_file_given_on_the_command_line(qtbot, monkeypatch):
    """``register-desktop-gui FILE`` shows the window and reads FILE into the Map step."""
    seen: list[MainWindow] = []

    def run_until_loaded(self):  # type: ignore[no-untyped-def]
        window = next(w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible())
        seen.append(window)
        qtbot.waitUntil(lambda: window.loaded is not None and not window.jobs.busy, timeout=10000)
        window._may_discard = lambda: True
        window.close()
        window.deleteLater()
        return 0

    monkeypatch.setattr(QApplication, "exec", run_until_loaded)
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    handlers = list(logging.getLogger().handlers)
    try:
        assert app_module.main([str(sample_path()), "--today", "2026-11-28"]) == 0
    finally:
        for h in logging.getLogger().handlers:
            if h not in handlers:
                logging.getLogger().removeHandler(h)
                h.close()
    assert seen and seen[0].step == MAP and seen[0].current_file == sample_path()


def test_a_dropped_file_is_opened(qtbot, window):
    """Dropping a spreadsheet on the window opens it."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(sample_path()))])
    event = QDropEvent(QPointF(100, 100), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    with qtbot.waitSignal(window.jobs.busy_changed, timeout=10000, check_params_cb=lambda busy: not busy):
        window.dropEvent(event)
    assert window.step == MAP and window.current_file == sample_path()


def test_recent_files_are_remembered_and_offered(qtbot, window):
    """An opened file appears in File → Open recent and on the Open step."""
    open_and_review(qtbot, window, sample_path())
    assert window.ui_state.recent_files()[0] == sample_path().resolve()
    assert window.open_page.recent.count() == 1
    assert window.recent_menu.actions()[0].text().endswith(sample_path().name)


def test_every_control_has_a_name_a_screen_reader_can_read(qtbot, window):
    """Buttons have text; inputs, lists and tables have an accessible name or a label pointing at them."""
    open_and_review(qtbot, window, sample_path())
    buddies = {id(label.buddy()) for label in window.findChildren(QLabel) if label.buddy() is not None}
    unnamed = []
    for w in window.findChildren(QAbstractButton):
        if w.isVisibleTo(window) and not (w.text().strip() or w.accessibleName()):
            unnamed.append(w)
    for kind in (QLineEdit, QComboBox, QAbstractItemView, QTextBrowser):
        for w in window.findChildren(kind):
            if isinstance(w, QLineEdit) and isinstance(w.parent(), QComboBox):
                continue  # the combo box carries the name
            if not w.isVisibleTo(window) or w.parent() is None or type(w).__name__.startswith("QHeader"):
                continue
            if not (w.accessibleName() or id(w) in buddies):
                unnamed.append(w)
    assert not unnamed, [f"{type(w).__name__} {w.objectName()}" for w in unnamed]


def test_steps_and_commands_have_standard_shortcuts(window):
    """Ctrl+O, Ctrl+S, Ctrl+Z, Ctrl+Y, Ctrl+F, F8 and Ctrl+1…4 are bound."""
    from PySide6.QtGui import QKeySequence

    keys = {s.toString() for a in window.findChildren(type(window.open_action)) for s in a.shortcuts()}
    for wanted in ("Ctrl+O", "Ctrl+S", "Ctrl+Z", "Ctrl+Y", "Ctrl+F", "F8", "Shift+F8", "Ctrl+1", "Ctrl+4"):
        assert QKeySequence(wanted).toString() in keys, wanted
