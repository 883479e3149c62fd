"""The review grid's model: a thin ``QAbstractTableModel`` over the ``ImportSession``.

``data()`` only indexes (HOUSE_STYLE §6): the cells are the session's own numpy object arrays
(one per template field, read-only views that ``ImportSession.apply_edits`` updates), and the findings are
turned once per validation or edit into a severity matrix plus row-sorted arrays, so a tooltip
is a binary search, not a pandas query. Edits go to the session through ``apply_changes``, which
undo commands call; ``setData`` routes through the undo stack when one is attached.
"""

from __future__ import annotations

import html
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from typing import Any, cast

import numpy as np
from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QModelRoleData,
    QModelRoleDataSpan,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QFont, QIcon
from typing_extensions import override

from desktop.core.session import ImportSession
from desktop.ui.theme import ERROR, INFO, WARNING, SeverityBrushes, icon, severity_icon
from desktop.validation.findings import Finding, Severity

Index = QModelIndex | QPersistentModelIndex
#: what ``multiData`` receives: Qt passes a span; PySide6's stubs also allow one role from Python
RoleData = QModelRoleDataSpan | QModelRoleData


def role_data(roles: RoleData) -> Iterable[QModelRoleData]:
    """The roles asked for, one by one."""
    if isinstance(roles, QModelRoleData):
        return (roles,)
    # PySide6 makes a span iterable at run time; its stub declares no __iter__
    return cast("Iterable[QModelRoleData]", roles)

_R = Qt.ItemDataRole
_DISPLAY = _R.DisplayRole.value
_EDIT = _R.EditRole.value
_BACKGROUND = _R.BackgroundRole.value
_DECORATION = _R.DecorationRole.value
_TOOLTIP = _R.ToolTipRole.value
_FONT = _R.FontRole.value
_ACCESSIBLE = _R.AccessibleTextRole.value
_ACCESSIBLE_DESC = _R.AccessibleDescriptionRole.value
_STATUS_TIP = _R.StatusTipRole.value

#: roles the item delegate asks for that this model never sets
_UNUSED_ROLES = frozenset({_R.TextAlignmentRole.value, _R.ForegroundRole.value, _R.CheckStateRole.value})

_RANK = {str(Severity.ERROR): ERROR, str(Severity.WARNING): WARNING, str(Severity.INFO): INFO}
_RANK_OF = defaultdict(lambda: INFO, _RANK).__getitem__  # C-level look-up for map(); unknown: a note
_WORD = {ERROR: "Error", WARNING: "Warning", INFO: "Note"}
_EDIT_ROLES = [_R.DisplayRole, _R.EditRole, _R.BackgroundRole, _R.DecorationRole, _R.ToolTipRole, _R.FontRole]

#: a change to one cell: (frame row, column, new value)
Change = tuple[int, int, str]


