"""The field guide, in the app's own words (``resources/guide/<version>.json``), and its panel.

Shown beside the mapping step and behind the grid's column headers. Each entry says what the
field means, its HESA alignment (from the template), its format, an example (with the code's
label when the field takes a code) and what to watch for.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from functools import cache

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from desktop.core.fieldwords import matches
from desktop.validation.codelists import CodeLists
from desktop.validation.resources import read_json
from desktop.validation.template import Template

_NEED = {"M": "Required", "O": "Optional", "C": "Required in some cases"}


@dataclass(frozen=True)
class GuideEntry:
    name: str
    meaning: str
    format: str
    example: str
    notes: str
    privacy: str  # "", "personal" or "special" (special-category personal data)


@cache
def load_guide(version: str = "v2026.1") -> dict[str, GuideEntry]:
    doc = read_json("guide", f"{version}.json")
    return {e["name"]: GuideEntry(**e) for e in doc["fields"]}


def personal_fields(version: str = "v2026.1") -> frozenset[str]:
    return frozenset(n for n, e in load_guide(version).items() if e.privacy)


def guide_html(template: Template, code_lists: CodeLists, name: str) -> str:
    if name not in template:
        return "<p>Choose a field to read about it.</p>"
    f = template.field(name)
    entry = load_guide(template.version).get(name)
    e = html.escape
    parts = [f"<h3>{e(f.label)}</h3>",
             f"<p><b>Template column:</b> <code>{e(f.name)}</code> · <b>{_NEED.get(f.requirement, '')}</b>"]
    if f.hesa:
        parts.append(f" · <b>HESA:</b> {e(f.hesa)}")
    if f.max_length:
        parts.append(f" · at most {f.max_length} characters")
    parts.append("</p>")
    if entry is None:
        parts.append("<p>No guide text for this field yet.</p>")
        return "".join(parts)
    parts.append(f"<p>{e(entry.meaning)}</p>")
    parts.append(f"<p><b>Format:</b> {e(entry.format)}</p>")
    example = entry.example
    code_list = code_lists.for_field(name) if f.kind == "code" else None
    if code_list is not None and example in code_list:
        example = f"{example} — {code_list.label(example)}"
    parts.append(f"<p><b>Example:</b> <code>{e(example)}</code></p>")
    if entry.notes:
        parts.append(f"<p>{e(entry.notes)}</p>")
    if entry.privacy == "special":
        parts.append("<p><i>Special-category personal data.</i></p>")
    elif entry.privacy == "personal":
        parts.append("<p><i>Personal data.</i></p>")
    if code_list is not None:
        parts.append(f'<p><a href="codes:{e(code_list.name)}">Browse the {len(code_list.entries)} '
                     f"{e(code_list.title)} codes…</a></p>")
    return "".join(parts)


class FieldGuidePanel(QTextBrowser):
    """Read-only guide text for one field; a link opens its code list in the reference browser."""

    code_list_requested = Signal(str)

    def __init__(self, template: Template, code_lists: CodeLists, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._template = template
        self._code_lists = code_lists
        self._field: str | None = None
        self.setOpenLinks(False)
        self.setAccessibleName("Field guide")
        self.anchorClicked.connect(self._anchor)
        self.setHtml("<p>Choose a field to read about it.</p>")

    @property
    def field_name(self) -> str | None:
        return self._field

    def set_sources(self, template: Template, code_lists: CodeLists) -> None:
        self._template, self._code_lists = template, code_lists
        if self._field:
            self.show_field(self._field)

    def show_field(self, name: str) -> None:
        if name == self._field and self.toPlainText():
            return
        self._field = name
        self.setHtml(guide_html(self._template, self._code_lists, name))

    def _anchor(self, url: QUrl) -> None:
        text = url.toString()
        if text.startswith("codes:"):
            self.code_list_requested.emit(text.removeprefix("codes:"))


class FieldGuideWindow(QDialog):
    """Help → Field guide: every template field with its guide text, searchable, with no file open."""

    code_list_requested = Signal(str)

    def __init__(self, template: Template, code_lists: CodeLists, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Field guide — Register template {template.version}")
        self.resize(860, 600)
        self._template = template
        layout = QVBoxLayout(self)
        intro = QLabel(f"The {len(template.names)} columns of Register's bulk-add template: what each means, its "
                       "format and an example, in this app's own words.")
        intro.setWordWrap(True)
        layout.addWidget(intro)
        search_row = QHBoxLayout()
        label = QLabel("&Search:")
        self.search = QLineEdit()
        self.search.setPlaceholderText("Part of a field's name, column or meaning")
        self.search.setClearButtonEnabled(True)
        self.search.setAccessibleName("Search the field guide")
        label.setBuddy(self.search)
        search_row.addWidget(label)
        search_row.addWidget(self.search, 1)
        layout.addLayout(search_row)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        self.fields = QListWidget()
        self.fields.setAccessibleName("Template fields")
        for name in template.names:
            f = template.field(name)
            item = QListWidgetItem(f.label)
            item.setData(Qt.ItemDataRole.UserRole, name)
            item.setToolTip(name)
            self.fields.addItem(item)
        self.panel = FieldGuidePanel(template, code_lists)
        self.panel.code_list_requested.connect(self.code_list_requested)
        splitter.addWidget(self.fields)
        splitter.addWidget(self.panel)
        splitter.setSizes([280, 580])
        layout.addWidget(splitter, 1)
        self.fields.currentItemChanged.connect(self._chosen)
        self.search.textChanged.connect(self._filter)
        self.fields.setCurrentRow(0)

    def set_code_lists(self, code_lists: CodeLists) -> None:
        self.panel.set_sources(self._template, code_lists)

    def _chosen(self, item: QListWidgetItem | None, _previous: QListWidgetItem | None = None) -> None:
        if item is not None:
            self.panel.show_field(str(item.data(Qt.ItemDataRole.UserRole)))

    def _filter(self, text: str) -> None:
        first = None
        for i in range(self.fields.count()):
            item = self.fields.item(i)
            # the same words as the Map step's "Find a field": label, name, HESA name, exports' wordings, meaning
            hidden = not matches(self._template, str(item.data(Qt.ItemDataRole.UserRole)), text)
            item.setHidden(hidden)
            if not hidden and first is None:
                first = item
        current = self.fields.currentItem()
        if first is not None and (current is None or current.isHidden()):
            self.fields.setCurrentItem(first)

    def visible_fields(self) -> list[str]:
        return [str(self.fields.item(i).data(Qt.ItemDataRole.UserRole)) for i in range(self.fields.count())
                if not self.fields.item(i).isHidden()]

    def show_field(self, name: str) -> None:
        for i in range(self.fields.count()):
            if self.fields.item(i).data(Qt.ItemDataRole.UserRole) == name:
                self.search.clear()
                self.fields.setCurrentRow(i)
                break
        self.show()
        self.raise_()
        self.activateWindow()
