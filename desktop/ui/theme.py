"""Icons and severity colours that follow the system palette (light, dark, high contrast).

Severity is never shown by colour alone: every coloured cell also carries an icon whose shape
differs (a circle with a cross for errors, a triangle for warnings) and its message as text.
"""

from __future__ import annotations

from functools import cache

from PySide6.QtGui import QBrush, QColor, QIcon, QPalette
from PySide6.QtWidgets import QAbstractButton, QApplication, QTableView

from desktop.validation.resources import resource

ERROR, WARNING, INFO = 2, 1, 0  # severity ranks used in the grid's lookups


@cache
def icon(name: str) -> QIcon:
    """A bundled SVG icon (``desktop/resources/icons/<name>.svg``), or the app's PNG."""
    node = resource("icons", f"{name}.svg")
    if not node.is_file():
        node = resource("icons", f"{name}.png")
    return QIcon(str(node))


def severity_icon(rank: int) -> QIcon:
    return icon({ERROR: "error", WARNING: "warning"}.get(rank, "info"))


def is_dark(palette: QPalette | None = None) -> bool:
    pal = palette or QApplication.palette()
    return pal.color(QPalette.ColorRole.Base).lightness() < 128


class SeverityBrushes:
    """Background tints for error and warning cells, chosen for the current palette."""

    def __init__(self, palette: QPalette | None = None) -> None:
        self.update(palette)

    def update(self, palette: QPalette | None = None) -> None:
        if is_dark(palette):
            self.error = QBrush(QColor(120, 28, 32))
            self.warning = QBrush(QColor(104, 78, 8))
            self.edited_error = QBrush(QColor(120, 28, 32))
        else:
            self.error = QBrush(QColor(253, 216, 218))
            self.warning = QBrush(QColor(255, 239, 196))
            self.edited_error = QBrush(QColor(253, 216, 218))
        self.by_rank = {ERROR: self.error, WARNING: self.warning}


def name_corner_button(view: QTableView) -> None:
    """The unnamed "select all" button in a table's corner, named for screen readers."""
    for button in view.findChildren(QAbstractButton):
        if button.objectName() == "qt_tableview_cornerbutton":
            button.setAccessibleName("Select all cells")
            button.setToolTip("Select all cells")
