"""Undoable changes to the grid: every edit, fill down, replace and "fix all like this" is one command."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtGui import QUndoCommand, QUndoStack
from typing_extensions import override

from desktop.ui.autosave import HistoryStep
from desktop.ui.table_model import Change, FrameTableModel


class CellChangesCommand(QUndoCommand):
    """Set many cells at once; undo puts back what they held before."""

    def __init__(self, model: FrameTableModel, changes: Sequence[Change], text: str,
                 old: Sequence[Change] | None = None, *, done: bool = False) -> None:
        super().__init__(text)
        self._model = model
        self._new = list(changes)
        self._old = list(old) if old is not None else [(r, c, model.value(r, c)) for r, c, _ in changes]
        self._skip_first_redo = done  # restored after a crash: the cells already hold the new values

    @property
    def size(self) -> int:
        return len(self._new)

    def step(self) -> HistoryStep:
        """This command as autosave keeps it (field names, not column numbers)."""
        field = self._model.field_at
        return HistoryStep(self.text(), tuple((r, field(c), old, new) for (r, c, new), (_, _, old)
                                              in zip(self._new, self._old, strict=True)))

    @override
    def redo(self) -> None:
        if self._skip_first_redo:
            self._skip_first_redo = False
            return
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


def history_of(stack: QUndoStack) -> tuple[list[HistoryStep], int]:
    """The stack's steps, oldest first, and how many are done (for autosave)."""
    steps = []
    for i in range(stack.count()):
        cmd = stack.command(i)
        if isinstance(cmd, CellChangesCommand):
            steps.append(cmd.step())
    return steps, stack.index()


def restore_history(model: FrameTableModel, stack: QUndoStack, steps: list[HistoryStep], index: int) -> int:
    """Put back an undo history saved with ``history_of``: the model already holds the cells as they were
    at ``index`` (recovery re-applied them). Steps that name a field or row that no longer exists are
    dropped with everything after them. Returns how many steps came back."""
    stack.clear()
    fields = set(model.fields)
    usable: list[HistoryStep] = []
    for s in steps:
        if not all(f in fields and 0 <= r < model.rowCount() for r, f, _, _ in s.changes):
            break
        usable.append(s)
    index = min(max(index, 0), len(usable))
    for i, s in enumerate(usable):
        new = [(r, model.column_of(f), after) for r, f, _, after in s.changes]
        old = [(r, model.column_of(f), before) for r, f, before, _ in s.changes]
        # done steps are in the cells already; the others are applied by push() and undone just after
        stack.push(CellChangesCommand(model, new, s.text, old, done=i < index))
    stack.setIndex(index)
    return len(usable)
