"""Undoable changes to the grid: every edit, fill down, replace and "fix all like this" is one command."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtGui import QUndoCommand, QUndoStack
from typing_extensions import override

from desktop.ui.table_model import Change, FrameTableModel


class CellChangesCommand(QUndoCommand):
    """Set many cells at once; undo puts back what they held before."""

    def __init__(self, model: FrameTableModel, changes: Sequence[Change], text: str) -> None:
        super().__init__(text)
        self._model = model
        self._new = list(changes)
        self._old = [(r, c, model.value(r, c)) for r, c, _ in changes]

    @property
    def size(self) -> int:
        return len(self._new)

    @override
    def redo(self) -> None:
        self._model.apply_changes(self._new)

    @override
    def undo(self) -> None:
        self._model.apply_changes(self._old)


def attach_undo(model: FrameTableModel, stack: QUndoStack) -> None:
    """Route the model's edits through ``stack`` (clears it: old commands belong to an old model)."""
    stack.clear()

    def push(changes: list[Change], text: str) -> None:
        stack.push(CellChangesCommand(model, changes, text))

    model.edit_handler = push
