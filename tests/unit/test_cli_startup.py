"""Start-up: each command imports only what it uses (issue 16: a small check in a blink).

Timing belongs to ``benchmarks/``; these tests pin the cause instead: which modules a command
leaves in ``sys.modules``. A heavy import creeping back into the path of ``--help`` or ``check``
fails here, on any machine, however fast.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import pytest

from desktop.cli import COMMANDS, build_parser, main
from tests.helpers import valid_row, write_csv

PROBE = """
import json, sys
from desktop.cli import main
try:
    code = main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
print(json.dumps({"code": code, "modules": sorted(sys.modules)}), file=sys.stderr)
"""


def imported_by(*argv: str) -> set[str]:
    proc = subprocess.run([sys.executable, "-c", PROBE, *argv], capture_output=True, text=True, check=False, timeout=120)
    last = proc.stderr.strip().splitlines()[-1]
    return set(json.loads(last)["modules"])


def _top(modules: set[str]) -> set[str]:
    return {m.split(".")[0] for m in modules}


def test_every_command_is_listed_with_its_own_help() -> None:
    full = build_parser(None)
    sub = next(a for a in full._actions if isinstance(a, argparse._SubParsersAction))
    own = {choice.dest: choice.help for choice in sub._choices_actions}
    assert own == {name: help_text for name, (_, help_text) in COMMANDS.items()}


@pytest.mark.parametrize("argv", [["--help"], ["--version"], []])
def test_help_and_version_import_no_command(argv: list[str]) -> None:
    modules = imported_by(*argv)
    assert not {m for m in modules if m.startswith("desktop.cli.")} - {"desktop.cli.__main__"}
    assert not _top(modules) & {"numpy", "pandas", "pydantic", "httpx", "PySide6", "keyring", "rapidfuzz"}


def test_a_command_help_imports_that_command_only(capsys: pytest.CaptureFixture[str]) -> None:
    modules = imported_by("template", "--help")
    assert "desktop.cli.template" in modules
    assert not {"desktop.cli.upload", "desktop.cli.history", "desktop.cli.check"} & modules
    with pytest.raises(SystemExit):
        main(["check", "--help"])
    assert "--list-changes" in capsys.readouterr().out


def test_unknown_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["chekc", "f.csv"]) == 2
    assert "invalid choice: 'chekc'" in capsys.readouterr().err


def test_check_of_a_template_file_imports_no_network_or_window_code(tmp_path: Path) -> None:
    p = write_csv(tmp_path / "two.csv", [valid_row(), valid_row(first_names="Aoife", email="a@example.com")])
    modules = imported_by("check", str(p), "--today", "2026-11-28")
    assert not _top(modules) & {"pandas", "httpx", "PySide6", "keyring", "openpyxl", "truststore", "rapidfuzz",
                                "pydantic"}  # pydantic: only once a saved profile is read
    assert "numpy.ma" not in modules  # np.unique imports it: 10-20 ms of start-up
