"""What a newcomer met (issue 15): recovery with its undo history, a status bar that fits, Practice first,
a corrected copy of their own file, and a window a screen reader and a keyboard can drive."""

from __future__ import annotations

import csv
import datetime as dt
import io

from PySide6.QtCore import Qt
from PySide6.QtGui import QAccessible, QColor, QPalette
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QApplication,
    QCheckBox,
    QComboBox,
    QLineEdit,
    QPushButton,
    QWidget,
)

from desktop.core.mapping import Mapping
from desktop.ui import autosave
from desktop.ui.dialogs import CopyDialog, MessageDialog, SaveFileDialog
from desktop.ui.main_window import EXPORT, MAP, REVIEW, MainWindow
from desktop.ui.pages.mapping_page import SourceCombo
from desktop.ui.ui_state import UiState
from tests.helpers import TEMPLATE, TODAY
from tests.ui.conftest import open_and_review, trainee


def test_recovery_brings_back_the_undo_history(qtbot, window, make_file, tmp_path, monkeypatch):
    """Two edits, one undone, then a crash: after recovery Ctrl+Z and Ctrl+Y still know both steps."""
    path = make_file([trainee(0), trainee(1, first_names=""), trainee(2)])
    open_and_review(qtbot, window, path)
    model = window.model
    first, email = model.column_of("first_names"), model.column_of("email")
    model.setData(model.index(1, first), "Dafydd")
    model.setData(model.index(2, email), "rhodri@example.org")
    window.undo_stack.undo()  # the e-mail edit is undone, still redoable
    window.autosave_now()
    snap = autosave.load(window.autosave_file)
    assert snap is not None and len(snap.history) == 2 and snap.history_index == 1
    assert snap.history[0].changes == ((1, "first_names", "", "Dafydd"),)
    window.jobs.shutdown()
    window.hide()
    monkeypatch.setattr(MessageDialog, "ask", classmethod(lambda cls, *a, **k: "recover"))
    second = MainWindow(today=TODAY, ui_state=UiState(tmp_path / "w2.ini"), autosave_file=window.autosave_file)
    try:
        with qtbot.waitSignal(second.file_ready, timeout=10000):
            assert second.offer_recovery()
        stack, m = second.undo_stack, second.model
        assert (stack.count(), stack.index()) == (2, 1)
        assert m.value(1, first) == "Dafydd" and m.value(2, email) == "trainee2@example.com"
        second.redo_action.trigger()
        assert m.value(2, email) == "rhodri@example.org"
        second.undo_action.trigger()
        second.undo_action.trigger()
        assert m.value(1, first) == "" and not stack.canUndo()
    finally:
        second._may_discard = lambda: True
        second.close()
        second.deleteLater()


def test_the_recovery_question_says_when_in_words(qtbot, window, make_file, monkeypatch):
    snap = autosave.Snapshot(file=make_file([trainee(0)]), sheet=None, mapping=Mapping("v2026.1", {}),
                             edits={(0, "first_names"): "Ffion"})
    autosave.save(snap, window.autosave_file)
    asked = []

    def answer(cls, parent, title, text, choices, **kw):  # type: ignore[no-untyped-def]
        asked.append(text)
        return "discard"

    monkeypatch.setattr(MessageDialog, "ask", classmethod(answer))
    window.offer_recovery()
    assert "(1 change in the grid, saved today at " in asked[0]
    assert "T" not in asked[0].split("saved ", 1)[1] and "+00:00" not in asked[0]


def test_saved_when_reads_like_speech():
    now = dt.datetime(2026, 12, 5, 15, 0, tzinfo=dt.UTC)
    local = now.astimezone()
    assert autosave.saved_when(now.isoformat(), now) == f"today at {local:%H:%M}"
    assert autosave.saved_when((now - dt.timedelta(days=1)).isoformat(), now).startswith("yesterday at ")
    older = autosave.saved_when((now - dt.timedelta(days=3)).isoformat(), now)
    assert older.startswith("on ") and "2026 at " in older
    assert autosave.saved_when("garbage") == "earlier"


