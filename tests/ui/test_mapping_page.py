"""The Map step: choosing source columns, value mapping, and what the review then shows."""

from __future__ import annotations

from PySide6.QtCore import Qt

from desktop.core.draft import MappingDraft
from desktop.core.mapping import exact_mapping
from desktop.core.values import ValueMapper, ValueOptions
from desktop.ui.main_window import MAP, REVIEW
from desktop.ui.pages.mapping_page import MappingModel, ValueMapModel
from desktop.validation.codelists import bundled_code_lists
from desktop.validation.template import load_template
from tests.helpers import TEMPLATE
from tests.ui.conftest import trainee

RENAMES = {"last_name": "Family name on file", "sex": "Col 9"}  # nothing a suggestion can read


def messy_file(make_file):  # type: ignore[no-untyped-def]
    rows = []
    for i in range(4):
        row = trainee(i, sex="Female" if i % 2 else "Chap")
        rows.append({RENAMES.get(k, k): v for k, v in row.items()})
    headers = [RENAMES.get(n, n) for n in TEMPLATE.names]
    return make_file(rows, headers=headers)


def open_for_mapping(qtbot, window, path):  # type: ignore[no-untyped-def]
    with qtbot.waitSignal(window.jobs.busy_changed, timeout=10000, check_params_cb=lambda busy: not busy):
        window.open_file(path)
    assert window.step == MAP
    return window.mapping_page


def test_mapping_models_pass_qt_model_tester(qtmodeltester, make_file):
    """Both mapping tables are valid models."""
    from desktop.core.loading import read_table

    raw = read_table(messy_file(make_file))
    model = MappingModel(load_template())
    model.set_draft(MappingDraft(raw, exact_mapping(raw.headers, load_template()), ValueOptions()), {})
    qtmodeltester.check(model)
    values = ValueMapModel()
    lists = bundled_code_lists()
    rows = ValueMapper(load_template(), lists).value_rows("sex", raw.column("Col 9").tolist())
    values.set_rows("sex", lists["sex"], rows)
    qtmodeltester.check(values)


def test_unmapped_required_fields_are_named_and_can_be_chosen(qtbot, window, make_file):
    """Columns nobody could recognise: the page names the required fields left, and choosing maps them."""
    page = open_for_mapping(qtbot, window, messy_file(make_file))
    model = page.model
    for name in ("last_name", "sex"):
        if model.source_for(name):  # whatever the suggestion guessed, start from "not mapped"
            model.set_source_for(name, None)
    text = page.summary.text()
    assert "Required but not mapped" in text and "Last name" in text and "Sex" in text
    assert "Family name on file" in text and "Col 9" in text  # columns not used
    row = model.row_of("last_name")
    assert model.data(model.index(row, MappingModel.SOURCE)) == "— not mapped —"
    assert model.setData(model.index(row, MappingModel.SOURCE), "Family name on file")
    assert not model.setData(model.index(row, MappingModel.SOURCE), "No such column")
    assert model.data(model.index(row, MappingModel.MATCH)) == "Chosen by you"
    assert page.mapping().columns["last_name"] == "Family name on file"


def test_a_column_feeds_one_field_only(qtbot, window, make_file):
    """Choosing a column already used elsewhere moves it: two fields never share a column silently."""
    page = open_for_mapping(qtbot, window, messy_file(make_file))
    model = page.model
    model.set_source_for("previous_last_name", "Family name on file")
    model.set_source_for("last_name", "Family name on file")
    assert model.source_for("last_name") == "Family name on file"
    assert model.source_for("previous_last_name") is None


def map_messy(page) -> None:  # type: ignore[no-untyped-def]
    page.model.set_source_for("last_name", "Family name on file")
    page.model.set_source_for("sex", "Col 9")


def test_value_mapping_shows_counts_and_what_each_value_becomes(qtbot, window, make_file):
    """'Female' becomes 10 by its label; 'Chap' is not a label, so it is flagged until the user picks a code."""
    page = open_for_mapping(qtbot, window, messy_file(make_file))
    map_messy(page)
    page.select_field("sex")
    values = page.value_model
    assert values.field_name == "sex"
    shown = {values.data(values.index(r, 0)): (values.data(values.index(r, 1)), values.data(values.index(r, 2)))
             for r in range(values.rowCount())}
    assert shown == {"Female": ("2", "10 — Female"), "Chap": ("2", "Chap")}
    assert values.unknown() == (1, 2)
    assert "cannot be used as they are" in page.values_intro.text()


def test_a_value_the_user_maps_fixes_every_row_with_it(qtbot, window, make_file):
    """Choosing 11 for 'Chap' goes into the value map; the review then has no errors and notes each change."""
    page = open_for_mapping(qtbot, window, messy_file(make_file))
    map_messy(page)
    page.select_field("sex")
    values = page.value_model
    r = next(r for r in range(values.rowCount()) if values.data(values.index(r, 0)) == "Chap")
    assert values.setData(values.index(r, ValueMapModel.BECOMES), "11")
    r = next(r for r in range(values.rowCount()) if values.data(values.index(r, 0)) == "Chap")
    assert values.data(values.index(r, ValueMapModel.HOW)) == "Your value map"
    assert dict(page.options().user_maps["sex"]) == {"Chap": "11"}
    with qtbot.waitSignal(window.file_ready, timeout=10000):
        page.continue_button.click()
    assert window.step == REVIEW
    assert window.session.summary()["errors"] == 0
    model = window.model
    assert list(model.column_values(model.column_of("sex"))) == ["11", "10", "11", "10"]
    notes = model.data(model.index(0, model.column_of("sex")), Qt.ItemDataRole.ToolTipRole)
    assert "'Chap'" in notes and "Note" in notes  # every change is visible on its cell


def test_a_kind_of_change_can_be_turned_off(qtbot, window, make_file):
    """Turning off 'labels' leaves 'Female' as it is, to be flagged."""
    page = open_for_mapping(qtbot, window, messy_file(make_file))
    map_messy(page)
    page.select_field("sex")
    page.kind_boxes["labels"].setChecked(False)
    assert "labels" in page.options().disabled
    assert page.value_model.unknown() == (2, 4)


def test_the_search_box_narrows_the_field_list(qtbot, window, make_file):
    """Typing in Find a field filters the mapping table by field or column name."""
    page = open_for_mapping(qtbot, window, messy_file(make_file))
    qtbot.keyClicks(page.search, "disability")
    assert page.proxy.rowCount() == 9
    page.search.clear()
    assert page.proxy.rowCount() == 51


def test_the_guide_follows_the_selected_field(qtbot, window, make_file):
    """Selecting a field shows its guide beside the mapping."""
    page = open_for_mapping(qtbot, window, messy_file(make_file))
    page.select_field("date_of_birth")
    assert "BIRTHDTE" in page.guide.toPlainText() and "YYYY-MM-DD" in page.guide.toPlainText()
    page.table.setFocus()
    qtbot.keyClick(page.table, Qt.Key.Key_Down)
    assert page.guide.field_name == "ni_number"
