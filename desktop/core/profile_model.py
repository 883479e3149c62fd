"""The mapping profile's file format, a pydantic model (imported only when a profile is read or made)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from desktop.core.mapping import Mapping, match_headers
from desktop.core.profiles import FORMAT_VERSION, header_signature
from desktop.core.values import KINDS, ValueOptions
from desktop.validation.template import Template


class MappingProfile(BaseModel):
    """The file format (format_version 1)."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["register-desktop/mapping-profile"] = "register-desktop/mapping-profile"
    format_version: int = FORMAT_VERSION
    name: str = Field(min_length=1, max_length=120)
    description: str = ""
    template_version: str = Field(pattern=r"^v\d{4}\.\d+$")
    created: str = Field(default_factory=lambda: dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat())
    headers: list[str] = Field(default_factory=list)  # the source file's headers: its signature
    columns: dict[str, str | None] = Field(default_factory=dict)  # template field -> source header
    values: dict[str, dict[str, str | None]] = Field(default_factory=dict)  # field -> source value -> code (None: undecided)
    disabled_conversions: list[str] = Field(default_factory=list)

    @field_validator("disabled_conversions")
    @classmethod
    def _known_kinds(cls, v: list[str]) -> list[str]:
        unknown = sorted(set(v) - set(KINDS))
        if unknown:
            raise ValueError(f"unknown kind(s) of value change {unknown}; known: {', '.join(KINDS)}")
        return v

    @field_validator("name")
    @classmethod
    def _clean_name(cls, v: str) -> str:
        v = " ".join(v.split())
        if not v:
            raise ValueError("a profile needs a name")
        return v

    # ------------------------------------------------------------------ use
    def signature(self) -> frozenset[str]:
        return header_signature(self.headers)

    def value_options(self) -> ValueOptions:
        user = {f: {src: code for src, code in m.items() if code is not None} for f, m in self.values.items()}
        return ValueOptions(disabled=frozenset(self.disabled_conversions), user_maps={f: m for f, m in user.items() if m})

    def to_mapping(self, headers: list[str], template: Template) -> Mapping:
        """The profile's columns applied to a file's headers; columns the file lacks are noted."""
        wanted = [s for s in self.columns.values() if s]
        found = match_headers(headers, wanted)
        columns: dict[str, str | None] = dict.fromkeys(template.names)
        notes = []
        for name, source in self.columns.items():
            if not source or name not in columns:
                continue
            if source in found:
                columns[name] = found[source]
            else:
                notes.append(f"The profile '{self.name}' maps {name} to the column '{source}', which this file does not have.")
        mapped = [n for n, s in columns.items() if s is not None]
        return Mapping(template.version, columns, dict.fromkeys(mapped, 1.0), dict.fromkeys(mapped, "profile"),
                       origin="profile", profile_name=self.name, notes=notes)

    @classmethod
    def from_mapping(cls, name: str, mapping: Mapping, headers: list[str], *, options: ValueOptions | None = None,
                     values: dict[str, dict[str, str | None]] | None = None, description: str = "") -> MappingProfile:
        merged: dict[str, dict[str, str | None]] = {f: dict(m) for f, m in (values or {}).items()}
        opts = options or ValueOptions()
        for f, m in opts.user_maps.items():
            merged.setdefault(f, {}).update(m)
        return cls(name=name, description=description, template_version=mapping.template_version, headers=list(headers),
                   columns={k: v for k, v in mapping.columns.items() if v is not None},
                   values={f: m for f, m in merged.items() if m}, disabled_conversions=sorted(opts.disabled))

    def to_json(self) -> str:
        return json.dumps(self.model_dump(), ensure_ascii=False, indent=2) + "\n"
