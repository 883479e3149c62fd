"""What the grid paints, pixel by pixel: a clean cell never takes its neighbour's error colour."""

import datetime as dt

from PySide6.QtWidgets import QTableView

from desktop.core.samples import sample_path
from desktop.core.session import ImportSession
from desktop.ui.table_model import FrameTableModel


def test_clean_cells_below_an_error_paint_clean(qtbot):
    """Qt reuses the multiData span between cells; unanswered roles must not leak (seen in a screenshot)."""
    session = ImportSession.open(sample_path(), today=dt.date(2026, 11, 28))
    model = FrameTableModel(session)
    view = QTableView()
    qtbot.addWidget(view)
    view.setModel(model)
    view.resize(1200, 700)
    view.show()
    qtbot.waitExposed(view)
    col = session.template.names.index("disability5")
    view.scrollTo(model.index(0, col))
    qtbot.wait(10)
    image = view.viewport().grab().toImage()
    # row 3 of the frame has no finding on disability5 (nothing is wrong with an empty optional cell)
    assert not session.findings.where(row=3, field="disability5").frame.shape[0]
    rect = view.visualRect(model.index(3, col))
    colour = image.pixelColor(rect.center().x() + rect.width() // 3, rect.center().y())
    base = view.palette().base().color()
    assert colour == base, f"clean cell painted {colour.name()}, expected the base colour {base.name()}"


def test_the_grid_paints_errors_icons_selection_and_edits(qtbot):
    """The review delegate paints cells itself (issue 16: Qt's per-role path took half a frame):
    an error cell gets its tint, a selected cell the highlight, a clean cell stays the base colour."""
    from desktop.ui.delegates import CellDelegate
    from desktop.ui.theme import SeverityBrushes

    session = ImportSession.open(sample_path(), today=dt.date(2026, 11, 28))
    model = FrameTableModel(session)
    view = QTableView()
    qtbot.addWidget(view)
    view.setModel(model)
    view.setItemDelegate(CellDelegate(session.template, session.code_lists, view))
    view.resize(1200, 700)
    view.show()
    qtbot.waitExposed(view)
    errors = model.findings_index.cells
    row, col = (int(x) for x in next(zip(*(errors == 2).nonzero(), strict=True)))
    view.scrollTo(model.index(row, col))
    qtbot.wait(10)
    image = view.viewport().grab().toImage()
    rect = view.visualRect(model.index(row, col))
    tint = SeverityBrushes(view.palette()).error.color()
    assert image.pixelColor(rect.right() - 2, rect.top() + 2) == tint
    assert image.pixelColor(rect.left() + 2, rect.top() + 2) == tint
    from PySide6.QtCore import QItemSelectionModel

    view.selectionModel().select(model.index(row, col), QItemSelectionModel.SelectionFlag.ClearAndSelect)
    assert view.selectionModel().isSelected(model.index(row, col))
    image = view.viewport().grab().toImage()
    assert image.pixelColor(rect.right() - 2, rect.top() + 2) != tint  # the selection covers the tint
    # an edited cell: painted, and still reachable through data() for accessibility
    clean_col = next(c for c in range(model.columnCount()) if errors[row, c] < 0)
    model.apply_changes([(row, clean_col, "Changed")])
    assert model.paint_cell(row, clean_col)[4] is not None  # italic font
    assert model.data(model.index(row, clean_col)) == "Changed"