def test_a_long_message_never_covers_the_counts(qtbot, window, make_file):
    """'…with it (~/.configRows: 20': a message is elided beside the counts, its whole text in the tooltip."""
    open_and_review(qtbot, window, make_file([trainee(0), trainee(1)]))
    window.resize(900, 600)
    long = "Mapping saved as profile 'My export': files with these columns open with it " + "and more " * 30
    window.statusBar().showMessage(long, 10000)
    qtbot.wait(10)
    label = window.statusBar().message_label
    assert window.statusBar().currentMessage() == long
    assert label.text() != long and label.text().endswith("…") and label.toolTip() == long
    right = label.geometry().right()
    for w in (window.status_rows, window.status_errors, window.status_warnings):
        assert w.geometry().left() > right, "the message reaches under the counts"
    assert window.status_rows.text().startswith("Rows: 2")


def test_practice_is_where_uploads_go_until_the_user_picks_another(qtbot, window):
    assert window.upload_panel.environment_name() == "practice"


def test_long_ids_fit_their_column(qtbot, window, make_file):
    open_and_review(qtbot, window, make_file([trainee(0, hesa_id="26101875003149062"), trainee(1)]))
    grid, model = window.review_page.grid, window.model
    col = model.column_of("hesa_id")
    assert grid.columnWidth(col) > grid.fontMetrics().horizontalAdvance("26101875003149062") + 16


def test_a_corrected_copy_of_the_users_own_file(qtbot, window, make_file, tmp_path, monkeypatch):
    """Export step: their headers and columns, the corrected cell, a column of problems left."""
    rows = [{("Given name" if k == "first_names" else k): v for k, v in trainee(i, sex="Chap" if i == 1 else "10").items()}
            for i in range(3)]
    headers = ["Given name" if n == "first_names" else n for n in TEMPLATE.names]
    open_and_review(qtbot, window, make_file(rows, headers=headers))
    model = window.model
    model.setData(model.index(0, model.column_of("first_names")), "Siân Wyn")
    window.go_to(EXPORT)
    target = tmp_path / "mine-corrected.csv"
    monkeypatch.setattr(CopyDialog, "ask", classmethod(lambda cls, parent, fmt: ("csv", "yours", True)))
    monkeypatch.setattr(SaveFileDialog, "ask", classmethod(lambda cls, *a: target))
    qtbot.mouseClick(window.export_page.copy_button, Qt.MouseButton.LeftButton)
    copy = list(csv.reader(io.StringIO(target.read_bytes().decode("utf-8-sig"), newline="")))
    assert copy[0] == [*headers, "Problems (Register Desktop)"]
    assert copy[1][headers.index("Given name")] == "Siân Wyn"
    assert copy[2][headers.index("sex")] == "Chap" and "Sex:" in copy[2][-1]
    assert "1 corrected cell" in window.export_page.copy_label.text()


def _accessible(widget: QWidget) -> tuple[str, QAccessible.Role]:
    iface = QAccessible.queryAccessibleInterface(widget)
    assert iface is not None, widget
    return iface.text(QAccessible.Text.Name), iface.role()


ROLES = {QComboBox: {QAccessible.Role.ComboBox}, QLineEdit: {QAccessible.Role.EditableText},
         QCheckBox: {QAccessible.Role.CheckBox}, QPushButton: {QAccessible.Role.PushButton},
         QAbstractItemView: {QAccessible.Role.Table, QAccessible.Role.Tree, QAccessible.Role.List}}


def _check_controls(root: QWidget) -> int:
    checked = 0
    for w in root.findChildren(QWidget):
        if not w.isVisibleTo(root) or w.focusPolicy() == Qt.FocusPolicy.NoFocus:
            continue
        kind = next((k for k in ROLES if isinstance(w, k)), None)
        if kind is None and not isinstance(w, QAbstractButton):
            continue
        name, role = _accessible(w)
        assert name.strip(), f"{type(w).__name__} {w.objectName()!r} has no accessible name"
        if kind is not None:
            assert role in ROLES[kind], (name, role)
        checked += 1
    return checked


