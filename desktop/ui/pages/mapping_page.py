"""Step 2, Map: which of the file's columns feeds each template field, and which code each value becomes.

Everything here is visible and reachable by keyboard (issue 15): each template field has its own
drop-down of the file's columns (with a few values of each and which field already uses it),
one Enter picks; a suggestion that needs a check says why on its row, beside a Confirm button;
each column the mapping leaves unused is listed with the field it probably holds and a button
that maps it; "Accept all suggestions" takes every one; Undo and Redo step through every change.
Beside the list: the field guide for the selected field and, for fields whose values can be
converted, the value mapping (each distinct value, how many rows have it, what it becomes and
why), with the kinds of change the user can turn off.

Every change is an operation of the core's ``MappingDraft`` (the same object ``map --set``
drives); the page only shows what the draft says. "Continue" hands the window the draft.
"""

from __future__ import annotations

import datetime as dt
import html
import itertools
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import (
    QIcon,
    QKeyEvent,
    QKeySequence,
    QShortcut,
    QStandardItem,
    QStandardItemModel,
    QWheelEvent,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)
from typing_extensions import override

from desktop.core.draft import ColumnChoice, MappingDraft
from desktop.core.fieldwords import matches
from desktop.core.mapping import ColumnSuggestion, Mapping
from desktop.core.values import KIND_TITLES, KINDS, ValueOptions, ValueRow
from desktop.ui.delegates import SEPARATOR, CodeComboBox
from desktop.ui.guide import FieldGuidePanel
from desktop.ui.theme import icon, name_corner_button
from desktop.validation.codelists import CodeList, CodeLists
from desktop.validation.template import Template

Index = QModelIndex | QPersistentModelIndex
NOT_MAPPED = "— not mapped —"
MAX_VALUES = 500  # distinct values listed per field; more means the column is probably not codes
VALUE_KINDS = ("code", "date", "year", "digits", "integer", "urn", "placement_urn")  # fields value mapping can change

_R = Qt.ItemDataRole


def sentence(text: str) -> str:
    """First letter up, the rest as written (str.capitalize would turn HESA into Hesa)."""
    return text[:1].upper() + text[1:]


def match_text(draft: MappingDraft, field_name: str, hint: ColumnSuggestion | None = None) -> tuple[str, str | None]:
    """What the Match column says about a field, and the icon that goes with it (never colour alone)."""
    m = draft.mapping
    f = draft.template.field(field_name)
    if m.columns.get(field_name) is None:
        if hint is not None:
            lead = "Required: " if f.mandatory else ""
            return f"{lead}'{hint.column}' probably holds it ({hint.reason})", "error" if f.mandatory else "info"
        return ("Required: choose a column", "error") if f.mandatory else ("Not mapped", None)
    reason = sentence(m.reason(field_name))
    others = m.conflicts.get(field_name)
    if m.needs_check(field_name):
        return f"Check: {m.reason(field_name)}", "warning"
    if others:
        return f"{reason}; also like it: {', '.join(repr(o) for o in others)}", "warning"
    return reason, "ok"


