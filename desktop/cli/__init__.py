"""The command line: ``register-desktop <command>``. Thin: every command drives the core.

Each command lives in its own module with ``register(subparsers)`` and ``run(args) -> int``.
Exit codes: 0 done (no errors), 1 errors found in the data, 2 the file or the usage is wrong.
"""

from __future__ import annotations

import argparse
import sys
from importlib import import_module

from desktop import __version__
from desktop.core.errors import UserFacingError

# module names under desktop.cli, in the order shown by --help
COMMANDS = ["check", "map", "export", "template", "upload", "sync", "actions", "token", "history", "purge", "simulator",
            "selftest"]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageProblem(message, self.format_usage())


class UsageProblem(Exception):
    def __init__(self, message: str, usage: str) -> None:
        super().__init__(message)
        self.usage = usage


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="register-desktop",
                     description="Check, map, export and upload trainee records for DfE's Register trainee teachers service.")
    parser.add_argument("--version", action="version", version=f"register-desktop {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMANDS:
        import_module(f"desktop.cli.{name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    from desktop.core.logs import install_redaction

    install_redaction()  # warnings reach standard error (often a file in scripts) without personal data
    parser = build_parser()
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


def run() -> None:
    sys.exit(main())
