"""UK dates, code look-up from labels, and the cell editors."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QStyleOptionViewItem, QWidget

from desktop.ui.delegates import CellDelegate, CodeComboBox, Converter, DateLineEdit, code_from_text
from desktop.ui.table_model import FrameTableModel
from desktop.validation.codelists import bundled_code_lists
from desktop.validation.template import load_template
from tests.ui.conftest import trainee

TODAY = dt.date(2026, 11, 28)


@pytest.fixture
def convert():  # type: ignore[no-untyped-def]
    return Converter(load_template(), bundled_code_lists(), lambda: TODAY)


@pytest.mark.parametrize(("field", "typed", "stored"), [
    ("date_of_birth", "13/04/1990", "1990-04-13"),
    ("date_of_birth", "13-Feb-1985", "1985-02-13"),
    ("date_of_birth", "13.02.85", "1985-02-13"),
    ("itt_start_date", "1/9/2026", "2026-09-01"),
    ("itt_start_date", "2026-09-01", "2026-09-01"),
    ("sex", "Female", "10"),
    ("sex", "10 — Female", "10"),
    ("study_mode", "1", "01"),
    ("nationality", "gb", "GB"),
    ("first_names", "  Siân ", "Siân"),
])
def test_typed_and_pasted_text_is_stored_as_register_expects(convert, field, typed, stored):
    """Typing a UK date or a label stores what Register accepts, by the core's own value rules."""
    assert convert(field, typed) == stored


@pytest.mark.parametrize(("field", "typed"), [("date_of_birth", "31/02/1990"), ("sex", "Banana"), ("date_of_birth", "02/13/1990")])
def test_what_cannot_be_read_is_kept_as_typed(convert, field, typed):
    """A date that does not exist, or an unknown label, stays as typed so the cell shows its error."""
    assert convert(field, typed) == typed


def test_code_from_label_name_or_display_text():
    """'Female', 'female', '10' and '10 — Female' all mean code 10; unknown text is kept."""
    sex = bundled_code_lists()["sex"]
    for text in ("Female", "female", "10", "10 — Female", " 10 "):
        assert code_from_text(text, sex) == "10"
    assert code_from_text("Banana", sex) == "Banana"


def test_code_drop_down_filters_by_any_part_of_code_or_label(qtbot):
    """The completer matches inside labels, case-insensitively ("fem" finds 10 — Female)."""
    box = CodeComboBox(bundled_code_lists()["sex"])
    qtbot.addWidget(box)
    completer = box.completer()
    completer.setCompletionPrefix("fem")
    assert completer.completionCount() == 1
    assert completer.currentCompletion() == "10 — Female"
    box.set_code("11")
    assert box.code() == "11"


def test_delegate_chooses_editor_by_field_kind_and_stores_iso_dates(qtbot, make_session):
    """Code fields get the drop-down, date fields the UK date box; a typed UK date is stored as ISO."""
    model = FrameTableModel(make_session([trainee(0)]))
    parent = QWidget()
    qtbot.addWidget(parent)
    delegate = CellDelegate(load_template(), bundled_code_lists(), parent, today=lambda: TODAY)
    option = QStyleOptionViewItem()
    sex = model.index(0, model.column_of("sex"))
    dob = model.index(0, model.column_of("date_of_birth"))
    assert isinstance(delegate.createEditor(parent, option, sex), CodeComboBox)
    editor = delegate.createEditor(parent, option, dob)
    assert isinstance(editor, DateLineEdit)
    delegate.setEditorData(editor, dob)
    assert editor.text() == model.value(0, dob.column())
    editor.setText("13/04/1991")
    delegate.setModelData(editor, model, dob)
    assert model.value(0, dob.column()) == "1991-04-13"
    combo = delegate.createEditor(parent, option, sex)
    delegate.setEditorData(combo, sex)
    combo.setEditText("Male")
    delegate.setModelData(combo, model, sex)
    assert model.data(sex, Qt.ItemDataRole.EditRole) == "11"
