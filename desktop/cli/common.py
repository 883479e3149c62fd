"""Argument helpers shared by commands."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import sys
from collections.abc import Iterator
from typing import TextIO, cast

from desktop.base.writer import open_output
from desktop.core.errors import UsageError


def plural(n: int, word: str, many: str | None = None) -> str:
    """'1 error', '2 errors', '1,204 rows' (never '1 errors')."""
    return f"{n:,} {word if n == 1 else (many or word + 's')}"


def parse_today(text: str | None) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--today must be a date like 2026-11-28, not '{text}'.") from None


def add_today(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--today", metavar="YYYY-MM-DD",
                        help="evaluate date rules as if today were this date (default: today in UTC)")


@contextlib.contextmanager
def output(path: str | None) -> Iterator[TextIO]:
    """Standard output for no path or ``-``, else the file by the writer's rules (``desktop.base.writer``):
    the folder keeps its mode, an existing file keeps its mode, and the file changes only when
    everything was written (a failure leaves it as it was)."""
    if path is None or path == "-":
        yield sys.stdout
        return
    with open_output(path, newline="") as fh:
        yield cast("TextIO", fh)
