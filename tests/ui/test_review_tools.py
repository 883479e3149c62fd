"""Fixing many cells at once: fill down, paste, find and replace, fix all like this, filters, the problems panel."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QItemSelection, QItemSelectionModel, Qt
from PySide6.QtGui import QGuiApplication

from desktop.ui.dialogs import FixAllDialog
from desktop.ui.findings_panel import FindingsTreeModel, build_groups
from desktop.ui.main_window import REVIEW
from desktop.ui.proxies import RowFilter
from desktop.ui.search import Query, find_cells
from tests.ui.conftest import open_and_review, trainee


def review(qtbot, window, make_file, rows):  # type: ignore[no-untyped-def]
    open_and_review(qtbot, window, make_file(rows))
    assert window.step == REVIEW
    return window.review_page, window.model


def select(page, top: int, left: int, bottom: int, right: int) -> None:  # type: ignore[no-untyped-def]
    proxy = page.proxy
    sel = QItemSelection(proxy.index(top, left), proxy.index(bottom, right))
    page.grid.setCurrentIndex(proxy.index(top, left))
    page.grid.selectionModel().select(sel, QItemSelectionModel.SelectionFlag.ClearAndSelect)


def test_fill_down_copies_the_top_cell_in_one_undo_step(qtbot, window, make_file):
    """Ctrl+D fills the selection from its top cell; one Ctrl+Z undoes all of it."""
    page, model = review(qtbot, window, make_file, [trainee(i, nationality="FR" if i == 0 else "") for i in range(4)])
    c = model.column_of("nationality")
    select(page, 0, c, 3, c)
    qtbot.keyClick(page.grid, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)
    assert list(model.column_values(c)) == ["FR"] * 4
    assert window.undo_stack.count() == 1
    window.undo_stack.undo()
    assert list(model.column_values(c)) == ["FR", "", "", ""]


def test_paste_turns_labels_into_codes_and_uk_dates_into_iso(qtbot, window, make_file):
    """Pasting from a spreadsheet: 'Male' becomes 11 and 13/04/1991 becomes 1991-04-13."""
    page, model = review(qtbot, window, make_file, [trainee(0), trainee(1)])
    sex, dob = model.column_of("sex"), model.column_of("date_of_birth")
    assert dob < sex
    QGuiApplication.clipboard().setText("13/04/1991\tNI\tMale\n")
    page.grid.setCurrentIndex(page.proxy.index(1, dob))
    page.paste()
    assert model.value(1, dob) == "1991-04-13"
    assert model.value(1, sex) == "11"


def test_copy_puts_the_selection_on_the_clipboard_as_tab_separated_text(qtbot, window, make_file):
    """Ctrl+C copies values as a spreadsheet expects them."""
    page, model = review(qtbot, window, make_file, [trainee(0), trainee(1)])
    c = model.column_of("sex")
    select(page, 0, c, 1, c + 1)
    page.copy()
    assert QGuiApplication.clipboard().text() == f"10\t{model.value(0, c + 1)}\n10\t{model.value(1, c + 1)}"


def test_find_counts_and_replace_all_changes_only_matching_cells():
    """Whole-cell and substring matching, case-insensitive by default, with a count of real changes."""
    a = np.array(["Female", "female", "Fem", ""], dtype=object)
    b = np.array(["x", "Female", "y", "z"], dtype=object)
    m = find_cells([a, b], Query("female", "10", whole_cell=True))
    assert len(m) == 3 and m.changes == 3
    m = find_cells([a, b], Query("Fem", "F", columns=(0,), match_case=True))
    assert list(m.rows) == [0, 2] and m.new_values == ["Fale", "F"]


def test_find_and_replace_previews_then_replaces_in_one_step(qtbot, window, make_file):
    """The dialog says how many cells would change before Replace All, and Replace All is one undo step."""
    rows = [trainee(i, ni_number="AB 12 34 56 C" if i % 2 else "AB123456C") for i in range(6)]
    page, model = review(qtbot, window, make_file, rows)
    dialog = page.open_find()
    dialog.find_edit.setText(" ")
    dialog.set_scope(model.column_of("ni_number"))
    qtbot.waitUntil(lambda: "would change 3" in dialog.preview.text(), timeout=5000)
    warnings = window.session.summary()["warnings"]
    assert warnings >= 3
    qtbot.mouseClick(dialog.replace_button, Qt.MouseButton.LeftButton)
    assert list(model.column_values(model.column_of("ni_number"))) == ["AB123456C"] * 6
    assert window.session.summary()["warnings"] == warnings - 3
    assert window.undo_stack.count() == 1
    qtbot.waitUntil(lambda: "No cells match" in dialog.preview.text(), timeout=5000)
    dialog.close()


def test_find_next_moves_to_the_next_match(qtbot, window, make_file):
    """Find next walks through matching cells in view order."""
    page, model = review(qtbot, window, make_file, [trainee(i) for i in range(3)])
    c = model.column_of("last_name")
    page.grid.setCurrentIndex(page.proxy.index(0, 0))
    assert page.find_next(Query(model.value(2, c), whole_cell=True))
    cur = page.grid.currentIndex()
    assert (cur.row(), cur.column()) == (2, c)


def test_fix_all_like_this_repairs_every_cell_with_that_value(qtbot, window, make_file, monkeypatch):
    """One answer fixes every 13/04/1990 in Date of birth; the dialog is offered the ISO date and the count."""
    rows = [trainee(i, date_of_birth="13/04/1990" if i < 3 else "1990-04-14") for i in range(5)]
    page, model = review(qtbot, window, make_file, rows)
    asked = {}

    def answer(cls, parent, label, value, count, code_list, suggestion):  # type: ignore[no-untyped-def]
        asked.update(label=label, value=value, count=count, suggestion=suggestion)
        return suggestion

    monkeypatch.setattr(FixAllDialog, "ask", classmethod(answer))
    idx = model.findings_index
    finding = next(i for i in range(len(idx)) if idx.fields[i] == "date_of_birth")
    assert page.fix_all_like_this(finding)
    assert asked == {"label": "Date of birth", "value": "13/04/1990", "count": 3, "suggestion": "1990-04-13"}
    assert list(model.column_values(model.column_of("date_of_birth"))) == ["1990-04-13"] * 3 + ["1990-04-14"] * 2
    assert window.session.summary()["errors"] == 0


def test_problems_are_grouped_by_rule_with_counts(make_session):
    """Two wrong sexes are one group of two; a missing first name is its own group."""
    from desktop.ui.table_model import FrameTableModel

    model = FrameTableModel(make_session([trainee(0, sex="Male"), trainee(1, sex="F"), trainee(2, first_names="")]))
    groups = {(g.code, g.field): len(g.members) for g in build_groups(model)}
    assert groups == {("cell.code_list", "sex"): 2, ("cell.required", "first_names"): 1}
    tree = FindingsTreeModel()
    tree.set_source(model)
    assert tree.rowCount() == 2
    assert sum(tree.rowCount(tree.index(r, 0)) for r in range(2)) == 3


def test_problems_tree_passes_qt_model_tester(qtmodeltester, make_session):
    """The lazy two-level tree is a valid model."""
    from desktop.ui.table_model import FrameTableModel

    tree = FindingsTreeModel()
    tree.set_source(FrameTableModel(make_session([trainee(0, sex="Male"), trainee(1, first_names="")])))
    qtmodeltester.check(tree)


def test_clicking_a_problem_jumps_to_its_cell(qtbot, window, make_file):
    """A click on a problem selects its cell in the grid, even when the filter hid the row."""
    page, model = review(qtbot, window, make_file, [trainee(0), trainee(1), trainee(2, sex="Woman")])
    page.set_filter(RowFilter("code", "cell.required"))
    assert page.proxy.rowCount() == 0
    tree = page.findings.tree
    group = tree.model().index(0, 0)
    tree.expand(group)
    child = tree.model().index(0, 0, group)
    tree.clicked.emit(child)
    cur = page.grid.currentIndex()
    assert page.proxy.source_row(cur.row()) == 2 and cur.column() == model.column_of("sex")
    assert page.proxy.row_filter == RowFilter()


def test_filter_combo_lists_each_rule_and_rows_stay_until_applied_again(qtbot, window, make_file):
    """Choosing a rule shows its rows; a fixed row stays until the filter is applied again."""
    page, model = review(qtbot, window, make_file, [trainee(0), trainee(1, sex="Man"), trainee(2, sex="X")])
    labels = [page.filter_combo.itemText(i) for i in range(page.filter_combo.count())]
    assert "Rule: cell.code_list (2)" in labels
    page.set_filter(RowFilter("errors"))
    assert page.proxy.rowCount() == 2
    model.setData(model.index(1, model.column_of("sex")), "11")
    assert page.proxy.rowCount() == 2
    page.refilter()
    assert page.proxy.rowCount() == 1
    qtbot.waitUntil(lambda: page.shown_label.text() == "Showing 1 of 3 rows")
