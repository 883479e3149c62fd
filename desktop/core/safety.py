"""Make cells safe to open in a spreadsheet program (no formula injection).

CSV: a cell a spreadsheet would run as a formula (it starts with ``=``, ``+``, ``-``, ``@``, a tab
or a carriage return, OWASP's list) gets one leading apostrophe (``safe_cell``); a lone ``-`` is
left. Every CSV the app writes passes each cell through it (``export.guard`` adds Register's own
guard on top), and a cell holding a comma or a line break is quoted by the csv module so it cannot
spill into a neighbouring cell that would then start with a trigger.

XLSX: a cell whose type is text is never a formula, whatever it starts with, but openpyxl turns any
string starting with ``=`` into a formula cell. ``text_cells`` appends a row whose cells are all
typed as text, so the value is kept exactly (no apostrophe needed) and nothing runs.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: str) -> str:
    """Prefix one apostrophe to a cell a spreadsheet would run as a formula (a lone '-' is left)."""
    if value and value != "-" and value.startswith(_TRIGGERS):
        return "'" + value
    return value


def text_cells(ws: Any, values: Iterable[object]) -> None:
    """Append a row to an openpyxl worksheet with every cell stored as text, never as a formula."""
    from openpyxl.cell import WriteOnlyCell

    write_only = not hasattr(ws, "cell")
    row: list[object] = []  # WriteOnlyCell (a factory function in openpyxl) or plain text
    for v in values:
        text = "" if v is None else str(v)
        if write_only:
            cell = WriteOnlyCell(ws, value=text)
            cell.data_type = "s"
            row.append(cell)
        else:
            row.append(text)
    if write_only:
        ws.append(row)
        return
    ws.append(row)
    for cell in ws[ws.max_row]:
        cell.data_type = "s"  # openpyxl made any "=..." a formula; store the text as it is
