"""Find and replace: a non-modal dialog that previews how many cells a Replace All would change."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from desktop.ui.search import Query


class FindReplaceDialog(QDialog):
    """Collects a ``Query``; the review page searches (in a job) and replaces (one undo step)."""

    query_changed = Signal(object)  # Query, after typing pauses
    find_next_requested = Signal(object)
    replace_all_requested = Signal(object)

    def __init__(self, labels: list[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Find and replace")
        self.setModal(False)
        form = QFormLayout(self)
        self.find_edit = QLineEdit()
        self.find_edit.setAccessibleName("Find")
        form.addRow("Fi&nd:", self.find_edit)
        self.replace_edit = QLineEdit()
        self.replace_edit.setAccessibleName("Replace with")
        form.addRow("Replace &with:", self.replace_edit)
        self.scope = QComboBox()
        self.scope.setAccessibleName("Search in")
        self.scope.addItem("All columns", -1)
        for i, label in enumerate(labels):
            self.scope.addItem(label, i)
        form.addRow("&In:", self.scope)
        options = QHBoxLayout()
        self.match_case = QCheckBox("Match &case")
        self.whole_cell = QCheckBox("W&hole cell only")
        options.addWidget(self.match_case)
        options.addWidget(self.whole_cell)
        options.addStretch(1)
        form.addRow(options)
        self.preview = QLabel("Type what to find.")
        self.preview.setAccessibleName("Matches")
        self.preview.setWordWrap(True)
        form.addRow(self.preview)
        buttons = QHBoxLayout()
        self.next_button = QPushButton("Find &next")
        self.next_button.setDefault(True)
        self.replace_button = QPushButton("&Replace all")
        close = QPushButton("Close")
        buttons.addStretch(1)
        buttons.addWidget(self.next_button)
        buttons.addWidget(self.replace_button)
        buttons.addWidget(close)
        form.addRow(buttons)
        close.clicked.connect(self.close)
        self.next_button.clicked.connect(lambda: self.find_next_requested.emit(self.query()))
        self.replace_button.clicked.connect(lambda: self.replace_all_requested.emit(self.query()))
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(250)
        self._timer.timeout.connect(lambda: self.query_changed.emit(self.query()))
        for signal in (self.find_edit.textChanged, self.replace_edit.textChanged):
            signal.connect(self._timer.start)
        for box in (self.match_case, self.whole_cell):
            box.toggled.connect(self._timer.start)
        self.scope.currentIndexChanged.connect(self._timer.start)
        self.replace_button.setEnabled(False)

    def query(self) -> Query:
        col = self.scope.currentData()
        return Query(find=self.find_edit.text(), replace=self.replace_edit.text(),
                     columns=() if col is None or col < 0 else (int(col),),
                     match_case=self.match_case.isChecked(), whole_cell=self.whole_cell.isChecked())

    def set_scope(self, col: int) -> None:
        i = self.scope.findData(col)
        if i >= 0:
            self.scope.setCurrentIndex(i)

    def show_preview(self, matches: int, changes: int, searching: bool = False) -> None:
        if searching:
            self.preview.setText("Searching…")
            return
        if not self.find_edit.text():
            self.preview.setText("Type what to find.")
        elif not matches:
            self.preview.setText("No cells match.")
        else:
            self.preview.setText(f"{matches:,} cell(s) match; Replace all would change {changes:,}.")
        self.replace_button.setEnabled(changes > 0)
        self.replace_button.setText(f"&Replace all ({changes:,})" if changes else "&Replace all")

    def open_with(self, text: str = "") -> None:
        if text:
            self.find_edit.setText(text)
        self.show()
        self.raise_()
        self.activateWindow()
        self.find_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.find_edit.selectAll()
