"""Argument helpers shared by commands."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import sys
from pathlib import Path
from typing import TextIO

from desktop.core.errors import UsageError


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


def open_out(path: str | None) -> TextIO:
    if not path or path == "-":
        return sys.stdout
    try:
        p = Path(path)
        p.parent.mkdir(parents=True, exist_ok=True)
        # reports quote trainees' values: readable by the user only, like every file the app writes
        fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        if hasattr(os, "fchmod"):  # a file that was already there keeps its old mode otherwise
            with contextlib.suppress(OSError):
                os.fchmod(fd, 0o600)
        return open(fd, "w", encoding="utf-8", newline="")
    except OSError as exc:
        raise UsageError(f"Cannot write {path}: {exc.strerror or exc}.") from None
