"""The Map step as a newcomer drives it: a visible drop-down per field, suggestions, Confirm, Undo, values."""

from __future__ import annotations

import shutil
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton

from desktop.core.draft import MappingDraft
from desktop.core.mapping import exact_mapping
from desktop.core.profiles import ProfileStore
from desktop.core.values import ValueMapper, ValueOptions
from desktop.ui.main_window import MAP, REVIEW
from desktop.ui.pages.mapping_page import NOT_MAPPED, MappingModel, SourceCombo, ValueMapModel
from desktop.validation.codelists import bundled_code_lists
from desktop.validation.template import load_template
from tests.helpers import TEMPLATE
from tests.ui.conftest import trainee

RENAMES = {"last_name": "Family name on file", "sex": "Col 9"}  # nothing a suggestion can read
EXPORTS = Path(__file__).resolve().parent.parent / "data" / "exports"


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


def class_without_grade(tmp_path: Path) -> Path:
    """The issue's file with its degree class not mapped yet (as a profile that left it out would)."""
    path = tmp_path / "records.csv"
    shutil.copy(EXPORTS / "class-column.csv", path)
    return path


def test_mapping_models_pass_qt_model_tester(qtmodeltester, make_file):
    """Both mapping tables are valid models."""
    from desktop.core.loading import read_table

    raw = read_table(messy_file(make_file))
    model = MappingModel(load_template())
    model.set_draft(MappingDraft(raw, exact_mapping(raw.headers, load_template()), ValueOptions()))
    qtmodeltester.check(model)
    values = ValueMapModel()
    lists = bundled_code_lists()
    rows = ValueMapper(load_template(), lists).value_rows("sex", raw.column("Col 9").tolist())
    values.set_rows("sex", lists["sex"], rows)
    qtmodeltester.check(values)


def test_every_field_has_a_visible_drop_down_with_values_and_used_marks(qtbot, window, make_file):
    """No hidden control: each row carries its own drop-down, named for screen readers, listing every
    column with a few values and which field already uses it."""
    page = open_for_mapping(qtbot, window, messy_file(make_file))
    for name in TEMPLATE.names:
        combo = page.combo_for(name)
        assert isinstance(combo, SourceCombo) and combo.isVisibleTo(page)
        assert combo.accessibleName() == f"Column for {TEMPLATE.field(name).label}"
    combo = page.combo_for("last_name")
    assert combo.count() == 1 and combo.currentText() == NOT_MAPPED  # closed: its current column only
    combo.fill()  # what opening it shows
    items = combo.model()
    rows = {items.index(r, 0).data(): (items.index(r, 1).data(), items.index(r, 2).data()) for r in range(items.rowCount())}
    assert rows[NOT_MAPPED] == ("", "")
    assert rows["first_names"][1] == "used for First names"
    assert rows["Family name on file"][1] == "not used"
    assert "O'Brien" in rows["Family name on file"][0]  # sample values of the column


def test_one_pick_in_the_drop_down_maps_and_a_column_feeds_one_field(qtbot, window, make_file):
    """Choosing in the list changes the mapping at once (one Enter); the column leaves any field it fed."""
    page = open_for_mapping(qtbot, window, messy_file(make_file))
    combo = page.combo_for("last_name")
    combo.setFocus()
    combo.showPopup()
    target = combo.findData("Family name on file", Qt.ItemDataRole.UserRole)
    combo.view().setCurrentIndex(combo.model().index(target, 0))
    qtbot.keyClick(combo.view(), Qt.Key.Key_Return)  # one Enter
    assert page.mapping().columns["last_name"] == "Family name on file"
    assert page.model.data(page.model.index(page.model.row_of("last_name"), MappingModel.MATCH)) == "Chosen by you"
    page.choose_column("previous_last_name", "Family name on file")
    assert page.mapping().columns["previous_last_name"] == "Family name on file"
    assert page.mapping().columns["last_name"] is None


def test_arrow_keys_and_the_wheel_never_change_a_column_silently(qtbot, window, make_file):
    page = open_for_mapping(qtbot, window, messy_file(make_file))
    combo = page.combo_for("first_names")
    combo.setFocus()
    qtbot.keyClick(combo, Qt.Key.Key_Down)
    assert page.mapping().columns["first_names"] == "first_names"
    assert page.table.currentIndex().data(MappingModel.FieldNameRole) == "last_name"  # moved to the next field
    assert not page.draft.can_undo


