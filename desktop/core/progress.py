"""Progress reporting and cooperative cancellation for long work (CLI, window jobs, tests)."""

from __future__ import annotations

import threading
from typing import Protocol


class Progress(Protocol):
    def __call__(self, done: int, total: int, /) -> None: ...


def no_progress(done: int, total: int, /) -> None:
    """A Progress that reports nowhere."""


class Cancelled(Exception):
    """The user cancelled the work. Not an error."""


class CancelToken:
    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise Cancelled()


def format_duration(seconds: float) -> str:
    """A time span as people read it: '45 s', '3 min 05 s', '2 h 10 min'."""
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, s = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {s:02d} s"
    hours, m = divmod(minutes, 60)
    return f"{hours} h {m:02d} min"
