"""The command line: ``register-desktop <command>``. Thin: every command drives the core.

Each command lives in its own module with ``register(subparsers)`` and ``run(args) -> int``.
Exit codes: 0 done (no errors), 1 errors found in the data, 2 the file or the usage is wrong.
"""

from __future__ import annotations

import argparse
import os
import sys
from importlib import import_module
from typing import NoReturn

from desktop import __version__
from desktop.core.errors import UserFacingError

# command -> (module under desktop.cli, one-line help), in the order shown by --help. The help is
# here so that ``--help``, ``--version`` and each command import only what they use (start-up is
# most of a small check); tests/unit/test_cli_startup.py checks it matches each module's own.
COMMANDS: dict[str, tuple[str, str]] = {
    "check": ("check", "check a spreadsheet against Register's rules, offline"),
    "map": ("map", "suggest, save and share column mappings (profiles)"),
    "export": ("export", "write Register's bulk-add CSV (mapped, checked, safe to open in a spreadsheet)"),
    "template": ("template", "write the empty Register CSV template"),
    "upload": ("upload", "send the valid rows to Register through its API (resumes an unfinished upload)"),
    "sync": ("sync", "send the file's new and changed trainees to Register (updates, degrees, placements)"),
    "withdraw": ("withdraw", "withdraw trainees listed in a file (withdrawal date, trigger, reasons, future interest)"),
    "defer": ("defer", "defer trainees listed in a file (defer date, optional reason)"),
    "recommend": ("recommend", "recommend trainees for QTS or EYTS (the date they met the standards)"),
    "token": ("token", "save, remove, show or test the Register API token"),
    "history": ("history", "list past uploads, show one, write or forget its receipt"),
    "purge": ("purge", "remove finished upload history, receipts the app kept, autosaves, practice data and logs"),
    "simulator": ("simulator", "run a local Register for rehearsals (this computer only)"),
    "self-test": ("selftest", "check that this installation works (no network)"),
}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageProblem(message, self.format_usage())


class UsageProblem(Exception):
    def __init__(self, message: str, usage: str) -> None:
        super().__init__(message)
        self.usage = usage


def build_parser(only: str | None = "") -> argparse.ArgumentParser:
    """The parser; ``only`` names the one command whose module is imported and whose options are
    known ("" none, None every one): the others are listed with their help and nothing more."""
    parser = _Parser(prog="register-desktop",
                     description="Check, map, export and upload trainee records for DfE's Register trainee teachers service.")
    parser.add_argument("--version", action="version", version=f"register-desktop {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name, (module, help_text) in COMMANDS.items():
        if only is None or name == only:
            import_module(f"desktop.cli.{module}").register(sub)
        else:
            sub.add_parser(name, help=help_text, add_help=False)
    return parser


def _command_of(argv: list[str]) -> str:
    """The command named on the command line ("" if none): the first argument not an option
    (the top level has only --help and --version, which take no value)."""
    for arg in argv:
        if not arg.startswith("-"):
            return arg if arg in COMMANDS else ""
    return ""


def main(argv: list[str] | None = None) -> int:
    from desktop.core.logs import install_redaction

    install_redaction()  # warnings reach standard error (often a file in scripts) without personal data
    if argv is None:
        argv = sys.argv[1:]
    parser = build_parser(_command_of(argv))
    try:
        args = parser.parse_args(argv)
    except UsageProblem as exc:
        print(f"register-desktop: {exc}", file=sys.stderr)
        print(exc.usage.rstrip(), file=sys.stderr)
        return 2
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    try:
        code: int = args.run(args)
        return code
    except UserFacingError as exc:
        print(f"register-desktop: {exc.message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("register-desktop: stopped.", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except MemoryError:
        print("register-desktop: the file is too large to process in the memory available.", file=sys.stderr)
        return 2
    except RecursionError:
        print("register-desktop: the input is nested too deeply to process.", file=sys.stderr)
        return 2
    except OSError as exc:  # a system error no command turned into words: still one line, never a traceback
        where = f": {exc.filename}" if exc.filename else ""
        print(f"register-desktop: {exc.strerror or exc}{where}.", file=sys.stderr)
        return 2
    except Exception as exc:
        if os.environ.get("REGISTER_DESKTOP_TRACEBACK"):
            raise
        print(f"register-desktop: unexpected error ({type(exc).__name__}: {_first_line(exc)}). Please report it; "
              "REGISTER_DESKTOP_TRACEBACK=1 shows the details.", file=sys.stderr)
        return 2


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return (text.splitlines()[0] if text else "")[:200]


def run() -> None:
    sys.exit(main())
