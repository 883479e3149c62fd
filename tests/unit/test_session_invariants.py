"""What ``ImportSession`` promises whoever drives it (CLI, window, upload), kept inside the session:
cells change only through ``apply_edits``, an edit drops the answers it made obsolete, Register's
answers come in through ``set_api_findings``, and ``summary`` is the one count; one chunked
``RulePack.validate`` gives the same findings for a file of any size."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from desktop.core import synthetic
from desktop.core.session import ImportSession
from desktop.validation.codelists import bundled_code_lists
from desktop.validation.engine import CHUNK, Columns
from desktop.validation.findings import Finding, Findings, Severity
from desktop.validation.packs import get_pack
from tests.helpers import TEMPLATE, TODAY, valid_row, write_csv


def _session(tmp_path: Path, rows: list[dict[str, str]], headers: list[str] | None = None) -> ImportSession:
    return ImportSession.open(write_csv(tmp_path / "t.csv", rows, headers=headers), today=TODAY)


def _rows(n: int) -> list[dict[str, str]]:
    return [valid_row(provider_trainee_id=f"26/27-{i}", hesa_id=f"03102615531{i:02d}", last_name=f"Jones{chr(65 + i)}")
            for i in range(n)]


def _api(row: int, code: str = "api.rejected", field: str | None = "employing_school_urn") -> Findings:
    return Findings.of([Finding(code=code, row=row, field=field, severity=Severity.ERROR, message="Register said no")])


def _sorted_records(findings: Findings) -> list[tuple[object, ...]]:
    f = findings.frame
    return sorted(zip(f["row"].tolist(), f["field"].map(str), f["code"], f["severity"], f["message"].map(str),
                      f["value"].map(str), strict=True))


# ---------------------------------------------------------------------- cells change only through the session
def test_columns_are_read_only_views_of_the_live_cells(tmp_path: Path) -> None:
    session = _session(tmp_path, _rows(2))
    column = session.columns["sex"]
    with pytest.raises(ValueError, match="read-only"):
        column[0] = "11"
    session.apply_edits([(0, "sex", "11")])
    assert column[0] == "11"  # the view shows the edit
    assert session.cell(0, "sex") == "11" and session.row(0)["sex"] == "11"


def test_session_state_is_not_assignable_from_outside(tmp_path: Path) -> None:
    session = _session(tmp_path, _rows(1))
    for name in ("columns", "findings", "mapping", "value_options"):
        with pytest.raises(AttributeError):
            setattr(session, name, None)


def test_an_edit_outside_the_table_changes_nothing(tmp_path: Path) -> None:
    session = _session(tmp_path, _rows(2))
    before = session.row(0)
    with pytest.raises(IndexError):
        session.apply_edits([(0, "sex", "11"), (2, "sex", "11")])
    with pytest.raises(IndexError):
        session.apply_edits([(-1, "sex", "11")])  # not the last row, as numpy would take it
    with pytest.raises(KeyError):
        session.apply_edits([(0, "sex", "11"), (1, "no_such_field", "x")])
    assert session.row(0) == before


# ---------------------------------------------------------------------- an edit drops what it made obsolete
def test_an_edit_revalidates_its_row_and_values_are_trimmed(tmp_path: Path) -> None:
    session = _session(tmp_path, _rows(3))
    assert session.summary()["rows_with_errors"] == 0
    rows = session.apply_edits([(1, "sex", "Female "), (1, "email", " x ")])
    assert rows.tolist() == [1]
    assert session.cell(1, "email") == "x"
    assert {f.code for f in session.row_findings(1)} == {"cell.code_list", "cell.email_format"}
    assert session.summary() == {"errors": 2, "warnings": 0, "rows_with_errors": 1, "valid_rows": 2}


def test_an_edit_drops_the_value_mapping_note_of_its_cell_only(tmp_path: Path) -> None:
    rows = _rows(2)
    for r in rows:
        r["Gender"] = "Female"
    session = _session(tmp_path, rows, [*(n for n in TEMPLATE.names if n != "sex"), "Gender"])
    notes = session.findings.where(code="cell.value_mapped", field="sex")
    assert sorted(notes.frame["row"]) == [0, 1]
    session.apply_edits([(0, "sex", "11")])
    assert sorted(session.findings.where(code="cell.value_mapped", field="sex").frame["row"]) == [1]


def test_an_edit_drops_registers_answers_for_its_row_only(tmp_path: Path) -> None:
    session = _session(tmp_path, _rows(3))
    session.set_api_findings(Findings.concat([_api(0), _api(2)]))
    assert session.has_api_findings
    assert session.summary()["valid_rows"] == 1
    session.apply_edits([(0, "employing_school_urn", "900030")])
    assert sorted(session.findings.where(code="api.rejected").frame["row"]) == [2]
    assert session.summary()["valid_rows"] == 2
    session.apply_edits([(2, "first_names", "Ffion")])
    assert not session.has_api_findings


def test_registers_answers_replace_the_earlier_ones_and_only_api_codes_are_taken(tmp_path: Path) -> None:
    session = _session(tmp_path, _rows(2))
    session.set_api_findings(_api(0))
    session.set_api_findings(_api(1, "api.already_registered", None))
    assert set(session.findings.frame["code"]) == {"api.already_registered"}
    with pytest.raises(ValueError, match=r"cell\.required"):
        session.set_api_findings(Findings.of([Finding(code="cell.required", row=0, message="x")]))
    assert set(session.findings.frame["code"]) == {"api.already_registered"}


def test_a_new_validation_keeps_registers_answers_and_a_new_mapping_drops_them(tmp_path: Path) -> None:
    session = _session(tmp_path, _rows(2))
    session.set_api_findings(_api(0))
    session.validate()
    assert session.has_api_findings
    session.apply_mapping(session.mapping)
    assert not session.has_api_findings


def test_the_upload_may_ignore_registers_answers_but_nothing_else(tmp_path: Path) -> None:
    session = _session(tmp_path, _rows(3))
    session.apply_edits([(2, "sex", "Female")])
    session.set_api_findings(_api(0))
    assert session.valid_positions().tolist() == [1]
    assert session.valid_positions(ignore_api=True).tolist() == [0, 1]


def test_edits_before_the_first_validation_are_checked_by_it(tmp_path: Path) -> None:
    session = ImportSession.open(write_csv(tmp_path / "t.csv", _rows(2)), today=TODAY, validate=False)
    session.apply_edits([(1, "sex", "Female")])
    assert not len(session.findings.where(code="cell.code_list"))
    session.validate()
    assert session.findings.where(code="cell.code_list").frame["row"].tolist() == [1]


def test_an_edit_that_makes_a_duplicate_flags_both_rows(tmp_path: Path) -> None:
    session = _session(tmp_path, _rows(3))
    twin = session.row(0)
    session.apply_edits([(2, name, twin[name]) for name in ("first_names", "last_name", "date_of_birth")])
    assert sorted(session.findings.where(code="row.duplicate_in_file").frame["row"]) == [0, 2]
    session.apply_edits([(0, "last_name", "Evans")])
    assert not len(session.findings.where(code="row.duplicate_in_file"))


# ---------------------------------------------------------------------- one count
def test_a_file_error_leaves_no_row_ready_in_every_count(tmp_path: Path) -> None:
    """The status bar, export and the upload agree: nothing is ready while the file itself is wrong."""
    # a column twice: an error about the file, while every row is fine on its own
    session = _session(tmp_path, _rows(3), [*TEMPLATE.names, "EMAIL"])
    assert session.has_file_errors()
    s = session.summary()
    assert s["rows_with_errors"] == 0 and s["errors"] == 1
    assert s["valid_rows"] == 0
    assert session.valid_positions().tolist() == []
    assert session.valid_positions(ignore_api=True).tolist() == []


def test_summary_counts_follow_the_findings(tmp_path: Path) -> None:
    session = _session(tmp_path, _rows(4))
    session.apply_edits([(1, "sex", "9"), (3, "email", "x"), (3, "sex", "9")])
    f = session.findings.frame
    s = session.summary()
    assert s["errors"] == int((f["severity"] == "error").sum()) == 3
    assert s["warnings"] == int((f["severity"] == "warning").sum())
    assert s["rows_with_errors"] == 2 and s["valid_rows"] == 2
    assert session.invalid_row_mask().tolist() == [False, True, False, True]


# ---------------------------------------------------------------------- one validation path for every size
def _big_table(n: int) -> Columns:
    rows = list(synthetic.rows(n, seed=3, defect_share=0.3, today=TODAY))
    for i in range(0, n, 97):  # in-file duplicates across chunk boundaries
        rows[min(i + 50, n - 1)] = dict(rows[i], provider_trainee_id=f"dup-{i}")
    for i in range(5, n, 31):
        rows[i]["employing_school_urn"] = "123456"  # a URN only Register can confirm
    return Columns.from_rows(rows, TEMPLATE.names)


@pytest.mark.parametrize("chunk", [1000, 97])
def test_big_and_small_file_paths_give_identical_findings(chunk: int) -> None:
    """The same rows checked in one pass or chunk by chunk (row rules per chunk, table rules over
    every row) give the same findings, in-file duplicates and file-level notes included."""
    pack = get_pack()
    ctx = pack.context(TEMPLATE, bundled_code_lists(), TODAY)
    whole = pack.validate(_big_table(2500), ctx, chunk=10**9)
    done: list[tuple[int, int]] = []
    chunked = pack.validate(_big_table(2500), ctx, chunk=chunk, progress=lambda d, t: done.append((d, t)))
    assert {"row.duplicate_in_file", "file.urns_unconfirmed", "cell.email_format"} <= whole.codes()
    assert _sorted_records(chunked) == _sorted_records(whole)
    assert done[0] == (chunk, 2500) and done[-1] == (2500, 2500)


def test_the_session_validates_through_the_rule_pack_in_chunks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """One path: the session hands every size to ``RulePack.validate`` (chunked there)."""
    calls: list[tuple[int, set[str]]] = []
    pack = get_pack()
    real = type(pack).validate

    def spy(self: object, cols: Columns, ctx: object, **kw: object) -> Findings:
        calls.append((cols.n, set(kw)))
        return real(self, cols, ctx, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(type(pack), "validate", spy)
    session = ImportSession.open(write_csv(tmp_path / "t.csv", _rows(3)), today=TODAY, validate=False)
    done: list[tuple[int, int]] = []
    session.validate(lambda d, t: done.append((d, t)))
    assert calls == [(3, {"progress", "token"})]
    assert done[-1] == (3, 3)
    assert CHUNK >= 1000  # small enough for progress, big enough to spread each rule's fixed cost


def test_cancel_stops_validation_between_chunks() -> None:
    from desktop.core.progress import Cancelled, CancelToken

    pack = get_pack()
    ctx = pack.context(TEMPLATE, bundled_code_lists(), TODAY)
    token = CancelToken()
    seen: list[int] = []

    def progress(done: int, total: int) -> None:
        seen.append(done)
        token.cancel()

    with pytest.raises(Cancelled):
        pack.validate(_big_table(300), ctx, chunk=100, progress=progress, token=token)
    assert seen == [100]


def test_an_empty_table_validates_to_no_row_findings() -> None:
    pack = get_pack()
    ctx = pack.context(TEMPLATE, bundled_code_lists(), TODAY)
    findings = pack.validate(Columns({}, 0), ctx)
    assert not len(findings.frame[findings.frame["row"] >= 0])
    assert np.array_equal(findings.invalid_row_mask(0), np.zeros(0, dtype=bool))
