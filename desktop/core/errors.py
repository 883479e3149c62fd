"""Errors the user must act on (environment problems, not data problems: those are findings)."""

from __future__ import annotations

from desktop.validation.errors import UserFacingError

__all__ = ["FileReadError", "UsageError", "UserFacingError"]


class FileReadError(UserFacingError):
    title = "The file cannot be read"


class UsageError(UserFacingError):
    title = "The command was not understood"
