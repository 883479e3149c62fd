"""Personal data the window keeps: edits survive a kill, the log is redacted, saved data can be deleted or forgotten."""

from __future__ import annotations

import logging
import os
import random
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from desktop.core.journal import Journal
from desktop.core.logs import RedactingFilter, log_path
from desktop.core.paths import data_dir
from desktop.core.retention import purge
from desktop.ui import app as app_module
from desktop.ui import autosave
from desktop.ui.dialogs import DeleteDataDialog, MessageDialog
from desktop.ui.main_window import EXPORT, REVIEW, MainWindow
from desktop.ui.ui_state import UiState
from tests.helpers import TODAY
from tests.ui.conftest import open_and_review, trainee

DRIVER = Path(__file__).with_name("crash_driver.py")
ROOT = Path(__file__).resolve().parents[2]


def people(n: int) -> list[dict[str, str]]:
    return [trainee(i, hesa_id=f"{2620000000000 + i}") for i in range(n)]


# ---------------------------------------------------------------------- a kill mid-edit
@pytest.mark.parametrize("seed", [1, 2])
def test_a_window_killed_mid_edit_comes_back_with_every_edit(qtbot, make_file, tmp_path, monkeypatch, seed):
    """SIGKILL at a random edit of a real window process; the next start recovers every edit it had made."""
    if not hasattr(signal, "SIGKILL"):
        pytest.skip("SIGKILL is POSIX")
    path = make_file(people(40), name="Cohort Ní Bhriain.csv")
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring")
    kill_after = random.Random(seed).randint(4, 30)
    proc = subprocess.Popen([sys.executable, str(DRIVER), str(path)], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, encoding="utf-8")
    seen: list[str] = []
    try:
        deadline = time.monotonic() + 90
        assert proc.stdout is not None
        while len([s for s in seen if s.startswith("edited ")]) < kill_after:
            line = proc.stdout.readline()
            if not line:
                pytest.fail(f"the window process ended early: {proc.stderr.read() if proc.stderr else ''}")
            seen.append(line.rstrip("\n"))
            assert time.monotonic() < deadline, "the window process is too slow"
        os.kill(proc.pid, signal.SIGKILL)  # mid-edit: the next edit may be half done
        rest, _err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL
    seen += [line for line in rest.splitlines() if line]
    edits = {}
    for line in seen:
        if line.startswith("edited "):
            _, row, field, value = line.split(" ", 3)
            edits[(int(row), field)] = value
    assert len(edits) >= kill_after

    saved = data_dir() / "autosave" / "session.json"
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    snap = autosave.load(saved)
    assert snap is not None
    assert edits.items() <= snap.edits.items()  # every edit the user saw, and at most the one under way besides
    assert len(snap.edits) - len(edits) <= 1

    answered: list[str] = []
    monkeypatch.setattr(MessageDialog, "ask", classmethod(lambda cls, parent, title, *a, **k: answered.append(title)
                                                         or "recover"))
    w = MainWindow(today=TODAY, ui_state=UiState(tmp_path / "after.ini"), autosave_file=saved)
    w.show()
    try:
        with qtbot.waitSignal(w.file_ready, timeout=20000):
            assert w.offer_recovery()
        assert answered == ["Recover unsaved work?"]
        assert w.step == REVIEW and w.current_file == path
        model = w.model
        for (row, field), value in edits.items():
            col = model.column_of(field)
            assert model.value(row, col) == value
            assert model.is_edited(row, col)
        assert w.dirty
    finally:
        w._may_discard = lambda: True
        w.close()
        w.deleteLater()


def test_an_edit_is_on_disk_when_it_returns(qtbot, window, make_file):
    """No timer between an edit and its autosave: the file already holds it."""
    open_and_review(qtbot, window, make_file(people(2)))
    model = window.model
    model.setData(model.index(1, model.column_of("first_names")), "Rhodri")
    snap = autosave.load(window.autosave_file)
    assert snap is not None and snap.edits == {(1, "first_names"): "Rhodri"}


# ---------------------------------------------------------------------- the log
def test_the_windows_log_is_redacted_and_user_only(monkeypatch):
    """main()'s log file carries the core's redaction filter: a token or an e-mail never reaches it."""
    root = logging.getLogger()
    before = list(root.handlers)
    level = root.level
    try:
        handler = app_module._setup_logging()
        assert any(isinstance(f, RedactingFilter) for f in handler.filters)
        logging.getLogger("desktop.test").warning("token %s for %s", "sandbox_" + "ab" * 32, "siân.o'brien@example.com")
        handler.flush()
    finally:
        for h in root.handlers:
            if h not in before:
                root.removeHandler(h)
                h.close()
        root.setLevel(level)
    text = log_path().read_text("utf-8")
    assert "token [token] for [e-mail]" in text and "abab" not in text and "example.com" not in text
    if sys.platform != "win32":
        assert stat.S_IMODE(log_path().stat().st_mode) == 0o600


def test_old_data_expires_when_the_window_starts(qtbot, monkeypatch, tmp_path):
    """An autosave past its retention period is removed at start, before recovery could offer it."""
    old = data_dir() / "autosave" / "session.json"
    old.parent.mkdir(parents=True, exist_ok=True)
    old.write_text("{}", "utf-8")
    month_ago = time.time() - 40 * 86400
    os.utime(old, (month_ago, month_ago))
    app_module._expire_old_data()
    assert not old.exists()


