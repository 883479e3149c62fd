"""An unbalanced quote in a CSV is reported with the row where it opens, never silently merging rows."""

from __future__ import annotations

import pytest

from desktop.cli import main
from desktop.core.errors import FileReadError
from desktop.core.loading import Limits, read_table
from tests.helpers import TEMPLATE, valid_row


def lines_of(n: int, delimiter: str = ",") -> list[str]:
    rows = [valid_row(provider_trainee_id=f"26/27-{i}", hesa_id=f"{2610000000000 + i}") for i in range(n)]
    return [delimiter.join(TEMPLATE.names)] + [delimiter.join(r[f] for f in TEMPLATE.names) for r in rows]


def open_quote(line: str, column: int, delimiter: str = ",", *, at_end: bool = False) -> str:
    cells = line.split(delimiter)
    cells[column] = cells[column] + '"' if at_end else '"' + cells[column]
    return delimiter.join(cells)


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_a_quote_never_closed_is_refused_at_the_row_where_it_opens(tmp_path, newline):
    lines = lines_of(250)
    lines[6] = open_quote(lines[6], 3)  # row 7: first_names starts with a quote
    path = tmp_path / "open.csv"
    path.write_bytes(newline.join(lines).encode() + newline.encode())
    with pytest.raises(FileReadError) as info:
        read_table(path)
    message = str(info.value)
    assert message.startswith("Row 7 (line 7) opens a quote (\") in column 'first_names' that is never closed")
    assert "the rest of the file (245 lines) was read as one cell" in message and "\n" not in message


def test_a_quote_closed_rows_later_is_refused_with_both_lines(tmp_path):
    lines = lines_of(300, ";")
    lines[9] = open_quote(lines[9], 4, ";")  # row 10
    lines[258] = open_quote(lines[258], 2, ";", at_end=True)  # a stray quote 249 rows below closes it
    path = tmp_path / "later.csv"
    path.write_text("\n".join(lines) + "\n", encoding="cp1252")
    with pytest.raises(FileReadError, match=r"^Row 10 \(line 10\) opens a quote .* in column 'last_name' that is not "
                                            r"closed until line 259: 250 lines were read as one cell\."):
        read_table(path)


def test_real_multi_line_cells_still_read(tmp_path):
    lines = lines_of(5)
    cells = lines[2].split(",")
    cells[3] = '"Mary\nJane"'
    lines[2] = ",".join(cells)
    cells = lines[4].split(",")
    cells[5] = '"Flat 2, 10 High Street,\nLeeds, LS1 1AA"'  # an address: a line break and a few commas
    lines[4] = ",".join(cells)
    path = tmp_path / "multi.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    table = read_table(path)
    assert table.n_rows == 5 and list(table.source_rows) == [2, 3, 4, 5, 6]
    assert table.column("first_names")[1] == "Mary\nJane"


def test_a_cell_beyond_the_size_limit_names_the_row_and_line_where_it_starts(tmp_path):
    lines = lines_of(1000)  # more than the csv module's field limit (131,072 characters) after the quote
    lines[4] = open_quote(lines[4], 3)
    path = tmp_path / "big.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(FileReadError, match=r"A cell of row 5 \(line 5\) runs past line"):
        read_table(path, limits=Limits(max_cell_chars=1000))


def test_check_says_it_in_one_line_with_exit_2(tmp_path, capsys):
    lines = lines_of(20)
    lines[3] = open_quote(lines[3], 0)
    path = tmp_path / "open.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert main(["check", str(path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("register-desktop: Row 4 (line 4) opens a quote")