class FindingsIndex:
    """The session's findings as arrays, for constant-time paint and binary-search tooltips."""

    def __init__(self, session: ImportSession, col_of: dict[str, int]) -> None:
        n, n_cols = session.n_rows, len(col_of)
        self.n_rows = n
        findings = session.findings  # columns, no pandas: this runs after every edit
        rows = findings.rows
        count = len(findings)
        column_of = defaultdict(lambda: -1, col_of).__getitem__  # None or an unknown field: -1
        cols = np.fromiter(map(column_of, findings.column("field").tolist()), np.int64, count)
        ranks = np.fromiter(map(_RANK_OF, findings.column("severity").tolist()), np.int8, count)
        in_table = (rows >= 0) & (rows < n)
        self.cells = np.full((n, n_cols), -1, dtype=np.int8)  # -1: no finding; else the worst rank
        on_cell = in_table & (cols >= 0)
        np.maximum.at(self.cells, (rows[on_cell], cols[on_cell]), ranks[on_cell])
        self.rows = np.full(n, -1, dtype=np.int8)  # worst rank of any finding on the row
        np.maximum.at(self.rows, rows[in_table], ranks[in_table])
        self.per_row = np.bincount(rows[in_table], minlength=n)  # how many findings each row has
        order = np.argsort(rows, kind="stable")
        self._order = order
        self._sorted_rows = rows[order]
        self.cols_array = cols
        self.ranks_array = ranks
        self.codes = findings.column("code")
        self.messages = findings.column("message")
        self.values = findings.column("value")
        names = list(col_of)  # in column order
        self.fields = np.array([*names, None], dtype=object)[cols]  # field name, or None (-1 picks the last)
        self.field_names = np.array([*names, ""], dtype=str)[cols]
        self.frame_rows = rows
        self.severities = findings.column("severity")
        self.file_level = np.flatnonzero(rows < 0)

    def __len__(self) -> int:
        return len(self.codes)

    def changed_rows(self, other: FindingsIndex) -> np.ndarray:
        """Rows to repaint after ``other`` replaced these findings: their worst severity or their
        number of findings differs (a table rule can touch rows that were not edited)."""
        if self.cells.shape != other.cells.shape:
            return np.arange(self.n_rows)
        differ = self.rows != other.rows
        differ |= self.per_row != other.per_row
        return np.flatnonzero(differ)

    def on_row(self, row: int) -> np.ndarray:
        lo = np.searchsorted(self._sorted_rows, row, "left")
        hi = np.searchsorted(self._sorted_rows, row, "right")
        return self._order[lo:hi]

    def on_cell(self, row: int, col: int) -> list[int]:
        return [int(i) for i in self.on_row(row) if self.cols_array[i] == col]

    def rank(self, i: int) -> int:
        return int(self.ranks_array[i])

    def column(self, i: int) -> int:
        return int(self.cols_array[i])

    def finding(self, i: int) -> Finding:
        row = int(self.frame_rows[i])
        return Finding(code=self.codes[i], message=self.messages[i], row=None if row < 0 else row,
                       field=self.fields[i], severity=Severity(self.severities[i]), value=self.values[i])

    def rows_with_code(self, code: str) -> np.ndarray:
        rows = self.frame_rows[self.codes == code]
        return np.unique(rows[rows >= 0])


