"""Save a copy of my file with the fixes: the user's own headers and columns, corrected cells, problems left."""

import csv
import io
from pathlib import Path

import pytest

from desktop.core.loading import read_table
from desktop.core.own_layout import PROBLEMS_HEADER, CopyError, save_own_layout
from desktop.core.session import ImportSession
from tests.helpers import TODAY

pytestmark = pytest.mark.integration

DATA = Path(__file__).resolve().parent.parent / "data" / "exports"


def sits() -> ImportSession:
    return ImportSession.open(DATA / "sits-labels.csv", today=TODAY, auto_profile=False)


def read_csv(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8-sig"), newline="")))


def test_csv_copy_keeps_the_users_layout_and_holds_the_corrections(tmp_path):
    session = sits()
    original = read_csv(DATA / "sits-labels.csv")
    session.apply_edits([(0, "first_names", "Noémie-Anne"), (3, "sex", "11")])
    result = save_own_layout(session, tmp_path / "copy.csv")
    copy = read_csv(result.path)
    assert copy[0] == original[0]  # their headers, their order
    assert len(copy) == len(original) and result.rows == len(original) - 1
    assert result.corrected_cells == 2
    first = original[0].index("Forename(s)")
    gender = original[0].index("Gender")
    assert copy[1][first] == "Noémie-Anne" and copy[4][gender] == "11"
    for r in (2, 3, 5):
        assert copy[r] == original[r]  # every other cell as read: labels stay labels, dates as written
    assert copy[2][gender] in ("Female", "Male", "Other", "Prefer not to say")


def test_register_values_and_a_problems_column(tmp_path):
    session = sits()
    session.apply_edits([(1, "email", "not an address")])
    result = save_own_layout(session, tmp_path / "copy.csv", values="register", problems_column=True)
    copy = read_csv(result.path)
    header = copy[0]
    assert header[-1] == PROBLEMS_HEADER
    dob = header.index("DOB")
    assert all(row[dob][4] == "-" for row in copy[1:])  # 28/09/1996 -> 1996-09-28
    assert all(row[header.index("Gender")] in ("10", "11", "12", "96") for row in copy[1:])
    assert "Personal e-mail:" in copy[2][-1] and result.rows_with_problems == 1
    assert all(not row[-1] for i, row in enumerate(copy[1:]) if i != 1)


def test_xlsx_copy_stores_every_cell_as_text(tmp_path):
    from openpyxl import load_workbook

    session = ImportSession.open(DATA / "student-records.xlsx", today=TODAY, auto_profile=False)
    session.apply_edits([(0, "hesa_id", "0310261553101")])
    result = save_own_layout(session, tmp_path / "copy.xlsx", problems_column=True)
    ws = load_workbook(result.path).active
    rows = list(ws.iter_rows(values_only=True))
    raw = read_table(DATA / "student-records.xlsx")
    assert list(rows[0][:-1]) == raw.headers and rows[0][-1] == PROBLEMS_HEADER
    hesa = raw.headers.index("HESA ID")
    assert rows[1][hesa] == "0310261553101"  # leading zero kept: a text cell
    assert all(isinstance(v, str) for row in rows for v in row if v is not None)
    # reading the copy again gives the same table (headers, cells) as the session shows
    again = ImportSession.open(result.path, today=TODAY, auto_profile=False)
    assert again.columns["hesa_id"][0] == "0310261553101" and again.n_rows == session.n_rows


def test_the_copy_never_replaces_the_file_opened(tmp_path):
    path = tmp_path / "mine.csv"
    path.write_bytes((DATA / "sits-labels.csv").read_bytes())
    session = ImportSession.open(path, today=TODAY, auto_profile=False)
    with pytest.raises(CopyError, match="over the file you opened"):
        save_own_layout(session, path)
    assert path.read_bytes() == (DATA / "sits-labels.csv").read_bytes()


def test_a_formula_in_a_cell_stays_text_in_the_csv(tmp_path):
    session = sits()
    session.apply_edits([(0, "last_name", "=HYPERLINK(\"x\")")])
    copy = read_csv(save_own_layout(session, tmp_path / "c.csv").path)
    assert copy[1][copy[0].index("Surname")].startswith("'=")
