"""MappingDraft: the mapping being decided, one undoable operation at a time, for the window and the CLI alike."""

from pathlib import Path

import pytest

from desktop.core.draft import MappingDraft, MappingError
from desktop.core.loading import read_table
from desktop.core.session import ImportSession
from desktop.core.values import ValueOptions
from desktop.validation.findings import Finding, Findings, Severity, fold_dependents
from tests.helpers import TEMPLATE, TODAY, valid_row, write_csv

DATA = Path(__file__).resolve().parent.parent / "data" / "exports"


def renamed(path: Path, rows: list[dict[str, str]], rename: dict[str, str] | None = None,
            extra: dict[str, list[str]] | None = None) -> Path:
    """A template-shaped file with some headers renamed and some columns added."""
    rename = rename or {}
    extra = extra or {}
    out = []
    for i, r in enumerate(rows):
        row = {rename.get(k, k): v for k, v in r.items()}
        row.update({h: values[i] for h, values in extra.items()})
        out.append(row)
    return write_csv(path, out, headers=[rename.get(n, n) for n in TEMPLATE.names] + list(extra))


def draft_for(name: str) -> MappingDraft:
    return MappingDraft.start(read_table(DATA / name), today=TODAY, auto_profile=False)


def test_a_column_called_class_with_2_1_and_upper_second_is_the_degree_grade():
    """The issue's file: 'Class' holding '2:1', 'Upper second' maps to degree_grade with no manual step."""
    draft = draft_for("class-column.csv")
    assert draft.mapping.columns["degree_grade"] == "Class"
    assert not draft.mapping.needs_check("degree_grade")
    assert "can mean Degree grade" in draft.mapping.reason("degree_grade")
    assert draft.mapping.columns["itt_qualification_aim"] == "Award"  # 'Award' holding PGCE, PGDE


def test_values_alone_find_degree_classes_under_a_header_that_says_nothing(tmp_path):
    """'2:1', '2.1', 'Upper second' are degree grades even under a header nobody wrote down: mapped, to confirm."""
    rows = [valid_row(provider_trainee_id=f"26/27-{i}", degree_grade=g)
            for i, g in enumerate(["2:1", "Upper second", "2.1", "First", "2:2"])]
    path = renamed(tmp_path / "f.csv", rows, {"degree_grade": "Hons Cls"})
    draft = MappingDraft.start(read_table(path), today=TODAY, auto_profile=False)
    assert draft.mapping.columns["degree_grade"] == "Hons Cls"
    assert draft.uncertain() == ["degree_grade"]
    assert "'Upper second'" in draft.mapping.reason("degree_grade")


def test_every_column_taken_away_is_offered_back_with_a_reason():
    """Unmap any field of the messy exports: its column is suggested for it again (never silence)."""
    for name in ("class-column.csv", "sits-labels.csv", "hesa-fields-cp1252.csv", "student-records.xlsx"):
        draft = draft_for(name)
        for field_name, column in list(draft.mapping.columns.items()):
            if column is None:
                continue
            mapping = draft.mapping.with_column(field_name, None)
            offered = {s.column: s for s in draft.suggester.suggest(mapping)}
            assert offered[column].field == field_name, (name, field_name, column, offered[column])
            assert offered[column].reason


def test_set_and_unset_are_undoable_steps_with_words_for_undo():
    draft = draft_for("class-column.csv")
    seen = []
    draft.subscribe(lambda: seen.append(draft.mapping.columns["degree_grade"]))
    assert draft.unset("degree_grade")
    assert draft.undo_text == "Unmap Degree grade"
    assert draft.set_column("degree_grade", "Notes")
    assert draft.mapping.method["degree_grade"] == "user"
    assert draft.undo() and draft.mapping.columns["degree_grade"] is None
    assert draft.undo() and draft.mapping.columns["degree_grade"] == "Class"
    assert not draft.undo()
    assert draft.redo_text == "Unmap Degree grade"
    assert draft.redo() and draft.redo() and draft.mapping.columns["degree_grade"] == "Notes"
    assert seen == [None, "Notes", None, "Class", None, "Notes"]
    assert not draft.set_column("degree_grade", "Notes")  # no change, no step


def test_a_column_feeds_one_field_so_mapping_it_elsewhere_moves_it():
    draft = draft_for("class-column.csv")
    draft.set_column("previous_last_name", "Family Name")
    assert draft.source_for("previous_last_name") == "Family Name" and draft.source_for("last_name") is None
    choices = {c.header: c for c in draft.column_choices()}
    assert choices["Family Name"].used_by == "previous_last_name" and choices["Title"].used_by is None
    assert choices["Class"].samples  # the drop-down shows what each column holds


def test_unknown_field_or_column_is_a_message_naming_what_exists():
    draft = draft_for("class-column.csv")
    with pytest.raises(MappingError, match=r"not a field of Register's v2026\.1 template\. Did you mean degree_grade"):
        draft.set_column("grade", "Class")
    with pytest.raises(MappingError, match=r"has no column 'Klass'\. Its columns: 'Student ID'"):
        draft.set_column("degree_grade", "Klass")
    assert draft.set_column("degree_grade", "  class ") is False  # the same column, spaces and case aside
    assert not draft.can_undo


