"""Step 3, Review: the grid of every row, the problems panel and the field guide, and fixing in place.

The page is the controller for the grid: it turns keyboard and menu commands (next error, fill
down, paste, find and replace, fix all like this) into undoable changes on the model, and keeps
the filter, the problems panel and the counts in step after each change.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

import numpy as np
from PySide6.QtCore import QItemSelectionModel, QModelIndex, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QPushButton,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desktop.core.problems import group_title
from desktop.core.progress import CancelToken, Progress
from desktop.core.values import ValueMapper, ValueOptions
from desktop.ui.delegates import CellDelegate
from desktop.ui.dialogs import FixAllDialog, FixItem, MessageDialog
from desktop.ui.find_replace import FindReplaceDialog
from desktop.ui.findings_panel import FindingsPanel, build_groups
from desktop.ui.guide import FieldGuidePanel
from desktop.ui.jobs import Job, JobRunner
from desktop.ui.proxies import RowFilter, RowViewProxy
from desktop.ui.search import Matches, Query, find_cells
from desktop.ui.table_model import Change, FrameTableModel
from desktop.ui.theme import ERROR, WARNING, name_corner_button
from desktop.validation.codelists import CodeLists
from desktop.validation.template import Template

logger = logging.getLogger(__name__)

_WIDTH_CHARS = {"code": 22, "date": 12, "email": 26, "text": 16, "digits": 10, "hesa_id": 19, "integer": 8,
                "urn": 10, "placement_urn": 10, "year": 8}


class ReviewPage(QWidget):
    counts_changed = Signal()
    code_list_requested = Signal(str)
    mapping_field_requested = Signal(str)

    def __init__(self, template: Template, code_lists: CodeLists, jobs: JobRunner,
                 today: Callable[[], dt.date], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._template = template
        self._code_lists = code_lists
        self._jobs = jobs
        self._today = today
        self.model: FrameTableModel | None = None
        self._matches: Matches | None = None
        self._matches_generation = -1
        self._find: FindReplaceDialog | None = None

        layout = QVBoxLayout(self)
        bar = QHBoxLayout()
        filter_label = QLabel("S&how:")
        self.filter_combo = QComboBox()
        self.filter_combo.setAccessibleName("Which rows to show")
        self.filter_combo.setMinimumContentsLength(28)
        filter_label.setBuddy(self.filter_combo)
        self.filter_combo.activated.connect(self._filter_chosen)
        self.refilter_button = QPushButton("Appl&y again")
        self.refilter_button.setToolTip("Apply the filter again, so rows you have fixed drop out of it.")
        self.refilter_button.clicked.connect(self.refilter)
        self.next_button = QPushButton("Next &error (F8)")
        self.next_button.clicked.connect(lambda: self.next_error())
        self.shown_label = QLabel()
        self.shown_label.setAccessibleName("Rows shown")
        bar.addWidget(filter_label)
        bar.addWidget(self.filter_combo)
        bar.addWidget(self.refilter_button)
        bar.addWidget(self.next_button)
        bar.addStretch(1)
        bar.addWidget(self.shown_label)
        layout.addLayout(bar)

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.proxy = RowViewProxy(self)
        self.grid = QTableView()
        self.grid.setAccessibleName("Trainee rows")
        name_corner_button(self.grid)
        self.grid.setAccessibleDescription(
            "One row per trainee. Cells with errors have a red background and a cross icon; warnings are "
            "yellow with a triangle. F8 goes to the next error, F2 edits, Ctrl+Z undoes.")
        self.grid.setModel(self.proxy)
        self.delegate = CellDelegate(template, code_lists, self.grid, today=today)
        self.grid.setItemDelegate(self.delegate)
        self.grid.setWordWrap(False)
        self.grid.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.grid.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.grid.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked | QAbstractItemView.EditTrigger.EditKeyPressed
                                  | QAbstractItemView.EditTrigger.AnyKeyPressed)
        self.grid.setTabKeyNavigation(True)
        self.grid.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.grid.customContextMenuRequested.connect(self._cell_menu)
        vh = self.grid.verticalHeader()
        vh.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)  # never ResizeToContents: it scans every row
        vh.setDefaultSectionSize(self.grid.fontMetrics().height() + 8)
        vh.setMinimumWidth(self.grid.fontMetrics().horizontalAdvance("0000000") + 28)
        hh = self.grid.horizontalHeader()
        hh.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        hh.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        hh.customContextMenuRequested.connect(self._header_menu)
        hh.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        hh.setSortIndicatorShown(True)
        self.grid.setSortingEnabled(True)
        self.splitter.addWidget(self.grid)

        self.side = QTabWidget()
        self.findings = FindingsPanel()
        self.findings.cell_requested.connect(self.select_cell)
        self.findings.rule_filter_requested.connect(self._filter_problem)
        self.findings.fix_all_requested.connect(self.fix_all_like_this)
        self.findings.field_requested.connect(self.mapping_field_requested)
        self.side.addTab(self.findings, "&Problems")
        self.guide = FieldGuidePanel(template, code_lists)
        self.guide.code_list_requested.connect(self.code_list_requested)
        self.side.addTab(self.guide, "Field &guide")
        self.side.setAccessibleName("Problems and field guide")
        self.splitter.addWidget(self.side)
        self.splitter.setStretchFactor(0, 4)
        self.splitter.setStretchFactor(1, 1)
        layout.addWidget(self.splitter, 1)

        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(60)  # after the edited cell has repainted; coalesces bursts
        self._refresh_timer.timeout.connect(self._refresh_after_change)
        self._make_actions()
        self._fill_filter_combo()

    # ------------------------------------------------------------------ actions
    def _make_actions(self) -> None:
        def action(text: str, shortcut: QKeySequence | QKeySequence.StandardKey | str | None, slot: Callable[[], object], tip: str = "") -> QAction:
            a = QAction(text, self)
            if shortcut is not None:
                a.setShortcut(QKeySequence(shortcut))
                a.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            if tip:
                a.setStatusTip(tip)
            a.triggered.connect(lambda _checked=False: slot())
            self.grid.addAction(a)
            return a

        self.copy_action = action("&Copy", QKeySequence.StandardKey.Copy, self.copy)
        self.cut_action = action("Cu&t", QKeySequence.StandardKey.Cut, self.cut)
        self.paste_action = action("&Paste", QKeySequence.StandardKey.Paste, self.paste)
        self.clear_action = action("C&lear cells", QKeySequence.StandardKey.Delete, self.clear_cells)
        self.fill_down_action = action("Fill &down", "Ctrl+D", self.fill_down,
                                       "Copy the top cell of the selection into the cells below it")
        self.next_error_action = action("&Next error", "F8", self.next_error)
        self.previous_error_action = action("Pre&vious error", "Shift+F8", lambda: self.next_error(backward=True))
        self.next_error_action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.previous_error_action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)

    # ------------------------------------------------------------------ model
    def set_model(self, model: FrameTableModel) -> None:
        if self.model is not None:
            self.model.findings_changed.disconnect(self._refresh_timer.start)
        self.model = model
        self._matches = None
        self.grid.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.proxy.sort(-1)
        self.proxy.setSourceModel(model)
        self.proxy.set_filter(RowFilter())
        model.findings_changed.connect(self._refresh_timer.start)
        self.grid.selectionModel().currentChanged.connect(self._current_changed)
        self._fit_columns(model)
        self.findings.set_source(model)
        width = max(self.window().width() - 40, 900)
        side = max(380, width * 3 // 10)
        self.splitter.setSizes([width - side, side])  # room to read the problems and the guide
        self._fill_filter_combo()
        self._update_shown()
        if self._find is not None:
            self._find.close()
            self._find = None
        if model.rowCount():
            self.grid.setCurrentIndex(self.proxy.index(0, 0))

    def _fit_columns(self, model: FrameTableModel, sample: int = 400) -> None:
        """Each column wide enough for its header and for what its cells hold (a 17-digit HESA ID, a
        long e-mail), measured on the first rows, plus the error icon; never wider than 40 characters."""
        fm = self.grid.fontMetrics()
        icon_room = self.grid.iconSize().width() if self.grid.iconSize().width() > 0 else fm.height()
        pad = icon_room + 20
        widest = fm.averageCharWidth() * 40
        for col, name in enumerate(model.fields):
            f = self._template.field(name)
            label_width = fm.horizontalAdvance(f.label) + 34
            floor = fm.averageCharWidth() * _WIDTH_CHARS.get(f.kind, 14)
            values = model.column_values(col)[:sample]  # codes show "10 — Female": their floor covers it
            longest = max((str(v) for v in values), key=len, default="")
            content = fm.horizontalAdvance(longest) + pad if longest else 0
            self.grid.setColumnWidth(col, min(max(label_width, floor, content), max(widest, label_width)))

    def set_code_lists(self, code_lists: CodeLists) -> None:
        self._code_lists = code_lists
        self.delegate.set_code_lists(code_lists)
        self.guide.set_sources(self._template, code_lists)

    def _refresh_after_change(self) -> None:
        if self.model is None:
            return
        self.findings.refresh(self.model)
        self._fill_filter_combo()
        self._update_shown()
        self.counts_changed.emit()

    # ------------------------------------------------------------------ filter
    def _fill_filter_combo(self) -> None:
        """Show: the usual choices, then each kind of problem in words ("Sex: not a Register code (45)"),
        then each column with problems ("Column Sex: 47 problems")."""
        current = self.proxy.row_filter
        combo = self.filter_combo
        combo.blockSignals(True)
        combo.clear()
        for kind in ("all", "errors", "warnings", "edited"):
            combo.addItem(RowFilter(kind).label, RowFilter(kind))
        if self.model is not None:
            # from the model's findings now (the panel's groups follow on a timer after an edit)
            groups = [g for g in build_groups(self.model)
                      if len(g.members) and (self.model.findings_index.frame_rows[g.members] >= 0).any()]
            groups.sort(key=lambda g: (-g.rank, g.title))
            if groups:
                combo.insertSeparator(combo.count())
            for g in groups:
                if g.rank < WARNING:
                    continue  # notes (values converted) are not problems to filter by
                title = g.title
                combo.addItem(f"{title} ({len(g.members):,})", RowFilter("code", g.code, g.field, title))
            model = self.model
            idx = model.findings_index
            on_cells = (idx.frame_rows >= 0) & (idx.cols_array >= 0) & (idx.ranks_array >= WARNING)
            names, counts = np.unique(idx.field_names[on_cells], return_counts=True)
            columns = sorted(zip(names.tolist(), counts.tolist(), strict=True), key=lambda t: model.column_of(t[0]))
            if columns:
                combo.insertSeparator(combo.count())
            for name, n in columns:
                label = self._template.field(str(name)).label
                title = f"Column {label}: {int(n):,} problem{'s' if n != 1 else ''}"
                combo.addItem(title, RowFilter("column", column=str(name), title=f"Column {label}"))
        i = next((k for k in range(combo.count()) if combo.itemData(k) == current), -1)
        if i < 0 and current.kind in ("code", "column"):
            combo.addItem(f"{current.label} (none left)", current)
            i = combo.count() - 1
        combo.setCurrentIndex(max(i, 0))
        combo.setToolTip(combo.currentText())
        combo.blockSignals(False)

    def _filter_problem(self, code: str, field_name: str | None) -> None:
        label = self._template.field(field_name).label if field_name and field_name in self._template else None
        self.set_filter(RowFilter("code", code, field_name, group_title(code, label)))

    def _filter_chosen(self, i: int) -> None:
        f = self.filter_combo.itemData(i)
        if isinstance(f, RowFilter):
            self.set_filter(f)

    def set_filter(self, row_filter: RowFilter) -> None:
        if self.model is None:
            return
        keep = self._current_source()
        self.proxy.set_filter(row_filter)
        self._fill_filter_combo()
        self._update_shown()
        if keep is not None and self.proxy.proxy_row(keep[0]) >= 0:
            self._go(keep[0], keep[1])
        elif self.proxy.rowCount():
            self.grid.setCurrentIndex(self.proxy.index(0, keep[1] if keep else 0))

    def refilter(self) -> None:
        self.set_filter(self.proxy.row_filter)

    def _update_shown(self) -> None:
        if self.model is None:
            self.shown_label.clear()
            return
        total = self.model.rowCount()
        shown = self.proxy.rowCount()
        text = f"{total:,} rows" if shown == total else f"Showing {shown:,} of {total:,} rows"
        self.shown_label.setText(text)

    # ------------------------------------------------------------------ navigation
    def _current_source(self) -> tuple[int, int] | None:
        index = self.grid.currentIndex()
        if not index.isValid() or self.model is None:
            return None
        return self.proxy.source_row(index.row()), index.column()

    def current_cell(self) -> tuple[int, int] | None:
        """(frame row, column) of the current cell."""
        return self._current_source()

    def _go(self, row: int, col: int) -> None:
        prow = self.proxy.proxy_row(row)
        if prow < 0:
            return
        index = self.proxy.index(prow, col)
        self.grid.setCurrentIndex(index)
        self.grid.selectionModel().select(index, QItemSelectionModel.SelectionFlag.ClearAndSelect)
        self.grid.scrollTo(index, QAbstractItemView.ScrollHint.PositionAtCenter)

    def select_cell(self, row: int, col: int) -> None:
        """Show and select a cell, clearing the filter if it hides the row."""
        if self.model is None or not 0 <= row < self.model.rowCount():
            return
        if self.proxy.proxy_row(row) < 0:
            self.set_filter(RowFilter())
        self._go(row, col)
        self.grid.setFocus(Qt.FocusReason.OtherFocusReason)

    def next_error(self, backward: bool = False) -> bool:
        """Move to the next (or previous) error cell in the order shown; wraps around. False if none."""
        if self.model is None:
            return False
        rows = self.proxy.visible_source_rows()
        if not len(rows):
            return False
        idx = self.model.findings_index
        n_cols = self.model.columnCount()
        cells = idx.cells[rows] >= ERROR
        row_only = (idx.rows[rows] >= ERROR) & ~cells.any(axis=1)  # whole-row errors: go to the first cell
        cells[row_only, 0] = True
        flat = np.flatnonzero(cells.ravel())
        if not len(flat):
            MessageDialog.inform(self, "No errors", "No errors in the rows shown.")
            return False
        current = self.grid.currentIndex()
        pos = current.row() * n_cols + current.column() if current.isValid() else (-1 if not backward else len(rows) * n_cols)
        if backward:
            k = np.searchsorted(flat, pos, "left") - 1
            target = int(flat[k]) if k >= 0 else int(flat[-1])
        else:
            k = np.searchsorted(flat, pos, "right")
            target = int(flat[k]) if k < len(flat) else int(flat[0])
        prow, col = divmod(target, n_cols)
        index = self.proxy.index(prow, col)
        self.grid.setCurrentIndex(index)
        self.grid.selectionModel().select(index, QItemSelectionModel.SelectionFlag.ClearAndSelect)
        self.grid.scrollTo(index, QAbstractItemView.ScrollHint.EnsureVisible)
        self.grid.setFocus(Qt.FocusReason.ShortcutFocusReason)
        return True

    def _current_changed(self, current: QModelIndex, previous: QModelIndex) -> None:
        if self.model is not None and current.isValid():
            self.guide.show_field(self.model.field_at(current.column()))
            self.findings.show_cell(self.proxy.source_row(current.row()), current.column())

    # ------------------------------------------------------------------ editing commands
    def _selected(self) -> list[tuple[int, int]]:
        """Selected cells as (proxy row, column), in view order."""
        cells = {(i.row(), i.column()) for i in self.grid.selectionModel().selectedIndexes()}
        if not cells and self.grid.currentIndex().isValid():
            cur = self.grid.currentIndex()
            cells = {(cur.row(), cur.column())}
        return sorted(cells)

    def _convert(self, col: int, text: str) -> str:
        """What typing ``text`` into the column would store (codes from labels, ISO from UK dates)."""
        assert self.model is not None
        return self.delegate.convert(self.model.field_at(col), text)

    def copy(self) -> None:
        if self.model is None:
            return
        cells = self._selected()
        if not cells:
            return
        rows = sorted({r for r, _ in cells})
        cols = sorted({c for _, c in cells})
        chosen = set(cells)
        lines = []
        for r in rows:
            src = self.proxy.source_row(r)
            lines.append("\t".join(self.model.value(src, c) if (r, c) in chosen else "" for c in cols))
        QGuiApplication.clipboard().setText("\n".join(lines))

    def cut(self) -> None:
        self.copy()
        self.clear_cells(text="Cut")

    def clear_cells(self, text: str = "Clear cells") -> None:
        if self.model is None:
            return
        changes = [(self.proxy.source_row(r), c, "") for r, c in self._selected()]
        self.model.request_changes(changes, text)

    def paste(self) -> None:
        if self.model is None:
            return
        text = QGuiApplication.clipboard().text()
        if not text:
            return
        block = [line.split("\t") for line in text.rstrip("\r\n").replace("\r\n", "\n").split("\n")]
        selected = self._selected()
        if not selected:
            return
        changes: list[Change] = []
        if len(block) == 1 and len(block[0]) == 1 and len(selected) > 1:
            for r, c in selected:  # one value into every selected cell
                changes.append((self.proxy.source_row(r), c, self._convert(c, block[0][0])))
        else:
            cur = self.grid.currentIndex()  # a block lands at the current cell, as in a spreadsheet
            top, left = (cur.row(), cur.column()) if cur.isValid() else selected[0]
            for dr, line in enumerate(block):
                for dc, value in enumerate(line):
                    r, c = top + dr, left + dc
                    if r < self.proxy.rowCount() and c < self.model.columnCount():
                        changes.append((self.proxy.source_row(r), c, self._convert(c, value)))
        self.model.request_changes(changes, "Paste")

    def fill_down(self) -> None:
        """Each selected column takes the value of its top selected cell (or the cell above a single cell)."""
        if self.model is None:
            return
        by_col: dict[int, list[int]] = {}
        for r, c in self._selected():
            by_col.setdefault(c, []).append(r)
        changes: list[Change] = []
        for c, rows in by_col.items():
            rows.sort()
            if len(rows) == 1:
                if rows[0] == 0:
                    continue
                source, targets = rows[0] - 1, rows
            else:
                source, targets = rows[0], rows[1:]
            value = self.model.value(self.proxy.source_row(source), c)
            changes.extend((self.proxy.source_row(r), c, value) for r in targets)
        self.model.request_changes(changes, "Fill down")

    def fix_all_like_this(self, finding: int | None = None) -> bool:
        """Every cell with the chosen problem (its kind, in its field): each value listed with what
        it would become, changed in one undoable step."""
        if self.model is None:
            return False
        idx = self.model.findings_index
        if finding is None:
            cur = self._current_source()
            found = sorted(idx.on_cell(*cur), key=lambda i: -idx.rank(i)) if cur else []
            finding = next((i for i in found if idx.column(i) >= 0 and idx.rank(i) >= WARNING), None)
            if finding is None:
                return False
        col = idx.column(finding)
        if int(idx.frame_rows[finding]) < 0 or col < 0:
            return False
        code, name = str(idx.codes[finding]), self.model.field_at(col)
        members = (idx.codes == code) & (idx.field_names == name) & (idx.frame_rows >= 0)
        rows = np.unique(idx.frame_rows[members])
        column = self.model.column_values(col)
        counts: dict[str, int] = {}
        for r in rows.tolist():
            v = str(column[r])
            counts[v] = counts.get(v, 0) + 1
        f = self._template.field(name)
        code_list = self._code_lists.for_field(name) if f.kind == "code" else None
        mapper = ValueMapper(self._template, self._code_lists, ValueOptions(), self._today())
        items = []
        for value, n in sorted(counts.items(), key=lambda t: (-t[1], t[0])):
            change = mapper.change(name, value) if value else None
            items.append(FixItem(value, n, change.after if change is not None else ""))
        title = group_title(code, f.label)
        chosen = FixAllDialog.ask(self, f.label, title, items, code_list)
        if not chosen:
            return False
        changes = [(int(r), col, chosen[str(column[r])]) for r in rows.tolist() if str(column[r]) in chosen]
        return self.model.request_changes(changes, f"Fix all like this: {title} ({len(changes)} cells)")

    # ------------------------------------------------------------------ find and replace
    def open_find(self) -> FindReplaceDialog | None:
        if self.model is None:
            return None
        if self._find is None:
            labels = [self._template.field(n).label for n in self.model.fields]
            self._find = FindReplaceDialog(labels, self)
            self._find.query_changed.connect(self._preview)
            self._find.find_next_requested.connect(self.find_next)
            self._find.replace_all_requested.connect(self.replace_all)
        cur = self._current_source()
        self._find.open_with(self.model.value(*cur) if cur else "")
        return self._find

    def _preview(self, query: Query) -> None:
        if self.model is None or self._find is None:
            return
        if not query.find:
            self._find.show_preview(0, 0)
            return
        columns = [self.model.column_values(c) for c in range(self.model.columnCount())]
        generation = self.model.generation
        self._find.show_preview(0, 0, searching=True)

        def run(progress: Progress, token: CancelToken) -> Matches:
            return find_cells(columns, query, progress, token)

        job = Job(run, label="Searching")
        job.signals.succeeded.connect(lambda m: self._previewed(m, generation))
        job.signals.failed.connect(self._search_failed)
        self._jobs.start("find", job)

    def _previewed(self, matches: Matches, generation: int) -> None:
        self._matches, self._matches_generation = matches, generation
        if self._find is not None and self._find.query() == matches.query:
            self._find.show_preview(len(matches), matches.changes)

    def _search_failed(self, exc: object) -> None:
        logger.error("search failed: %s", type(exc).__name__, exc_info=exc if isinstance(exc, BaseException) else None)
        if self._find is not None:
            self._find.preview.setText("The search failed; try again or narrow it to one column.")

    def _matches_for(self, query: Query) -> Matches:
        assert self.model is not None
        if self._matches is not None and self._matches.query == query and self._matches_generation == self.model.generation:
            return self._matches
        columns = [self.model.column_values(c) for c in range(self.model.columnCount())]
        self._matches, self._matches_generation = find_cells(columns, query), self.model.generation
        return self._matches

    def find_next(self, query: Query) -> bool:
        if self.model is None or not query.find:
            return False
        m = self._matches_for(query)
        if not len(m):
            if self._find is not None:
                self._find.show_preview(0, 0)
            return False
        n_cols = self.model.columnCount()
        prows = np.array([self.proxy.proxy_row(int(r)) for r in m.rows], dtype=np.int64)
        keys = prows * n_cols + m.cols
        keys = np.sort(keys[prows >= 0])
        if not len(keys):
            self.set_filter(RowFilter())
            return self.find_next(query)
        cur = self.grid.currentIndex()
        pos = cur.row() * n_cols + cur.column() if cur.isValid() else -1
        k = np.searchsorted(keys, pos, "right")
        target = int(keys[k] if k < len(keys) else keys[0])
        prow, col = divmod(target, n_cols)
        index = self.proxy.index(prow, col)
        self.grid.setCurrentIndex(index)
        self.grid.scrollTo(index, QAbstractItemView.ScrollHint.EnsureVisible)
        return True

    def replace_all(self, query: Query) -> int:
        if self.model is None or not query.find:
            return 0
        m = self._matches_for(query)
        changes = [(int(r), int(c), v) for r, c, v in zip(m.rows, m.cols, m.new_values, strict=True)
                   if self.model.value(int(r), int(c)) != v]
        if not changes:
            return 0
        self.model.request_changes(changes, f"Replace '{query.find}' with '{query.replace}'")
        if self._find is not None:
            self._find.show_preview(0, 0)
            self._preview(self._find.query())
        return len(changes)

    # ------------------------------------------------------------------ menus
    def _cell_menu(self, pos: QPoint) -> None:
        if self.model is None:
            return
        index = self.grid.indexAt(pos)
        menu = QMenu(self)
        for a in (self.cut_action, self.copy_action, self.paste_action, self.clear_action, self.fill_down_action):
            menu.addAction(a)
        if index.isValid():
            src = self.proxy.source_row(index.row())
            idx = self.model.findings_index
            if any(idx.rank(i) >= WARNING for i in idx.on_cell(src, index.column())):
                menu.addSeparator()
                menu.addAction("Fix &all like this…", self.fix_all_like_this)
            menu.addSeparator()
            name = self.model.field_at(index.column())
            menu.addAction("About this &field", lambda: self.show_guide(name))
        menu.exec(self.grid.viewport().mapToGlobal(pos))

    def _header_menu(self, pos: QPoint) -> None:
        if self.model is None:
            return
        hh = self.grid.horizontalHeader()
        col = hh.logicalIndexAt(pos)
        if col < 0:
            return
        name = self.model.field_at(col)
        menu = QMenu(self)
        menu.addAction("About this &field", lambda: self.show_guide(name))
        menu.addSeparator()
        menu.addAction("Sort &A to Z", lambda: self.grid.sortByColumn(col, Qt.SortOrder.AscendingOrder))
        menu.addAction("Sort &Z to A", lambda: self.grid.sortByColumn(col, Qt.SortOrder.DescendingOrder))
        menu.addAction("File &order", self.file_order)
        menu.exec(hh.mapToGlobal(pos))

    def file_order(self) -> None:
        self.grid.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.proxy.sort(-1)

    def show_guide(self, field_name: str) -> None:
        self.guide.show_field(field_name)
        self.side.setCurrentWidget(self.guide)
