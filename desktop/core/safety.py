"""Make cells safe to open in a spreadsheet program (no formula injection)."""

from __future__ import annotations

_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: str) -> str:
    """Prefix one apostrophe to a cell a spreadsheet would run as a formula (a lone '-' is left)."""
    if value and value != "-" and value.startswith(_TRIGGERS):
        return "'" + value
    return value
