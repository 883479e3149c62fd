"""The window's status bar: messages that fit the room they have, never drawn over the counts.

``QStatusBar.showMessage`` paints its text across the whole bar, over the permanent widgets
(a long message read "…with it (~/.configRows: 20"). Here a message is a label beside them,
elided to the space left, with the whole text in its tooltip and its accessible description,
and hover help (status tips) goes the same way.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QLabel, QSizePolicy, QStatusBar, QWidget
from typing_extensions import override


class StatusBar(QStatusBar):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.message_label = QLabel(self)
        self.message_label.setAccessibleName("Status message")
        self.message_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.message_label.setMinimumWidth(40)
        self.message_label.setTextFormat(Qt.TextFormat.PlainText)
        self.addWidget(self.message_label, 1)
        self._message = ""
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.clearMessage)

    @override
    def showMessage(self, text: str, timeout: int = 0) -> None:  # type: ignore[override]
        """The message in the bar's own label (elided to fit); cleared after ``timeout`` ms if given."""
        self._message = text or ""
        self._show()
        self._timer.stop()
        if timeout > 0 and self._message:
            self._timer.start(timeout)
        self.messageChanged.emit(self._message)

    @override
    def clearMessage(self) -> None:
        self.showMessage("")

    @override
    def currentMessage(self) -> str:
        return self._message

    def _show(self) -> None:
        width = max(0, self.message_label.width() - 4)
        shown = self.message_label.fontMetrics().elidedText(self._message, Qt.TextElideMode.ElideRight, width) \
            if width else self._message
        self.message_label.setText(shown)
        self.message_label.setToolTip(self._message if shown != self._message else "")
        self.message_label.setAccessibleDescription(self._message)

    @override
    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._show()
