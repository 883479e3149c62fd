"""``register-desktop map``: suggest, save and share mapping profiles.

    register-desktop map FILE [--out PROFILE.json] [--save] [--name NAME]   suggest a profile to review
    register-desktop map --list                                             the saved profiles
    register-desktop map --import PROFILE.json                              save a colleague's profile
    register-desktop map --export NAME --out PROFILE.json                   share a saved profile
    register-desktop map --delete NAME                                      forget a saved profile

A saved profile is used automatically by check, export and upload for a file with exactly the
same headers. Exit status: 0 done, 1 the suggested mapping leaves mandatory fields unmapped,
2 the file, the profile or the command is wrong.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, TextIO

from desktop.base.writer import write_file
from desktop.cli.check import add_mapping_options, open_session
from desktop.cli.common import add_today
from desktop.core.errors import UsageError
from desktop.core.mapping import METHOD_TITLES, SURE
from desktop.core.profiles import ProfileError, ProfileStore


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser("map", help="suggest, save and share column mappings (profiles)")
    p.add_argument("file", nargs="?", help="the spreadsheet to map")
    p.add_argument("--out", metavar="PROFILE.json", help="write the profile here (for review, or to share)")
    p.add_argument("--name", help="the profile's name (default: the file's name)")
    p.add_argument("--save", action="store_true",
                   help="save the profile so files with these headers are mapped automatically from now on")
    p.add_argument("--sheet", help="sheet name (default: the first sheet with data)")
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
    args.map_values = True if args.map_values is None else args.map_values
    session = open_session(args)
    name = args.name or (session.profile.name if session.profile else Path(args.file).stem)
    profile = session.suggested_profile(name)
    _describe(session, profile, out)
    if args.out:
        write_file(args.out, profile.to_json())
        out.write(f"\nWrote the profile '{profile.name}' to {args.out}. Review it (fill in any value mapped to null), "
                  f"then use it with: register-desktop check {args.file} --mapping {args.out}\n")
    if args.save:
        path = store.save(profile)
        out.write(f"Saved the profile '{profile.name}' as {path}: files with these headers will be mapped with it "
                  "automatically.\n")
    missing = [f.name for f in session.template.fields if f.mandatory and session.mapping.columns.get(f.name) is None]
    return 1 if missing else 0


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


def _describe(session: Any, profile: Any, out: TextIO) -> None:
    mapping = session.mapping
    template = session.template
    source = f"the saved profile '{mapping.profile_name}'" if mapping.origin == "profile" else "suggested"
    out.write(f"{session.raw.path}: {len(session.raw.headers)} columns, {session.n_rows} rows; mapping {source}.\n\n")
    rows = [(mapping.columns[f.name], f.name, mapping.confidence.get(f.name, 1.0), mapping.method.get(f.name, "exact"))
            for f in template.fields if mapping.columns.get(f.name) is not None]
    width = max((len(repr(r[0])) for r in rows), default=10)
    out.write("Columns:\n")
    for src, name, conf, method in rows:
        flag = "  CHECK" if conf < SURE and method not in ("user", "profile") else ""
        out.write(f"  {src!r:<{width}} -> {name:<31} {conf:>4.0%}  {METHOD_TITLES.get(method, method)}{flag}\n")
    for name, others in mapping.conflicts.items():
        if others:
            listed = ", ".join(repr(o) for o in others)
            out.write(f"  also like {name}: {listed} (not used)\n")
    unmapped = [h for h in session.raw.headers if h and h not in mapping.sources]
    if unmapped:
        out.write("Not mapped: " + ", ".join(repr(h) for h in unmapped) + "\n")
    missing = [f.name for f in template.fields if f.mandatory and mapping.columns.get(f.name) is None]
    if missing:
        out.write("Mandatory fields with no column: " + ", ".join(missing) + "\n")
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
