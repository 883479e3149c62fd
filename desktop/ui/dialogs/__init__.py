"""Every question the window asks, each behind an ``ask()`` classmethod returning plain values.

Tests patch ``ask`` (pytest-qt's advice for dialogs) instead of driving modal loops, and the
window never builds a ``QMessageBox`` or ``QFileDialog`` anywhere else.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.ui.delegates import CodeComboBox
from desktop.validation.codelists import CodeList

SPREADSHEETS = "Spreadsheets (*.csv *.txt *.tsv *.xlsx *.xlsm *.xls *.ods);;All files (*)"


class OpenFileDialog:
    @classmethod
    def ask(cls, parent: QWidget | None, start_dir: str = "") -> Path | None:
        path, _ = QFileDialog.getOpenFileName(parent, "Open a spreadsheet", start_dir, SPREADSHEETS)
        return Path(path) if path else None


class SaveFileDialog:
    @classmethod
    def ask(cls, parent: QWidget | None, caption: str, suggested: str, filters: str) -> Path | None:
        path, chosen = QFileDialog.getSaveFileName(parent, caption, suggested, filters)
        if not path:
            return None
        p = Path(path)
        if not p.suffix:  # some platforms' dialogs leave the extension to us
            ext = "xlsx" if "xlsx" in chosen else "csv"
            p = p.with_suffix(f".{ext}")
        return p


@dataclass(frozen=True)
class Choice:
    key: str
    label: str
    role: QMessageBox.ButtonRole = QMessageBox.ButtonRole.AcceptRole


class MessageDialog:
    """A message with named choices; returns the key of the one pressed (the last one on Esc)."""

    @classmethod
    def build(cls, parent: QWidget | None, title: str, text: str, choices: list[Choice], *,
              detail: str = "", icon: QMessageBox.Icon = QMessageBox.Icon.Question,
              default: str | None = None) -> tuple[QMessageBox, dict[str, QPushButton], str]:
        """The box, its buttons by key and the key Esc answers (``ask`` runs it; screenshots show it)."""
        box = QMessageBox(icon, title, text, QMessageBox.StandardButton.NoButton, parent)
        if detail:
            box.setInformativeText(detail)
        buttons: dict[str, QPushButton] = {}
        for c in choices:
            buttons[c.key] = box.addButton(c.label, c.role)
        if default and default in buttons:
            box.setDefaultButton(buttons[default])
        escape = next((c.key for c in choices if c.role == QMessageBox.ButtonRole.RejectRole), choices[-1].key)
        box.setEscapeButton(buttons[escape])
        return box, buttons, escape

    @classmethod
    def ask(cls, parent: QWidget | None, title: str, text: str, choices: list[Choice], *,
            detail: str = "", icon: QMessageBox.Icon = QMessageBox.Icon.Question, default: str | None = None) -> str:
        box, buttons, escape = cls.build(parent, title, text, choices, detail=detail, icon=icon, default=default)
        box.exec()
        clicked = box.clickedButton()
        for key, button in buttons.items():
            if button is clicked:
                return key
        return escape

    @classmethod
    def inform(cls, parent: QWidget | None, title: str, text: str, *, detail: str = "",
               icon: QMessageBox.Icon = QMessageBox.Icon.Information) -> None:
        cls.ask(parent, title, text, [Choice("ok", "OK")], detail=detail, icon=icon)


class TokenDialog(QDialog):
    """Paste a Register API token; it is never shown (password echo) and never kept by the dialog."""

    def __init__(self, parent: QWidget | None, environment_label: str, where: str) -> None:
        super().__init__(parent)
        self.setWindowTitle("Register API token")
        layout = QVBoxLayout(self)
        intro = QLabel(f"Paste the API token Register gave your organisation for <b>{html.escape(environment_label)}</b>. "
                       "It is not shown on screen and never written to a file or a log.")
        intro.setTextFormat(Qt.TextFormat.RichText)
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.edit = QLineEdit(self)
        self.edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.edit.setAccessibleName("API token")
        intro.setBuddy(self.edit)
        layout.addWidget(self.edit)
        note = QLabel(where)
        note.setWordWrap(True)
        note.setAccessibleName("Where the token is kept")
        layout.addWidget(note)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Use this token")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(520, self.sizeHint().height())

    @classmethod
    def ask(cls, parent: QWidget | None, environment_label: str, where: str) -> str | None:
        """The pasted token (stripped), or None when cancelled or empty."""
        dialog = cls(parent, environment_label, where)
        try:
            if dialog.exec() != QDialog.DialogCode.Accepted:
                return None
            return dialog.edit.text().strip() or None
        finally:
            dialog.edit.clear()
            dialog.deleteLater()


class AboutDialog(QDialog):
    """About Register Desktop: versions and where the reference data came from; copies the diagnostics."""

    def __init__(self, parent: QWidget | None, text_html: str) -> None:
        super().__init__(parent)
        self.setWindowTitle("About Register Desktop")
        layout = QVBoxLayout(self)
        from desktop.ui.theme import icon

        top = QHBoxLayout()
        logo = QLabel()
        logo.setPixmap(icon("app").pixmap(64, 64))
        logo.setAccessibleName("Register Desktop icon")
        top.addWidget(logo, 0, Qt.AlignmentFlag.AlignTop)
        self.text = QLabel(text_html)
        self.text.setTextFormat(Qt.TextFormat.RichText)
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.text.setAccessibleName("About")
        top.addWidget(self.text, 1)
        layout.addLayout(top)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.copy_button = buttons.addButton("&Copy diagnostics", QDialogButtonBox.ButtonRole.ActionRole)
        self.copy_button.setToolTip("Versions, system, keychain, proxy and certificates for your IT desk; "
                                    "never tokens or personal data")
        self.choice = "close"
        self.copy_button.clicked.connect(self._copy)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(560, self.sizeHint().height())

    def _copy(self) -> None:
        self.choice = "copy"
        self.accept()

    @classmethod
    def ask(cls, parent: QWidget | None, text_html: str) -> str:
        """"copy" when the user asked to copy the diagnostics, else "close"."""
        dialog = cls(parent, text_html)
        dialog.exec()
        choice = dialog.choice
        dialog.deleteLater()
        return choice


class DeleteDataDialog(QDialog):
    """File → Delete saved data: what goes, what is kept and why, with a preview before anything is removed."""

    def __init__(self, parent: QWidget | None) -> None:
        super().__init__(parent)
        from desktop.core.paths import data_dir
        from desktop.core.retention import RETENTION

        self.setWindowTitle("Delete saved data")
        layout = QVBoxLayout(self)
        r = RETENTION
        intro = QLabel(
            f"<p>The app keeps, in its data folder (<code>{html.escape(str(data_dir()))}</code>):</p><ul>"
            f"<li>the upload history and the receipts it wrote (finished uploads: {r.batches:g} days);</li>"
            f"<li>your work in the window, saved for recovery after a crash ({r.autosave:g} days);</li>"
            f"<li>the practice Register's trainees ({r.practice:g} days);</li>"
            f"<li>its log, which holds no personal data ({r.logs:g} days).</li></ul>"
            "<p>They are deleted by themselves after those periods. Delete them now:</p>")
        intro.setTextFormat(Qt.TextFormat.RichText)
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.everything = QRadioButton("&Everything listed above")
        self.older = QRadioButton("&Only what is older than")
        self.days = QSpinBox()
        self.days.setRange(0, 3650)
        self.days.setValue(int(r.autosave))
        self.days.setSuffix(" days")
        self.days.setAccessibleName("Days")
        self.everything.setChecked(True)
        row = QHBoxLayout()
        row.addWidget(self.older)
        row.addWidget(self.days)
        row.addStretch(1)
        layout.addWidget(self.everything)
        layout.addLayout(row)
        self.preview = QLabel()
        self.preview.setWordWrap(True)
        self.preview.setAccessibleName("What would be deleted")
        self.preview.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.preview)
        kept = QLabel("<p><b>Always kept:</b> an upload that has not finished. Its record is what stops a row that "
                      "may already have reached Register being sent a second time, so it stays until the upload is "
                      "finished (upload the same file again) or forgotten on purpose. Settings, mapping profiles and "
                      "files you saved elsewhere (exports, reports, receipts you saved) are never touched.</p>")
        kept.setTextFormat(Qt.TextFormat.RichText)
        kept.setWordWrap(True)
        layout.addWidget(kept)
        layout.addStretch(1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.delete_button = buttons.addButton("&Delete", QDialogButtonBox.ButtonRole.DestructiveRole)
        self.delete_button.clicked.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        for signal in (self.everything.toggled, self.days.valueChanged):
            signal.connect(self.update_preview)
        self.update_preview()
        self.resize(600, max(layout.totalHeightForWidth(600), 240))  # wrapped text measured at the width shown

    def choice(self) -> tuple[bool, float | None]:
        """(everything, older than days)."""
        return (True, None) if self.everything.isChecked() else (False, float(self.days.value()))

    def update_preview(self) -> None:
        from desktop.core.errors import UserFacingError
        from desktop.core.retention import purge

        self.days.setEnabled(self.older.isChecked())
        everything, days = self.choice()
        try:
            report = purge(everything=everything, older_than_days=days, dry_run=True)
        except UserFacingError as exc:
            self.preview.setText(f"{exc.title}: {exc.message}")
            self.delete_button.setEnabled(False)
            return
        self.preview.setText("\n".join(report.lines()))
        self.delete_button.setEnabled(report.removed_anything)

    @classmethod
    def ask(cls, parent: QWidget | None) -> tuple[bool, float | None] | None:
        """(everything, older than days) to delete, or None when cancelled."""
        dialog = cls(parent)
        try:
            return dialog.choice() if dialog.exec() == QDialog.DialogCode.Accepted else None
        finally:
            dialog.deleteLater()


def open_local_file(path: Path) -> bool:
    """Open a file the app wrote (a receipt) in the program the system uses for it."""
    from PySide6.QtCore import QUrl
    from PySide6.QtGui import QDesktopServices

    return bool(QDesktopServices.openUrl(QUrl.fromLocalFile(str(path))))


class TextDialog:
    @classmethod
    def ask(cls, parent: QWidget | None, title: str, label: str, text: str = "") -> str | None:
        value, ok = QInputDialog.getText(parent, title, label, QLineEdit.EchoMode.Normal, text)
        return value.strip() if ok and value.strip() else None


class ItemDialog:
    @classmethod
    def ask(cls, parent: QWidget | None, title: str, label: str, items: list[str], current: int = 0) -> str | None:
        value, ok = QInputDialog.getItem(parent, title, label, items, current, False)
        return value if ok else None


@dataclass(frozen=True)
class FixItem:
    """One value of a problem's cells: how many cells hold it and what we would put instead ("" none)."""

    value: str
    count: int
    suggestion: str


