"""``register-desktop template --out FILE``: the empty v2026.1 template, as Register publishes it."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from desktop.core.errors import UsageError
from desktop.validation.template import load_template


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser("template", help="write the empty Register CSV template")
    p.add_argument("--out", required=True, help="where to write the template CSV")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    template = load_template()
    try:
        Path(args.out).write_text(template.header_line() + "\n", encoding="utf-8", newline="")
    except OSError as exc:
        raise UsageError(f"Cannot write {args.out}: {exc.strerror or exc}.") from None
    print(f"Wrote the {template.version} template ({len(template.fields)} columns) to {args.out}")
    return 0
