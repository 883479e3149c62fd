"""Cell editors: a searchable drop-down for code fields and a date box that understands UK dates.

Override names follow Qt's spinbox delegate example (``createEditor``, ``setEditorData``,
``setModelData``), so Qt calls them. The editors never write to the session themselves: they
hand the model a value, and the model turns it into an undoable change.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from PySide6.QtCore import (
    QAbstractItemModel,
    QModelIndex,
    QPersistentModelIndex,
    QRect,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QFont, QFontMetrics, QIcon, QPainter, QPalette, QPixmap
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QCompleter,
    QLineEdit,
    QStyle,
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


_SELECTED = QStyle.StateFlag.State_Selected.value
_ACTIVE = QStyle.StateFlag.State_Active.value
_FOCUS = QStyle.StateFlag.State_HasFocus.value
_TEXT_FLAGS = (Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter).value | Qt.TextFlag.TextSingleLine.value
_ELIDE = Qt.TextElideMode.ElideRight
# looked up once: an enum attribute costs a Python call, and paint() runs for every visible cell
_ACTIVE_GROUP, _INACTIVE_GROUP = QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive
_HIGHLIGHT, _HIGHLIGHTED_TEXT, _TEXT = (QPalette.ColorRole.Highlight, QPalette.ColorRole.HighlightedText,
                                        QPalette.ColorRole.Text)


class CellDelegate(QStyledItemDelegate):
    """Paints the review grid's cells and chooses the editor by the column's template field kind.

    ``paint`` draws a cell directly (background or selection, severity icon, elided text, italic
    when edited, focus frame) from one ``FrameTableModel.paint_cell`` call: Qt's own item
    painting asks the model for each role through ``multiData`` and lays the text out with
    ``QTextLayout``, which took half of every scrolling frame (issue 16). Cells of any other model
    are painted by Qt as usual.
    """

    def __init__(self, template: Template, code_lists: CodeLists, parent: QWidget | None = None,
                 today: Callable[[], dt.date] | None = None) -> None:
        super().__init__(parent)
        self._template = template
        self._code_lists = code_lists
        self.convert = Converter(template, code_lists, today or dt.date.today)
        self._metrics: dict[int, tuple[QFont, QFontMetrics]] = {}  # id of the model's italic font -> metrics
        self._pixmaps: dict[tuple[int, int, int, float], QPixmap] = {}  # (icon, w, h, dpr) -> pixmap

    def _pixmap(self, decoration: QIcon, width: int, height: int, ratio: float) -> QPixmap:
        key = (decoration.cacheKey(), width, height, ratio)
        pm = self._pixmaps.get(key)
        if pm is None:
            pm = self._pixmaps[key] = decoration.pixmap(QRect(0, 0, width, height).size(), ratio)
        return pm

    def _fm(self, font: QFont) -> QFontMetrics:
        """Metrics of a font the model hands out (its one italic font): by identity, as
        ``QFont.key()`` costs more than the text it measures."""
        hit = self._metrics.get(id(font))
        if hit is None or hit[0] is not font:
            hit = self._metrics[id(font)] = (font, QFontMetrics(font))
        return hit[1]

    @override
    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        model = index.model()
        row, col = index.row(), index.column()
        rows = getattr(model, "visible_source_rows", None)
        if rows is not None:  # the review grid's row proxy: straight to its source model
            model = model.source()  # type: ignore[attr-defined]
            row = int(rows()[row])
        if not isinstance(model, FrameTableModel):
            super().paint(painter, option, index)
            return
        text, _rank, brush, decoration, font = model.paint_cell(row, col)
        rect = option.rect
        state = option.state.value
        palette = option.palette
        group = _ACTIVE_GROUP if state & _ACTIVE else _INACTIVE_GROUP
        selected = state & _SELECTED
        if selected:
            painter.fillRect(rect, palette.brush(group, _HIGHLIGHT))
        elif brush is not None:
            painter.fillRect(rect, brush)
        x, right = rect.x() + 3, rect.right() - 3
        if decoration is not None:
            size = option.decorationSize
            w, h = size.width(), size.height()
            pm = self._pixmap(decoration, w, h, painter.device().devicePixelRatioF())
            painter.drawPixmap(QRect(x, rect.y() + (rect.height() - h) // 2, w, h), pm)
            x += w + 4
        if text:
            if font is None:  # the view's own font, whose metrics the option carries
                painter.setFont(option.font)
                fm = option.fontMetrics
            else:
                painter.setFont(font)
                fm = self._fm(font)
            painter.setPen(palette.color(group, _HIGHLIGHTED_TEXT if selected else _TEXT))
            width = right - x + 1
            painter.drawText(QRect(x, rect.y(), width, rect.height()), _TEXT_FLAGS, fm.elidedText(text, _ELIDE, width))
        if state & _FOCUS:
            focus = QStyleOptionViewItem(option)
            widget = option.widget
            style = widget.style() if widget is not None else QApplication.style()
            style.drawPrimitive(QStyle.PrimitiveElement.PE_FrameFocusRect, focus, painter, widget)

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