def test_required_fields_without_a_column_are_named(qtbot, window, make_file):
    page = open_for_mapping(qtbot, window, messy_file(make_file))
    for name in ("last_name", "sex"):
        page.choose_column(name, None)
    text = page.summary.text()
    assert "Required but not mapped" in text and "Last name" in text and "Sex" in text
    unused = {page.unused.item(r, 0).text() for r in range(page.unused.rowCount())}
    assert unused == {"Family name on file", "Col 9"}
    assert page.model.data(page.model.index(page.model.row_of("last_name"), MappingModel.MATCH)) == \
        "Required: choose a column"


def test_an_unused_column_is_shown_with_its_field_and_one_click_maps_it(qtbot, window, tmp_path):
    """'Class' left out: the page lists it as Degree grade with its values, and one click maps it."""
    page = open_for_mapping(qtbot, window, class_without_grade(tmp_path))
    page.choose_column("degree_grade", None)
    row = next(r for r in range(page.unused.rowCount()) if page.unused.item(r, 0).text() == "Class")
    assert "Degree grade" in page.unused.item(row, 2).text() and "'Upper second'" in page.unused.item(row, 2).text()
    assert "2.1" in page.unused.item(row, 1).text()
    assert "'Class' → Degree grade" in page.summary.text()
    button = page.unused.cellWidget(row, 3)
    assert isinstance(button, QPushButton) and button.text() == "Map to Degree grade"
    assert button.accessibleName() == "Map to Degree grade: the column 'Class'"
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert page.mapping().columns["degree_grade"] == "Class"
    assert all(page.unused.item(r, 0).text() != "Class" for r in range(page.unused.rowCount()))


def test_the_field_row_offers_its_likely_column_too(qtbot, window, tmp_path):
    page = open_for_mapping(qtbot, window, class_without_grade(tmp_path))
    page.choose_column("degree_grade", None)
    match = page.model.data(page.model.index(page.model.row_of("degree_grade"), MappingModel.MATCH))
    assert match.startswith("'Class' probably holds it")
    button = page.action_button("degree_grade")
    assert button is not None and button.text() == "Use 'Class'"
    combo = page.combo_for("degree_grade")
    combo.fill()
    marks = {combo.model().index(r, 0).data(): combo.model().index(r, 2).data() for r in range(combo.count())}
    assert marks["Class"] == "★ looks like this field"
    button.click()
    assert page.mapping().columns["degree_grade"] == "Class"


def test_an_uncertain_match_shows_why_and_confirm_clears_it(qtbot, window, make_file):
    rows = [{("Sx" if k == "sex" else k): v for k, v in trainee(i, sex="Female" if i % 2 else "Male").items()}
            for i in range(4)]
    page = open_for_mapping(qtbot, window, make_file(rows, headers=["Sx" if n == "sex" else n for n in TEMPLATE.names]))
    row = page.model.row_of("sex")
    match = page.model.data(page.model.index(row, MappingModel.MATCH))
    assert match.startswith("Check: its values (") and "are Sex values; 70% sure" in match  # the reason, inline
    assert "'Female'" in match and "'Male'" in match
    button = page.action_button("sex")
    assert button is not None and button.text() == "Confirm" and button.accessibleName() == "Confirm for Sex"
    assert "1 match to confirm" in page.summary.text()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert not page.mapping().needs_check("sex")
    assert page.action_button("sex") is None
    assert "confirmed by you" in page.model.data(page.model.index(row, MappingModel.MATCH))


def test_undo_and_redo_step_through_mapping_changes(qtbot, window, make_file):
    """The page's buttons and the window's Ctrl+Z both undo on the Map step; the grid's history is apart."""
    page = open_for_mapping(qtbot, window, messy_file(make_file))
    assert not page.undo_button.isEnabled() and not window.undo_action.isEnabled()
    page.choose_column("last_name", "Family name on file")
    page.choose_column("sex", "Col 9")
    assert window.undo_action.isEnabled() and window.undo_action.text() == "&Undo Map 'Col 9' to Sex"
    qtbot.mouseClick(page.undo_button, Qt.MouseButton.LeftButton)
    assert page.mapping().columns["sex"] is None
    window.undo_action.trigger()
    assert page.mapping().columns["last_name"] is None
    assert not window.undo_action.isEnabled()
    window.redo_action.trigger()
    qtbot.mouseClick(page.redo_button, Qt.MouseButton.LeftButton)
    assert page.mapping().columns["sex"] == "Col 9"
    assert page.combo_for("sex").currentText() == "Col 9"  # the drop-down follows undo and redo


