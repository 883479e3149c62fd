"""``register-desktop map``: suggest, save and share mapping profiles.

    register-desktop map FILE [--out PROFILE.json] [--save] [--name NAME]   suggest a profile to review
    register-desktop map FILE --set FIELD=COLUMN [--unset FIELD] --save     change the mapping, keep it
    register-desktop map --list                                             the saved profiles
    register-desktop map --import PROFILE.json                              save a colleague's profile
    register-desktop map --export NAME --out PROFILE.json                   share a saved profile
    register-desktop map --delete NAME                                      forget a saved profile

A saved profile is used automatically by check, export and upload for a file with exactly the
same headers. ``--set``/``--unset`` change the mapping (as the window's Map step does), so
nobody edits a profile's JSON by hand; ``--accept-all`` takes every suggestion the map shows. Exit status: 0 done, 1 the suggested mapping leaves mandatory fields unmapped,
2 the file, the profile or the command is wrong.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, TextIO

from desktop.base.writer import write_file
from desktop.cli.check import add_mapping_options, open_draft, repeat_options
from desktop.cli.common import add_today
from desktop.core.draft import MappingDraft
from desktop.core.errors import UsageError
from desktop.core.profiles import MappingProfile, ProfileError, ProfileStore


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser("map", help="suggest, save and share column mappings (profiles)")
    p.add_argument("file", nargs="?", help="the spreadsheet to map")
    p.add_argument("--out", metavar="PROFILE.json", help="write the profile here (for review, or to share)")
    p.add_argument("--name", help="the profile's name (default: the file's name)")
    p.add_argument("--save", action="store_true",
                   help="save the profile so files with these headers are mapped automatically from now on")
    p.add_argument("--sheet", help="sheet name (default: the first sheet with data)")
    p.add_argument("--accept-all", action="store_true",
                   help="take every suggestion: confirm uncertain matches and map each unused column to the "
                        "field it looks like")
    what = p.add_mutually_exclusive_group()
    what.add_argument("--list", action="store_true", help="list the saved profiles")
    what.add_argument("--import", dest="import_path", metavar="PROFILE.json", help="check and save a shared profile")
    what.add_argument("--export", dest="export_name", metavar="NAME", help="write a saved profile to --out")
    what.add_argument("--delete", dest="delete_name", metavar="NAME", help="delete a saved profile")
    add_mapping_options(p)
    add_today(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace, *, store: ProfileStore | None = None) -> int:
    store = store or ProfileStore()
    out = sys.stdout
    if args.list:
        return _list(store, out)
    if args.import_path:
        loaded = store.import_file(args.import_path)
        out.write(f"Saved the profile '{loaded.profile.name}' (template {loaded.profile.template_version}) as {loaded.path}.\n")
        for line in loaded.report:
            out.write(f"  {line}\n")
        return 0
    if args.export_name:
        if not args.out:
            raise UsageError("--export needs --out PROFILE.json: where to write the profile.")
        path = store.export(args.export_name, args.out)
        out.write(f"Wrote the profile '{args.export_name}' to {path}.\n")
        return 0
    if args.delete_name:
        path = store.delete(args.delete_name)
        out.write(f"Deleted the profile '{args.delete_name}' ({path.name}).\n")
        return 0
    if not args.file:
        raise UsageError("map needs a FILE to map (or --list, --import, --export or --delete).")
    draft = open_draft(args, map_values_default=True)
    if args.accept_all:
        draft.accept_all()
    name = args.name or (draft.profile.name if draft.profile else Path(args.file).stem)
    profile = draft.suggested_profile(name)
    _describe(draft, profile, out, args)
    if args.out:
        write_file(args.out, profile.to_json())
        out.write(f"\nWrote the profile '{profile.name}' to {args.out}. Review it (fill in any value mapped to null), "
                  f"then use it with: register-desktop check {args.file} --mapping {args.out}\n")
    if args.save:
        path = store.save(profile)
        out.write(f"Saved the profile '{profile.name}' as {path}: files with these headers will be mapped with it "
                  "automatically.\n")
    elif not args.out and draft.can_undo:
        out.write("\nNothing was saved: add --save to map files with these headers this way from now on "
                  "(or --out PROFILE.json to review the profile first).\n")
    return 1 if draft.missing_required() else 0


def _list(store: ProfileStore, out: TextIO) -> int:
    good, bad = store.all()
    if not good and not bad:
        out.write(f"No saved profiles (in {store.folder}).\n")
        return 0
    out.write(f"Saved profiles (in {store.folder}):\n")
    for lp in good:
        p = lp.profile
        mapped = sum(1 for s in p.columns.values() if s)
        migrated = f", migrated from {lp.migrated_from}" if lp.migrated_from else ""
        out.write(f"  {p.name}: {mapped} fields from {len(p.headers)} columns, template {p.template_version}{migrated}, "
                  f"made {p.created[:10]}\n")
    for line in bad:
        out.write(f"  cannot be used: {line}\n")
    return 0


def _describe(draft: MappingDraft, profile: MappingProfile, out: TextIO, args: argparse.Namespace) -> None:
    import shlex

    mapping = draft.mapping
    template = draft.template
    if mapping.origin == "profile":
        source = (f"the profile '{mapping.profile_name}' from {mapping.profile_file}" if mapping.profile_file
                  else f"your saved profile '{mapping.profile_name}'")
    else:
        source = "suggested"
    n_rows = draft.raw.n_rows
    out.write(f"{draft.raw.path}: {len(draft.raw.headers)} columns, {n_rows} row{'s' if n_rows != 1 else ''}; "
              f"mapping {source}.\n\n")
    rows = [(mapping.columns[f.name], f.name, mapping.needs_check(f.name), mapping.reason(f.name))
            for f in template.fields if mapping.columns.get(f.name) is not None]
    width = max((len(repr(r[0])) for r in rows), default=10)
    out.write("Columns:\n")
    for src, name, check, why in rows:
        out.write(f"  {src!r:<{width}} -> {name:<31} {why}{'  CHECK' if check else ''}\n")
    for name, others in mapping.conflicts.items():
        if others:
            listed = ", ".join(repr(o) for o in others)
            out.write(f"  also like {name}: {listed} (not used)\n")
    suggestions = draft.suggestions()
    if suggestions:
        out.write("Not mapped:\n")
        for s in suggestions:
            if s.field is None:
                out.write(f"  {s.column!r}: nothing in the template looks like it\n")
            elif s.taken_by:
                out.write(f"  {s.column!r}: looks like {s.field} ({s.reason}), which {s.taken_by!r} feeds now\n")
            else:
                out.write(f"  {s.column!r}: probably {s.field} ({s.reason}): --set {shlex.quote(s.field + '=' + s.column)}\n")
    missing = draft.missing_required()
    if missing:
        out.write("Mandatory fields with no column: " + ", ".join(missing) + "\n")
    to_confirm = draft.uncertain()
    if draft.pending():
        rest = repeat_options(args)
        out.write(f"\n{draft.pending()} suggestion(s) to check ({len(to_confirm)} match(es) marked CHECK). Take them all with: "
                  f"register-desktop map {shlex.quote(args.file)}{' ' + rest if rest else ''} --accept-all --save\n")
    for note in mapping.notes:
        out.write(f"Note: {note}\n")
    if profile.values:
        out.write("\nValues:\n")
        for name, entries in profile.values.items():
            known = {k: v for k, v in entries.items() if v is not None}
            unknown = [k for k, v in entries.items() if v is None]
            shown = ", ".join(f"{k!r} -> {v!r}" for k, v in list(known.items())[:6])
            more = f" and {len(known) - 6} more" if len(known) > 6 else ""
            out.write(f"  {name}: {shown}{more}\n" if known else "")
            if unknown:
                out.write(f"  {name}: no code found for " + ", ".join(repr(u) for u in unknown[:8])
                          + (" ..." if len(unknown) > 8 else "") + "\n")


__all__ = ["ProfileError", "register", "run"]
