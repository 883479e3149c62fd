"""The v2026.1 bulk-add template: 51 fields, in order, with kinds, lengths and requirements.

The field list is data (``resources/template/<version>.json``); a new Register template version
is a new JSON file and rule pack, not edits here.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from desktop.validation.resources import read_json

DEFAULT_VERSION = "v2026.1"

#: kinds of template fields (what the cell holds)
KINDS = ("text", "digits", "hesa_id", "date", "email", "code", "integer", "urn", "placement_urn", "year")


@dataclass(frozen=True, slots=True)
class Field:
    name: str  # CSV header, e.g. "date_of_birth"
    label: str  # short human label, e.g. "Date of birth"
    json: str  # path in the API body, e.g. "degrees_attributes[0].subject"
    kind: str  # one of KINDS
    max_length: int | None  # what Register enforces (None: not enforced)
    requirement: str  # "M" mandatory, "O" optional, "C" conditional
    code_list: str | None  # name of the code list for kind "code"
    hesa: str  # HESA alignment, e.g. "BIRTHDTE"

    @property
    def mandatory(self) -> bool:
        return self.requirement == "M"

    @property
    def api_name(self) -> str:
        """The attribute name Register uses in its messages for this field."""
        leaf = self.json.rsplit(".", 1)[-1]
        return leaf if self.json.startswith("degrees_attributes") else self.name


@dataclass(frozen=True)
class Template:
    version: str
    api_version: str
    published: str
    fields: tuple[Field, ...]

    @property
    def names(self) -> list[str]:
        return [f.name for f in self.fields]

    def field(self, name: str) -> Field:
        return self._by_name[name]

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    @property
    def _by_name(self) -> dict[str, Field]:
        cached: dict[str, Field] | None = self.__dict__.get("_by_name_cache")
        if cached is None:
            cached = {f.name: f for f in self.fields}
            object.__setattr__(self, "_by_name_cache", cached)
        return cached

    def header_line(self) -> str:
        return ",".join(self.names)


@cache
def load_template(version: str = DEFAULT_VERSION) -> Template:
    doc = read_json("template", f"{version}.json")
    fields = tuple(Field(**f) for f in doc["fields"])
    return Template(version=doc["version"], api_version=doc["api_version"], published=doc["published"], fields=fields)
