"""Inputs the fuzzer (fuzz/fuzz_readers.py) found crashing, kept as regression tests."""

from pathlib import Path

import pytest

from desktop.cli import main
from desktop.core.errors import FileReadError
from desktop.core.loading import read_table

CASES = sorted((Path(__file__).parent.parent / "data" / "fuzz").iterdir())


@pytest.mark.parametrize("path", CASES, ids=[p.name for p in CASES])
def test_fuzz_finding_reads_or_fails_clearly(path):
    message = ""
    try:
        read_table(path)
    except FileReadError as exc:
        message = str(exc)
    assert "\n" not in message.strip()


@pytest.mark.parametrize("path", CASES, ids=[p.name for p in CASES])
def test_fuzz_finding_check_exits_cleanly(path, capsys):
    assert main(["check", str(path)]) in (0, 1, 2)
    assert "Traceback" not in capsys.readouterr().err
