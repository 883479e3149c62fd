"""Unsaved work survives a crash; the error report keeps personal data out unless asked."""

from __future__ import annotations

import csv
import stat
import sys

import pytest
from openpyxl import load_workbook

from desktop.core.mapping import Mapping
from desktop.core.values import ValueOptions
from desktop.ui import autosave
from desktop.ui.dialogs import ErrorReportDialog, MessageDialog, SaveFileDialog
from desktop.ui.guide import personal_fields
from desktop.ui.main_window import REVIEW, MainWindow
from desktop.ui.reports import HIDDEN, report_rows, write_error_report
from desktop.ui.ui_state import UiState
from tests.helpers import TODAY
from tests.ui.conftest import open_and_review, trainee


def test_edits_are_autosaved_privately_and_offered_back_after_a_crash(qtbot, window, make_file, tmp_path, monkeypatch):
    """An edit is saved to a user-only file; a new window (after a crash) recovers the mapping and the edit."""
    path = make_file([trainee(0), trainee(1, first_names="")])
    open_and_review(qtbot, window, path)
    model = window.model
    c = model.column_of("first_names")
    model.setData(model.index(1, c), "Dafydd")
    saved = window.autosave_now()
    assert saved is not None and saved == window.autosave_file
    if sys.platform != "win32":
        assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    snap = autosave.load(saved)
    assert snap is not None and snap.edits == {(1, "first_names"): "Dafydd"}

    # the "crash": the first window goes away without closing properly
    window.jobs.shutdown()
    window.hide()
    asked: list[str] = []

    def recover(cls, parent, title, text, choices, **kw):  # type: ignore[no-untyped-def]
        asked.append(title)
        return "recover"

    monkeypatch.setattr(MessageDialog, "ask", classmethod(recover))
    second = MainWindow(today=TODAY, ui_state=UiState(tmp_path / "w2.ini"), autosave_file=saved)
    try:
        with qtbot.waitSignal(second.file_ready, timeout=10000):
            assert second.offer_recovery()
        assert asked == ["Recover unsaved work?"]
        assert second.step == REVIEW
        assert second.model.value(1, c) == "Dafydd"
        assert second.model.is_edited(1, c)
        assert second.session.summary()["errors"] == 0
    finally:
        second._may_discard = lambda: True
        second.close()
        second.deleteLater()
    assert not saved.exists(), "a proper close removes the autosave"


def test_discarding_recovery_removes_the_autosave(qtbot, window, make_file, monkeypatch):
    """Choosing Discard deletes the saved work and opens nothing."""
    snap = autosave.Snapshot(file=make_file([trainee(0)]), sheet=None, mapping=Mapping("v2026.1", {}, {}),
                             options=ValueOptions(user_maps={"sex": {"F": "10"}}), edits={(0, "first_names"): "Ffion"})
    assert autosave.load(autosave.save(snap, window.autosave_file)).options == snap.options
    autosave.save(snap, window.autosave_file)
    monkeypatch.setattr(MessageDialog, "ask", classmethod(lambda cls, *a, **k: "discard"))
    assert not window.offer_recovery()
    assert not window.autosave_file.exists()
    assert window.session is None


def test_an_unreadable_autosave_is_set_aside_not_fatal(tmp_path):
    """A damaged autosave file is renamed and ignored."""
    bad = tmp_path / "session.json"
    bad.write_text("{not json", "utf-8")
    assert autosave.load(bad) is None
    assert not bad.exists() and bad.with_suffix(".unreadable").exists()


def test_closing_with_unsaved_work_asks_first(qtbot, window, make_file, monkeypatch):
    """Close with changes → Save / Discard / Cancel; Cancel keeps the window open."""
    open_and_review(qtbot, window, make_file([trainee(0)]))
    window.model.setData(window.model.index(0, window.model.column_of("first_names")), "Aoife")
    monkeypatch.setattr(MessageDialog, "ask", classmethod(lambda cls, *a, **k: "cancel"))
    assert not window.close()
    assert window.isVisible()


@pytest.fixture
def messy_session(make_session):
    return make_session([trainee(0), trainee(1, sex="Woman", first_names=""), trainee(2, date_of_birth="31/02/1990")])


def test_error_report_hides_personal_values_by_default(messy_session):
    """Sex and date of birth are personal: the value is blank and cut out of the message."""
    rows = report_rows(messy_session, personal_fields())
    by_field = {r[1]: r for r in rows}
    assert by_field["sex"][0] == "3" and by_field["sex"][4] == ""
    assert "Woman" not in by_field["sex"][5] and HIDDEN in by_field["sex"][5]
    assert "31/02/1990" not in " ".join(by_field["date_of_birth"])
    full = {r[1]: r for r in report_rows(messy_session, personal_fields(), include_personal=True)}
    assert full["sex"][4] == "Woman" and "Woman" in full["sex"][5]


def test_error_report_writes_csv_and_xlsx(messy_session, tmp_path):
    """Both formats hold the same lines, headed row, field, severity, code, value, message."""
    n = write_error_report(messy_session, tmp_path / "r.csv", personal_fields())
    with (tmp_path / "r.csv").open(encoding="utf-8", newline="") as fh:
        lines = list(csv.reader(fh))
    assert lines[0] == ["row", "field", "severity", "code", "value", "message"]
    assert len(lines) - 1 == n == len(messy_session.findings)
    write_error_report(messy_session, tmp_path / "r.xlsx", personal_fields(), include_personal=True)
    ws = load_workbook(tmp_path / "r.xlsx").active
    values = [[c.value or "" for c in row] for row in ws.iter_rows()]
    assert values[0] == lines[0] and len(values) == len(lines)


def test_window_saves_the_error_report_it_is_asked_for(qtbot, window, make_file, tmp_path, monkeypatch):
    """Report dialog → file chosen → written without personal data."""
    open_and_review(qtbot, window, make_file([trainee(0, sex="Woman")]))
    out = tmp_path / "problems.xlsx"
    monkeypatch.setattr(ErrorReportDialog, "ask", classmethod(lambda cls, parent: ("xlsx", False)))
    monkeypatch.setattr(SaveFileDialog, "ask", classmethod(lambda cls, *a, **k: out))
    assert window.export_report() == out
    cells = [c.value for row in load_workbook(out).active.iter_rows() for c in row]
    assert "Woman" not in " ".join(str(c) for c in cells if c)
