"""Errors the user must act on (environment problems, not data problems: those are findings)."""

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


class FileReadError(UserFacingError):
    title = "The file cannot be read"


class UsageError(UserFacingError):
    title = "The command was not understood"
