"""HESA code lists: loaded once from the package, replaceable from Register's reference-data API.

Codes are compared by exact string equality, as Register does (leading zeros matter, no
trimming, no case folding).
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from desktop.base.writer import write_file
from desktop.validation.resources import read_json, read_text
from desktop.validation.template import DEFAULT_VERSION


@dataclass(frozen=True, slots=True)
class Code:
    code: str
    label: str
    name: str = ""
    aliases: tuple[str, ...] = ()
    start_year: int | None = None
    end_year: int | None = None


@dataclass(frozen=True)
class CodeList:
    name: str
    title: str
    entries: tuple[Code, ...]
    fields: tuple[str, ...] = ()
    codes: frozenset[str] = field(init=False)
    _by_code: dict[str, Code] = field(init=False, repr=False, compare=False)
    _listed: dict[tuple[str, ...], tuple[bool, str]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "codes", frozenset(e.code for e in self.entries))
        object.__setattr__(self, "_by_code", {e.code: e for e in self.entries})
        object.__setattr__(self, "_listed", {})

    def __contains__(self, code: object) -> bool:
        return code in self.codes

    def get(self, code: str) -> Code | None:
        return self._by_code.get(code)

    def label(self, code: str) -> str:
        entry = self._by_code.get(code)
        return entry.label if entry else ""

    def sorted_codes(self) -> list[str]:
        return sorted(self.codes)

    def invalid_value_message(self, field_name: str, value: str, exclude: tuple[str, ...] = ()) -> str:
        """Register's list message (SPEC §5.2): full list under 10 codes, else the first ten.

        ``exclude`` drops codes Register does not offer (training route ``02``).
        """
        hit = self._listed.get(exclude)
        if hit is None:  # once per list: a file can hold hundreds of thousands of wrong codes
            codes = [c for c in self.sorted_codes() if c not in exclude]
            hit = self._listed[exclude] = (len(codes) < 10, ", ".join(f"'{c}'" for c in codes[:10]))
        complete, listed = hit
        if complete:
            return f"{field_name} has invalid reference data value of '{value}'. Valid values are {listed}."
        return f"{field_name} has invalid reference data value of '{value}'. Example values include {listed}..."


@dataclass(frozen=True)
class CodeLists:
    version: str  # template/API version, e.g. "v2026.1"
    date: str  # date of the newest change, or of the refresh from the API
    source: str  # "bundled" or "api"
    lists: dict[str, CodeList]

    def __getitem__(self, name: str) -> CodeList:
        return self.lists[name]

    def for_field(self, field_name: str) -> CodeList | None:
        for code_list in self.lists.values():
            if field_name in code_list.fields:
                return code_list
        return None

    @property
    def label(self) -> str:
        return f"{self.version} ({self.source}, {self.date})"


def _parse_csv(name: str, title: str, fields: list[str], text: str) -> CodeList:
    entries = []
    for row in csv.DictReader(io.StringIO(text)):
        entries.append(Code(
            code=row["code"],
            label=row["label"],
            name=row.get("name", ""),
            aliases=tuple(a for a in (row.get("aliases") or "").split("|") if a),
            start_year=int(row["start_year"]) if row.get("start_year") else None,
            end_year=int(row["end_year"]) if row.get("end_year") else None,
        ))
    return CodeList(name=name, title=title, entries=tuple(entries), fields=tuple(fields))


@cache
def bundled_code_lists(version: str = DEFAULT_VERSION) -> CodeLists:
    """The lists shipped in the package; loaded once per process."""
    index = read_json("reference", version, "index.json")
    lists = {
        name: _parse_csv(name, meta["title"], meta["fields"], read_text("reference", version, f"{name}.csv"))
        for name, meta in index["lists"].items()
    }
    return CodeLists(version=index["version"], date=index["date"], source=index["source"], lists=lists)


# Register's reference-data keys that differ from our list names
_API_KEYS = {"ethnicity": "ethnicity"}


def code_lists_from_api(payload: dict[str, Any], *, fetched: str, base: CodeLists | None = None) -> CodeLists:
    """Replace the bundled lists with a ``GET /reference-data`` response (SPEC §7.7).

    Lists the response lacks keep their bundled entries; labels and names Register does not
    send are kept from the bundled list where the code is known. Unknown keys (such as
    ``withdrawal_reasons``) are ignored.
    """
    base = base or bundled_code_lists()
    if not isinstance(payload, dict):
        raise ValueError("reference data response is not an object")
    lists = dict(base.lists)
    for name, old in base.lists.items():
        section = payload.get(_API_KEYS.get(name, name))
        if not isinstance(section, dict) or not isinstance(section.get("entries"), list):
            continue
        entries = []
        for item in section["entries"]:
            if not isinstance(item, dict) or item.get("code") in (None, ""):
                continue
            code = str(item["code"])
            known = old.get(code)
            entries.append(Code(
                code=code,
                label=str(item.get("display_name") or (known.label if known else "")),
                name=known.name if known else "",
                aliases=known.aliases if known else (),
                start_year=int(item["start_year"]) if item.get("start_year") else None,
                end_year=int(item["end_year"]) if item.get("end_year") else None,
            ))
        if entries:
            title = str((section.get("metadata") or {}).get("display_name") or old.title)
            lists[name] = CodeList(name=name, title=title, entries=tuple(sorted(entries, key=lambda e: e.code)), fields=old.fields)
    return CodeLists(version=base.version, date=fetched, source="api", lists=lists)


def save_code_lists(lists: CodeLists, path: Path) -> None:
    """Cache refreshed lists as one JSON file (the app's data directory, per version)."""
    doc = {
        "version": lists.version, "date": lists.date, "source": lists.source,
        "lists": {
            n: {"title": cl.title, "fields": list(cl.fields),
                "entries": [[e.code, e.label, e.name, list(e.aliases), e.start_year, e.end_year] for e in cl.entries]}
            for n, cl in lists.lists.items()
        },
    }
    write_file(path, json.dumps(doc), private=True)


def load_cached_code_lists(path: Path) -> CodeLists:
    doc = json.loads(path.read_text("utf-8"))
    lists = {
        n: CodeList(name=n, title=v["title"], fields=tuple(v["fields"]), entries=tuple(
            Code(code=e[0], label=e[1], name=e[2], aliases=tuple(e[3]), start_year=e[4], end_year=e[5])
            for e in v["entries"]))
        for n, v in doc["lists"].items()
    }
    return CodeLists(version=doc["version"], date=doc["date"], source=doc["source"], lists=lists)