class MappingModel(QAbstractTableModel):
    """One row per template field: its column, how it was matched, what to do, and sample values."""

    FIELD, SOURCE, ACTION, SAMPLES, MATCH = range(5)
    HEADERS = ("Template field", "Your column", "", "Sample values", "Match")
    FieldNameRole = _R.UserRole.value + 1  #: template field name of the row
    SearchRole = _R.UserRole.value + 2  #: the column mapped now, for "Find a field"

    mapping_changed = Signal()
    source_changed = Signal(str)  # a template field whose source column changed

    def __init__(self, template: Template, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._template = template
        self._fields = list(template.fields)
        self._mapping = Mapping(template.version, dict.fromkeys(template.names))
        self._draft: MappingDraft | None = None
        self._hints: dict[str, ColumnSuggestion] = {}

    def set_draft(self, draft: MappingDraft) -> None:
        self.beginResetModel()
        self._draft = draft
        self._mapping = draft.mapping
        self._hints = draft.hints()
        self.endResetModel()
        self.mapping_changed.emit()

    @property
    def draft(self) -> MappingDraft | None:
        return self._draft

    def refresh(self) -> None:
        """The draft changed (an edit, undo or redo): show its mapping now."""
        if self._draft is None:
            return
        before = dict(self._mapping.columns)
        self._mapping = self._draft.mapping
        self._hints = self._draft.hints()
        if self.rowCount():
            self.dataChanged.emit(self.index(0, 0), self.index(self.rowCount() - 1, self.columnCount() - 1))
        for name, src in self._mapping.columns.items():
            if before.get(name) != src:
                self.source_changed.emit(name)
        self.mapping_changed.emit()

    @property
    def headers(self) -> list[str]:
        return self._draft.headers if self._draft is not None else []

    def field_name(self, row: int) -> str:
        return self._fields[row].name

    def row_of(self, field_name: str) -> int:
        return next(i for i, f in enumerate(self._fields) if f.name == field_name)

    def source_for(self, field_name: str) -> str | None:
        return self._mapping.columns.get(field_name)

    def mapping(self) -> Mapping:
        return self._mapping

    def set_source_for(self, field_name: str, header: str | None) -> None:
        """The user's choice, made on the draft; a column feeds one field, so it leaves any other field it fed."""
        if self._draft is not None:
            self._draft.set_column(field_name, header)

    def action(self, field_name: str) -> str:
        """What the row's button does: confirm a match, take the column that probably holds it, or nothing."""
        if self._mapping.needs_check(field_name):
            return "Confirm"
        hint = self._hints.get(field_name)
        if self._mapping.columns.get(field_name) is None and hint is not None:
            return f"Use '{hint.column}'"
        return ""

    def do_action(self, field_name: str) -> bool:
        if self._draft is None:
            return False
        if self._mapping.needs_check(field_name):
            return self._draft.confirm(field_name)
        hint = self._hints.get(field_name)
        if hint is not None and self._mapping.columns.get(field_name) is None:
            return self._draft.accept(hint.column)
        return False

    def missing_required(self) -> list[str]:
        return [f.label for f in self._fields if f.mandatory and not self._mapping.columns.get(f.name)]

    def unused_headers(self) -> list[str]:
        return self._draft.unused_columns() if self._draft is not None else []

    def counts(self) -> tuple[int, int]:
        """(fields mapped, suggestions below the sure threshold that the user has not confirmed)."""
        m = self._mapping
        return sum(1 for v in m.columns.values() if v), sum(1 for k in m.columns if m.needs_check(k))

    # ------------------------------------------------------------------ Qt overrides
    @override
    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._fields)

    @override
    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.HEADERS)

    @override
    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if index.column() == self.SOURCE or (index.column() == self.ACTION and self.action(self._fields[index.row()].name)):
            flags |= Qt.ItemFlag.ItemIsEditable
        return flags

    @override
    def data(self, index: Index, role: int = _R.DisplayRole.value) -> Any:
        if not index.isValid():
            return None
        f = self._fields[index.row()]
        col = index.column()
        m = self._mapping
        src = m.columns.get(f.name)
        if role == self.FieldNameRole:
            return f.name
        if role == self.SearchRole:
            return src or ""
        if col == self.FIELD:
            if role == _R.DisplayRole.value:
                return f"{f.label}{' *' if f.mandatory else ''}"
            if role == _R.ToolTipRole.value:
                return f"Template column '{f.name}'" + (" (required)" if f.mandatory else "")
            if role == _R.DecorationRole.value and not src and f.mandatory:
                return icon("error")
            if role == _R.AccessibleTextRole.value:
                return f"{f.label}, {'required' if f.mandatory else 'optional'}"
        elif col == self.SOURCE:
            if role in (_R.DisplayRole.value, _R.AccessibleTextRole.value):
                return src or NOT_MAPPED
            if role == _R.EditRole.value:
                return src or ""
        elif col == self.MATCH and self._draft is not None:
            text, name = match_text(self._draft, f.name, self._hints.get(f.name))
            if role in (_R.DisplayRole.value, _R.AccessibleTextRole.value, _R.ToolTipRole.value):
                return text
            if role == _R.DecorationRole.value:
                return icon(name) if name else None
        elif col == self.ACTION and role in (_R.DisplayRole.value, _R.EditRole.value):
            return self.action(f.name)
        elif col == self.SAMPLES and role in (_R.DisplayRole.value, _R.ToolTipRole.value):
            return ", ".join(self._draft.samples(src)) if src and self._draft is not None else ""
        return None

    @override
    def setData(self, index: Index, value: Any, role: int = _R.EditRole.value) -> bool:
        if not index.isValid() or index.column() != self.SOURCE or role != _R.EditRole.value:
            return False
        text = "" if value is None else str(value)
        header = text if text in self.headers else None
        if text and header is None and text != NOT_MAPPED:
            return False
        self.set_source_for(self._fields[index.row()].name, header)
        return True

    @override
    def headerData(self, section: int, orientation: Qt.Orientation, role: int = _R.DisplayRole.value) -> Any:
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(self.HEADERS):
            if role == _R.DisplayRole.value:
                return self.HEADERS[section]
            if role == _R.AccessibleTextRole.value and section == self.ACTION:
                return "Action"
        return None


