"""Step 2, Map: which of the file's columns feeds each template field, and which code each value becomes.

Left: the 51 template fields with the chosen source column (a searchable drop-down), how sure
the suggestion is, and sample values. Right: the field guide for the selected field and, for
fields whose values can be converted, the value mapping (each distinct value in the file, how
many rows have it, what it becomes and why — the core's ``ValueMapper``), with the kinds of
change the user can turn off. Every change is an operation of the core's ``MappingDraft`` (the
same object ``map --set`` drives); the page shows what the draft says. "Continue" hands the
window the draft's ``Mapping`` and ``ValueOptions``, and the window validates in the background.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QCompleter,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)
from typing_extensions import override

from desktop.core.draft import MappingDraft
from desktop.core.mapping import METHOD_TITLES, Mapping
from desktop.core.values import KIND_TITLES, KINDS, ValueOptions, ValueRow
from desktop.ui.delegates import SEPARATOR, CodeComboBox, ContainsFilterProxy
from desktop.ui.guide import FieldGuidePanel
from desktop.ui.theme import icon, name_corner_button
from desktop.validation.codelists import CodeList, CodeLists
from desktop.validation.template import Template

Index = QModelIndex | QPersistentModelIndex
NOT_MAPPED = "— not mapped —"
MAX_VALUES = 500  # distinct values listed per field; more means the column is probably not codes
VALUE_KINDS = ("code", "date", "year", "digits", "integer", "urn", "placement_urn")  # fields value mapping can change

_R = Qt.ItemDataRole


def match_text(mapping: Mapping, field_name: str) -> str:
    method = mapping.method.get(field_name, "exact")
    if method == "user":
        return "Chosen by you"
    if method == "exact":
        return "Template header"
    pct = round(mapping.confidence.get(field_name, 1.0) * 100)
    return f"{sentence(METHOD_TITLES.get(method, method))} ({pct}%)"


def sentence(text: str) -> str:
    """First letter up, the rest as written (str.capitalize would turn HESA into Hesa)."""
    return text[:1].upper() + text[1:]


class MappingModel(QAbstractTableModel):
    FIELD, SOURCE, MATCH, SAMPLES = range(4)
    HEADERS = ("Template field", "Your column", "Match", "Sample values")
    FieldNameRole = _R.UserRole.value + 1  #: template field name of the row

    mapping_changed = Signal()
    source_changed = Signal(str)  # a template field whose source column changed

    def __init__(self, template: Template, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._template = template
        self._fields = list(template.fields)
        self._mapping = Mapping(template.version, dict.fromkeys(template.names))
        self._draft: MappingDraft | None = None
        self._headers: list[str] = []
        self._samples: dict[str, list[str]] = {}

    def set_draft(self, draft: MappingDraft, samples: dict[str, list[str]]) -> None:
        self.beginResetModel()
        self._draft = draft
        self._headers = list(draft.raw.headers)
        self._samples = samples
        self._mapping = draft.mapping
        self.endResetModel()
        self.mapping_changed.emit()

    def refresh(self) -> None:
        """The draft changed (an edit, undo or redo): show its mapping now."""
        if self._draft is None:
            return
        before = dict(self._mapping.columns)
        self._mapping = self._draft.mapping
        if self.rowCount():
            self.dataChanged.emit(self.index(0, 0), self.index(self.rowCount() - 1, self.columnCount() - 1))
        for name, src in self._mapping.columns.items():
            if before.get(name) != src:
                self.source_changed.emit(name)
        self.mapping_changed.emit()

    @property
    def headers(self) -> list[str]:
        return self._headers

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

    def missing_required(self) -> list[str]:
        return [f.label for f in self._fields if f.mandatory and not self._mapping.columns.get(f.name)]

    def unused_headers(self) -> list[str]:
        used = self._mapping.sources
        return [h for h in self._headers if h and h not in used]

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
        if index.column() == self.SOURCE:
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
            if role == _R.ToolTipRole.value:
                return "Double-click (or F2) to choose the column; type to search."
        elif col == self.MATCH:
            if role in (_R.DisplayRole.value, _R.AccessibleTextRole.value):
                if not src:
                    return "Required: choose a column" if f.mandatory else "Not mapped"
                return match_text(m, f.name)
            if role == _R.ToolTipRole.value:
                others = m.conflicts.get(f.name)
                return f"Other columns looked like this field too: {', '.join(others)}" if others else None
            if role == _R.DecorationRole.value:
                if not src:
                    return icon("error") if f.mandatory else None
                if m.conflicts.get(f.name):
                    return icon("warning")
                return icon("warning") if m.needs_check(f.name) else icon("ok")
        elif col == self.SAMPLES and role in (_R.DisplayRole.value, _R.ToolTipRole.value):
            return ", ".join(self._samples.get(src, [])) if src else ""
        return None

    @override
    def setData(self, index: Index, value: Any, role: int = _R.EditRole.value) -> bool:
        if not index.isValid() or index.column() != self.SOURCE or role != _R.EditRole.value:
            return False
        text = "" if value is None else str(value)
        header = text if text in self._headers else None
        if text and header is None and text != NOT_MAPPED:
            return False
        self.set_source_for(self._fields[index.row()].name, header)
        return True

    @override
    def headerData(self, section: int, orientation: Qt.Orientation, role: int = _R.DisplayRole.value) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == _R.DisplayRole.value and 0 <= section < len(self.HEADERS):
            return self.HEADERS[section]
        return None


class SourceColumnDelegate(QStyledItemDelegate):
    """A searchable drop-down of the file's headers (and "not mapped")."""

    def __init__(self, model: MappingModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._model = model

    @override
    def createEditor(self, parent: QWidget, option: QStyleOptionViewItem, index: Index) -> QWidget:
        combo = QComboBox(parent)
        combo.setEditable(True)
        combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        combo.addItem(NOT_MAPPED, "")
        for h in self._model.headers:
            if h:
                combo.addItem(h, h)
        completer = QCompleter(combo.model(), combo)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        combo.setCompleter(completer)
        combo.setAccessibleName("Source column")
        return combo

    @override
    def setEditorData(self, editor: QWidget, index: Index) -> None:
        assert isinstance(editor, QComboBox)
        current = index.data(_R.EditRole.value) or ""
        i = editor.findData(current)
        editor.setCurrentIndex(max(i, 0))

    @override
    def setModelData(self, editor: QWidget, model: Any, index: Index) -> None:
        assert isinstance(editor, QComboBox)
        text = editor.currentText().strip()
        i = editor.findText(text, Qt.MatchFlag.MatchFixedString)
        if i >= 0:
            model.setData(index, editor.itemData(i), _R.EditRole.value)


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

    def __init__(self, template: Template, code_lists: CodeLists, today: Callable[[], dt.date],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._template = template
        self._code_lists = code_lists
        self._today = today
        self._draft: MappingDraft | None = None
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

        search_row = QHBoxLayout()
        search_label = QLabel("&Find a field:")
        self.search = QLineEdit()
        self.search.setPlaceholderText("Type part of a field or column name")
        self.search.setClearButtonEnabled(True)
        self.search.setAccessibleName("Find a field")
        search_label.setBuddy(self.search)
        search_row.addWidget(search_label)
        search_row.addWidget(self.search, 1)
        layout.addLayout(search_row)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        self.proxy = ContainsFilterProxy(self)
        self.proxy.setSourceModel(self.model)
        self.search.textChanged.connect(self.proxy.setFilterFixedString)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setAccessibleName("Column mapping")
        name_corner_button(self.table)
        self.table.setItemDelegateForColumn(MappingModel.SOURCE, SourceColumnDelegate(self.model, self.table))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked | QAbstractItemView.EditTrigger.EditKeyPressed
                                   | QAbstractItemView.EditTrigger.AnyKeyPressed)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.verticalHeader().setDefaultSectionSize(self.table.fontMetrics().height() + 10)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for col, width in ((0, 230), (1, 220), (2, 210)):
            self.table.setColumnWidth(col, width)
        self.table.selectionModel().currentRowChanged.connect(self._current_changed)
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
        self.profile_button.setToolTip("Remember this mapping so the same export next time needs no mapping.")
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

    # ------------------------------------------------------------------ state
    def set_draft(self, draft: MappingDraft, samples: dict[str, list[str]]) -> None:
        """Show (and from now on change) ``draft``: a newly read file, or the same one read again."""
        if self._draft is not None:
            self._draft.unsubscribe(self._draft_changed)
        self._draft = draft
        draft.subscribe(self._draft_changed)
        raw = draft.raw
        self._sync_kind_boxes()
        self.sheet_combo.clear()
        self.sheet_combo.addItems(raw.sheets)
        if raw.sheet:
            self.sheet_combo.setCurrentText(raw.sheet)
        many = len(raw.sheets) > 1
        self.sheet_label.setVisible(many)
        self.sheet_combo.setVisible(many)
        self.model.set_draft(draft, samples)
        width = max(self.window().width() - 40, 900)
        self.splitter.setSizes([width * 55 // 100, width * 45 // 100])
        self.table.selectRow(0)
        self._current_changed(self.proxy.index(0, 0), QModelIndex())

    @property
    def draft(self) -> MappingDraft | None:
        return self._draft

    def mapping(self) -> Mapping:
        return self._draft.mapping if self._draft is not None else self.model.mapping()

    def options(self) -> ValueOptions:
        return self._draft.options if self._draft is not None else ValueOptions()

    def _draft_changed(self) -> None:
        self.model.refresh()
        self._sync_kind_boxes()
        if self.value_model.field_name:
            self._show_values(self.value_model.field_name)

    def _sync_kind_boxes(self) -> None:
        options = self.options()
        for kind, box in self.kind_boxes.items():
            box.blockSignals(True)
            box.setChecked(options.enabled(kind))
            box.blockSignals(False)

    def set_user_value(self, field_name: str, source: str, code: str | None) -> None:
        if self._draft is not None:
            self._draft.set_user_value(field_name, source, code)

    def set_kind_enabled(self, kind: str, on: bool) -> None:
        if self._draft is not None:
            self._draft.set_kind_enabled(kind, on)

    def value_rows(self, field_name: str) -> list[ValueRow]:
        return self._draft.value_rows(field_name) if self._draft is not None else []

    def set_code_lists(self, code_lists: CodeLists) -> None:
        """Reference data refreshed from Register: suggestions, value mapping and the guide use it from now on."""
        self._code_lists = code_lists
        self.guide.set_sources(self._template, code_lists)

    def set_busy(self, busy: bool) -> None:
        self.table.setEnabled(not busy)
        self.values_box.setEnabled(not busy)
        self.continue_button.setEnabled(not busy)

    def select_field(self, field_name: str) -> None:
        row = self.proxy.mapFromSource(self.model.index(self.model.row_of(field_name), 0)).row()
        if row >= 0:
            self.table.selectRow(row)

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
        f = self._template.field(field_name)
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
        parts = []
        if mapping.origin == "profile" and mapping.profile_name:
            parts.append(f"Mapped with your saved profile <b>{html.escape(mapping.profile_name)}</b>.")
        if mapped == total and not unsure and not unused:
            parts.append(f"<b>All {total} template columns were found.</b> Check and continue.")
        else:
            parts.append(f"<b>{mapped} of {total}</b> template fields have a column.")
        if unsure:
            parts.append(f"{unsure} suggestion(s) need a check (marked with a triangle).")
        if missing:
            parts.append(f"<b>Required but not mapped:</b> {html.escape(', '.join(missing))}.")
        if unused:
            shown = ", ".join(unused[:8]) + (" …" if len(unused) > 8 else "")
            parts.append(f"Columns not used: {html.escape(shown)}.")
        for note in mapping.notes:
            parts.append(f"<br>{html.escape(note)}")
        self.summary.setText(" ".join(parts))
