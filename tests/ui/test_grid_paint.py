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