def test_an_unused_column_is_taken_with_one_accept_and_accept_all_is_one_step():
    draft = draft_for("class-column.csv")
    draft.apply([("degree_grade", None), ("itt_qualification_aim", None)])
    offered = {s.column: s for s in draft.suggestions()}
    assert offered["Class"].field == "degree_grade" and "'2:1'" in offered["Class"].reason + "'2:1'"
    assert draft.hints()["degree_grade"].column == "Class"
    assert draft.accept("Class")
    assert draft.mapping.columns["degree_grade"] == "Class" and not draft.mapping.needs_check("degree_grade")
    assert draft.undo_text == "Map 'Class' to Degree grade"
    draft.undo()
    assert draft.pending() == 2
    assert draft.accept_all() == 2
    assert draft.undo_text == "Accept all suggestions (2)"
    assert draft.mapping.columns["itt_qualification_aim"] == "Award" and draft.pending() == 0
    draft.undo()
    assert draft.mapping.columns["degree_grade"] is None and draft.mapping.columns["itt_qualification_aim"] is None


def test_confirming_an_uncertain_match_keeps_its_reason(tmp_path):
    path = renamed(tmp_path / "f.csv", [valid_row(sex="Female"), valid_row(provider_trainee_id="x", sex="Male")],
                   {"sex": "Sx"})
    draft = MappingDraft.start(read_table(path), today=TODAY, auto_profile=False)
    assert "sex" in draft.uncertain()
    assert draft.confirm("sex")
    assert "sex" not in draft.uncertain()
    assert draft.mapping.reason("sex").endswith("confirmed by you")
    session = ImportSession.from_draft(draft)
    assert "header.uncertain" not in set(session.findings.frame["code"])


def test_template_headers_mean_no_value_mapping_until_another_column_is_mapped(tmp_path):
    """One place decides: a file in Register's layout is read literally; mapping a column of another name
    turns value mapping on; undo puts it back."""
    path = renamed(tmp_path / "f.csv", [valid_row()], extra={"Gender": ["Female"]})
    draft = MappingDraft.start(read_table(path), today=TODAY, auto_profile=False)
    assert draft.options == ValueOptions.off()
    draft.set_column("sex", "Gender")
    assert draft.options.any_enabled
    assert ImportSession.from_draft(draft).columns["sex"][0] == "10"
    draft.undo()
    assert draft.options == ValueOptions.off()


def test_value_choices_and_kinds_of_change_are_undoable():
    draft = draft_for("sits-labels.csv")
    draft.set_user_value("sex", "Female", "96")
    assert {r.source: r.target for r in draft.value_rows("sex")}["Female"] == "96"
    draft.set_kind_enabled("labels", False)
    assert "labels" in draft.options.disabled and draft.undo_text.startswith("Turn off labels")
    draft.undo()
    draft.undo()
    assert {r.source: r.target for r in draft.value_rows("sex")}["Female"] == "10"


def test_missing_fields_name_the_column_that_probably_holds_them():
    """`check` never calls degree_grade missing without naming 'Class' (issue 15)."""
    draft = draft_for("class-column.csv")
    draft.unset("degree_grade")
    session = ImportSession.from_draft(draft)
    f = session.findings.frame
    missing = f[(f["code"] == "header.missing") & (f["field"] == "degree_grade")].iloc[0]
    assert missing["severity"] == "warning" and "'Class' probably holds it" in missing["message"]
    unmapped = f[(f["code"] == "header.unmapped") & (f["value"] == "Class")].iloc[0]
    assert "looks like Degree grade" in unmapped["message"] and unmapped["field"] == "degree_grade"
    on_rows = f[(f["field"] == "degree_grade") & (f["row"] >= 0)]
    assert len(on_rows) and all("'Class' probably holds it" in m for m in on_rows["message"])
    report = session.report()
    assert {"column": "Class", "field": "degree_grade"}.items() <= report["suggestions"][0].items()


def test_one_root_cause_per_cell_folds_what_excel_damage_explains(tmp_path):
    """'2.61149E+16' is one problem: its length and digits findings are folded under it, not counted."""
    path = write_csv(tmp_path / "f.csv", [valid_row(hesa_id="2.61149E+16")])
    session = ImportSession.open(path, today=TODAY)
    shown = session.findings.frame
    assert list(shown.loc[shown["field"] == "hesa_id", "code"]) == ["cell.excel_damage"]
    assert "other 2 problems found in this cell come from this" in shown.iloc[0]["message"]
    assert set(session.folded_findings.frame["code"]) == {"cell.hesa_id_length", "cell.hesa_id_digits"}
    assert session.summary() == {"errors": 1, "warnings": 0, "rows_with_errors": 1, "valid_rows": 0}
    report = session.report()
    assert len(report["findings"]) == 1 and len(report["folded_findings"]) == 2


def test_fold_leaves_other_cells_and_rows_alone():
    findings = Findings.of([
        Finding("cell.excel_damage", "damaged", row=0, field="hesa_id"),
        Finding("cell.hesa_id_length", "length", row=0, field="hesa_id"),
        Finding("cell.hesa_id_length", "length", row=1, field="hesa_id"),
        Finding("cell.required", "missing", row=0, field="sex"),
        Finding("row.x", "whole row", row=0, severity=Severity.WARNING),
    ])
    kept, folded = fold_dependents(findings, frozenset({"cell.excel_damage"}))
    assert len(kept) == 4 and len(folded) == 1
    assert list(folded.frame["row"]) == [0] and list(folded.frame["code"]) == ["cell.hesa_id_length"]
