"""Upload history: past batches from the journal, each opening its receipt (as ``register-desktop history``)."""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop.core.errors import UserFacingError
from desktop.core.journal import Batch, ItemState, Journal
from desktop.core.ledger import hold_batch
from desktop.core.receipt import receipts_dir
from desktop.core.upload_receipts import write_batch_receipt
from desktop.ui import dialogs
from desktop.ui.dialogs import Choice, MessageDialog, SaveFileDialog
from desktop.ui.theme import name_corner_button

logger = logging.getLogger(__name__)

COLUMNS = ["Batch", "Started (UTC)", "Environment", "File", "Rows", "Created", "Already registered", "Rejected",
           "Outstanding"]


def batch_cells(b: Batch) -> list[str]:
    c = b.counts
    return [str(b.id), b.created_at[:19].replace("T", " "), b.meta.environment_label, b.meta.file_name,
            f"{b.total:,}", f"{c.get(ItemState.CREATED, 0):,}", f"{c.get(ItemState.ALREADY, 0):,}",
            f"{c.get(ItemState.REJECTED, 0):,}", f"{b.outstanding:,}"]


class HistoryDialog(QDialog):
    """Every batch the journal holds, newest first; open, save or forget a batch's receipt."""

    forgotten = Signal(int)  # a batch was deleted from the journal

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Upload history")
        self.resize(1040, 420)
        layout = QVBoxLayout(self)
        self.info = QLabel()
        self.info.setWordWrap(True)
        layout.addWidget(self.info)
        self.model = QStandardItemModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setAccessibleName("Past uploads")
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.doubleClicked.connect(lambda _index: self.open_receipt())
        name_corner_button(self.table)
        layout.addWidget(self.table, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.open_button = QPushButton("&Open receipt")
        self.save_button = QPushButton("&Save receipt as…")
        self.forget_button = QPushButton("&Forget this upload…")
        self.forget_button.setToolTip("Delete the batch and the receipt the app kept from this computer")
        buttons.addButton(self.open_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.save_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.forget_button, QDialogButtonBox.ButtonRole.DestructiveRole)
        buttons.rejected.connect(self.reject)
        self.open_button.clicked.connect(self.open_receipt)
        self.save_button.clicked.connect(self.save_receipt)
        self.forget_button.clicked.connect(self.forget)
        layout.addWidget(buttons)
        self.batches: list[Batch] = []
        self.reload()

    def reload(self) -> None:
        try:
            with Journal() as journal:
                self.batches = journal.batches()
        except UserFacingError as exc:
            self.batches = []
            self.info.setText(f"{exc.title}: {exc.message}")
        else:
            self.info.setText("No uploads yet." if not self.batches else
                              "Every upload this computer made, newest first. A batch with rows outstanding resumes "
                              "when you upload the same file to the same place again. Double-click to open its receipt.")
        self.model.clear()
        self.model.setHorizontalHeaderLabels(COLUMNS)
        for b in self.batches:
            items = [QStandardItem(text) for text in batch_cells(b)]
            for i in (0, 4, 5, 6, 7, 8):
                items[i].setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            items[0].setToolTip(f"{b.meta.environment_label} ({b.meta.base_url}); sent by {b.meta.account}")
            self.model.appendRow(items)
        header = self.table.horizontalHeader()
        header.resizeSections(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(False)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)  # the file name takes what is left
        if self.batches:
            self.table.selectRow(0)
        for w in (self.open_button, self.save_button, self.forget_button):
            w.setEnabled(bool(self.batches))

    def select_batch(self, batch_id: int) -> None:
        for row, b in enumerate(self.batches):
            if b.id == batch_id:
                self.table.selectRow(row)

    def selected(self) -> Batch | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        return self.batches[rows[0].row()]

    def _receipt(self, batch: Batch, path: Path | None = None) -> Path | None:
        try:
            with Journal() as journal:
                fresh = journal.batch(batch.id)
                if fresh is None:
                    raise UserFacingError("That upload is no longer in the journal.", title="No receipt")
                if path is None and fresh.receipt_path and Path(fresh.receipt_path).is_file():
                    return Path(fresh.receipt_path)
                return write_batch_receipt(journal, fresh, path=path)
        except UserFacingError as exc:
            MessageDialog.inform(self, exc.title, exc.message, icon=QMessageBox.Icon.Warning)
        except OSError as exc:
            MessageDialog.inform(self, "Receipt not written", f"The receipt could not be written: "
                                 f"{exc.strerror or type(exc).__name__}.", icon=QMessageBox.Icon.Warning)
        return None

    def open_receipt(self) -> Path | None:
        """Open the selected batch's receipt (written first when the app kept none)."""
        batch = self.selected()
        if batch is None:
            return None
        path = self._receipt(batch)
        if path is None:
            return None
        if not dialogs.open_local_file(path):
            MessageDialog.inform(self, "Receipt", f"The receipt is at {path}; no program opened it.")
        self.reload()
        self.select_batch(batch.id)
        return path

    def save_receipt(self) -> Path | None:
        batch = self.selected()
        if batch is None:
            return None
        target = SaveFileDialog.ask(self, "Save receipt", f"receipt-{batch.id}.csv", "CSV (*.csv);;Excel workbook (*.xlsx)")
        if target is None:
            return None
        return self._receipt(batch, target)

    def forget(self) -> bool:
        """Delete the selected batch from the journal (and the receipt the app kept), after saying what it means."""
        batch = self.selected()
        if batch is None:
            return False
        if batch.outstanding:
            detail = (f"{batch.outstanding:,} row(s) of it have no answer from Register yet. Once it is forgotten, "
                      "uploading this file again starts afresh: rows Register already holds come back as "
                      "'already registered' rather than being created twice, but the app can no longer prove which "
                      "of its rows it sent.")
        else:
            detail = "Its receipt kept by the app goes too; copies you saved elsewhere stay."
        choice = MessageDialog.ask(
            self, "Forget this upload?", f"Forget batch {batch.id} ({batch.meta.file_name}, "
            f"{batch.meta.environment_label})? It cannot be undone.",
            [Choice("forget", "Forget", QMessageBox.ButtonRole.DestructiveRole),
             Choice("cancel", "Cancel", QMessageBox.ButtonRole.RejectRole)],
            detail=detail, icon=QMessageBox.Icon.Warning, default="cancel")
        if choice != "forget":
            return False
        try:
            with Journal() as journal, hold_batch(journal, batch.id):
                journal.forget(batch.id)
            receipt = Path(batch.receipt_path) if batch.receipt_path else None
            if receipt is not None and receipt.parent == receipts_dir():
                receipt.unlink(missing_ok=True)
        except UserFacingError as exc:
            MessageDialog.inform(self, exc.title, exc.message, icon=QMessageBox.Icon.Warning)
            return False
        except OSError as exc:
            MessageDialog.inform(self, "Receipt not deleted", f"The batch is forgotten, but its receipt could not be "
                                 f"deleted ({exc.strerror or type(exc).__name__}).", icon=QMessageBox.Icon.Warning)
        self.forgotten.emit(batch.id)
        self.reload()
        return True