def test_accept_all_takes_every_suggestion_as_one_step(qtbot, window, tmp_path):
    page = open_for_mapping(qtbot, window, class_without_grade(tmp_path))
    page.draft.apply([("degree_grade", None), ("itt_qualification_aim", None)])
    assert page.accept_all_button.text() == "&Accept all suggestions (2)"
    qtbot.mouseClick(page.accept_all_button, Qt.MouseButton.LeftButton)
    assert page.mapping().columns["degree_grade"] == "Class" and page.mapping().columns["itt_qualification_aim"] == "Award"
    assert not page.accept_all_button.isEnabled()
    page.undo()
    assert page.mapping().columns["degree_grade"] is None and page.mapping().columns["itt_qualification_aim"] is None


def test_find_a_field_searches_what_systems_call_it(qtbot, window, make_file):
    """'Class', 'Honours' and 'Gender' find their fields, as the Field guide's search does."""
    page = open_for_mapping(qtbot, window, messy_file(make_file))
    page.choose_column("last_name", "Family name on file")
    for words, field in (("Class", "degree_grade"), ("honours", "degree_grade"), ("gender", "sex"),
                         ("Family name on file", "last_name")):  # the column mapped now counts too
        page.search.setText(words)
        shown = [page.proxy.index(r, 0).data(MappingModel.FieldNameRole) for r in range(page.proxy.rowCount())]
        assert field in shown, (words, shown)
        assert page.combo_for(field) is not None  # the shown rows keep their drop-downs
    page.search.setText("disability")
    assert page.proxy.rowCount() == 9
    page.search.clear()
    assert page.proxy.rowCount() == 51


def test_the_search_is_cleared_for_the_next_file(qtbot, window, make_file, tmp_path):
    page = open_for_mapping(qtbot, window, messy_file(make_file))
    page.search.setText("disability")
    window._may_discard = lambda: True
    open_for_mapping(qtbot, window, class_without_grade(tmp_path))
    assert page.search.text() == "" and page.proxy.rowCount() == 51


def test_columns_fit_their_text(qtbot, window, make_file):
    """The Match column is never cut ('Template name written …')."""
    page = open_for_mapping(qtbot, window, messy_file(make_file))
    fm = page.table.fontMetrics()
    width = page.table.horizontalHeader().sectionSize(MappingModel.MATCH)
    for r in range(page.proxy.rowCount()):
        text = page.proxy.index(r, MappingModel.MATCH).data()
        assert fm.horizontalAdvance(text) < width, text


def map_messy(page) -> None:  # type: ignore[no-untyped-def]
    page.choose_column("last_name", "Family name on file")
    page.choose_column("sex", "Col 9")


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
    assert window.undo_action.text() == "&Undo Sex: 'Chap' → 11"
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
    page.undo()
    assert page.kind_boxes["labels"].isChecked()


def test_the_guide_follows_the_selected_field(qtbot, window, make_file):
    """Selecting a field, or moving to its drop-down, shows its guide beside the mapping."""
    page = open_for_mapping(qtbot, window, messy_file(make_file))
    page.select_field("date_of_birth")
    assert "BIRTHDTE" in page.guide.toPlainText() and "YYYY-MM-DD" in page.guide.toPlainText()
    qtbot.keyClick(page.combo_for("date_of_birth"), Qt.Key.Key_Down)
    assert page.guide.field_name == "ni_number"


def test_a_changed_mapping_is_remembered_for_the_next_file_with_these_columns(qtbot, window, make_file):
    """No 'Save as profile' needed: Continue keeps the user's mapping, and the same export opens with it."""
    path = messy_file(make_file)
    page = open_for_mapping(qtbot, window, path)
    map_messy(page)
    with qtbot.waitSignal(window.file_ready, timeout=10000):
        page.continue_button.click()
    assert "Mapping remembered as 'export'" in window.statusBar().currentMessage()
    window._may_discard = lambda: True
    page = open_for_mapping(qtbot, window, path)
    assert page.mapping().origin == "profile" and page.mapping().columns["sex"] == "Col 9"
    assert "Mapped with your saved profile <b>export</b>" in page.summary.text()
    # changing it again updates the same profile instead of adding another
    page.choose_column("previous_last_name", "Family name on file")
    with qtbot.waitSignal(window.file_ready, timeout=10000):
        page.continue_button.click()
    good, _ = ProfileStore().all()
    assert [lp.profile.name for lp in good] == ["export"]
    assert good[0].profile.columns.get("previous_last_name") == "Family name on file"
