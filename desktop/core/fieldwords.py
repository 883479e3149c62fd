"""Every way a template field is known, for searching: the Map step's "Find a field" and the Field guide.

A user looking for where the degree class goes types what their own system calls it ("Class",
"Classification", "Honours"), not Register's name. Both searches match the same words: the
field's label and name, its HESA name, the wordings student record systems use for it (the
mapping's own tables, sure and possible), and the guide's sentence about what it means.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

from desktop.core.mapping import header_words
from desktop.validation.resources import read_json
from desktop.validation.template import Template, load_template


def fold(text: str) -> str:
    """Lower case, accents and punctuation gone, single spaces ("Degree-Class" -> "degree class")."""
    t = unicodedata.normalize("NFKD", text)
    t = "".join(c for c in t if not unicodedata.combining(c)).casefold()
    return " ".join(re.sub(r"[^0-9a-z]+", " ", t).split())


@cache
def _meanings(version: str) -> dict[str, str]:
    try:
        doc = read_json("guide", f"{version}.json")
    except FileNotFoundError:
        return {}
    return {e["name"]: e.get("meaning", "") for e in doc.get("fields", [])}


@cache
def _words(version: str, name: str) -> str:
    template = load_template(version)
    f = template.field(name)
    parts = [f.label, f.name, f.hesa or "", *header_words(name), _meanings(template.version).get(name, "")]
    return " | ".join(fold(p) for p in parts if p)


def field_words(template: Template, name: str) -> str:
    """Everything a search for the field may match, folded (see ``fold``)."""
    return _words(template.version, name)


def matches(template: Template, name: str, query: str, *extra: str) -> bool:
    """Whether every word of ``query`` appears in the field's words (or in ``extra``, e.g. the column
    mapped to it now)."""
    words = fold(query).split()
    if not words:
        return True
    text = field_words(template, name) + " | " + " | ".join(fold(e) for e in extra if e)
    return all(w in text for w in words)
