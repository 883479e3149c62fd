"""Reference-data browser: every code list, searchable by code or label."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop.ui.delegates import ContainsFilterProxy
from desktop.ui.theme import name_corner_button
from desktop.validation.codelists import CodeLists


class ReferenceBrowser(QDialog):
    def __init__(self, code_lists: CodeLists, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Reference data")
        self.resize(620, 520)
        self._lists = code_lists
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        list_label = QLabel("&List:")
        self.list_combo = QComboBox()
        self.list_combo.setAccessibleName("Code list")
        list_label.setBuddy(self.list_combo)
        top.addWidget(list_label)
        top.addWidget(self.list_combo, 1)
        search_label = QLabel("&Search:")
        self.search = QLineEdit()
        self.search.setPlaceholderText("Code or part of a label")
        self.search.setClearButtonEnabled(True)
        self.search.setAccessibleName("Search codes")
        search_label.setBuddy(self.search)
        top.addWidget(search_label)
        top.addWidget(self.search, 1)
        layout.addLayout(top)
        self.info = QLabel()
        self.info.setWordWrap(True)
        layout.addWidget(self.info)
        self.model = QStandardItemModel(self)
        self.proxy = ContainsFilterProxy(self)
        self.proxy.setSourceModel(self.model)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setAccessibleName("Codes")
        name_corner_button(self.table)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        layout.addWidget(self.table, 1)
        for name, cl in sorted(code_lists.lists.items(), key=lambda kv: kv[1].title.lower()):
            self.list_combo.addItem(f"{cl.title} ({len(cl.entries)})", name)
        self.list_combo.currentIndexChanged.connect(self._load)
        self.search.textChanged.connect(self._filter)
        self._load()

    def set_code_lists(self, code_lists: CodeLists) -> None:
        self._lists = code_lists
        self._load()

    def show_list(self, name: str, search: str = "") -> None:
        i = self.list_combo.findData(name)
        if i >= 0:
            self.list_combo.setCurrentIndex(i)
        self.search.setText(search)
        self.show()
        self.raise_()
        self.activateWindow()
        self.search.setFocus(Qt.FocusReason.OtherFocusReason)

    def _load(self) -> None:
        name = self.list_combo.currentData()
        self.model.clear()
        self.model.setHorizontalHeaderLabels(["Code", "Label"])
        if not name:
            return
        cl = self._lists[name]
        for e in cl.entries:
            code = QStandardItem(e.code)
            label = QStandardItem(e.label)
            if e.start_year or e.end_year:
                label.setToolTip(f"From {e.start_year or '—'} to {e.end_year or '—'}")
            self.model.appendRow([code, label])
        fields = ", ".join(cl.fields)
        self.info.setText(f"Used for: {fields}. Reference data {self._lists.label}.")
        self._filter(self.search.text())

    def _filter(self, text: str) -> None:
        self.proxy.setFilterFixedString(text.strip())
        self.table.resizeColumnToContents(0)

    def visible_codes(self) -> list[str]:
        return [self.proxy.index(r, 0).data() for r in range(self.proxy.rowCount())]
