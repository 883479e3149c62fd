"""Cell editors: a searchable drop-down for code fields and a date box that understands UK dates.

Override names follow Qt's spinbox delegate example (``createEditor``, ``setEditorData``,
``setModelData``), so Qt calls them. The editors never write to the session themselves: they
hand the model a value, and the model turns it into an undoable change.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QPersistentModelIndex, QSortFilterProxyModel, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QCompleter,
    QLineEdit,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)
from typing_extensions import override

from desktop.core.values import ValueMapper, ValueOptions
from desktop.ui.table_model import FrameTableModel
from desktop.validation.codelists import CodeList, CodeLists
from desktop.validation.template import Template

Index = QModelIndex | QPersistentModelIndex
SEPARATOR = " — "


class CodeComboBox(QComboBox):
    """An editable drop-down of "code — label" items; typing any part of a code or label narrows it."""

    def __init__(self, code_list: CodeList, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.code_list = code_list
        self.setEditable(True)
        self.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.setMaxVisibleItems(15)
        for entry in code_list.entries:
            self.addItem(f"{entry.code}{SEPARATOR}{entry.label}", entry.code)
        completer = QCompleter(self.model(), self)
        completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.setCompleter(completer)
        self.setAccessibleName(f"{code_list.title} code")
        editor = self.lineEdit()
        if editor is not None:  # always, for an editable combo box; the stub allows None
            editor.setPlaceholderText("Type a code or part of its name")

    def set_code(self, code: str) -> None:
        i = self.findData(code)
        if i >= 0:
            self.setCurrentIndex(i)
        else:
            self.setCurrentIndex(-1)
            self.setEditText(code)

    def code(self) -> str:
        return code_from_text(self.currentText(), self.code_list)


def code_from_text(text: str, code_list: CodeList) -> str:
    """The code a user meant: "10 — Female", "10", "female" or "Female" all give ``10``."""
    s = text.strip()
    if not s:
        return ""
    if s in code_list:
        return s
    if SEPARATOR in s:
        head = s.split(SEPARATOR, 1)[0].strip()
        if head in code_list:
            return head
    folded = s.casefold()
    for entry in code_list.entries:
        if folded in (entry.label.casefold(), entry.name.casefold()) or folded in (a.casefold() for a in entry.aliases):
            return entry.code
    return s


class Converter:
    """What typing or pasting text into a cell stores, by the core's value rules: a code for a
    label ("Female" → 10, "10 — Female" → 10), ISO for a UK date (13/04/1990 → 1990-04-13)."""

    def __init__(self, template: Template, code_lists: CodeLists, today: Callable[[], dt.date]) -> None:
        self._template = template
        self._code_lists = code_lists
        self._today = today
        self._mapper: ValueMapper | None = None
        self._day: dt.date | None = None

    def set_code_lists(self, code_lists: CodeLists) -> None:
        self._code_lists = code_lists
        self._mapper = None

    def __call__(self, field_name: str, text: str) -> str:
        s = text.strip()
        if not s or field_name not in self._template:
            return s
        f = self._template.field(field_name)
        if f.kind == "code":
            code_list = self._code_lists.for_field(field_name)
            if code_list is not None:
                s = code_from_text(s, code_list)
                if s in code_list:
                    return s
        today = self._today()
        if self._mapper is None or self._day != today:
            self._mapper = ValueMapper(self._template, self._code_lists, ValueOptions(), today)
            self._day = today
        change = self._mapper.change(field_name, s)
        return change.after if change is not None else s


class DateLineEdit(QLineEdit):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setPlaceholderText("dd/mm/yyyy or yyyy-mm-dd")
        self.setToolTip("Type the date as you would write it (13/04/1990, 13 April 1990); it is stored as 1990-04-13.")
        self.setAccessibleName("Date")


class CellDelegate(QStyledItemDelegate):
    """Chooses the editor by the column's template field kind."""

    def __init__(self, template: Template, code_lists: CodeLists, parent: QWidget | None = None,
                 today: Callable[[], dt.date] | None = None) -> None:
        super().__init__(parent)
        self._template = template
        self._code_lists = code_lists
        self.convert = Converter(template, code_lists, today or dt.date.today)

    def set_code_lists(self, code_lists: CodeLists) -> None:
        self._code_lists = code_lists
        self.convert.set_code_lists(code_lists)

    def _field(self, index: Index) -> str | None:
        name = index.data(FrameTableModel.FieldRole)
        return name if isinstance(name, str) and name in self._template else None

    @override
    def createEditor(self, parent: QWidget, option: QStyleOptionViewItem, index: Index) -> QWidget:
        name = self._field(index)
        field = self._template.field(name) if name else None
        label = field.label if field else "Cell"
        if field is not None and field.kind == "code":
            code_list = self._code_lists.for_field(field.name)
            if code_list is not None:
                combo = CodeComboBox(code_list, parent)
                combo.setAccessibleName(f"{label}: choose a code")
                return combo
        if field is not None and field.kind == "date":
            edit: QLineEdit = DateLineEdit(parent)
        else:
            edit = QLineEdit(parent)
        edit.setAccessibleName(label)
        edit.setFrame(False)
        return edit

    @override
    def setEditorData(self, editor: QWidget, index: Index) -> None:
        value = index.data(Qt.ItemDataRole.EditRole)
        text = "" if value is None else str(value)
        if isinstance(editor, CodeComboBox):
            editor.set_code(text)
        elif isinstance(editor, QLineEdit):
            editor.setText(text)
        else:
            super().setEditorData(editor, index)

    @override
    def setModelData(self, editor: QWidget, model: QAbstractItemModel, index: Index) -> None:
        name = self._field(index)
        if isinstance(editor, CodeComboBox):
            value = editor.code()
        elif isinstance(editor, DateLineEdit) and name:
            value = self.convert(name, editor.text())
        elif isinstance(editor, QLineEdit):
            value = editor.text()
        else:
            super().setModelData(editor, model, index)
            return
        model.setData(index, value, Qt.ItemDataRole.EditRole)

    @override
    def updateEditorGeometry(self, editor: QWidget, option: QStyleOptionViewItem, index: Index) -> None:
        rect = option.rect
        if isinstance(editor, CodeComboBox):
            rect = rect.adjusted(0, 0, max(0, 320 - rect.width()), 0)  # room to read labels
        editor.setGeometry(rect)


class ContainsFilterProxy(QSortFilterProxyModel):
    """Case-insensitive "contains" filter over any column (for the searchable drop-downs and browser)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.setFilterKeyColumn(-1)
