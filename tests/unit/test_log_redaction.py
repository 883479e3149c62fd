"""The log redaction filter: no token, e-mail, NI number, date, long id or quoted value reaches a log."""

from __future__ import annotations

import logging
import os
import stat

import pytest

from desktop.core import logs
from desktop.core.logs import RedactingFilter, redact, register_secret, setup_file_logging

TOKEN = "sandbox_" + "c0ffee" * 10 + "abcd"


@pytest.fixture
def root_logging():
    """Leave the root logger as it was (handlers, level, the last-resort handler's filters)."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    last = list(logging.lastResort.filters) if logging.lastResort else []
    yield root
    for h in root.handlers:
        if h not in handlers:
            root.removeHandler(h)
            h.close()
    root.setLevel(level)
    if logging.lastResort:
        logging.lastResort.filters[:] = last


@pytest.mark.parametrize(("text", "gone"), [
    (f"Authorization: Bearer {TOKEN}", TOKEN),
    (f"token {TOKEN} refused", TOKEN),
    ("hash " + "ab12" * 16, "ab12" * 16),
    ("mail to siân.o'brien+train@example.ac.uk now", "example.ac.uk"),
    ("NI AB123456C and ab 12 34 56 c", "123456"),
    ("born 1990-04-13", "1990-04-13"),
    ("born 13/04/1990", "13/04/1990"),
    ("born 13-Apr-1990", "13-Apr-1990"),
    ("sent 2026-11-28T10:15:00.123Z", "10:15"),
    ("HESA 26100000000001234 UCAS 1234567890", "1234567890"),
    ("KeyError: 'Siân'", "Siân"),
    ("invalid literal: 'O'Brien'", "Brien"),
    ('value "Llŷr ap Rhys" rejected', "Llŷr"),
    ("value ‘Zoë’ and “Núñez”", "Zoë"),
])
def test_personal_data_and_secrets_are_replaced(text, gone):
    out = redact(text)
    assert gone not in out and out != text


@pytest.mark.parametrize("text", [
    "row 12: attempt failed (ReadTimeout); retrying",
    "Settings file is damaged (JSONDecodeError); using the defaults",
    "GET trainees -> 200",
    "The file can't be read; it's damaged",
])
def test_ordinary_messages_pass_unchanged(text):
    assert redact(text) == text


def test_a_registered_secret_is_removed_whatever_its_shape():
    register_secret("plain-secret-without-a-pattern")
    assert "plain-secret" not in redact("x plain-secret-without-a-pattern y")


def test_the_filter_redacts_arguments_exceptions_and_stacks(root_logging, caplog):
    log = logging.getLogger("desktop.test")
    caplog.handler.addFilter(RedactingFilter())
    try:
        raise ValueError("bad date '1990-04-13' for sian@example.com")
    except ValueError:
        log.exception("row %s for %s", 7, "sian@example.com", stack_info=True)
    record = caplog.records[-1]
    text = caplog.text
    assert "sian@example.com" not in text and "1990-04-13" not in text
    assert record.getMessage() == "row 7 for [e-mail]"
    assert "ValueError: bad date" in text and record.exc_info is None


def test_cli_puts_the_filter_on_the_last_resort_handler(root_logging, capsys):
    """Warnings the command line prints on standard error are redacted too."""
    from desktop.cli import main

    if logging.lastResort:
        logging.lastResort.filters[:] = []
    assert main([]) == 2  # prints the help; installing the filter comes first
    capsys.readouterr()
    assert any(isinstance(f, RedactingFilter) for f in logging.lastResort.filters)
    record = logging.makeLogRecord({"name": "desktop.cli.test", "levelno": logging.WARNING, "levelname": "WARNING",
                                    "msg": "could not read %s", "args": (f"'{TOKEN}'",)})
    logging.lastResort.handle(record)  # what Python does when no handler is configured (the command line)
    err = capsys.readouterr().err
    assert TOKEN not in err and "could not read" in err


def test_file_log_is_user_only_rotated_and_redacted(root_logging, tmp_path, monkeypatch):
    monkeypatch.setattr(logs, "MAX_BYTES", 2000)
    handler = setup_file_logging(logging.INFO)
    path = logs.log_path()
    log = logging.getLogger("desktop.test")
    for i in range(60):
        log.info("upload %d for trainee 'Gwenllian Ní Bhriain' <g.nibhriain@example.com> token %s", i, TOKEN)
    handler.flush()
    files = sorted(path.parent.iterdir())
    assert len(files) >= 2  # rotated
    assert stat.S_IMODE(os.stat(path.parent).st_mode) == 0o700
    for f in files:
        assert stat.S_IMODE(f.stat().st_mode) == 0o600, f
        text = f.read_text("utf-8")
        assert "Gwenllian" not in text and "example.com" not in text and TOKEN not in text
    assert "upload 59 for trainee '…' <[e-mail]> token [token]" in path.read_text("utf-8")
