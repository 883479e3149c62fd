"""``register-desktop template --out FILE``: the empty v2026.1 template, as Register publishes it."""

from __future__ import annotations

import argparse
from typing import Any

from desktop.base.writer import write_file
from desktop.validation.template import load_template


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser("template", help="write the empty Register CSV template")
    p.add_argument("--out", required=True, help="where to write the template CSV")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    template = load_template()
    write_file(args.out, template.header_line() + "\n")
    print(f"Wrote the {template.version} template ({len(template.fields)} columns) to {args.out}")
    return 0
