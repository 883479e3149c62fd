"""Fixtures for window tests: small sessions, a window with private state, an idle thread pool after each test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QThreadPool

from desktop.core.session import ImportSession
from tests.helpers import TODAY, valid_row, write_csv

SURNAMES = ["O'Brien", "Ní Bhriain", "ap Rhys", "Featherstonehaugh-Cholmondeley", "Ó Súilleabháin", "Llewellyn",
            "McCarthy", "Núñez", "D'Arcy", "Müller", "Okafor", "Quinn"]


def trainee(i: int, **changes: str) -> dict[str, str]:
    """A valid row, different from every other ``trainee(j)`` (so no in-file duplicates)."""
    surname = SURNAMES[i % len(SURNAMES)] + ("" if i < len(SURNAMES) else f"-{i}")
    row = valid_row(last_name=surname, email=f"trainee{i}@example.com", provider_trainee_id=f"26/27-{i + 1}",
                    date_of_birth=f"19{70 + i % 25}-0{1 + i % 9}-1{i % 9}")
    row.update(changes)
    return row


@pytest.fixture(autouse=True)
def _no_unexpected_dialogs(monkeypatch: pytest.MonkeyPatch) -> None:
    """A dialog a test did not patch would block the run: fail instead, saying which one."""
    from desktop.ui import dialogs

    def refuse(name: str):  # type: ignore[no-untyped-def]
        def ask(cls, *args, **kwargs):  # type: ignore[no-untyped-def]
            texts = [a for a in args if isinstance(a, str)]
            pytest.fail(f"unexpected dialog {name}: {texts[:2]}")

        return classmethod(ask)

    for cls in (dialogs.OpenFileDialog, dialogs.SaveFileDialog, dialogs.MessageDialog, dialogs.TextDialog,
                dialogs.ItemDialog, dialogs.FixAllDialog, dialogs.ErrorReportDialog, dialogs.TokenDialog,
                dialogs.AboutDialog, dialogs.CopyDialog):
        monkeypatch.setattr(cls, "ask", refuse(cls.__name__))
    monkeypatch.setattr(dialogs.MessageDialog, "inform", refuse("MessageDialog.inform"))

    def no_external_program(path):  # type: ignore[no-untyped-def]
        pytest.fail(f"a test tried to open {path} in another program")

    monkeypatch.setattr(dialogs, "open_local_file", no_external_program)


@pytest.fixture(autouse=True)
def _pool_idle_after() -> Iterator[None]:
    """No worker may outlive its test (napari's dangling-pool check)."""
    yield
    assert QThreadPool.globalInstance().waitForDone(5000), "a worker thread is still running"


@pytest.fixture
def keychain(_isolated_env):  # type: ignore[no-untyped-def]
    """The in-memory keychain the suite installs (tests/conftest.py), to put tokens in or look for them."""
    return _isolated_env


@pytest.fixture
def make_file(tmp_path: Path) -> Callable[..., Path]:
    def make(rows: list[dict[str, str]], name: str = "export.csv", **kwargs: object) -> Path:
        return write_csv(tmp_path / name, rows, **kwargs)  # type: ignore[arg-type]

    return make


@pytest.fixture
def make_session(make_file: Callable[..., Path]) -> Callable[..., ImportSession]:
    """A validated session over the given rows (default: three valid trainees)."""

    def make(rows: list[dict[str, str]] | None = None) -> ImportSession:
        path = make_file(rows if rows is not None else [trainee(i) for i in range(3)])
        return ImportSession.open(path, today=TODAY)

    return make


@pytest.fixture
def window(qtbot, tmp_path: Path):  # type: ignore[no-untyped-def]
    """A main window with its settings and autosave in the test's folder."""
    from desktop.ui.main_window import MainWindow
    from desktop.ui.ui_state import UiState

    w = MainWindow(today=TODAY, ui_state=UiState(tmp_path / "window.ini"), autosave_file=tmp_path / "autosave.json")
    w.show()
    yield w
    # closed here rather than by qtbot.addWidget, which closes before fixtures end: unsaved test
    # work must not ask "Save your work?"
    w._may_discard = lambda: True
    w.close()
    w.deleteLater()


def open_and_review(qtbot, window, path: Path) -> None:  # type: ignore[no-untyped-def]
    """Open ``path``, accept the suggested mapping, wait until the grid shows the checked rows."""
    with qtbot.waitSignal(window.jobs.busy_changed, timeout=10000, check_params_cb=lambda busy: not busy):
        window.open_file(path)
    assert window.step == 1, "the Map step shows after opening"
    with qtbot.waitSignal(window.file_ready, timeout=10000):
        window.accept_mapping()
