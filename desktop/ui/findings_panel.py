"""The findings panel: problems grouped by kind and field, in words, with counts; a click jumps to the cell.

A lazy two-level tree model over the grid's ``FindingsIndex`` (groups, then one child per
finding), so 100,000 findings cost a few arrays, not 100,000 tree items. Groups are titled in
words ("Sex: not a Register code"), never by rule id. The description under the tree always
describes what is selected now, in the file shown now: the selected problem, or the problems of
the grid's current cell; it is worked out again after every change, so it clears when its
problem is fixed and never carries text from another file.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from PySide6.QtCore import QAbstractItemModel, QModelIndex, QObject, QPersistentModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTreeView,
    QVBoxLayout,
    QWidget,
)
from typing_extensions import override

from desktop.core.problems import group_title
from desktop.ui.table_model import FindingsIndex, FrameTableModel
from desktop.ui.theme import ERROR, WARNING, severity_icon

Index = QModelIndex | QPersistentModelIndex
_R = Qt.ItemDataRole
_TOP = 0  # internal id of group rows; a child's id is its group's position + 1


@dataclass
class Group:
    code: str
    field: str | None  # None: file- or row-level
    rank: int
    members: np.ndarray  # indices into the FindingsIndex, by row
    title: str  # in words: "Sex: not a Register code"
    message: str = ""  # the first finding's full message ("… (and similar)" when they differ)

    @property
    def key(self) -> tuple[str, str | None]:
        return self.code, self.field


def build_groups(model: FrameTableModel) -> list[Group]:
    idx = model.findings_index
    if not len(idx):
        return []
    template = model.session.template
    fields = idx.field_names
    keys = np.char.add(np.char.add(idx.codes.astype(str), "\x00"), fields)
    order = np.lexsort((idx.frame_rows, keys))
    sorted_keys = keys[order]
    starts = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])
    ends = np.r_[starts[1:], len(order)]
    groups: list[Group] = []
    for s, e in zip(starts, ends, strict=True):
        members = order[s:e]
        first = int(members[0])
        code, field = str(idx.codes[first]), (str(fields[first]) or None)
        rank = int(idx.ranks_array[members].max())
        messages = idx.messages[members]
        same = bool(np.all(messages == messages[0]))
        label = template.field(field).label if field and field in template else None
        title = group_title(code, label, file_level=bool(idx.frame_rows[first] < 0))
        message = str(messages[0]) if same else f"{messages[0]} (and similar)"
        groups.append(Group(code, field, rank, members, title, message))
    groups.sort(key=lambda g: (-g.rank, g.field is not None, -len(g.members), g.title))
    return groups


class FindingsTreeModel(QAbstractItemModel):
    FindingRole = _R.UserRole.value + 1  #: index into the FindingsIndex (children) or -1 (groups)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._model: FrameTableModel | None = None
        self._groups: list[Group] = []

    def set_source(self, model: FrameTableModel | None) -> None:
        self.beginResetModel()
        self._model = model
        self._groups = build_groups(model) if model is not None else []
        self.endResetModel()

    def refresh(self) -> None:
        self.set_source(self._model)

    @property
    def source_model(self) -> FrameTableModel | None:
        return self._model

    @property
    def groups(self) -> list[Group]:
        return self._groups

    def group_of(self, index: Index) -> Group | None:
        if not index.isValid():
            return None
        gid = index.internalId()
        return self._groups[index.row()] if gid == _TOP else self._groups[gid - 1]

    def finding_of(self, index: Index) -> int | None:
        if not index.isValid() or index.internalId() == _TOP:
            return None
        return int(self._groups[index.internalId() - 1].members[index.row()])

    @override
    def index(self, row: int, column: int, parent: Index = QModelIndex()) -> QModelIndex:
        if column != 0 or row < 0:
            return QModelIndex()
        if not parent.isValid():
            return self.createIndex(row, 0, _TOP) if row < len(self._groups) else QModelIndex()
        if parent.internalId() != _TOP:
            return QModelIndex()
        group = self._groups[parent.row()]
        return self.createIndex(row, 0, parent.row() + 1) if row < len(group.members) else QModelIndex()

    # the model-index overload of parent(); the stubs merge it with QObject.parent() and reject it
    @override
    def parent(self, child: Index = QModelIndex()) -> QModelIndex:  # type: ignore[override]
        if not child.isValid() or child.internalId() == _TOP:
            return QModelIndex()
        return self.createIndex(child.internalId() - 1, 0, _TOP)

    @override
    def rowCount(self, parent: Index = QModelIndex()) -> int:
        if not parent.isValid():
            return len(self._groups)
        if parent.internalId() == _TOP and parent.column() == 0:
            return len(self._groups[parent.row()].members)
        return 0

    @override
    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return 1

    @override
    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    @override
    def data(self, index: Index, role: int = _R.DisplayRole.value) -> Any:
        if not index.isValid() or self._model is None:
            return None
        idx: FindingsIndex = self._model.findings_index
        if index.internalId() == _TOP:
            g = self._groups[index.row()]
            if role in (_R.DisplayRole.value, _R.AccessibleTextRole.value):
                word = "error" if g.rank == ERROR else "warning" if g.rank == WARNING else "note"
                n = len(g.members)
                return f"{g.title} — {n} {word}{'s' if n != 1 else ''}" if role == _R.AccessibleTextRole.value else f"({n:,})  {g.title}"
            if role == _R.ToolTipRole.value:
                return f"{g.message}\n({g.code})"
            if role == _R.DecorationRole.value:
                return severity_icon(g.rank)
            if role == self.FindingRole:
                return -1
            return None
        i = self.finding_of(index)
        assert i is not None
        if role in (_R.DisplayRole.value, _R.AccessibleTextRole.value):
            row = int(idx.frame_rows[i])
            value = idx.values[i]
            where = f"Row {self._model.source_row(row)}" if row >= 0 else "File"
            shown = "" if value is None or value == "" else f": '{value}'"
            if value == "" and row >= 0 and idx.fields[i]:
                shown = ": blank"
            return f"{where}{shown}"
        if role == _R.ToolTipRole.value:
            return str(idx.messages[i])
        if role == self.FindingRole:
            return i
        return None


class FindingsPanel(QWidget):
    """The tree, plus the description of what is selected and the actions on it."""

    cell_requested = Signal(int, int)  # frame row, column
    rule_filter_requested = Signal(str, object)  # finding code, field (None: any)
    fix_all_requested = Signal(int)  # index into the FindingsIndex
    field_requested = Signal(str)  # header.* findings: open the mapping at this field

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.summary = QLabel("No file checked yet.")
        self.summary.setWordWrap(True)
        self.summary.setAccessibleName("Problems summary")
        layout.addWidget(self.summary)
        self.model = FindingsTreeModel(self)
        self.tree = QTreeView()
        self.tree.setModel(self.model)
        self.tree.setHeaderHidden(True)
        self.tree.setUniformRowHeights(True)
        self.tree.setAccessibleName("Problems by kind")
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.tree.activated.connect(self._activated)
        self.tree.clicked.connect(self._activated)
        self.tree.selectionModel().currentChanged.connect(self._current_changed)
        layout.addWidget(self.tree, 1)
        self.detail = QLabel()
        self.detail.setWordWrap(True)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.detail.setAccessibleName("Selected problem")
        layout.addWidget(self.detail)
        buttons = QHBoxLayout()
        self.only_button = QPushButton("Show &only these rows")
        self.only_button.clicked.connect(self._only)
        self.fix_button = QPushButton("Fix &all like this…")
        self.fix_button.setToolTip("Every value of this problem, each with its replacement, changed in one step.")
        self.fix_button.clicked.connect(self._fix)
        buttons.addWidget(self.only_button)
        buttons.addWidget(self.fix_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        # what the description describes: ("group", code, field), ("finding", code, field, row) or ("cell", row, col)
        self._focus: tuple[Any, ...] | None = None
        self._update_buttons()

    def set_source(self, model: FrameTableModel | None) -> None:
        """Another file (or the same one checked again): nothing of the last one's description stays."""
        self._focus = None
        self.model.set_source(model)
        self._update_summary(model)
        self._update_buttons()
        self._render()

    def refresh(self, model: FrameTableModel) -> None:
        """After an edit: rebuild the groups, keeping open groups open and the selection's group selected."""
        open_keys = {g.key for r, g in enumerate(self.model.groups) if self.tree.isExpanded(self.model.index(r, 0))}
        current = self.model.group_of(self.tree.currentIndex())
        current_key = current.key if current else None
        focus = self._focus
        self.tree.selectionModel().blockSignals(True)
        self.model.set_source(model)
        for r, g in enumerate(self.model.groups):
            if g.key in open_keys:
                self.tree.expand(self.model.index(r, 0))
            if g.key == current_key:
                self.tree.setCurrentIndex(self.model.index(r, 0))
        self.tree.selectionModel().blockSignals(False)
        self._focus = focus
        self._update_summary(model)
        self._update_buttons()
        self._render()

    def show_cell(self, row: int, col: int) -> None:
        """The grid's current cell changed: describe its problems (or nothing, when it has none)."""
        self._focus = ("cell", row, col)
        self._render()

    def _update_summary(self, model: FrameTableModel | None) -> None:
        if model is None:
            self.summary.setText("No file checked yet.")
            return
        s = model.session.summary()
        if not s["errors"] and not s["warnings"]:
            self.summary.setText("No problems found: every row is ready to send.")
            return
        errors = f"{s['errors']:,} error{'s' if s['errors'] != 1 else ''}"
        rows = f"{s['rows_with_errors']:,} row{'s' if s['rows_with_errors'] != 1 else ''}"
        warnings = f"{s['warnings']:,} warning{'s' if s['warnings'] != 1 else ''}"
        self.summary.setText(f"{errors} in {rows}, {warnings}. Select a problem to go to its cell; F8 goes to the "
                             "next error.")

    def _current_changed(self, current: QModelIndex, previous: QModelIndex) -> None:
        self._update_buttons()
        src = self.model.source_model
        i = self.model.finding_of(current)
        group = self.model.group_of(current)
        if i is not None and src is not None:
            idx = src.findings_index
            self._focus = ("finding", str(idx.codes[i]), idx.fields[i], int(idx.frame_rows[i]))
        elif group is not None:
            self._focus = ("group", group.code, group.field)
        else:
            self._focus = None
        self._render()

    def _render(self) -> None:
        """The description of the focus, worked out from the findings as they are now."""
        text = ""
        src = self.model.source_model
        focus = self._focus
        if src is not None and focus is not None:
            idx = src.findings_index
            if focus[0] == "group":
                group = next((g for g in self.model.groups if g.key == (focus[1], focus[2])), None)
                if group is not None:
                    n = len(group.members)
                    text = f"{group.title} — {n:,} found.\n{group.message}"
            elif focus[0] == "finding":
                _, code, field, row = focus
                hits = [int(i) for i in (idx.on_row(row) if row >= 0 else idx.file_level)
                        if idx.codes[i] == code and idx.fields[i] == field]
                if hits:
                    text = self._describe(src, hits)
            elif focus[0] == "cell":
                _, row, col = focus
                if 0 <= row < src.rowCount():
                    text = self._describe(src, idx.on_cell(row, col))
        self.detail.setText(text)
        self.detail.setAccessibleDescription(text)

    @staticmethod
    def _describe(src: FrameTableModel, found: list[int]) -> str:
        if not found:
            return ""
        idx = src.findings_index
        first = found[0]
        row = int(idx.frame_rows[first])
        field = idx.fields[first]
        label = src.session.template.field(field).label if field and field in src.session.template else None
        where = f"Row {src.source_row(row)}" if row >= 0 else "This file"
        head = f"{where}, {label}" if label else where
        lines = [f"{_WORD_OF.get(idx.rank(i), 'Note')}: {idx.messages[i]}" for i in found]
        return head + ":\n" + "\n".join(lines)

    def _activated(self, index: QModelIndex) -> None:
        i = self.model.finding_of(index)
        src = self.model.source_model
        if src is None:
            return
        group = self.model.group_of(index)
        if i is None:
            if group is not None and group.code.startswith("header.") and group.field:
                self.field_requested.emit(group.field)
            return
        idx = src.findings_index
        row = int(idx.frame_rows[i])
        if row < 0:
            if group is not None and group.field and group.code.startswith("header."):
                self.field_requested.emit(group.field)
            return
        col = idx.column(i)
        self.cell_requested.emit(row, max(col, 0))

    def selected_finding(self) -> int | None:
        """The selected finding, or the first of the selected group."""
        current = self.tree.currentIndex()
        i = self.model.finding_of(current)
        if i is None:
            group = self.model.group_of(current)
            if group is not None and len(group.members):
                i = int(group.members[0])
        return i

    def _update_buttons(self) -> None:
        group = self.model.group_of(self.tree.currentIndex())
        self.only_button.setEnabled(group is not None)
        i = self.selected_finding()
        src = self.model.source_model
        ok = False
        if i is not None and src is not None:
            idx = src.findings_index
            ok = bool(idx.frame_rows[i] >= 0 and idx.column(i) >= 0)
        self.fix_button.setEnabled(ok)

    def _only(self) -> None:
        group = self.model.group_of(self.tree.currentIndex())
        if group is not None:
            self.rule_filter_requested.emit(group.code, group.field)

    def _fix(self) -> None:
        i = self.selected_finding()
        if i is not None:
            self.fix_all_requested.emit(i)


_WORD_OF = {ERROR: "Error", WARNING: "Warning"}
