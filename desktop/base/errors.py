"""The base of every error a user must act on (the lowest floor, so every package can raise it).

``desktop.core.errors`` re-exports ``UserFacingError``; import it from there in core and the front ends.
"""

from __future__ import annotations


class UserFacingError(Exception):
    """An error with a title and a message that says what to do; shown as is, never as a traceback."""

    title = "Something went wrong"

    def __init__(self, message: str, *, title: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if title is not None:
            self.title = title

    def __str__(self) -> str:
        return self.message
