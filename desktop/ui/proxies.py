"""Filter and sort for the review grid, as a row permutation (numpy), not per-row Python calls.

A ``QSortFilterProxyModel`` would call Python ``filterAcceptsRow``/``lessThan`` hundreds of
thousands of times at 100,000 rows; here a filter is one mask over the model's per-row severity
array and a sort is one ``argsort`` of the column, as glue's table viewer does. Rows fixed after
the filter was applied stay visible until the filter is applied again, so a row does not vanish
under the cursor while it is being corrected.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from PySide6.QtCore import (
    QAbstractProxyModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
)
from typing_extensions import override

from desktop.ui.table_model import FindingsIndex, FrameTableModel, RoleData
from desktop.ui.theme import ERROR, WARNING

Index = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True)
class RowFilter:
    """Which rows the grid shows: ``all``, ``errors``, ``warnings``, ``edited``, ``code`` (one kind of
    problem, on one field when ``column`` is given) or ``column`` (any problem in one column)."""

    kind: str = "all"
    code: str | None = None
    column: str | None = None  # a template field name
    title: str = field(default="", compare=False)  # in words, for the Show list ("Sex: not a Register code")

    @property
    def label(self) -> str:
        fixed = {"all": "All rows", "errors": "Rows with errors", "warnings": "Rows with warnings",
                 "edited": "Rows changed here"}
        if self.kind in fixed:
            return fixed[self.kind]
        if self.title:
            return self.title
        return f"Column: {self.column}" if self.kind == "column" else f"Problem: {self.code}"


class RowViewProxy(QAbstractProxyModel):
    """Shows a subset of the source rows in a chosen order; columns pass straight through."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._src: FrameTableModel | None = None
        self._rows = np.zeros(0, dtype=np.int64)  # proxy row -> source row
        self._inv = np.zeros(0, dtype=np.int64)  # source row -> proxy row (-1: hidden)
        self._filter = RowFilter()
        self._sort: tuple[int, Qt.SortOrder] | None = None
        self._n_cols = 0

    # ------------------------------------------------------------------ wiring
    # narrower than QAbstractProxyModel.setSourceModel(QAbstractItemModel): this proxy reads the
    # grid model's own lookups, so it accepts only a FrameTableModel
    @override
    def setSourceModel(self, model: FrameTableModel) -> None:  # type: ignore[override]
        self.beginResetModel()
        if self._src is not None:
            for signal, slot in self._connections():
                signal.disconnect(slot)
        self._src = model
        self._n_cols = model.columnCount()
        super().setSourceModel(model)
        for signal, slot in self._connections():
            signal.connect(slot)
        self._compute()
        self.endResetModel()

    def _connections(self) -> list[tuple[Any, Any]]:
        src = self._src
        assert src is not None
        return [
            (src.dataChanged, self._source_data_changed),
            (src.headerDataChanged, self._source_header_changed),
            (src.modelAboutToBeReset, self._source_about_to_reset),
            (src.modelReset, self._source_reset),
        ]

    def source(self) -> FrameTableModel:
        assert self._src is not None
        return self._src

    @property
    def row_filter(self) -> RowFilter:
        return self._filter

    def set_filter(self, row_filter: RowFilter) -> None:
        self.beginResetModel()
        self._filter = row_filter
        self._compute()
        self.endResetModel()

    def refilter(self) -> None:
        """Apply the current filter again (rows fixed since then disappear from an error filter)."""
        self.set_filter(self._filter)

    def visible_source_rows(self) -> np.ndarray:
        return self._rows

    def _mask(self) -> np.ndarray:
        src = self.source()
        idx = src.findings_index
        n = src.rowCount()
        kind = self._filter.kind
        if kind == "errors":
            return idx.rows >= ERROR
        if kind == "warnings":
            mask = _row_level(idx, n, WARNING)
            mask |= np.any(idx.cells == WARNING, axis=1)
            return mask
        if kind == "edited":
            mask = np.zeros(n, dtype=bool)
            rows = [r for r, _ in src.edited_cells()]
            mask[rows] = True
            return mask
        if kind == "code" and self._filter.code:
            hit = idx.codes == self._filter.code
            if self._filter.column is not None:
                hit &= idx.field_names == self._filter.column
            return _rows_mask(idx.frame_rows[hit], n)
        if kind == "column" and self._filter.column:
            hit = (idx.field_names == self._filter.column) & (idx.ranks_array >= WARNING)
            return _rows_mask(idx.frame_rows[hit], n)
        return np.ones(n, dtype=bool)

    def _compute(self) -> None:
        if self._src is None:
            return
        rows = np.flatnonzero(self._mask()).astype(np.int64)
        if self._sort is not None:
            col, order = self._sort
            values = self.source().column_values(col)[rows]
            perm = np.argsort(values.astype(str), kind="stable")
            if order == Qt.SortOrder.DescendingOrder:
                perm = perm[::-1]
            rows = rows[perm]
        self._rows = rows
        inv = np.full(self.source().rowCount(), -1, dtype=np.int64)
        inv[rows] = np.arange(len(rows))
        self._inv = inv

    # ------------------------------------------------------------------ source signals
    def _source_data_changed(self, top_left: QModelIndex, bottom_right: QModelIndex, roles: list[Any]) -> None:
        proxy_rows = self._inv[top_left.row(): bottom_right.row() + 1]
        proxy_rows = proxy_rows[proxy_rows >= 0]
        if not len(proxy_rows):
            return
        left, right = top_left.column(), bottom_right.column()
        if len(proxy_rows) == 1:
            r = int(proxy_rows[0])
            self.dataChanged.emit(self.index(r, left), self.index(r, right), roles)
        else:
            self.dataChanged.emit(self.index(int(proxy_rows.min()), left), self.index(int(proxy_rows.max()), right), roles)

    def _source_header_changed(self, orientation: Qt.Orientation, first: int, last: int) -> None:
        if orientation == Qt.Orientation.Horizontal:
            self.headerDataChanged.emit(orientation, first, last)
            return
        rows = self._inv[first: last + 1]
        rows = rows[rows >= 0]
        if len(rows):
            self.headerDataChanged.emit(orientation, int(rows.min()), int(rows.max()))

    def _source_about_to_reset(self) -> None:
        self.beginResetModel()

    def _source_reset(self) -> None:
        self._n_cols = self.source().columnCount()
        self._compute()
        self.endResetModel()

    # ------------------------------------------------------------------ mapping
    @override
    def mapToSource(self, proxy_index: Index) -> QModelIndex:
        if not proxy_index.isValid() or self._src is None:
            return QModelIndex()
        row = proxy_index.row()
        if not 0 <= row < len(self._rows):
            return QModelIndex()
        return self._src.index(int(self._rows[row]), proxy_index.column())

    @override
    def mapFromSource(self, source_index: Index) -> QModelIndex:
        if not source_index.isValid():
            return QModelIndex()
        row = source_index.row()
        if not 0 <= row < len(self._inv) or self._inv[row] < 0:
            return QModelIndex()
        return self.index(int(self._inv[row]), source_index.column())

    def proxy_row(self, source_row: int) -> int:
        """Where a source row is shown, or -1 when the filter hides it."""
        return int(self._inv[source_row]) if 0 <= source_row < len(self._inv) else -1

    def source_row(self, proxy_row: int) -> int:
        return int(self._rows[proxy_row])

    @override
    def index(self, row: int, column: int, parent: Index = QModelIndex()) -> QModelIndex:
        # bounds checked here, not by hasIndex(): that calls back into rowCount/columnCount
        if parent.isValid() or self._src is None or not (0 <= row < len(self._rows) and 0 <= column < self._n_cols):
            return QModelIndex()
        return self.createIndex(row, column)

    # the model-index overload of parent(); the stubs merge it with QObject.parent() and reject it
    @override
    def parent(self, child: Index = QModelIndex()) -> QModelIndex:  # type: ignore[override]
        return QModelIndex()

    @override
    def sibling(self, row: int, column: int, idx: Index) -> QModelIndex:
        return self.index(row, column)

    @override
    def hasChildren(self, parent: Index = QModelIndex()) -> bool:
        return not parent.isValid() and len(self._rows) > 0 and self.columnCount() > 0

    @override
    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    @override
    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() or self._src is None else self._src.columnCount()

    @override
    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole.value) -> Any:
        if not index.isValid() or self._src is None:
            return None
        row = index.row()
        if not 0 <= row < len(self._rows):
            return None
        return self._src.cell_data(int(self._rows[row]), index.column(), role)

    @override
    def multiData(self, index: Index, roleDataSpan: RoleData) -> None:
        """Every role of a cell in one call: Qt's item delegate asks for seven roles per painted cell."""
        if self._src is None or not index.isValid():
            return
        row = index.row()
        if not 0 <= row < len(self._rows):
            return
        self._src.fill_roles(int(self._rows[row]), index.column(), roleDataSpan)

    @override
    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole.value) -> bool:
        if not index.isValid() or self._src is None:
            return False
        return self._src.setData(self.mapToSource(index), value, role)

    @override
    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid() or self._src is None:
            return Qt.ItemFlag.NoItemFlags
        return self._src.CELL_FLAGS  # every cell alike: no source index needed

    @override
    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole.value) -> Any:
        if self._src is None:
            return None
        if orientation == Qt.Orientation.Vertical:
            if not 0 <= section < len(self._rows):
                return None
            return self._src.headerData(int(self._rows[section]), orientation, role)
        return self._src.headerData(section, orientation, role)

    @override
    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self.layoutAboutToBeChanged.emit()
        persistent = self.persistentIndexList()
        sources = [self.mapToSource(i) for i in persistent]
        self._sort = None if column < 0 else (column, order)
        self._compute()
        self.changePersistentIndexList(persistent, [self.mapFromSource(s) for s in sources])
        self.layoutChanged.emit()


def _rows_mask(rows: np.ndarray, n: int) -> np.ndarray:
    mask = np.zeros(n, dtype=bool)
    rows = rows[(rows >= 0) & (rows < n)]
    mask[rows] = True
    return mask


def _row_level(idx: FindingsIndex, n: int, rank: int) -> np.ndarray:
    """Rows carrying a whole-row finding of exactly ``rank``."""
    mask = np.zeros(n, dtype=bool)
    rows = idx.frame_rows
    hit = (idx.cols_array < 0) & (idx.ranks_array == rank) & (rows >= 0) & (rows < n)
    mask[rows[hit]] = True
    return mask
