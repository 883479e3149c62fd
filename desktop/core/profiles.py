"""Mapping profiles: a confirmed mapping saved once, so next week's file needs no mapping at all.

A profile is a small JSON file (schema below, checked with pydantic) holding the template version
it was made for, the source file's headers (its signature), the column for each template field,
the user's value map per field and the kinds of value change turned off. Profiles live in
``<config dir>/profiles/`` and are chosen automatically when a file's headers are exactly a
profile's headers (ignoring case, spacing and order). They can be exported and imported to share
between colleagues; they hold no trainee data (only headers and code-list values).

A profile made for an older template is migrated with a report the user sees (fields renamed,
added or gone, from ``resources/mapping/template_history.json``); one for an unknown or newer
template, or a newer profile format, is refused with a ``ProfileError`` — never applied silently.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from desktop.base.writer import write_file
from desktop.core.errors import UserFacingError
from desktop.core.mapping import Mapping
from desktop.core.paths import config_dir, private_file
from desktop.core.values import ValueOptions
from desktop.validation.codelists import CodeLists, bundled_code_lists
from desktop.validation.resources import read_json
from desktop.validation.template import DEFAULT_VERSION, Template, load_template

if TYPE_CHECKING:
    from desktop.core.profile_model import MappingProfile as MappingProfile  # served by __getattr__ below

logger = logging.getLogger(__name__)

PROFILE_KIND = "register-desktop/mapping-profile"
FORMAT_VERSION = 1


class ProfileError(UserFacingError):
    title = "The mapping profile cannot be used"


def __getattr__(name: str) -> Any:
    """``MappingProfile`` is a pydantic model, imported on first use: a check that finds no saved
    profile never loads pydantic (a tenth of its start-up)."""
    if name == "MappingProfile":
        from desktop.core.profile_model import MappingProfile

        return MappingProfile
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def header_signature(headers: list[str]) -> frozenset[str]:
    return frozenset(" ".join(h.split()).casefold() for h in headers if h.strip())


@dataclass
class LoadedProfile:
    profile: MappingProfile
    report: list[str] = field(default_factory=list)  # what the user must know: migration, ignored entries
    migrated_from: str | None = None
    path: Path | None = None

    @property
    def notes(self) -> list[str]:
        return list(self.report)


# ------------------------------------------------------------------------------ reading and migrating


@cache
def _history() -> dict[str, Any]:
    doc: dict[str, Any] = read_json("mapping", "template_history.json")
    return doc


def known_versions() -> list[str]:
    """Template versions a profile may name: the older ones we can migrate, then the current one."""
    return [*_history()["versions"], DEFAULT_VERSION]


#: a profile holds a few hundred headers and values; anything this large is not one (and is not read whole)
MAX_PROFILE_CHARS = 5_000_000


def parse_profile(text: str, *, source: str = "the profile", template: Template | None = None,
                  code_lists: CodeLists | None = None) -> LoadedProfile:
    """Validate (and migrate) a profile's JSON text; raises ``ProfileError`` with what to do."""
    template = template or load_template()
    if len(text) > MAX_PROFILE_CHARS:
        raise ProfileError(f"{source} is not a mapping profile: it holds {len(text):,} characters (a profile has a few "
                           "thousand).")
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ProfileError(f"{source} is not a mapping profile: it is not valid JSON (line {exc.lineno}).") from None
    except RecursionError:
        raise ProfileError(f"{source} is not a mapping profile: its JSON is nested thousands of levels deep.") from None
    try:
        return _parse_document(doc, source, template, code_lists)
    except RecursionError:  # nesting the JSON reader accepted but the checks below cannot walk
        raise ProfileError(f"{source} is not a mapping profile: its JSON is nested too deeply.") from None


def _parse_document(doc: Any, source: str, template: Template, code_lists: CodeLists | None) -> LoadedProfile:
    if not isinstance(doc, dict) or doc.get("kind") != PROFILE_KIND:
        raise ProfileError(f"{source} is not a Register Desktop mapping profile.")
    fmt = doc.get("format_version")
    if not isinstance(fmt, int) or fmt > FORMAT_VERSION or fmt < 1:
        raise ProfileError(f"{source} was written by a newer version of Register Desktop (profile format {fmt}); "
                           "update the app, or make a new profile with 'register-desktop map'.")
    version = doc.get("template_version")
    report: list[str] = []
    migrated_from = None
    if version != template.version:
        history = _history()["versions"]
        if not isinstance(version, str) or version not in history:
            raise ProfileError(
                f"{source} was made for Register's template {version!r}, which this version of Register Desktop does not "
                f"know (it knows {', '.join(known_versions())}). It was not used: make a new profile with "
                "'register-desktop map', or update the app.")
        doc, report = _migrate(doc, version, template.version, history)
        migrated_from = version
    from pydantic import ValidationError

    from desktop.core.profile_model import MappingProfile

    try:
        profile = MappingProfile.model_validate(doc)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:3])
        raise ProfileError(f"{source} is not a valid mapping profile ({problems}).") from None
    unknown = sorted((set(profile.columns) | set(profile.values)) - set(template.names))
    if unknown:
        raise ProfileError(f"{source} names fields that Register's {template.version} template does not have: "
                           f"{', '.join(unknown)}. It was not used.")
    report.extend(_drop_invalid_codes(profile, template, code_lists or bundled_code_lists(template.version)))
    if migrated_from:
        report.insert(0, f"The profile '{profile.name}' was made for Register's {migrated_from} template and was "
                         f"migrated to {template.version}. Check the mapping before you send anything.")
    return LoadedProfile(profile, report, migrated_from)


