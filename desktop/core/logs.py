"""Logging that keeps personal data and secrets out: a redaction filter, and the app's own log file.

The rule is that no code logs a cell, a name or a token (HOUSE_STYLE §13); this filter is the
second line, for what slips through anyway (an exception message quoting a value, a library's
debug line). Every record that passes a handler carrying ``RedactingFilter`` has, in its message,
its exception text and its stack text:

* the exact text of every secret registered with ``register_secret`` (the API token in use);
* anything shaped like a secret: ``Bearer …``, Register tokens (``sandbox_`` + 64 hex digits) and
  other long hexadecimal runs;
* e-mail addresses, National Insurance numbers, dates (ISO, UK and with times), runs of ten or more
  digits (HESA ids, UCAS and phone numbers);
* anything in quotes (``'O'Brien'``, ``"Siân"``): our messages and Python's quote the values they
  are about, so a quoted value is treated as a value.

replaced by a placeholder. A name written without quotes cannot be recognised; that is why the
first line matters, and ``tests/integration/test_privacy.py`` scans every file a full session
writes.

``setup_file_logging()`` is the window's log: ``logs/register-desktop.log`` in the data folder,
user-only (0600, rotated files too), rotated at 1 MB with three old copies, redacted. The command
line writes no log file; ``install_redaction()`` puts the filter on Python's last-resort handler
(warnings on standard error) and on every handler already on the root logger.
"""

from __future__ import annotations

import io
import logging
import logging.handlers
import os
import re
import threading
import traceback
from pathlib import Path

from desktop.base.writer import make_folder
from desktop.core.paths import data_dir

LOG_DIR = "logs"
LOG_FILE = "register-desktop.log"
MAX_BYTES = 1024 * 1024
BACKUPS = 3
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

_SECRETS: set[str] = set()
_LOCK = threading.Lock()

_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"(?i)\bbearer\s+\S+"), "Bearer [token]"),
    (re.compile(r"\b[A-Za-z]+_[0-9a-fA-F]{32,}\b"), "[token]"),
    (re.compile(r"\b[0-9a-fA-F]{32,}\b"), "[hex]"),
    (re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+"), "[e-mail]"),
    (re.compile(r"(?i)\b[A-CEGHJ-PR-TW-Z]{2}\s?\d{2}\s?\d{2}\s?\d{2}\s?[A-D]\b"), "[NI number]"),
    (re.compile(r"\b\d{4}-\d{1,2}-\d{1,2}(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?\b"), "[date]"),
    (re.compile(r"\b\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}\b"), "[date]"),
    (re.compile(r"\b\d{1,2}[ -](?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*[ -]\d{2,4}\b", re.I), "[date]"),
    (re.compile(r"\d{10,}"), "[number]"),
    (re.compile(r"(?<!\w)'[^\n]{1,300}?'(?!\w)"), "'…'"),
    (re.compile(r'(?<!\w)"[^\n]{1,300}?"(?!\w)'), '"…"'),
    (re.compile(r"‘[^\n]{1,300}?’"), "‘…’"),
    (re.compile(r"“[^\n]{1,300}?”"), "“…”"),
]


def register_secret(value: str | None) -> None:
    """Never log this exact text (call it with the API token as soon as the app has one)."""
    if value and len(value.strip()) >= 8:
        with _LOCK:
            _SECRETS.add(value.strip())


def redact(text: str) -> str:
    """The text with secrets and anything that looks like personal data replaced by placeholders."""
    with _LOCK:
        secrets = sorted(_SECRETS, key=len, reverse=True)
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, "[token]")
    for pattern, placeholder in _PATTERNS:
        text = pattern.sub(placeholder, text)
    return text


class RedactingFilter(logging.Filter):
    """Rewrites each record in place (message, exception and stack text), so every later handler sees it redacted."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_redacted", False):
            return True
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format string must not stop the record (or leak its args)
            message = f"{record.msg!s} (unformattable arguments)"
        record.msg, record.args = redact(message), None
        if record.exc_info and record.exc_info[0] is not None:
            record.exc_text = redact("".join(traceback.format_exception(*record.exc_info)).rstrip("\n"))
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        record._redacted = True
        return True


def _has_filter(handler: logging.Handler) -> bool:
    return any(isinstance(f, RedactingFilter) for f in handler.filters)


def install_redaction(*handlers: logging.Handler) -> None:
    """Put the filter on these handlers (default: every root handler and the last-resort one); idempotent."""
    targets = list(handlers) or [*logging.getLogger().handlers, *([logging.lastResort] if logging.lastResort else [])]
    for h in targets:
        if not _has_filter(h):
            h.addFilter(RedactingFilter())


class PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """A rotating log whose files (the current one and every rotated copy) are created user-only."""

    def _open(self) -> io.TextIOWrapper:
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        return io.TextIOWrapper(io.FileIO(fd, "a"), encoding=self.encoding or "utf-8", errors=self.errors,
                                write_through=True)

    def rotate(self, source: str, dest: str) -> None:
        super().rotate(source, dest)
        try:
            os.chmod(dest, 0o600)
        except OSError:  # pragma: no cover - a file system that ignores modes
            pass


def log_path() -> Path:
    return data_dir() / LOG_DIR / LOG_FILE


def setup_file_logging(level: int = logging.INFO, path: Path | None = None) -> logging.Handler:
    """The window's log file (see the module docstring); returns the handler it added to the root logger.

    If the file cannot be opened the log goes to standard error instead, still redacted.
    """
    path = path or log_path()
    handler: logging.Handler
    try:
        make_folder(path.parent, private=True)  # user-only if the app creates it; an existing folder is left as it is
        handler = PrivateRotatingFileHandler(path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8")
    except OSError:
        handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter(FORMAT))
    install_redaction(handler)
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(level)
    return handler
