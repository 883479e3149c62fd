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


def test_fix_all_like_this_lists_every_value_with_its_replacement(qtbot, window, make_file, monkeypatch):
    """A group of 3 Sex errors (F, F, M) offers F → 10 and M → 11 before anything changes; one undo step."""
    rows = [trainee(i, sex=v) for i, v in enumerate(["F", "10", "F", "M", "11"])]
    page, model = review(qtbot, window, make_file, rows)
    asked = {}

    def answer(cls, parent, label, problem, items, code_list):  # type: ignore[no-untyped-def]
        asked.update(label=label, problem=problem, items=[(i.value, i.count, i.suggestion) for i in items])
        return {i.value: i.suggestion for i in items}

    monkeypatch.setattr(FixAllDialog, "ask", classmethod(answer))
    idx = model.findings_index
    finding = next(i for i in range(len(idx)) if idx.fields[i] == "sex")
    assert page.fix_all_like_this(finding)
    assert asked == {"label": "Sex", "problem": "Sex: not a Register code",
                     "items": [("F", 2, "10"), ("M", 1, "11")]}
    sex = model.column_of("sex")
    assert list(model.column_values(sex)) == ["10", "10", "10", "11", "11"]
    assert window.session.summary()["errors"] == 0
    assert window.undo_stack.count() == 1 and window.undo_stack.undoText().startswith("Fix all like this: Sex")
    window.undo_stack.undo()
    assert list(model.column_values(sex)) == ["F", "10", "F", "M", "11"]


def test_fix_all_offers_each_of_five_different_emails_not_one_cell(qtbot, window, make_file, monkeypatch):
    """Five different bad e-mails are five lines to correct; a line left empty keeps its value."""
    rows = [trainee(i, email=f"person{i}@@example.com") for i in range(5)]
    page, model = review(qtbot, window, make_file, rows)
    offered = []

    def answer(cls, parent, label, problem, items, code_list):  # type: ignore[no-untyped-def]
        offered.extend(items)
        return {items[0].value: "fixed0@example.com"}

    monkeypatch.setattr(FixAllDialog, "ask", classmethod(answer))
    email = model.column_of("email")
    page.select_cell(0, email)
    assert page.fix_all_like_this()
    assert sorted(i.value for i in offered) == sorted(f"person{i}@@example.com" for i in range(5))
    assert [model.value(r, email) for r in range(5)].count("fixed0@example.com") == 1


def test_fix_all_dialog_shows_each_value_and_counts_what_it_will_replace(qtbot):
    from desktop.ui.dialogs import FixItem
    from desktop.validation.codelists import bundled_code_lists

    items = [FixItem("F", 2, "10"), FixItem("X", 1, "")]
    dialog = FixAllDialog(None, "Sex", "Sex: not a Register code", items, bundled_code_lists()["sex"])
    qtbot.addWidget(dialog)
    assert dialog.table.item(0, 0).text() == "F" and dialog.table.item(0, 1).text() == "2"
    assert dialog.replacements() == {"F": "10"}  # X has no suggestion: kept unless the user picks one
    ok = dialog.buttons.button(dialog.buttons.StandardButton.Ok)
    assert ok.text() == "Replace 2 cells"
    dialog.editors[1].set_code("12")
    assert dialog.replacements() == {"F": "10", "X": "12"} and ok.text() == "Replace 3 cells"


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
    assert "Sex: not a Register code (2)" in labels  # in words, never a rule id
    assert "Column Sex: 2 problems" in labels
    assert not any("cell." in label or "row." in label for label in labels)
    page.set_filter(RowFilter("errors"))
    assert page.proxy.rowCount() == 2
    model.setData(model.index(1, model.column_of("sex")), "11")
    assert page.proxy.rowCount() == 2
    page.refilter()
    assert page.proxy.rowCount() == 1
    qtbot.waitUntil(lambda: page.shown_label.text() == "Showing 1 of 3 rows")


def test_filter_by_column_shows_the_rows_with_problems_in_it(qtbot, window, make_file):
    page, _ = review(qtbot, window, make_file, [trainee(0, first_names=""), trainee(1, sex="Man"), trainee(2)])
    i = next(k for k in range(page.filter_combo.count()) if page.filter_combo.itemText(k) == "Column Sex: 1 problem")
    page.filter_combo.setCurrentIndex(i)
    page.filter_combo.activated.emit(i)
    assert [page.proxy.source_row(r) for r in range(page.proxy.rowCount())] == [1]
    assert page.filter_combo.currentText() == "Column Sex: 1 problem"


def test_the_description_follows_the_selection_and_clears_when_fixed(qtbot, window, make_file):
    """Issue 15: the text under the problems never describes a fixed problem or another file."""
    rows = [trainee(0, sex="Man"), trainee(1), trainee(2, sex="Woman")]
    page, model = review(qtbot, window, make_file, rows)
    panel = page.findings
    sex = model.column_of("sex")
    page.select_cell(0, sex)
    assert "Row 2, Sex:" in panel.detail.text() and "'Man'" in panel.detail.text()
    page.select_cell(1, sex)
    assert panel.detail.text() == ""  # a clean cell: nothing to describe
    group = next(r for r, g in enumerate(panel.model.groups) if g.key == ("cell.code_list", "sex"))
    panel.tree.setCurrentIndex(panel.model.index(group, 0))
    assert panel.detail.text().startswith("Sex: not a Register code — 2 found.")
    model.setData(model.index(1, sex), "Lady")  # a third one: the count follows the list
    qtbot.waitUntil(lambda: "— 3 found." in panel.detail.text())
    for r in (0, 1, 2):
        model.setData(model.index(r, sex), "11")
    qtbot.waitUntil(lambda: panel.detail.text() == "")  # fixed: the description goes with it


def test_the_description_never_carries_over_to_the_next_file(qtbot, window, make_file):
    page, model = review(qtbot, window, make_file, [trainee(0, sex="Man"), trainee(1)])
    page.select_cell(0, model.column_of("sex"))
    assert page.findings.detail.text()
    window._may_discard = lambda: True
    open_and_review(qtbot, window, make_file([trainee(0), trainee(1)], name="other.csv"))
    assert window.review_page.findings.detail.text() == ""


def test_one_damaged_cell_is_one_problem_in_the_panel_and_the_counts(qtbot, window, make_file):
    """A HESA ID written 2.61149E+16 shows one error (the damage), not three; the others are folded under it."""
    page, model = review(qtbot, window, make_file, [trainee(0, hesa_id="2.61149E+16"), trainee(1)])
    assert model.session.summary()["errors"] == 1 and model.session.summary()["warnings"] == 0
    assert [(g.code, len(g.members)) for g in page.findings.model.groups if g.rank >= 1] == [("cell.excel_damage", 1)]
    assert page.findings.summary.text().startswith("1 error in 1 row, 0 warnings.")
    tip = model.data(model.index(0, model.column_of("hesa_id")), Qt.ItemDataRole.ToolTipRole)
    assert "scientific notation" in tip and "other 2 problems found in this cell come from this" in tip
    assert "characters" not in tip  # the folded ones are not listed again