def test_every_control_has_a_name_and_a_role_for_screen_readers(qtbot, window, make_file):
    """Through Qt's accessibility interface: the Map, Review and Export steps' controls are named."""
    path = make_file([trainee(0, sex="Man"), trainee(1)])
    with qtbot.waitSignal(window.jobs.busy_changed, timeout=10000, check_params_cb=lambda busy: not busy):
        window.open_file(path)
    assert window.step == MAP
    assert _check_controls(window.mapping_page) > 20  # the drop-downs on screen, buttons, search, boxes
    for name in TEMPLATE.names:  # every row's drop-down, scrolled into view or not
        label = TEMPLATE.field(name).label
        combo = window.mapping_page.combo_for(name)
        iface = QAccessible.queryAccessibleInterface(combo)
        assert iface.role() == QAccessible.Role.ComboBox and combo.accessibleName() == f"Column for {label}"
        # (on Linux Qt reports a combo box's current column as its name; the description names the field)
        assert iface.text(QAccessible.Text.Description) == f"Which column of your file holds {label}"
    with qtbot.waitSignal(window.file_ready, timeout=10000):
        window.accept_mapping()
    assert window.step == REVIEW
    assert _check_controls(window.review_page) > 5
    window.go_to(EXPORT)
    assert _check_controls(window.export_page) > 3
    # the steps are one exclusive group: Tab reaches the current step, arrow keys the others (as radio buttons)
    names = [_accessible(b)[0] for b in window.steps.buttons]
    assert names == [f"Step {i + 1} of 4: {n}" for i, n in enumerate(["Open", "Map", "Review", "Upload / Export"])]


def test_error_cells_say_so_with_an_icon_and_words(qtbot, window, make_file):
    open_and_review(qtbot, window, make_file([trainee(0, sex="Man"), trainee(1)]))
    model = window.model
    index = model.index(0, model.column_of("sex"))
    assert not model.data(index, Qt.ItemDataRole.DecorationRole).isNull()
    assert "Error: " in model.data(index, Qt.ItemDataRole.AccessibleTextRole)


def test_focus_on_the_map_step_goes_down_the_page(qtbot, window, make_file):
    """Tab from the tools reaches each field's drop-down in template order, then Continue."""
    with qtbot.waitSignal(window.jobs.busy_changed, timeout=10000, check_params_cb=lambda busy: not busy):
        window.open_file(make_file([trainee(0), trainee(1)]))
    page = window.mapping_page
    order: list[str] = []
    w: QWidget = page.undo_button
    for _ in range(400):
        w = w.nextInFocusChain()
        if isinstance(w, SourceCombo):
            order.append(w.field_name)
        if w is page.continue_button:
            break
    assert order == TEMPLATE.names
    assert w is page.continue_button


def test_a_high_contrast_palette_keeps_problems_visible(qtbot, window, make_file):
    """With the system's high-contrast colours the grid still marks errors by icon and tint."""
    open_and_review(qtbot, window, make_file([trainee(0, sex="Man"), trainee(1)]))
    app = QApplication.instance()
    old = app.palette()
    hc = QPalette()
    for role, color in ((QPalette.ColorRole.Window, "#000000"), (QPalette.ColorRole.WindowText, "#ffffff"),
                        (QPalette.ColorRole.Base, "#000000"), (QPalette.ColorRole.Text, "#ffffff"),
                        (QPalette.ColorRole.Button, "#000000"), (QPalette.ColorRole.ButtonText, "#ffff00"),
                        (QPalette.ColorRole.Highlight, "#1aebff"), (QPalette.ColorRole.HighlightedText, "#000000")):
        hc.setColor(role, QColor(color))
    try:
        app.setPalette(hc)
        qtbot.wait(10)
        model = window.model
        index = model.index(0, model.column_of("sex"))
        brush = model.data(index, Qt.ItemDataRole.BackgroundRole)
        assert brush is not None and brush.color() != QColor("#000000")
        assert not model.data(index, Qt.ItemDataRole.DecorationRole).isNull()
    finally:
        app.setPalette(old)
