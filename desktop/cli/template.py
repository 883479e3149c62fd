"""``register-desktop template --out FILE [--kind KIND]``: an empty template.

The default is Register's bulk-add template (v2026.1) as Register publishes it; ``--kind withdraw``,
``defer`` or ``recommend`` writes this app's template for that action: the trainee's identifier
columns, then the request's fields under the API's own names.
"""

from __future__ import annotations

import argparse
from typing import Any

from desktop.base.writer import write_file
from desktop.validation.template import load_template


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser("template", help="write the empty Register CSV template")
    p.add_argument("--out", required=True, help="where to write the template CSV")
    p.add_argument("--kind", choices=("trainees", "withdraw", "defer", "recommend"), default="trainees",
                   help="trainees (Register's bulk-add template, the default), or the template of an action")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.kind != "trainees":
        from desktop.core.action_files import action_template, reason_lines

        template = action_template(args.kind)
        what = f"{args.kind} template"
    else:
        template = load_template()
        what = f"{template.version} template"
    write_file(args.out, template.header_line() + "\n")
    print(f"Wrote the {what} ({len(template.fields)} columns) to {args.out}")
    if args.kind != "trainees":
        print("Columns: one of hesa_id, provider_trainee_id or trainee_id (Register's id) says which trainee; "
              + ", ".join(f.name for f in template.fields[3:]) + ".")
        print("Dates as YYYY-MM-DD or DD/MM/YYYY.")
    if args.kind == "withdraw":
        print("trigger: provider or trainee. future_interest: yes, no or unknown. reasons: codes or wordings, "
              "several separated by ';':")
        for line in reason_lines():
            print(f"  {line}")
    return 0