class FieldSearchProxy(QSortFilterProxyModel):
    """"Find a field": the same words as the Field guide's search (label, name, HESA name, the wordings
    exports use, the meaning), plus the column mapped now."""

    def __init__(self, template: Template, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._template = template
        self._query = ""

    def set_query(self, text: str) -> None:
        if hasattr(self, "beginFilterChange"):  # Qt 6.10 deprecates invalidateFilter() for this pair
            self.beginFilterChange()
            self._query = text
            self.endFilterChange()
        else:  # pragma: no cover - older Qt
            self._query = text
            self.invalidateFilter()

    @override
    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:
        if not self._query.strip():
            return True
        model = self.sourceModel()
        index = model.index(source_row, 0, source_parent)
        name = index.data(MappingModel.FieldNameRole)
        return matches(self._template, str(name), self._query, str(index.data(MappingModel.SearchRole) or ""))


class SourceCombo(QComboBox):
    """The drop-down of one field: every column of the file with a few of its values and what uses it.

    It changes the mapping only when a column is picked (click, or one Enter in the list): arrow
    keys move to the next field instead of silently changing this one, typing opens the list and
    searches it, and the mouse wheel scrolls the page, not the choice. The list is built when it
    opens (51 full lists rebuilt after every change cost half a second); closed, the drop-down
    holds only its current column.
    """

    chosen = Signal(str, object)  # field, column (None: not mapped)
    step = Signal(str, int)  # field, -1/+1: go to the previous/next field's drop-down

    COLUMN, VALUES, USE = range(3)

    def __init__(self, field_name: str, label: str, choices: Callable[[str], list[tuple[str, str, str, str | None]]],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.field_name = field_name
        self._choices = choices  # field -> [(column, values, use, icon name)] in file order
        self._items = QStandardItemModel(0, 3, self)
        self.setModel(self._items)
        view = QTableView(self)
        view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        view.verticalHeader().setVisible(False)
        view.horizontalHeader().setVisible(False)
        view.setShowGrid(False)
        view.setWordWrap(False)
        view.setAccessibleName(f"Columns of your file for {label}")
        self.setView(view)
        self.setModelColumn(self.COLUMN)
        self.setMaxVisibleItems(16)
        self.setStyleSheet("QComboBox { combobox-popup: 0; }")  # a scrolling list of 16, not the whole screen
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.setMinimumContentsLength(14)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAccessibleName(f"Column for {label}")
        # Qt on Linux reads a combo box's current text as its name (and its label through a relation):
        # the description names the field on every platform
        self.setAccessibleDescription(f"Which column of your file holds {label}")
        self.setToolTip(f"Choose the column of your file that holds {label} (Alt+Down, F4 or Space opens the list).")
        self.activated.connect(self._activated)
        self._current: str | None = None
        self._full = False

    def show_current(self, current: str | None) -> None:
        """Closed, the drop-down shows only the column the field has now."""
        self._current = current
        self._full = False
        self.blockSignals(True)
        self._items.removeRows(0, self._items.rowCount())
        item = QStandardItem(current or NOT_MAPPED)
        item.setData(current or "", _R.UserRole.value)
        self._items.appendRow([item, QStandardItem(""), QStandardItem("")])
        self.setCurrentIndex(0)
        self.blockSignals(False)

    def fill(self) -> None:
        """Every choice: "not mapped", the columns that look like this field, then the others in file order,
        each with a few values and what uses it."""
        if self._full:
            return
        self.blockSignals(True)
        self._items.removeRows(0, self._items.rowCount())
        first = [QStandardItem(NOT_MAPPED), QStandardItem(""), QStandardItem("")]
        first[0].setData("", _R.UserRole.value)
        self._items.appendRow(first)
        for header, values, use, mark in self._choices(self.field_name):
            row = [QStandardItem(header), QStandardItem(values), QStandardItem(use)]
            row[0].setData(header, _R.UserRole.value)
            row[0].setData(f"{header}: {values}; {use}", _R.AccessibleTextRole.value)
            row[0].setToolTip(f"{header}\n{values}\n{use}")
            if mark:
                row[2].setIcon(icon(mark))
            self._items.appendRow(row)
        i = self.findData(self._current or "", _R.UserRole.value)
        self.setCurrentIndex(max(i, 0))
        self.blockSignals(False)
        self._full = True
        view = self.view()
        if isinstance(view, QTableView):
            view.resizeColumnsToContents()
            view.setTextElideMode(Qt.TextElideMode.ElideRight)
            chars = view.fontMetrics().averageCharWidth()
            view.setColumnWidth(self.VALUES, min(view.columnWidth(self.VALUES), chars * 38))  # a glimpse of values
            width = sum(view.columnWidth(c) for c in range(3)) + view.verticalScrollBar().sizeHint().width() + 8
            view.setMinimumWidth(width)

    @override
    def showPopup(self) -> None:
        self.fill()
        super().showPopup()

    def _activated(self, i: int) -> None:
        header = self.itemData(i, _R.UserRole.value) or None
        if header != self._current:
            self.chosen.emit(self.field_name, header)

    @override
    def keyPressEvent(self, e: QKeyEvent) -> None:
        key = e.key()
        plain = not e.modifiers() & (Qt.KeyboardModifier.AltModifier | Qt.KeyboardModifier.ControlModifier)
        if plain and key in (Qt.Key.Key_Up, Qt.Key.Key_Down):
            self.step.emit(self.field_name, -1 if key == Qt.Key.Key_Up else 1)
            return
        if plain and key in (Qt.Key.Key_PageUp, Qt.Key.Key_PageDown, Qt.Key.Key_Home, Qt.Key.Key_End):
            e.ignore()  # never a silent change: the list opens with Alt+Down, F4, Space or Enter
            return
        if plain and key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.showPopup()
            return
        if plain and e.text() and e.text().isprintable() and not e.text().isspace():
            self.showPopup()  # typing searches the open list, it does not pick blind
            view = self.view()
            if view is not None:
                view.keyboardSearch(e.text())
            return
        super().keyPressEvent(e)

    @override
    def wheelEvent(self, e: QWheelEvent) -> None:
        e.ignore()  # the page scrolls; a choice changes only when the user picks one


class SourceColumnDelegate(QStyledItemDelegate):
    """Puts a ``SourceCombo`` on every row (a persistent editor: always there, always visible)."""

    def __init__(self, page: MappingPage) -> None:
        super().__init__(page.table)
        self._page = page

    @override
    def createEditor(self, parent: QWidget, option: QStyleOptionViewItem, index: Index) -> QWidget:
        name = str(index.data(MappingModel.FieldNameRole))
        combo = SourceCombo(name, self._page.template.field(name).label, self._page.choices_for, parent)
        combo.chosen.connect(self._page.choose_column)
        combo.step.connect(self._page.step_from)
        combo.installEventFilter(self._page)
        return combo

    @override
    def setEditorData(self, editor: QWidget, index: Index) -> None:
        if isinstance(editor, SourceCombo):
            editor.show_current(index.data(_R.EditRole.value) or None)

    @override
    def setModelData(self, editor: QWidget, model: Any, index: Index) -> None:
        pass  # the combo changes the draft itself when a column is picked

    @override
    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        return False  # no commit on Tab or focus-out: Tab moves focus as anywhere else

    @override
    def updateEditorGeometry(self, editor: QWidget, option: QStyleOptionViewItem, index: Index) -> None:
        editor.setGeometry(option.rect)


class ActionDelegate(QStyledItemDelegate):
    """The row's button: "Confirm" an uncertain match, or "Use 'Class'" for a field with no column."""

    def __init__(self, page: MappingPage) -> None:
        super().__init__(page.table)
        self._page = page

    @override
    def createEditor(self, parent: QWidget, option: QStyleOptionViewItem, index: Index) -> QWidget:
        name = str(index.data(MappingModel.FieldNameRole))
        button = QPushButton(parent)
        button.setAutoDefault(False)
        button.clicked.connect(lambda _checked=False, n=name: self._page.row_action(n))
        button.installEventFilter(self._page)
        self.setEditorData(button, index)
        return button

    @override
    def setEditorData(self, editor: QWidget, index: Index) -> None:
        if isinstance(editor, QPushButton):
            text = str(index.data(_R.DisplayRole.value) or "")
            name = str(index.data(MappingModel.FieldNameRole))
            label = self._page.template.field(name).label
            editor.setText(text)
            editor.setIcon(icon("ok") if text == "Confirm" else icon("info"))
            editor.setAccessibleName(f"{text} for {label}")
            editor.setToolTip("The suggested column is right: stop asking." if text == "Confirm"
                              else "Map this column to the field.")

    @override
    def setModelData(self, editor: QWidget, model: Any, index: Index) -> None:
        pass

    @override
    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        return False

    @override
    def updateEditorGeometry(self, editor: QWidget, option: QStyleOptionViewItem, index: Index) -> None:
        editor.setGeometry(option.rect)


class ValueMapModel(QAbstractTableModel):
    """Distinct values of one field's source column, how many rows have each, and what each becomes."""

    VALUE, ROWS, BECOMES, HOW = range(4)
    HEADERS = ("In your file", "Rows", "Becomes", "How")

    user_value = Signal(str, str, object)  # field, source value, code (None: back to automatic)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._field = ""
        self._rows: list[ValueRow] = []
        self._code_list: CodeList | None = None
        self.truncated = 0

    def set_rows(self, field_name: str, code_list: CodeList | None, rows: list[ValueRow]) -> None:
        self.beginResetModel()
        self._field = field_name
        self._code_list = code_list
        self.truncated = max(0, len(rows) - MAX_VALUES)
        self._rows = rows[:MAX_VALUES]
        self.endResetModel()

    @property
    def field_name(self) -> str:
        return self._field

    @property
    def code_list(self) -> CodeList | None:
        return self._code_list

    def unknown(self) -> tuple[int, int]:
        """(distinct values, rows) that will still not be acceptable."""
        bad = [r for r in self._rows if not r.valid]
        return len(bad), sum(r.count for r in bad)

    def changed(self) -> tuple[int, int]:
        done = [r for r in self._rows if r.kind is not None]
        return len(done), sum(r.count for r in done)

    @override
    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    @override
    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.HEADERS)

    @override
    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if index.column() == self.BECOMES and self._code_list is not None:
            flags |= Qt.ItemFlag.ItemIsEditable
        return flags

    @override
    def data(self, index: Index, role: int = _R.DisplayRole.value) -> Any:
        if not index.isValid():
            return None
        r = self._rows[index.row()]
        col = index.column()
        if col == self.VALUE and role in (_R.DisplayRole.value, _R.AccessibleTextRole.value):
            return r.source or "(blank)"
        if col == self.ROWS:
            if role == _R.DisplayRole.value:
                return f"{r.count:,}"
            if role == _R.TextAlignmentRole.value:
                return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if col == self.BECOMES:
            if role in (_R.DisplayRole.value, _R.AccessibleTextRole.value):
                if not r.target:
                    return "(blank)"
                return f"{r.target}{SEPARATOR}{r.label}" if r.label else r.target
            if role == _R.EditRole.value:
                return r.target
            if role == _R.DecorationRole.value and not r.valid:
                return icon("error")
        if col == self.HOW:
            if not r.valid:
                text, name = ("Not a code: choose one" if self._code_list is not None else "Cannot be read"), "error"
            elif r.kind == "user":
                text, name = "Your value map", "ok"
            elif r.kind is not None:
                text, name = f"{sentence(KIND_TITLES.get(r.kind, r.kind))}: {r.reason}", "info"
            else:
                text, name = "Kept as it is", "ok"
            if role in (_R.DisplayRole.value, _R.AccessibleTextRole.value, _R.ToolTipRole.value):
                return text
            if role == _R.DecorationRole.value:
                return icon(name)
        return None

    @override
    def setData(self, index: Index, value: Any, role: int = _R.EditRole.value) -> bool:
        if not index.isValid() or index.column() != self.BECOMES or role != _R.EditRole.value:
            return False
        r = self._rows[index.row()]
        code = str(value).strip()
        self.user_value.emit(self._field, r.source, code if code and code != r.source else None)
        return True

    @override
    def headerData(self, section: int, orientation: Qt.Orientation, role: int = _R.DisplayRole.value) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == _R.DisplayRole.value and 0 <= section < len(self.HEADERS):
            return self.HEADERS[section]
        return None


class ValueCodeDelegate(QStyledItemDelegate):
    def __init__(self, model: ValueMapModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._model = model

    @override
    def createEditor(self, parent: QWidget, option: QStyleOptionViewItem, index: Index) -> QWidget:
        assert self._model.code_list is not None
        return CodeComboBox(self._model.code_list, parent)

    @override
    def setEditorData(self, editor: QWidget, index: Index) -> None:
        assert isinstance(editor, CodeComboBox)
        editor.set_code(str(index.data(_R.EditRole.value) or ""))

    @override
    def setModelData(self, editor: QWidget, model: Any, index: Index) -> None:
        assert isinstance(editor, CodeComboBox)
        model.setData(index, editor.code(), _R.EditRole.value)


class MappingPage(QWidget):
    continue_requested = Signal()
    save_profile_requested = Signal()
    code_list_requested = Signal(str)
    sheet_changed = Signal(str)
    history_changed = Signal()  # the draft's undo/redo state changed (the window's Edit menu follows)

    def __init__(self, template: Template, code_lists: CodeLists, today: Callable[[], dt.date],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.template = template
        self._code_lists = code_lists
        self._today = today
        self._draft: MappingDraft | None = None
        self._choices: list[ColumnChoice] = []
        self.model = MappingModel(template, self)
        self.model.mapping_changed.connect(self._update_summary)
        self.model.source_changed.connect(self._source_changed)

        layout = QVBoxLayout(self)
        sheet_row = QHBoxLayout()
        self.sheet_label = QLabel("&Sheet:")
        self.sheet_combo = QComboBox()
        self.sheet_combo.setAccessibleName("Sheet")
        self.sheet_label.setBuddy(self.sheet_combo)
        self.sheet_combo.activated.connect(lambda i: self.sheet_changed.emit(self.sheet_combo.itemText(i)))
        sheet_row.addWidget(self.sheet_label)
        sheet_row.addWidget(self.sheet_combo)
        sheet_row.addStretch(1)
        layout.addLayout(sheet_row)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.summary.setAccessibleName("Mapping summary")
        layout.addWidget(self.summary)

        tools = QHBoxLayout()
        sp = QStyle.StandardPixmap
        self.undo_button = QPushButton(QIcon.fromTheme("edit-undo", self.style().standardIcon(sp.SP_ArrowBack)), "&Undo")
        self.undo_button.setAccessibleName("Undo the last mapping change")
        self.undo_button.clicked.connect(self.undo)
        self.redo_button = QPushButton(QIcon.fromTheme("edit-redo", self.style().standardIcon(sp.SP_ArrowForward)),
                                       "Re&do")
        self.redo_button.setAccessibleName("Redo the mapping change")
        self.redo_button.clicked.connect(self.redo)
        self.accept_all_button = QPushButton(icon("ok"), "&Accept all suggestions")
        self.accept_all_button.setToolTip("Confirm every match marked Check and map every unused column to the field "
                                          "it looks like. One step: Undo puts it back.")
        self.accept_all_button.clicked.connect(self.accept_all)
        search_label = QLabel("&Find a field:")
        self.search = QLineEdit()
        self.search.setPlaceholderText("A field, a column, or what your system calls it (Class, Gender…)")
        self.search.setClearButtonEnabled(True)
        self.search.setAccessibleName("Find a field")
        search_label.setBuddy(self.search)
        for w in (self.undo_button, self.redo_button, self.accept_all_button):
            w.setAutoDefault(False)
            tools.addWidget(w)
        tools.addSpacing(16)
        tools.addWidget(search_label)
        tools.addWidget(self.search, 1)
        layout.addLayout(tools)

        self.unused_box = QGroupBox("Columns of your file not used")
        self.unused_box.setAccessibleName("Columns of your file not used")
        unused_layout = QVBoxLayout(self.unused_box)
        unused_layout.setContentsMargins(6, 4, 6, 6)
        self.unused = QTableWidget(0, 4)
        self.unused.setHorizontalHeaderLabels(["Your column", "Values", "What it probably holds", ""])
        self.unused.setAccessibleName("Unused columns and what each probably holds")
        self.unused.verticalHeader().setVisible(False)
        self.unused.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.unused.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.unused.setTabKeyNavigation(False)
        self.unused.setWordWrap(False)
        self.unused.horizontalHeader().setStretchLastSection(False)
        unused_layout.addWidget(self.unused)
        layout.addWidget(self.unused_box)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        self.proxy = FieldSearchProxy(template, self)
        self.proxy.setSourceModel(self.model)
        self.search.textChanged.connect(self._search_changed)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setAccessibleName("Column mapping")
        name_corner_button(self.table)
        self.source_delegate = SourceColumnDelegate(self)
        self.action_delegate = ActionDelegate(self)
        self.table.setItemDelegateForColumn(MappingModel.SOURCE, self.source_delegate)
        self.table.setItemDelegateForColumn(MappingModel.ACTION, self.action_delegate)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)  # the drop-downs are always there
        self.table.setTabKeyNavigation(False)  # Tab goes from one drop-down or button to the next
        self.table.setWordWrap(False)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        probe_combo, probe_button = QComboBox(), QPushButton("Confirm")
        row_height = max(probe_combo.sizeHint().height(), probe_button.sizeHint().height(),
                         self.table.fontMetrics().height() + 10) + 2
        probe_combo.deleteLater()
        probe_button.deleteLater()
        self.table.verticalHeader().setDefaultSectionSize(row_height)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(False)  # the Match column is as wide as its longest reason, at least
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self.table.installEventFilter(self)
        self.table.selectionModel().currentRowChanged.connect(self._current_changed)
        self.proxy.modelReset.connect(self._sync_row_widgets)
        self.proxy.layoutChanged.connect(self._sync_row_widgets)
        self.proxy.rowsInserted.connect(self._sync_row_widgets)
        splitter.addWidget(self.table)

        self.side = QTabWidget()
        self.side.setAccessibleName("About the selected field")
        self.guide = FieldGuidePanel(template, code_lists)
        self.guide.code_list_requested.connect(self.code_list_requested)
        self.side.addTab(self.guide, "Field &guide")
        self.values_box = QWidget()
        vlay = QVBoxLayout(self.values_box)
        vlay.setContentsMargins(4, 4, 4, 4)
        self.values_intro = QLabel()
        self.values_intro.setWordWrap(True)
        self.values_intro.setTextFormat(Qt.TextFormat.RichText)
        vlay.addWidget(self.values_intro)
        self.value_model = ValueMapModel(self)
        self.value_model.user_value.connect(self.set_user_value)
        self.values = QTableView()
        self.values.setModel(self.value_model)
        self.values.setAccessibleName("Value mapping")
        name_corner_button(self.values)
        self.values.setItemDelegateForColumn(ValueMapModel.BECOMES, ValueCodeDelegate(self.value_model, self.values))
        self.values.verticalHeader().setVisible(False)
        self.values.horizontalHeader().setStretchLastSection(True)
        for col, width in ((0, 140), (1, 60), (2, 200)):
            self.values.setColumnWidth(col, width)
        self.values.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked | QAbstractItemView.EditTrigger.EditKeyPressed
                                    | QAbstractItemView.EditTrigger.AnyKeyPressed)
        vlay.addWidget(self.values, 1)
        kinds_box = QGroupBox("Changes the app may make to values")
        kinds_layout = QVBoxLayout(kinds_box)
        self.kind_boxes: dict[str, QCheckBox] = {}
        for kind in KINDS:
            box = QCheckBox(sentence(KIND_TITLES[kind]))
            box.setChecked(True)
            box.toggled.connect(lambda on, k=kind: self.set_kind_enabled(k, on))
            kinds_layout.addWidget(box)
            self.kind_boxes[kind] = box
        vlay.addWidget(kinds_box)
        self.side.addTab(self.values_box, "&Values")
        splitter.addWidget(self.side)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        self.splitter = splitter
        layout.addWidget(splitter, 1)

        buttons = QHBoxLayout()
        self.profile_button = QPushButton("Save as &profile…")
        self.profile_button.setToolTip("Give this mapping a name to share it. (It is remembered for files with these "
                                       "columns anyway when you continue.)")
        self.profile_button.clicked.connect(self.save_profile_requested)
        buttons.addWidget(self.profile_button)
        buttons.addStretch(1)
        self.continue_button = QPushButton("&Continue to review")
        self.continue_button.setDefault(True)
        self.continue_button.setAutoDefault(True)
        self.continue_button.setToolTip("Check every row with this mapping (Ctrl+Enter)")
        self.continue_button.clicked.connect(self.continue_requested)
        buttons.addWidget(self.continue_button)
        layout.addLayout(buttons)
        QShortcut(QKeySequence("Ctrl+Return"), self, self.continue_requested.emit)
        self._update_history()

    # ------------------------------------------------------------------ state
    def set_draft(self, draft: MappingDraft, samples: dict[str, list[str]] | None = None) -> None:
        """Show (and from now on change) ``draft``: a newly read file, or the same one read again."""
        if self._draft is not None:
            self._draft.unsubscribe(self._draft_changed)
        self._draft = draft
        draft.subscribe(self._draft_changed)
        raw = draft.raw
        self.search.blockSignals(True)
        self.search.clear()  # a search typed for the last file does not hide this file's fields
        self.proxy.set_query("")
        self.search.blockSignals(False)
        self._choices = draft.column_choices()
        self._sync_kind_boxes()
        self.sheet_combo.clear()
        self.sheet_combo.addItems(raw.sheets)
        if raw.sheet:
            self.sheet_combo.setCurrentText(raw.sheet)
        many = len(raw.sheets) > 1
        self.sheet_label.setVisible(many)
        self.sheet_combo.setVisible(many)
        self.model.set_draft(draft)
        self._fill_unused()
        self._fit_columns()
        width = max(self.window().width() - 40, 900)
        self.splitter.setSizes([width * 64 // 100, width * 36 // 100])
        self.table.selectRow(0)
        self._current_changed(self.proxy.index(0, 0), QModelIndex())
        self._update_history()

    @property
    def draft(self) -> MappingDraft | None:
        return self._draft

    def mapping(self) -> Mapping:
        return self._draft.mapping if self._draft is not None else self.model.mapping()

    def options(self) -> ValueOptions:
        return self._draft.options if self._draft is not None else ValueOptions()

    def _draft_changed(self) -> None:
        assert self._draft is not None
        self._choices = self._draft.column_choices()
        self.model.refresh()
        self._sync_row_widgets()
        self._fill_unused()
        self._sync_kind_boxes()
        self._fit_columns(grow_only=True)
        if self.value_model.field_name or self.guide.field_name:
            self._show_values(self.value_model.field_name or self.guide.field_name or "")
        self._update_summary()
        self._update_history()

    def _sync_kind_boxes(self) -> None:
        options = self.options()
        for kind, box in self.kind_boxes.items():
            box.blockSignals(True)
            box.setChecked(options.enabled(kind))
            box.blockSignals(False)

    # ------------------------------------------------------------------ operations (all on the draft)
    def choose_column(self, field_name: str, column: str | None) -> None:
        if self._draft is not None:
            self._draft.set_column(field_name, column)
            self.select_field(field_name, focus=False)

    def row_action(self, field_name: str) -> None:
        self.model.do_action(field_name)
        self.select_field(field_name, focus=False)

    def accept_column(self, column: str) -> None:
        if self._draft is not None:
            s = self._draft.suggestion_for(column)
            if self._draft.accept(column) and s is not None and s.field:
                self.select_field(s.field, focus=False)

    def accept_all(self) -> int:
        return self._draft.accept_all() if self._draft is not None else 0

    def undo(self) -> bool:
        return self._draft.undo() if self._draft is not None else False

    def redo(self) -> bool:
        return self._draft.redo() if self._draft is not None else False

    def set_user_value(self, field_name: str, source: str, code: str | None) -> None:
        if self._draft is not None:
            self._draft.set_user_value(field_name, source, code)

    def set_kind_enabled(self, kind: str, on: bool) -> None:
        if self._draft is not None:
            self._draft.set_kind_enabled(kind, on)

    def value_rows(self, field_name: str) -> list[ValueRow]:
        return self._draft.value_rows(field_name) if self._draft is not None else []

    def _update_history(self) -> None:
        d = self._draft
        self.undo_button.setEnabled(bool(d and d.can_undo))
        self.redo_button.setEnabled(bool(d and d.can_redo))
        self.undo_button.setToolTip(f"Undo: {d.undo_text} (Ctrl+Z)" if d and d.can_undo else "Nothing to undo")
        self.redo_button.setToolTip(f"Redo: {d.redo_text} (Ctrl+Y)" if d and d.can_redo else "Nothing to redo")
        pending = d.pending() if d else 0
        self.accept_all_button.setEnabled(pending > 0)
        self.accept_all_button.setText(f"&Accept all suggestions ({pending})" if pending else "&Accept all suggestions")
        self.history_changed.emit()

    # ------------------------------------------------------------------ row widgets
    def choices_for(self, field_name: str) -> list[tuple[str, str, str, str | None]]:
        """The rows of a field's drop-down: (column, its values, what uses it, icon)."""
        if self._draft is None:
            return []
        likely = {s.column for s in self._draft.suggestions() if s.field == field_name}
        out: list[tuple[str, str, str, str | None]] = []
        for c in self._choices:
            values = ", ".join(c.samples) if c.samples else "(empty)"
            if c.used_by == field_name:
                out.append((c.header, values, "used here", "ok"))
            elif c.used_by:
                out.append((c.header, values, f"used for {self.template.field(c.used_by).label}", "info"))
            elif c.header in likely:
                out.append((c.header, values, "★ looks like this field", "ok"))
            else:
                out.append((c.header, values, "not used", None))
        # the columns that look like this field first, then the file's order
        return sorted(out, key=lambda row: row[2] != "★ looks like this field")

    def _sync_row_widgets(self, *_: object) -> None:
        """Every visible row has its drop-down; rows with something to do have their button."""
        for r in range(self.proxy.rowCount()):
            self.table.openPersistentEditor(self.proxy.index(r, MappingModel.SOURCE))
            action = self.proxy.index(r, MappingModel.ACTION)
            has = bool(action.data(_R.DisplayRole.value))
            if has and not self.table.isPersistentEditorOpen(action):
                self.table.openPersistentEditor(action)
            elif not has and self.table.isPersistentEditorOpen(action):
                self.table.closePersistentEditor(action)
        self._set_tab_order()

    def combo_for(self, field_name: str) -> SourceCombo | None:
        row = self.proxy.mapFromSource(self.model.index(self.model.row_of(field_name), MappingModel.SOURCE))
        w = self.table.indexWidget(row) if row.isValid() else None
        return w if isinstance(w, SourceCombo) else None

    def action_button(self, field_name: str) -> QPushButton | None:
        row = self.proxy.mapFromSource(self.model.index(self.model.row_of(field_name), MappingModel.ACTION))
        w = self.table.indexWidget(row) if row.isValid() else None
        return w if isinstance(w, QPushButton) else None

    def _set_tab_order(self) -> None:
        """Focus follows the page from top to bottom: tools, unused columns, each field's drop-down and
        button in turn, then the side panel and Continue."""
        chain: list[QWidget] = [self.undo_button, self.redo_button, self.accept_all_button, self.search]
        for r in range(self.unused.rowCount()):
            w = self.unused.cellWidget(r, 3)
            if w is not None:
                chain.append(w)
        chain.append(self.table)
        for r in range(self.proxy.rowCount()):
            for col in (MappingModel.SOURCE, MappingModel.ACTION):
                w = self.table.indexWidget(self.proxy.index(r, col))
                if w is not None:
                    chain.append(w)
        chain += [self.side, self.profile_button, self.continue_button]
        for a, b in itertools.pairwise(chain):
            QWidget.setTabOrder(a, b)

    def step_from(self, field_name: str, delta: int) -> None:
        """Up/Down in a drop-down: the previous/next field's drop-down."""
        src = self.proxy.mapFromSource(self.model.index(self.model.row_of(field_name), 0)).row()
        target = src + delta
        if 0 <= target < self.proxy.rowCount():
            name = self.proxy.index(target, 0).data(MappingModel.FieldNameRole)
            self.select_field(str(name))

    @override
    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if obj is self.table and event.type() == QEvent.Type.Resize:
            self._fit_match()
            return False
        if event.type() == QEvent.Type.FocusIn and isinstance(obj, QWidget):
            # the drop-down or button of a row has focus: that row is the current field (guide, values)
            for r in range(self.proxy.rowCount()):
                for col in (MappingModel.SOURCE, MappingModel.ACTION):
                    if self.table.indexWidget(self.proxy.index(r, col)) is obj:
                        if self.table.currentIndex().row() != r:
                            self.table.selectRow(r)
                        return False
        return False

    def _fit_columns(self, grow_only: bool = False) -> None:
        """Columns as wide as their text (the Match column's reasons are never cut), from the texts and
        the row widgets' own size hints (``sizeHintForColumn`` asks every cell every role: too slow to
        do after each change)."""
        header = self.table.horizontalHeader()
        fm = self.table.fontMetrics()
        icon_room = max(self.table.iconSize().width(), fm.height()) + 8
        rows = range(self.proxy.rowCount())
        texts = [str(self.proxy.index(r, MappingModel.FIELD).data() or "") for r in rows]
        wanted = {MappingModel.FIELD: max([0, *(fm.horizontalAdvance(t) for t in texts)]) + icon_room + 16,
                  MappingModel.SAMPLES: fm.averageCharWidth() * 26}  # a glimpse: the drop-down shows more
        widgets = [w for r in rows if (w := self.table.indexWidget(self.proxy.index(r, MappingModel.ACTION))) is not None]
        wanted[MappingModel.ACTION] = max([fm.horizontalAdvance("Confirm") + icon_room + 24,
                                           *(w.sizeHint().width() for w in widgets)])
        # the drop-downs show the longest column name of the file (up to 32 characters), arrow included
        names = [c.header for c in self._choices] + [NOT_MAPPED]
        arrow = self.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent) + 24
        wanted[MappingModel.SOURCE] = min(max(fm.horizontalAdvance(n) for n in names),
                                          fm.averageCharWidth() * 32) + arrow
        for col, want in wanted.items():
            want = max(want, fm.horizontalAdvance(str(self.model.HEADERS[col])) + 24)
            if not grow_only or want > header.sectionSize(col):
                header.resizeSection(col, want)
        self._fit_match()

    def _fit_match(self) -> None:
        """The last column: its longest reason, or the rest of the table's width if that is more."""
        header = self.table.horizontalHeader()
        fm = self.table.fontMetrics()
        icon_room = max(self.table.iconSize().width(), fm.height()) + 8
        texts = [str(self.proxy.index(r, MappingModel.MATCH).data() or "") for r in range(self.proxy.rowCount())]
        longest = max([0, *(fm.horizontalAdvance(t) for t in texts)]) + icon_room + 16
        used = sum(header.sectionSize(c) for c in range(MappingModel.MATCH))
        header.resizeSection(MappingModel.MATCH, max(longest, self.table.viewport().width() - used))

    # ------------------------------------------------------------------ unused columns
    def _fill_unused(self) -> None:
        d = self._draft
        suggestions = d.suggestions() if d is not None else []
        t = self.unused
        t.setRowCount(0)
        order = sorted(suggestions, key=lambda s: (s.field is None, s.taken_by is not None, -s.score))
        t.setRowCount(len(order))
        for r, s in enumerate(order):
            t.setItem(r, 0, QTableWidgetItem(s.column))
            t.setItem(r, 1, QTableWidgetItem(", ".join(s.examples) if s.examples else "(empty)"))
            if s.field is None:
                what = "Nothing in the template looks like it: it is not sent."
                mark = "info"
            else:
                label = self.template.field(s.field).label
                what = f"{label}: {s.reason}" + (f" ('{s.taken_by}' is used for it now)" if s.taken_by else "")
                mark = "warning" if s.taken_by else "ok"
            item = QTableWidgetItem(icon(mark), what)
            item.setToolTip(what)
            t.setItem(r, 2, item)
            if s.field is not None:
                label = self.template.field(s.field).label
                text = f"Use for {label} instead" if s.taken_by else f"Map to {label}"
                button = QPushButton(text)
                button.setAutoDefault(False)
                button.setAccessibleName(f"{text}: the column '{s.column}'")
                button.clicked.connect(lambda _checked=False, c=s.column: self.accept_column(c))
                t.setCellWidget(r, 3, button)
        t.resizeColumnsToContents()
        rows = min(len(order), 5)
        height = t.horizontalHeader().sizeHint().height() + 4 + sum(t.rowHeight(r) for r in range(rows))
        t.setFixedHeight(height + (t.horizontalScrollBar().sizeHint().height() if rows else 0))
        n_likely = sum(1 for s in order if s.field is not None and s.taken_by is None)
        self.unused_box.setTitle(f"Columns of your file not used ({len(order)})"
                                 + (f": {n_likely} look like a field with no column" if n_likely else ""))
        self.unused_box.setVisible(bool(order))
        self._set_tab_order()

    # ------------------------------------------------------------------ other
    def set_code_lists(self, code_lists: CodeLists) -> None:
        """Reference data refreshed from Register: suggestions, value mapping and the guide use it from now on."""
        self._code_lists = code_lists
        self.guide.set_sources(self.template, code_lists)

    def set_busy(self, busy: bool) -> None:
        for w in (self.table, self.values_box, self.continue_button, self.unused_box, self.undo_button,
                  self.redo_button, self.accept_all_button):
            w.setEnabled(not busy)
        if not busy:
            self._update_history()

    def select_field(self, field_name: str, *, focus: bool = True) -> None:
        index = self.proxy.mapFromSource(self.model.index(self.model.row_of(field_name), 0))
        if not index.isValid():  # hidden by the search: show every field again
            self.search.clear()
            index = self.proxy.mapFromSource(self.model.index(self.model.row_of(field_name), 0))
        if index.isValid():
            self.table.selectRow(index.row())
            self.table.scrollTo(index)
            combo = self.combo_for(field_name)
            if focus and combo is not None:
                combo.setFocus(Qt.FocusReason.OtherFocusReason)

    def _search_changed(self, text: str) -> None:
        self.proxy.set_query(text)
        self._sync_row_widgets()

    # ------------------------------------------------------------------ slots
    def _current_changed(self, current: QModelIndex, previous: QModelIndex) -> None:
        if not current.isValid():
            return
        name = current.data(MappingModel.FieldNameRole)
        if name:
            self.guide.show_field(name)
            self._show_values(name)

    def _source_changed(self, field_name: str) -> None:
        if self.value_model.field_name == field_name or self.guide.field_name == field_name:
            self._show_values(field_name)

    def _show_values(self, field_name: str) -> None:
        if not field_name:
            return
        f = self.template.field(field_name)
        src = self.model.source_for(field_name)
        tab = self.side.indexOf(self.values_box)
        if f.kind not in VALUE_KINDS or not src:
            self.value_model.set_rows("", None, [])
            why = "its values are taken as they are" if f.kind not in VALUE_KINDS else "no column is mapped to it"
            self.values_intro.setText(f"{html.escape(f.label)}: {why}.")
            self.side.setTabEnabled(tab, f.kind in VALUE_KINDS)
            return
        self.side.setTabEnabled(tab, True)
        code_list = self._code_lists.for_field(field_name) if f.kind == "code" else None
        self.value_model.set_rows(field_name, code_list, self.value_rows(field_name))
        bad, bad_rows = self.value_model.unknown()
        changed, changed_rows = self.value_model.changed()
        text = f"Each value in '{html.escape(src)}' and what it becomes in {html.escape(f.label)}. "
        if code_list is not None:
            text += "Double-click <i>Becomes</i> to choose the code yourself. "
        if changed:
            text += f"{changed} value(s) in {changed_rows:,} row(s) will be changed, each shown in the review. "
        if bad:
            text += f"<b>{bad} value(s) in {bad_rows:,} row(s) cannot be used as they are</b> and will be flagged."
        elif self.value_model.rowCount():
            text += "Every value can be used."
        if self.value_model.truncated:
            text += f" ({self.value_model.truncated:,} rarer values not listed.)"
        self.values_intro.setText(text)

    def _update_summary(self) -> None:
        mapped, unsure = self.model.counts()
        missing = self.model.missing_required()
        unused = self.model.unused_headers()
        total = self.model.rowCount()
        mapping = self.model.mapping()
        hints = self._draft.hints() if self._draft is not None else {}
        parts = []
        if mapping.origin == "profile" and mapping.profile_name:
            parts.append(f"Mapped with your saved profile <b>{html.escape(mapping.profile_name)}</b>.")
        if mapped == total and not unsure and not unused:
            parts.append(f"<b>All {total} template columns were found.</b> Check and continue.")
        else:
            parts.append(f"<b>{mapped} of {total}</b> template fields have a column.")
        if unsure:
            parts.append(f"{unsure} match{'es' if unsure != 1 else ''} to confirm (marked <i>Check</i>, with a "
                         "Confirm button).")
        if missing:
            parts.append(f"<b>Required but not mapped:</b> {html.escape(', '.join(missing))}.")
        if hints:
            shown = ", ".join(f"'{s.column}' → {self.template.field(name).label}" for name, s in hints.items())
            parts.append(f"<b>Suggested:</b> {html.escape(shown, quote=False)}.")
        elif unused:
            parts.append(f"{len(unused)} column{'s' if len(unused) != 1 else ''} of your file "
                         f"{'are' if len(unused) != 1 else 'is'} not used (listed below).")
        for note in mapping.notes:
            parts.append(f"<br>{html.escape(note)}")
        self.summary.setText(" ".join(parts))
