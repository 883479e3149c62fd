"""The review grid's model and proxy, without a view (HOUSE_STYLE §10)."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QUndoStack

from desktop.ui.commands import attach_undo
from desktop.ui.proxies import RowFilter, RowViewProxy
from desktop.ui.table_model import FrameTableModel
from desktop.ui.theme import ERROR, WARNING
from tests.ui.conftest import trainee

R = Qt.ItemDataRole
V = Qt.Orientation.Vertical


@pytest.fixture
def model(make_session):
    rows = [trainee(0), trainee(1, sex="Female"), trainee(2, first_names=""), trainee(3, ni_number="AB12")]
    return FrameTableModel(make_session(rows))


def col(model: FrameTableModel, name: str) -> int:
    return model.column_of(name)


def test_model_passes_qt_model_tester(qtmodeltester, model):
    """Qt's own model tester finds nothing wrong with the grid's model."""
    qtmodeltester.check(model)


def test_proxy_passes_qt_model_tester_filtered_and_sorted(qtmodeltester, model):
    """The filter/sort proxy is a valid model in every state."""
    proxy = RowViewProxy()
    proxy.setSourceModel(model)
    qtmodeltester.check(proxy)
    proxy.set_filter(RowFilter("errors"))
    proxy.sort(col(model, "last_name"), Qt.SortOrder.DescendingOrder)
    qtmodeltester.check(proxy)


def test_code_cells_show_code_and_label(model):
    """A known code reads "10 — Female"; the edit role gives the bare code."""
    index = model.index(0, col(model, "sex"))
    assert model.data(index) == "10 — Female"
    assert model.data(index, R.EditRole) == "10"


def test_error_cell_has_background_icon_and_message(model):
    """An error is shown by colour, an icon and its message, never colour alone."""
    index = model.index(1, col(model, "sex"))
    assert model.data(index, FrameTableModel.SeverityRole) == ERROR
    assert model.data(index, R.BackgroundRole) is not None
    assert not model.data(index, R.DecorationRole).isNull()
    assert "not a sex code" in model.data(index, R.ToolTipRole)
    assert "Error:" in model.data(index, R.AccessibleDescriptionRole)
    clean = model.index(0, col(model, "sex"))
    assert model.data(clean, R.BackgroundRole) is None
    assert model.data(clean, R.DecorationRole) is None


def test_warning_has_its_own_background_and_icon(model):
    """A warning uses a different background and icon from an error."""
    warn = model.index(3, col(model, "ni_number"))
    err = model.index(1, col(model, "sex"))
    assert model.data(warn, FrameTableModel.SeverityRole) == WARNING
    assert model.data(warn, R.BackgroundRole).color() != model.data(err, R.BackgroundRole).color()
    assert model.data(warn, R.DecorationRole).cacheKey() != model.data(err, R.DecorationRole).cacheKey()


def test_row_header_shows_spreadsheet_rows_and_marks_errors(model):
    """The row header counts like the spreadsheet (header = row 1) and marks rows with errors."""
    assert [model.headerData(r, V) for r in range(4)] == ["2", "3", "4", "5"]
    assert model.headerData(0, V, R.DecorationRole) is None
    assert model.headerData(2, V, R.DecorationRole) is not None
    assert "1 error" in model.headerData(2, V, R.ToolTipRole)


def test_column_headers_are_labels_with_the_template_name_in_the_tooltip(model):
    """Headers read as labels; the tooltip names the template column and points to the guide."""
    c = col(model, "date_of_birth")
    assert model.headerData(c, Qt.Orientation.Horizontal) == "Date of birth"
    assert "date_of_birth" in model.headerData(c, Qt.Orientation.Horizontal, R.ToolTipRole)


def test_edit_revalidates_the_row_at_once(model, qtbot):
    """Fixing a cell clears its error, repaints the row and changes the session."""
    before = model.session.summary()["errors"]
    index = model.index(1, col(model, "sex"))
    with qtbot.waitSignal(model.dataChanged):
        assert model.setData(index, "10")
    assert model.session.summary()["errors"] == before - 1
    assert model.data(index, FrameTableModel.SeverityRole) == -1
    assert model.data(index) == "10 — Female"
    assert model.is_edited(1, index.column())
    assert "the file had 'Female'" in model.data(index, R.ToolTipRole)


def test_an_edit_that_breaks_a_cell_adds_its_error(model):
    """Breaking a valid cell shows the new error straight away."""
    index = model.index(0, col(model, "date_of_birth"))
    model.setData(index, "31/02/1990")
    assert model.data(index, FrameTableModel.SeverityRole) == ERROR
    assert model.session.summary()["rows_with_errors"] == 3


def test_undo_and_redo_go_through_the_session(model):
    """Undo puts the old value back and its error returns; redo applies the fix again."""
    stack = QUndoStack()
    attach_undo(model, stack)
    index = model.index(1, col(model, "sex"))
    errors = model.session.summary()["errors"]
    model.setData(index, "10")
    assert stack.count() == 1 and model.session.summary()["errors"] == errors - 1
    stack.undo()
    assert model.value(1, index.column()) == "Female"
    assert model.session.summary()["errors"] == errors
    assert not model.is_edited(1, index.column())
    stack.redo()
    assert model.value(1, index.column()) == "10"


def test_many_changes_are_one_undo_step(model):
    """A bulk change (fill down, replace all) is one command and one revalidation."""
    stack = QUndoStack()
    attach_undo(model, stack)
    c = col(model, "nationality")
    model.request_changes([(r, c, "FR") for r in range(4)], "Fill down")
    assert stack.count() == 1
    assert list(model.column_values(c)) == ["FR"] * 4
    stack.undo()
    assert list(model.column_values(c)) == ["GB"] * 4


def test_unchanged_value_is_not_an_edit(model):
    """Writing the same value again makes no undo step."""
    stack = QUndoStack()
    attach_undo(model, stack)
    model.setData(model.index(0, col(model, "nationality")), " GB ")
    assert stack.count() == 0


def test_duplicate_rows_repaint_both_rows(make_session, qtbot):
    """A table rule (in-file duplicate) changes the other row's findings too, and both repaint."""
    model = FrameTableModel(make_session([trainee(0), trainee(1)]))
    assert model.session.summary()["errors"] == 0
    twin = trainee(0)
    changed_rows: set[int] = set()
    model.dataChanged.connect(lambda a, b, roles: changed_rows.update(range(a.row(), b.row() + 1)))
    for name in ("last_name", "date_of_birth", "email"):
        model.setData(model.index(1, col(model, name)), twin[name])
    assert model.findings_index.rows[0] == ERROR and model.findings_index.rows[1] == ERROR
    assert changed_rows == {0, 1}


