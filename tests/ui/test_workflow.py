"""The window's Qt-free steps: edits re-applied to a fresh session go through the session's one
edit path, so what an edit makes obsolete is dropped there too."""

from __future__ import annotations

from pathlib import Path

from desktop.core.progress import CancelToken, no_progress
from desktop.core.session import ImportSession
from desktop.ui.workflow import prepare
from tests.helpers import TEMPLATE, TODAY, valid_row, write_csv


def test_edits_reapplied_after_a_new_mapping_drop_their_cells_value_notes(tmp_path: Path) -> None:
    """An edited cell's load-time note ("'Female' became '10'") no longer describes it once the
    edit is re-applied to the session built for a new mapping; the other rows keep theirs."""
    rows = [dict(valid_row(provider_trainee_id=f"26/27-{i}", last_name=f"Jones{'AB'[i]}"), Gender="Female")
            for i in range(2)]
    path = write_csv(tmp_path / "labels.csv", rows, headers=[*(n for n in TEMPLATE.names if n != "sex"), "Gender"])
    first = ImportSession.open(path, today=TODAY)
    assert sorted(first.findings.where(code="cell.value_mapped", field="sex").frame["row"]) == [0, 1]

    prepared = prepare(first.raw, first.mapping, first.value_options, {(0, "sex"): "11", (9, "sex"): "11"},
                       TODAY)(no_progress, CancelToken())
    session = prepared.session
    assert prepared.originals == {(0, "sex"): "10"} and prepared.lost_edits == 1
    assert session.cell(0, "sex") == "11"
    assert sorted(session.findings.where(code="cell.value_mapped", field="sex").frame["row"]) == [1]
    assert session.summary()["rows_with_errors"] == 0
