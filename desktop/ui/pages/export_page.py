"""Step 4, Upload / Export: Register's CSV, the error report, and (when it lands) the upload."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QGroupBox, QLabel, QPushButton, QVBoxLayout, QWidget

from desktop.core.export import ExportResult
from desktop.core.own_layout import CopyResult
from desktop.core.session import ImportSession


class ExportPage(QWidget):
    export_csv_requested = Signal()
    export_report_requested = Signal()
    copy_requested = Signal()
    back_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.summary.setAccessibleName("What is ready")
        layout.addWidget(self.summary)

        csv_box = QGroupBox("Register's CSV file")
        csv_layout = QVBoxLayout(csv_box)
        text = QLabel("The 51 columns of Register's bulk-add template, UTF-8, codes and dates kept as text. "
                      "Only rows without errors are written.")
        text.setWordWrap(True)
        csv_layout.addWidget(text)
        self.csv_button = QPushButton("&Save Register CSV…")
        self.csv_button.setToolTip("Ctrl+S")
        self.csv_button.clicked.connect(self.export_csv_requested)
        csv_layout.addWidget(self.csv_button, 0, Qt.AlignmentFlag.AlignLeft)
        self.result_label = QLabel()
        self.result_label.setWordWrap(True)
        self.result_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.result_label.setAccessibleName("Last export")
        self.result_label.hide()
        csv_layout.addWidget(self.result_label)
        layout.addWidget(csv_box)

        copy_box = QGroupBox("Your own file, corrected")
        copy_layout = QVBoxLayout(copy_box)
        text = QLabel("A copy of the file you opened — your headers and columns, every row — with the cells you "
                      "corrected here, as Excel or CSV; if you like, with a column listing what is left to fix.")
        text.setWordWrap(True)
        copy_layout.addWidget(text)
        self.copy_button = QPushButton("Save a &copy of my file with the fixes…")
        self.copy_button.clicked.connect(self.copy_requested)
        copy_layout.addWidget(self.copy_button, 0, Qt.AlignmentFlag.AlignLeft)
        self.copy_label = QLabel()
        self.copy_label.setWordWrap(True)
        self.copy_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.copy_label.setAccessibleName("Last copy saved")
        self.copy_label.hide()
        copy_layout.addWidget(self.copy_label)
        layout.addWidget(copy_box)

        report_box = QGroupBox("Error report")
        report_layout = QVBoxLayout(report_box)
        text = QLabel("Every problem by spreadsheet row, field and message, as CSV or Excel, to fix at the source. "
                      "Personal data is left out unless you ask for it.")
        text.setWordWrap(True)
        report_layout.addWidget(text)
        self.report_button = QPushButton("Save &error report…")
        self.report_button.clicked.connect(self.export_report_requested)
        report_layout.addWidget(self.report_button, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(report_box)

        self.upload_box = QGroupBox("Upload to Register")
        self.upload_layout = QVBoxLayout(self.upload_box)
        self.upload_note = QLabel(
            "Sending rows through Register's API is not part of this version of the window. Save Register's "
            "CSV above and add it in Register under Bulk updates → Bulk add new trainees.")
        self.upload_note.setWordWrap(True)
        self.upload_layout.addWidget(self.upload_note)
        layout.addWidget(self.upload_box)

        back = QPushButton("&Back to the review")
        back.clicked.connect(self.back_requested)
        layout.addWidget(back, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addStretch(1)

    def show_result(self, result: ExportResult) -> None:
        lines = [f"Saved {result.rows_written:,} row(s) to {result.path}."]
        if result.error_report is not None:
            lines.append(f"The {result.rows_with_errors:,} row(s) with errors are in {result.error_report}, in Register's "
                         "errors-file layout: correct them there or at the source, then open and check the file again.")
        lines.extend(result.notes)
        self.result_label.setText("\n".join(lines))
        self.result_label.show()

    def set_upload_widget(self, widget: QWidget) -> None:
        """The upload step's panel, when it exists, replaces the note."""
        self.upload_note.hide()
        self.upload_layout.addWidget(widget)

    def update_summary(self, session: ImportSession | None) -> None:
        if session is None:
            self.summary.setText("Open a file first.")
            self.csv_button.setEnabled(False)
            self.report_button.setEnabled(False)
            self.copy_button.setEnabled(False)
            return
        s = session.summary()
        total = session.n_rows
        parts = [f"<p><b>{s['valid_rows']:,} of {total:,} rows are ready to send.</b>"]
        if s["rows_with_errors"]:
            parts.append(f" {s['rows_with_errors']:,} row(s) still have errors and will be left out until fixed.")
        if session.has_file_errors():
            parts.append(" <b>The file itself has a problem</b> (see Problems, 'This file'): nothing can be sent until it is fixed.")
        if s["warnings"]:
            parts.append(f" {s['warnings']:,} warning(s) do not stop a row, but check them.")
        parts.append("</p>")
        self.summary.setText("".join(parts))
        self.csv_button.setEnabled(s["valid_rows"] > 0)
        self.report_button.setEnabled(True)
        self.copy_button.setEnabled(True)

    def show_copy(self, result: CopyResult) -> None:
        corrected = f"{result.corrected_cells:,} corrected cell{'s' if result.corrected_cells != 1 else ''}"
        text = f"Saved a copy of your file to {result.path}: {result.rows:,} rows, {corrected}."
        if result.rows_with_problems:
            text += f" {result.rows_with_problems:,} row(s) list problems left in the last column."
        self.copy_label.setText(text)
        self.copy_label.show()