def test_proxy_filters_rows_with_errors_warnings_and_one_rule(model):
    """Filters: errors, warnings, one chosen rule, rows changed here; sorting keeps row numbers."""
    proxy = RowViewProxy()
    proxy.setSourceModel(model)
    proxy.set_filter(RowFilter("errors"))
    assert [proxy.headerData(r, V) for r in range(proxy.rowCount())] == ["3", "4"]
    proxy.set_filter(RowFilter("warnings"))
    assert [proxy.headerData(r, V) for r in range(proxy.rowCount())] == ["5"]
    proxy.set_filter(RowFilter("code", "cell.required"))
    assert [proxy.headerData(r, V) for r in range(proxy.rowCount())] == ["4"]
    model.setData(model.index(0, col(model, "nationality")), "FR")
    proxy.set_filter(RowFilter("edited"))
    assert [proxy.headerData(r, V) for r in range(proxy.rowCount())] == ["2"]


def test_proxy_sorts_by_a_column_and_back_to_file_order(model):
    """Sorting is a permutation; -1 restores the file's order."""
    proxy = RowViewProxy()
    proxy.setSourceModel(model)
    c = col(model, "last_name")
    proxy.sort(c, Qt.SortOrder.AscendingOrder)
    names = [proxy.data(proxy.index(r, c)) for r in range(proxy.rowCount())]
    assert names == sorted(names)
    proxy.sort(c, Qt.SortOrder.DescendingOrder)
    assert [proxy.data(proxy.index(r, c)) for r in range(proxy.rowCount())] == sorted(names, reverse=True)
    proxy.sort(-1)
    assert [proxy.headerData(r, V) for r in range(4)] == ["2", "3", "4", "5"]


def test_proxy_forwards_edits_and_repaints_the_shown_row(model, qtbot):
    """An edit through the sorted proxy lands on the right source row and repaints it there."""
    proxy = RowViewProxy()
    proxy.setSourceModel(model)
    proxy.sort(col(model, "last_name"), Qt.SortOrder.DescendingOrder)
    c = col(model, "sex")
    prow = next(r for r in range(proxy.rowCount()) if proxy.data(proxy.index(r, c)) == "Female")
    with qtbot.waitSignal(proxy.dataChanged, check_params_cb=lambda a, b, roles: a.row() == prow):
        proxy.setData(proxy.index(prow, c), "11")
    assert model.value(1, c) == "11"


def test_findings_index_lookups_match_the_session(model):
    """Every finding with a cell is on that cell in the lookup."""
    idx = model.findings_index
    frame = model.session.findings.frame
    cell = frame[frame["row"] >= 0]
    for rec in cell.itertuples():
        c = model.column_of(rec.field)
        assert any(idx.messages[i] == rec.message for i in idx.on_cell(int(rec.row), c))
    assert np.array_equal(idx.rows >= ERROR, model.session.invalid_row_mask())


def test_grid_marks_exactly_the_sessions_invalid_rows_after_every_edit(model):
    """The rows the grid paints as errors are the rows the session counts (its one summary)."""
    for name, value in (("sex", "10"), ("first_names", "Rhodri"), ("date_of_birth", "nonsense"), ("ni_number", "")):
        model.setData(model.index(1 if name != "ni_number" else 3, col(model, name)), value)
        invalid = model.session.invalid_row_mask()
        assert np.array_equal(model.findings_index.rows >= ERROR, invalid)
        assert model.session.summary()["rows_with_errors"] == int(invalid.sum())


def test_multidata_sets_or_clears_every_role_of_reused_role_data(model):
    """Qt's delegate reuses one set of role data for every cell it paints: a clean cell painted
    after an error cell must not keep the error's background or icon."""
    from PySide6.QtCore import QModelRoleData, QModelRoleDataSpan

    proxy = RowViewProxy()
    proxy.setSourceModel(model)
    sex = col(model, "sex")
    error_cell, clean_cell = proxy.index(1, sex), proxy.index(0, sex)
    for role in (R.FontRole, R.TextAlignmentRole, R.ForegroundRole, R.CheckStateRole, R.DecorationRole,
                 R.DisplayRole, R.BackgroundRole):
        rd = QModelRoleData(role.value)
        proxy.multiData(error_cell, QModelRoleDataSpan(rd))
        if role in (R.DecorationRole, R.BackgroundRole):
            assert rd.data() is not None
        proxy.multiData(clean_cell, QModelRoleDataSpan(rd))
        assert rd.data() == proxy.data(clean_cell, role)
    rd = QModelRoleData(R.DisplayRole.value)
    proxy.multiData(clean_cell, QModelRoleDataSpan(rd))
    assert rd.data() == "10 — Female"