class FrameTableModel(QAbstractTableModel):
    """Rows of the session's table; columns are the template's fields, in template order."""

    FindingsRole = _R.UserRole.value + 1  #: tuple[Finding, ...] on the cell
    SeverityRole = _R.UserRole.value + 2  #: int rank of the worst finding on the cell (-1: none)
    FieldRole = _R.UserRole.value + 3  #: the template field name of the column

    #: every cell can be selected and edited (computed once: flags() runs for every painted cell)
    CELL_FLAGS = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsEditable
    READ_ONLY_FLAGS = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    findings_changed = Signal()  # after validation, an edit, undo or redo
    edits_refused = Signal()  # an edit was asked for while the grid is read-only (an upload runs)
    cells_changed = Signal(object)  # np.ndarray of frame rows whose cells changed

    def __init__(self, session: ImportSession, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._session = session
        self._brushes = SeverityBrushes()
        self._italic = QFont()
        self._italic.setItalic(True)
        self.edit_handler: Callable[[list[Change], str], None] | None = None  # the undo stack's push
        self._original: dict[tuple[int, int], str] = {}  # first value of every edited cell
        self.generation = 0  # counts changes, so cached searches know when they are stale
        self._read_only = False  # while an upload reads the session, no cell may change
        self._load()

    # ------------------------------------------------------------------ state
    def _load(self) -> None:
        session = self._session
        template = session.template
        self._fields = list(template.names)
        self._col = {name: i for i, name in enumerate(self._fields)}
        self._labels = [template.field(f).label for f in self._fields]
        self._cells = [session.columns[f] for f in self._fields]  # live read-only views: the session edits
        self._source_rows = session.source_rows
        self._row_labels = [str(int(r)) for r in self._source_rows]
        self._code_display: list[dict[str, str] | None] = []
        for f in self._fields:
            code_list = session.code_lists.for_field(f) if template.field(f).kind == "code" else None
            self._code_display.append(
                {e.code: f"{e.code} — {e.label}" for e in code_list.entries} if code_list else None)
        self._index = FindingsIndex(session, self._col)

    @property
    def session(self) -> ImportSession:
        return self._session

    @property
    def fields(self) -> list[str]:
        return self._fields

    @property
    def findings_index(self) -> FindingsIndex:
        return self._index

    def column_of(self, field_name: str) -> int:
        return self._col[field_name]

    def field_at(self, col: int) -> str:
        return self._fields[col]

    def value(self, row: int, col: int) -> str:
        return str(self._cells[col][row])

    def column_values(self, col: int) -> np.ndarray:
        return self._cells[col]

    def source_row(self, row: int) -> int:
        return int(self._source_rows[row])

    def reload(self, session: ImportSession | None = None) -> None:
        """After the session was re-mapped or re-validated as a whole."""
        self.beginResetModel()
        self.generation += 1
        if session is not None:
            self._session = session
            self._original.clear()
        self._load()
        self.endResetModel()
        self.findings_changed.emit()

    def refresh_findings(self) -> None:
        """The session's findings changed for every row (a new validation, Register's answers): repaint, keep edits."""
        old = self._index
        self._index = FindingsIndex(self._session, self._col)
        self._emit_rows(old.changed_rows(self._index))
        self.findings_changed.emit()

    def update_palette(self) -> None:
        self._brushes.update()
        if self.rowCount():
            self.dataChanged.emit(self.index(0, 0), self.index(self.rowCount() - 1, self.columnCount() - 1),
                                  [_R.BackgroundRole])

    # ------------------------------------------------------------------ edits
    def edited_cells(self) -> dict[tuple[int, str], str]:
        """Every cell whose value differs from what was read: (row, field) -> current value."""
        out = {}
        for (row, col), original in self._original.items():
            now = self.value(row, col)
            if now != original:
                out[(row, self._fields[col])] = now
        return out

    def set_originals(self, originals: dict[tuple[int, str], str]) -> None:
        """Cells already edited before this model existed (re-mapping, recovery): their values as read."""
        for (row, name), value in originals.items():
            if name in self._col:
                self._original[(row, self._col[name])] = value

    def is_edited(self, row: int, col: int) -> bool:
        original = self._original.get((row, col))
        return original is not None and original != self.value(row, col)

    @property
    def read_only(self) -> bool:
        return self._read_only

    def set_read_only(self, read_only: bool) -> None:
        """Refuse edits (an upload is reading the session); the grid shows cells as not editable."""
        if read_only == self._read_only:
            return
        self._read_only = read_only
        if self.rowCount():  # views re-read flags on layout changes only; a repaint is enough for editors
            self.dataChanged.emit(self.index(0, 0), self.index(self.rowCount() - 1, self.columnCount() - 1), [])

    def request_changes(self, changes: Sequence[Change], text: str) -> bool:
        """Ask for a change through the undo stack (or apply it when there is none)."""
        if self._read_only:
            self.edits_refused.emit()
            return False
        real = [(r, c, v.strip()) for r, c, v in changes if self.value(r, c) != v.strip()]
        if not real:
            return False
        if self.edit_handler is not None:
            self.edit_handler(real, text)
        else:
            self.apply_changes(real)
        return True

    def apply_changes(self, changes: Iterable[Change]) -> np.ndarray:
        """Write cells to the session, revalidate their rows, repaint what changed."""
        changes = list(changes)
        if not changes:
            return np.zeros(0, np.int64)
        for r, c, _ in changes:
            self._original.setdefault((r, c), self.value(r, c))
        rows = self._session.apply_edits([(r, self._fields[c], v) for r, c, v in changes])
        self.generation += 1
        old = self._index
        self._index = FindingsIndex(self._session, self._col)
        # table rules (in-file duplicates) can change other rows' findings: repaint those too
        self._emit_rows(np.union1d(rows, old.changed_rows(self._index)))
        self.cells_changed.emit(rows)
        self.findings_changed.emit()
        return rows

    def _emit_rows(self, rows: np.ndarray) -> None:
        if not len(rows):
            return
        last = self.columnCount() - 1
        # contiguous runs become one signal each (fill down touches a block)
        breaks = np.flatnonzero(np.diff(rows) != 1)
        starts = np.concatenate(([0], breaks + 1))
        ends = np.concatenate((breaks, [len(rows) - 1]))
        for s, e in zip(starts, ends, strict=True):
            top, bottom = int(rows[s]), int(rows[e])
            self.dataChanged.emit(self.index(top, 0), self.index(bottom, last), _EDIT_ROLES)
            self.headerDataChanged.emit(Qt.Orientation.Vertical, top, bottom)

    # ------------------------------------------------------------------ Qt overrides
    @override
    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else self._session.n_rows

    @override
    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._fields)

    @override
    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return self.READ_ONLY_FLAGS if self._read_only else self.CELL_FLAGS

    @override
    def data(self, index: Index, role: int = _DISPLAY) -> Any:
        if not index.isValid():
            return None
        return self.cell_data(index.row(), index.column(), role)

    @override
    def multiData(self, index: Index, roleDataSpan: RoleData) -> None:
        if index.isValid():
            self.fill_roles(index.row(), index.column(), roleDataSpan)

    def fill_roles(self, row: int, col: int, roles: RoleData) -> None:
        """``multiData`` for a frame cell: the delegate's seven roles in one Python call, the
        common ones answered inline (this runs for every painted cell of every frame)."""
        rank = int(self._index.cells[row, col])
        span = role_data(roles)
        for rd in span:  # the delegate reuses its role data from cell to cell: set or clear every role
            role = rd.role()
            if role == _DISPLAY:
                value = self._cells[col][row]
                codes = self._code_display[col]
                rd.setData(codes.get(value, value) if codes is not None and value else value)
            elif role == _BACKGROUND:
                if rank > INFO:
                    rd.setData(self._brushes.by_rank[rank])
                else:
                    rd.clearData()
            elif role == _DECORATION:
                if rank >= INFO:
                    rd.setData(severity_icon(rank) if rank >= WARNING else icon("info"))
                else:
                    rd.clearData()
            elif role == _FONT:
                if (row, col) in self._original and self.is_edited(row, col):
                    rd.setData(self._italic)
                else:
                    rd.clearData()
            elif role in _UNUSED_ROLES:
                rd.clearData()
            else:
                value = self.cell_data(row, col, role)
                if value is None:
                    rd.clearData()
                else:
                    rd.setData(value)

    def paint_cell(self, row: int, col: int) -> tuple[str, int, Any, QIcon | None, QFont | None]:
        """What the grid's delegate paints for a cell, in one call: (text, worst severity rank or -1,
        background brush or None, icon or None, font or None for the view's own). The same answers
        as ``fill_roles``, without the role-by-role round trips through Qt."""
        value = self._cells[col][row]
        codes = self._code_display[col]
        text = codes.get(value, value) if codes is not None and value else value
        rank = int(self._index.cells[row, col])
        brush = self._brushes.by_rank[rank] if rank > INFO else None
        decoration = (severity_icon(rank) if rank >= WARNING else icon("info")) if rank >= INFO else None
        font = self._italic if (row, col) in self._original and self.is_edited(row, col) else None
        return text, rank, brush, decoration, font

    def cell_data(self, row: int, col: int, role: int) -> Any:
        """``data()`` without a QModelIndex (the proxy calls this directly)."""
        if role == _DISPLAY:
            value = self._cells[col][row]
            codes = self._code_display[col]
            if codes is not None and value:
                return codes.get(value, value)
            return value
        if role == _BACKGROUND:
            rank = self._index.cells[row, col]
            return self._brushes.by_rank.get(int(rank)) if rank > INFO else None
        if role == _DECORATION:
            rank = int(self._index.cells[row, col])
            if rank >= WARNING:
                return severity_icon(rank)
            if rank == INFO:
                return icon("info")
            return None
        if role == _EDIT:
            return self._cells[col][row]
        if role == _FONT:
            return self._italic if self.is_edited(row, col) else None
        if role == _TOOLTIP:
            return self._tooltip(row, col)
        if role in (_ACCESSIBLE_DESC, _STATUS_TIP):
            return self._plain_findings(row, col)
        if role == _ACCESSIBLE:
            text = self.cell_data(row, col, _DISPLAY) or "blank"
            problems = self._plain_findings(row, col)
            return f"{self._labels[col]}: {text}" + (f". {problems}" if problems else "")
        if role == self.FindingsRole:
            return tuple(self._index.finding(i) for i in self._index.on_cell(row, col))
        if role == self.SeverityRole:
            return int(self._index.cells[row, col])
        if role == self.FieldRole:
            return self._fields[col]
        return None

    def _plain_findings(self, row: int, col: int) -> str:
        idx = self._index
        return " ".join(f"{_WORD[idx.rank(i)]}: {idx.messages[i]}" for i in idx.on_cell(row, col))

    def _tooltip(self, row: int, col: int) -> str | None:
        idx = self._index
        found = idx.on_cell(row, col)
        edited = self.is_edited(row, col)
        if not found and not edited:
            return None
        parts = [f"<b>{_WORD[idx.rank(i)]}</b>: {html.escape(str(idx.messages[i]), quote=False)}" for i in found]
        if edited:
            parts.append(f"<i>Changed here; the file had '{html.escape(self._original[(row, col)], quote=False)}'.</i>")
        return "<qt>" + "<br>".join(parts) + "</qt>"

    @override
    def setData(self, index: Index, value: Any, role: int = _EDIT) -> bool:
        if not index.isValid() or role != _EDIT:
            return False
        text = "" if value is None else str(value)
        label = self._labels[index.column()]
        self.request_changes([(index.row(), index.column(), text)], f"Edit {label}")
        return True

    @override
    def headerData(self, section: int, orientation: Qt.Orientation, role: int = _DISPLAY) -> Any:
        if orientation == Qt.Orientation.Horizontal:
            if not 0 <= section < len(self._fields):
                return None
            if role == _DISPLAY:
                return self._labels[section]
            if role in (_TOOLTIP, _ACCESSIBLE_DESC):
                f = self._session.template.field(self._fields[section])
                need = {"M": "required", "O": "optional", "C": "required in some cases"}[f.requirement]
                text = f"{f.label} — template column '{f.name}', {need}."
                return text if role != _TOOLTIP else f"{text} Right-click the header for the field guide."
            if role == self.FieldRole:
                return self._fields[section]
            return None
        if not 0 <= section < self._session.n_rows:
            return None
        if role == _DISPLAY:
            return self._row_labels[section]
        rank = int(self._index.rows[section])
        if role == _DECORATION:
            return severity_icon(rank) if rank >= WARNING else None
        if role in (_TOOLTIP, _ACCESSIBLE_DESC):
            return self._row_summary(section)
        if role == _ACCESSIBLE:
            summary = self._row_summary(section)
            return f"Spreadsheet row {self._row_labels[section]}" + (f", {summary}" if summary else "")
        return None

    def _row_summary(self, row: int) -> str | None:
        idx = self._index
        found = idx.on_row(row)
        if not len(found):
            return None
        errors = sum(1 for i in found if idx.rank(int(i)) == ERROR)
        warnings = sum(1 for i in found if idx.rank(int(i)) == WARNING)
        parts = []
        if errors:
            parts.append(f"{errors} error{'s' if errors != 1 else ''}")
        if warnings:
            parts.append(f"{warnings} warning{'s' if warnings != 1 else ''}")
        whole_row = [str(idx.messages[i]) for i in found if idx.column(int(i)) < 0]
        text = ", ".join(parts) if parts else "notes only"
        return text + ("" if not whole_row else ": " + " ".join(whole_row))

