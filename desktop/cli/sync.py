"""``register-desktop sync FILE --env ENV``: keep Register in step with the file (placeholder until built)."""

from __future__ import annotations

import argparse
from typing import Any


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser("sync", help="send the file's new and changed trainees to Register")
    p.add_argument("file")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    raise NotImplementedError
