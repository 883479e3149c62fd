"""Errors the user must act on (environment problems, not data problems: those are findings)."""

from __future__ import annotations

from desktop.validation.errors import UserFacingError

__all__ = ["FileReadError", "UsageError", "UserFacingError"]


class FileReadError(UserFacingError):
    """A file the app cannot read at all. ``register_message``: what Register's own upload page says
    about such a file (``core/register_words.py``), added to the message word for word."""

    title = "The file cannot be read"

    def __init__(self, message: str, *, title: str | None = None, register_message: str | None = None) -> None:
        if register_message:
            message = f"{message} Register's upload page says: \"{register_message}\"."
        super().__init__(message, title=title)
        self.register_message = register_message


class UsageError(UserFacingError):
    title = "The command was not understood"
