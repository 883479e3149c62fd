"""Step 1, Open: a button, the recent files, the bundled sample, and a drop target (the window's)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)


class OpenPage(QWidget):
    open_requested = Signal()  # the file dialog
    file_chosen = Signal(Path)  # a recent file or the sample

    def __init__(self, sample: Path | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._sample = sample
        outer = QVBoxLayout(self)
        outer.addStretch(1)
        box = QVBoxLayout()
        title = QLabel("<h2>Open your trainee export</h2>")
        title.setTextFormat(Qt.TextFormat.RichText)
        box.addWidget(title)
        intro = QLabel(
            "Open the spreadsheet your student record system exported (CSV, Excel or OpenDocument). "
            "Nothing is sent anywhere until you choose to upload. You can also drop a file on this window.")
        intro.setWordWrap(True)
        box.addWidget(intro)
        buttons = QHBoxLayout()
        self.open_button = QPushButton("&Open a file…")
        self.open_button.setDefault(True)
        self.open_button.setAccessibleName("Open a file")
        self.open_button.clicked.connect(self.open_requested)
        buttons.addWidget(self.open_button)
        self.sample_button = QPushButton("Try the &sample file")
        self.sample_button.setAccessibleName("Open the bundled sample file")
        self.sample_button.setVisible(sample is not None)
        self.sample_button.clicked.connect(lambda: self.file_chosen.emit(self._sample))
        buttons.addWidget(self.sample_button)
        buttons.addStretch(1)
        box.addLayout(buttons)
        self.recent_label = QLabel("&Recent files:")
        box.addWidget(self.recent_label)
        self.recent = QListWidget()
        self.recent.setAccessibleName("Recent files")
        self.recent.setMaximumHeight(200)
        self.recent.itemActivated.connect(self._activated)
        self.recent_label.setBuddy(self.recent)
        box.addWidget(self.recent)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addLayout(box, 3)
        row.addStretch(1)
        outer.addLayout(row)
        outer.addStretch(2)

    def set_recent(self, files: list[Path]) -> None:
        self.recent.clear()
        for path in files:
            item = QListWidgetItem(f"{path.name}    —    {path.parent}")
            item.setData(Qt.ItemDataRole.UserRole, str(path))
            item.setToolTip(str(path))
            self.recent.addItem(item)
        self.recent_label.setVisible(bool(files))
        self.recent.setVisible(bool(files))

    def _activated(self, item: QListWidgetItem) -> None:
        self.file_chosen.emit(Path(item.data(Qt.ItemDataRole.UserRole)))