# ---------------------------------------------------------------------- delete saved data, forget a batch
def practice_upload(qtbot, w: MainWindow, path: Path, *, stop_after_first: bool = False) -> None:  # type: ignore[no-untyped-def]
    open_and_review(qtbot, w, path)
    w.go_to(EXPORT)
    panel = w.upload_panel
    qtbot.waitUntil(lambda: panel.plan_info is not None and not w.jobs.busy, timeout=10000)
    if stop_after_first:
        panel.row_done.connect(lambda _row: panel.cancel_upload())
    with qtbot.waitSignal(panel.running_changed, timeout=30000, check_params_cb=lambda running: not running):
        panel.upload_button.click()
    qtbot.waitUntil(lambda: not w.jobs.busy, timeout=10000)


@pytest.fixture
def upload_window(qtbot, tmp_path):  # type: ignore[no-untyped-def]
    from desktop.core.config import AppConfig

    made: list[MainWindow] = []

    def make(rate_limit: int = 1000) -> MainWindow:
        w = MainWindow(today=TODAY, ui_state=UiState(tmp_path / f"w{len(made)}.ini"),
                       autosave_file=data_dir() / "autosave" / "session.json",
                       config=AppConfig(environment="practice", rate_limit=rate_limit, rate_window=1.0))
        w.show()
        made.append(w)
        return w

    yield make
    for w in made:
        w._may_discard = lambda: True
        w.close()
        w.deleteLater()


def test_delete_saved_data_removes_finished_uploads_and_keeps_an_unfinished_one(qtbot, upload_window, make_file,
                                                                                  monkeypatch):
    """Everything goes except the batch still being uploaded, and the message says why that one stays."""
    w = upload_window(rate_limit=5)
    practice_upload(qtbot, w, make_file(people(3), name="finished.csv"))
    finished = w.upload_panel.last_result
    receipt = finished.receipt_path
    assert receipt is not None and receipt.exists()
    practice_upload(qtbot, w, make_file(people(8), name="unfinished.csv"), stop_after_first=True)
    with Journal() as j:
        unfinished = next(b for b in j.batches() if b.meta.file_name == "unfinished.csv")
    assert unfinished.outstanding
    model = w.model
    model.setData(model.index(0, model.column_of("first_names")), "Caoimhe")  # unsaved work: autosaved

    previews: list[str] = []

    def ask(cls, parent):  # type: ignore[no-untyped-def]
        dialog = cls(parent)
        previews.append(dialog.preview.text())
        dialog.deleteLater()
        return (True, None)

    monkeypatch.setattr(DeleteDataDialog, "ask", classmethod(ask))
    told: list[tuple[str, str, str]] = []
    monkeypatch.setattr(MessageDialog, "inform", classmethod(
        lambda cls, parent, title, text, **kw: told.append((title, text, kw.get("detail", "")))))
    report = w.delete_saved_data()
    assert previews and "Would remove 1 finished upload batch(es)" in previews[0]
    assert f"Kept batch {unfinished.id}" in previews[0]
    assert report.batches == [finished.batch_id] and not receipt.exists()
    with Journal() as j:
        assert [b.id for b in j.batches()] == [unfinished.id]
    assert not (data_dir() / "practice" / "register-state.json").exists()
    title, text, detail = told[0]
    assert title == "Saved data deleted" and "Removed 1 finished upload batch" in text
    assert f"Kept batch {unfinished.id}" in detail and "stop anything being sent twice" in detail
    snap = autosave.load(w.autosave_file)  # the open work stays recoverable
    assert snap is not None and snap.edits == {(0, "first_names"): "Caoimhe"}


def test_the_delete_dialog_previews_what_older_than_would_remove(qtbot, window):
    """Choosing "older than N days" previews that, and Delete is off when nothing would go."""
    old = data_dir() / "logs" / "register-desktop.log.1"
    old.parent.mkdir(parents=True, exist_ok=True)
    old.write_text("x", "utf-8")
    ten_days = time.time() - 10 * 86400
    os.utime(old, (ten_days, ten_days))
    dialog = DeleteDataDialog(window)
    qtbot.addWidget(dialog)
    dialog.older.setChecked(True)
    dialog.days.setValue(30)
    assert "Nothing to remove" in dialog.preview.text() and not dialog.delete_button.isEnabled()
    dialog.days.setValue(7)
    assert "log file(s) (1 file(s))" in dialog.preview.text() and dialog.delete_button.isEnabled()
    assert dialog.choice() == (False, 7.0)
    assert old.exists()  # a preview removes nothing
    assert purge(older_than_days=7).files["logs"] == [old]


def test_forgetting_an_upload_in_history_deletes_it_and_its_receipt(qtbot, upload_window, make_file, monkeypatch):
    """History → Forget: asked first (an unfinished batch says what it means), then gone with its receipt."""
    w = upload_window()
    practice_upload(qtbot, w, make_file(people(2)))
    receipt = w.upload_panel.last_result.receipt_path
    asked: list[str] = []
    monkeypatch.setattr(MessageDialog, "ask", classmethod(
        lambda cls, parent, title, text, choices, **kw: asked.append(text) or "forget"))
    dialog = w.show_history()
    qtbot.addWidget(dialog)
    assert dialog.forget()
    assert asked and "It cannot be undone" in asked[0]
    assert dialog.model.rowCount() == 0 and not receipt.exists()
    with Journal() as j:
        assert j.batches() == []
    dialog.close()