def load_profile(path: str | Path, *, template: Template | None = None, code_lists: CodeLists | None = None) -> LoadedProfile:
    p = Path(path)
    try:
        if p.stat().st_size > MAX_PROFILE_CHARS * 4:
            raise ProfileError(f"{p.name} is not a mapping profile: it is {p.stat().st_size / 1048576:,.0f} MB.")
        text = p.read_text("utf-8-sig")
    except FileNotFoundError:
        raise ProfileError(f"There is no mapping profile at {p}.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ProfileError(f"The mapping profile {p.name} cannot be read: {getattr(exc, 'strerror', None) or exc}.") from None
    loaded = parse_profile(text, source=f"The file {p.name}", template=template, code_lists=code_lists)
    loaded.path = p
    return loaded


def _norm_field(header: str) -> str:
    return re.sub(r"[^0-9a-z]+", "_", header.casefold()).strip("_")


def _migrate(doc: dict[str, Any], version: str, target: str, history: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    doc = dict(doc)
    columns = dict(doc.get("columns") or {})
    values = dict(doc.get("values") or {})
    report: list[str] = []
    seen = set()
    while version != target:
        if version in seen or version not in history:
            raise ProfileError(f"The profile's template {version} cannot be migrated to {target}.")
        seen.add(version)
        step = history[version]
        successor = step["successor"]
        known = {_norm_field(h) for h in step["headers"]}
        strange = sorted(set(columns) - known)
        if strange:
            raise ProfileError(f"The profile says it was made for {version}, but names fields that template does not have: "
                               f"{', '.join(strange)}. It was not used.")
        renamed, removed = step.get("renamed", {}), set(step.get("removed", ()))
        for old, new in renamed.items():
            if columns.get(old):
                report.append(f"{old} is called {new} in {successor}; the column '{columns[old]}' now feeds {new}.")
        for old in removed:
            if columns.get(old):
                report.append(f"{old} no longer exists in {successor}; the column '{columns[old]}' is no longer used.")
            if values.get(old):
                report.append(f"The value map for {old} was dropped: {successor} has no such field.")
        columns = {renamed.get(k, k): v for k, v in columns.items() if k not in removed}
        values = {renamed.get(k, k): v for k, v in values.items() if k not in removed}
        for new in step.get("added", ()):
            report.append(f"{successor} adds {new}; no column is mapped to it yet.")
        version = successor
    doc.update(columns=columns, values=values, template_version=target)
    return doc, report


def _drop_invalid_codes(profile: MappingProfile, template: Template, lists: CodeLists) -> list[str]:
    out = []
    for name, entries in profile.values.items():
        f = template.field(name)
        if f.kind != "code" or not f.code_list:
            continue
        code_list = lists[f.code_list]
        for src, code in list(entries.items()):
            if code is not None and code != "" and code not in code_list.codes:
                out.append(f"The value map for {name} turns '{src}' into '{code}', which is not a {code_list.title} code; "
                           "that entry is ignored.")
                entries[src] = None
    return out


# ------------------------------------------------------------------------------ the store


def _slug(name: str) -> str:
    s = re.sub(r"[^0-9A-Za-z]+", "-", name).strip("-").lower()
    return s[:60] or "profile"


class ProfileStore:
    """The user's saved profiles (``<config dir>/profiles``), written readable by the user only."""

    def __init__(self, folder: Path | None = None) -> None:
        self._folder = folder

    @property
    def folder(self) -> Path:
        return self._folder or (config_dir() / "profiles")

    def _files(self) -> list[Path]:
        folder = self.folder
        if not folder.is_dir():
            return []
        return sorted(p for p in folder.glob("*.json") if not p.name.startswith("."))

    def all(self, template: Template | None = None) -> tuple[list[LoadedProfile], list[str]]:
        """Every readable profile, and a line for each one that cannot be used."""
        good, bad = [], []
        for p in self._files():
            try:
                good.append(load_profile(p, template=template))
            except ProfileError as exc:
                bad.append(f"{p.name}: {exc.message}")
        return good, bad

    def path_for(self, name: str) -> Path:
        base = _slug(name)
        for i in range(1, 1000):
            p = self.folder / (f"{base}.json" if i == 1 else f"{base}-{i}.json")
            if not p.exists():
                return p
            try:
                existing = json.loads(p.read_text("utf-8")).get("name")
            except (OSError, ValueError, AttributeError):
                continue
            if existing == name:
                return p
        raise ProfileError(f"Too many profiles are called '{name}'.")

    def save(self, profile: MappingProfile) -> Path:
        path = self.path_for(profile.name)
        try:
            return private_file(path, profile.to_json())
        except OSError as exc:
            raise ProfileError(f"The profile cannot be saved in {self.folder}: {exc.strerror or exc}.") from None

    def remember(self, profile: MappingProfile) -> tuple[Path, str]:
        """Keep a mapping the user made so the next file with these headers opens with it (the
        window does this on "Continue"): it replaces the profile made for exactly these headers,
        else is saved under a name no other profile has. Returns (path, name used)."""
        existing = self.find_for_headers(profile.headers)
        if existing is not None and existing.path is not None:
            kept = profile.model_copy(update={"name": existing.profile.name})
            try:
                return private_file(existing.path, kept.to_json()), kept.name
            except OSError as exc:
                raise ProfileError(f"The mapping cannot be kept in {self.folder}: {exc.strerror or exc}.") from None
        good, _ = self.all()
        taken = {lp.profile.name.casefold() for lp in good}
        name = profile.name
        n = 2
        while name.casefold() in taken:
            name = f"{profile.name} ({n})"
            n += 1
        return self.save(profile.model_copy(update={"name": name})), name

    def get(self, name: str, template: Template | None = None) -> LoadedProfile:
        good, _ = self.all(template)
        for loaded in good:
            if loaded.profile.name.casefold() == " ".join(name.split()).casefold():
                return loaded
        names = ", ".join(f"'{lp.profile.name}'" for lp in good) or "none"
        raise ProfileError(f"There is no saved profile called '{name}' (saved profiles: {names}).")

    def delete(self, name: str) -> Path:
        loaded = self.get(name)
        assert loaded.path is not None
        loaded.path.unlink()
        return loaded.path

    def find_for_headers(self, headers: list[str], template: Template | None = None) -> LoadedProfile | None:
        """The newest saved profile whose headers are exactly this file's (case, spacing and order aside)."""
        signature = header_signature(headers)
        matches = []
        for p in self._files():
            try:
                loaded = load_profile(p, template=template)
            except ProfileError as exc:
                logger.warning("Saved profile %s skipped: %s", p.name, exc.message)
                continue
            if loaded.profile.signature() == signature:
                matches.append(loaded)
        if not matches:
            return None
        return max(matches, key=lambda lp: lp.profile.created)

    def import_file(self, path: str | Path, template: Template | None = None) -> LoadedProfile:
        """Check, migrate and save a profile a colleague shared; the report says what changed."""
        loaded = load_profile(path, template=template)
        loaded.path = self.save(loaded.profile)
        return loaded

    def export(self, name: str, dest: str | Path) -> Path:
        loaded = self.get(name)
        return write_file(dest, loaded.profile.to_json())  # the user's file: the folder's normal permissions


# ------------------------------------------------------------------------------ choosing a mapping


@dataclass
class MappingChoice:
    mapping: Mapping
    profile: MappingProfile | None = None
    value_options: ValueOptions | None = None  # the profile's, when one was used


def choose_mapping(headers: list[str], suggest: Any, template: Template, *,
                   profile: MappingProfile | LoadedProfile | None = None, store: ProfileStore | None = None,
                   auto_profile: bool = True) -> MappingChoice:
    """The profile given, else a saved profile made for exactly these headers, else ``suggest()``.

    ``suggest`` is called only when no profile applies (it reads the file's values).
    """
    loaded = profile if profile is None or isinstance(profile, LoadedProfile) else LoadedProfile(profile)
    if loaded is None and auto_profile:
        try:
            loaded = (store or ProfileStore()).find_for_headers(headers, template)
        except OSError as exc:  # an unreadable config folder must not stop a check
            logger.warning("Saved profiles not searched: %s", exc)
            loaded = None
    if loaded is None:
        mapping: Mapping = suggest()
        return MappingChoice(mapping)
    mapping = loaded.profile.to_mapping(headers, template)
    mapping.notes = [*loaded.report, *mapping.notes]
    return MappingChoice(mapping, loaded.profile, loaded.profile.value_options())