class FixAllDialog(QDialog):
    """"Fix all like this": every value of one problem's cells listed with its replacement, before
    anything changes (F → 10 for all 3 cells). A blank replacement leaves that value as it is."""

    def __init__(self, parent: QWidget | None, field_label: str, problem: str, items: list[FixItem],
                 code_list: CodeList | None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Fix all like this")
        self._items = list(items)
        layout = QVBoxLayout(self)
        total = sum(i.count for i in items)
        intro = QLabel(f"<b>{html.escape(problem)}</b>: {total:,} cell{'s' if total != 1 else ''} of "
                       f"{html.escape(field_label)}, {len(items):,} different value{'s' if len(items) != 1 else ''}. "
                       "Check what each becomes; leave a replacement empty to keep that value.")
        intro.setTextFormat(Qt.TextFormat.RichText)
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.table = QTableWidget(len(items), 3, self)
        self.table.setHorizontalHeaderLabels(["In your file", "Cells", "Replace with"])
        self.table.setAccessibleName(f"Values of {field_label} and their replacements")
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.setTabKeyNavigation(False)
        self.editors: list[CodeComboBox | QLineEdit] = []
        for r, item in enumerate(items):
            shown = item.value if item.value else "(blank)"
            self.table.setItem(r, 0, QTableWidgetItem(shown))
            count = QTableWidgetItem(f"{item.count:,}")
            count.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.table.setItem(r, 1, count)
            editor: CodeComboBox | QLineEdit
            if code_list is not None:
                editor = CodeComboBox(code_list, self)
                editor.set_code(item.suggestion)
                editor.currentTextChanged.connect(self._update_button)
            else:
                editor = QLineEdit(item.suggestion, self)
                editor.setPlaceholderText("keep as it is")
                editor.textChanged.connect(self._update_button)
            editor.setAccessibleName(f"Replace '{shown}' with")
            self.table.setCellWidget(r, 2, editor)
            self.editors.append(editor)
        self.table.resizeColumnsToContents()
        header = self.table.horizontalHeader()
        header.setStretchLastSection(True)
        layout.addWidget(self.table, 1)
        hint = QLabel("One step: Undo (Ctrl+Z) puts every cell back.")
        hint.setWordWrap(True)
        layout.addWidget(hint)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.resize(max(560, self.table.horizontalHeader().length() + 60),
                    min(160 + 34 * len(items), 560))
        self._update_button()

    def replacements(self) -> dict[str, str]:
        """value -> its replacement, for the values the user gives one that differs."""
        out = {}
        for item, editor in zip(self._items, self.editors, strict=True):
            new = editor.code() if isinstance(editor, CodeComboBox) else editor.text().strip()
            if new and new != item.value:
                out[item.value] = new
        return out

    def _update_button(self, *_: object) -> None:
        chosen = self.replacements()
        n = sum(i.count for i in self._items if i.value in chosen)
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText(f"Replace {n:,} cell{'s' if n != 1 else ''}" if n else "Nothing to replace")
        ok.setEnabled(bool(n))

    @classmethod
    def ask(cls, parent: QWidget | None, field_label: str, problem: str, items: list[FixItem],
            code_list: CodeList | None) -> dict[str, str] | None:
        dialog = cls(parent, field_label, problem, items, code_list)
        return dialog.replacements() if dialog.exec() == QDialog.DialogCode.Accepted else None


@dataclass(frozen=True)
class AgainRow:
    """A row whose trainee the ledger holds: its spreadsheet row and when and where it was sent."""

    source_row: int
    sent: str  # "already sent on DATE in batch N (trainee id X)"


class RegisterAgainDialog(QDialog):
    """Choose rows to register a second time on purpose (issue 11's per-trainee override; the CLI's
    ``--register-again ROW``). Each choice is recorded in the trainee ledger and the receipt."""

    def __init__(self, parent: QWidget | None, rows: list[AgainRow], chosen: set[int]) -> None:
        super().__init__(parent)
        self.setWindowTitle("Register a trainee again")
        layout = QVBoxLayout(self)
        intro = QLabel(
            "<p>These rows' trainees were already sent to this environment, so they are never sent again — "
            "a second copy in Register has to be merged by hand by its support team.</p>"
            "<p>Tick a row <b>only for a genuine second registration</b> of the same student in the same academic "
            "year (for example a withdrawal and then a new course). It is then sent as a new trainee with this "
            "upload only; the app's ledger and the receipt record who asked for it and when.</p>")
        intro.setTextFormat(Qt.TextFormat.RichText)
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.table = QTableWidget(len(rows), 2, self)
        self.table.setHorizontalHeaderLabels(["Register again", "Sent before"])
        self.table.setAccessibleName("Rows already sent; tick those to register a second time")
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.boxes: list[tuple[int, QCheckBox]] = []
        for r, row in enumerate(rows):
            box = QCheckBox(f"Row {row.source_row}", self)
            box.setChecked(row.source_row in chosen)
            box.setAccessibleName(f"Register row {row.source_row} again")
            box.toggled.connect(self._update_button)
            self.table.setCellWidget(r, 0, box)
            self.table.setItem(r, 1, QTableWidgetItem(row.sent[0].upper() + row.sent[1:]))
            self.boxes.append((row.source_row, box))
        self.table.resizeColumnsToContents()
        self.table.horizontalHeader().setStretchLastSection(True)
        layout.addWidget(self.table, 1)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.resize(640, min(220 + 32 * len(rows), 560))
        self._update_button()

    def chosen(self) -> set[int]:
        return {row for row, box in self.boxes if box.isChecked()}

    def _update_button(self, *_: object) -> None:
        n = len(self.chosen())
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText(f"Register {n} row{'s' if n != 1 else ''} again" if n else "Register none again")

    @classmethod
    def ask(cls, parent: QWidget | None, rows: list[AgainRow], chosen: set[int]) -> set[int] | None:
        """The spreadsheet rows to register again (possibly none), or None when cancelled."""
        dialog = cls(parent, rows, chosen)
        try:
            return dialog.chosen() if dialog.exec() == QDialog.DialogCode.Accepted else None
        finally:
            dialog.deleteLater()


class CopyDialog(QDialog):
    """"Save a copy of my file with the fixes": the format, which values, and a column of problems left."""

    def __init__(self, parent: QWidget | None, default_format: str = "xlsx") -> None:
        super().__init__(parent)
        self.setWindowTitle("Save a copy of your file with the fixes")
        layout = QVBoxLayout(self)
        intro = QLabel("Your own file again — your headers, your columns, every row — with the cells you corrected "
                       "here. Register's CSV is saved separately.")
        intro.setWordWrap(True)
        layout.addWidget(intro)
        form = QFormLayout()
        self.format = QComboBox(self)
        self.format.addItems(["Excel workbook (.xlsx)", "CSV (.csv)"])
        self.format.setCurrentIndex(0 if default_format == "xlsx" else 1)
        self.format.setAccessibleName("Format of the copy")
        form.addRow("&Format:", self.format)
        layout.addLayout(form)
        values_box = QGroupBox("Cells of the columns Register uses")
        values_layout = QVBoxLayout(values_box)
        self.yours = QRadioButton("&As in your file, with the cells you corrected here")
        self.yours.setChecked(True)
        self.register = QRadioButton("As &Register reads them: labels turned into codes, dates as YYYY-MM-DD")
        for b in (self.yours, self.register):
            values_layout.addWidget(b)
        layout.addWidget(values_box)
        self.problems = QCheckBox("Add a column listing the &problems left in each row", self)
        self.problems.setToolTip("A last column, 'Problems (Register Desktop)', to fix the rest in a spreadsheet.")
        layout.addWidget(self.problems)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Choose where to save…")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def choice(self) -> tuple[str, str, bool]:
        return ("xlsx" if self.format.currentIndex() == 0 else "csv",
                "register" if self.register.isChecked() else "yours", self.problems.isChecked())

    @classmethod
    def ask(cls, parent: QWidget | None, default_format: str = "xlsx") -> tuple[str, str, bool] | None:
        """(format "xlsx"|"csv", values "yours"|"register", with a problems column) or None."""
        dialog = cls(parent, default_format)
        return dialog.choice() if dialog.exec() == QDialog.DialogCode.Accepted else None


class ErrorReportDialog(QDialog):
    """Format and whether personal data goes in; the file name is asked next."""

    def __init__(self, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Save an error report")
        form = QFormLayout(self)
        self.format = QComboBox(self)
        self.format.addItems(["CSV (.csv)", "Excel workbook (.xlsx)"])
        self.format.setAccessibleName("Report format")
        form.addRow("&Format:", self.format)
        self.personal = QCheckBox("Include personal data (names, dates of birth, IDs, diversity data)", self)
        self.personal.setToolTip("Off: the report lists row, field and problem only, so it can be shared safely.")
        form.addRow(self.personal)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Choose where to save…")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    @classmethod
    def ask(cls, parent: QWidget | None) -> tuple[str, bool] | None:
        """("csv" | "xlsx", include personal data), or None when cancelled."""
        dialog = cls(parent)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return None
        return ("xlsx" if dialog.format.currentIndex() == 1 else "csv", dialog.personal.isChecked())
