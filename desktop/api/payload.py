"""Request bodies from template rows, exactly as SPEC §6 describes, and Register's names back to fields.

* every value is a JSON string (codes keep their leading zeros), except ``application_id``, an
  integer in Register's OpenAPI document, sent as a number when it is digits without a leading zero;
* empty optional cells are left out;
* the seven degree columns make at most one degree (``degrees_attributes[0]``), only when one is filled;
* ``placement_1_urn`` … ``placement_3_urn`` become ``{"urn": ..., "name": "Placement k"}``, k counting
  only the filled ones.

The template's ``json`` paths drive it, so a template version is data, not code here.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any

from desktop.api.models import ApiMessage
from desktop.validation.template import Template, load_template

DEGREES = "degrees_attributes"
_APPLICATION_ID = re.compile(r"[1-9][0-9]{0,6}")  # digits that survive as a number (no leading zero, ≤ 7)
PLACEMENTS = "placements_attributes"


def build_payload(row: Mapping[str, str], template: Template | None = None) -> dict[str, Any]:
    """``{"data": {...}}`` for ``POST /trainees`` from one template-shaped row."""
    template = template or load_template()
    data: dict[str, Any] = {}
    degree: dict[str, str] = {}
    placements: list[dict[str, str]] = []
    for f in template.fields:
        value = _text(row.get(f.name))
        if not value:
            continue
        if f.json.startswith(f"{DEGREES}[0]."):
            degree[f.json.rsplit(".", 1)[1]] = value
        elif f.json.startswith(f"{PLACEMENTS}[]."):
            placements.append({"urn": value, "name": f"Placement {len(placements) + 1}"})
        elif f.name == "application_id" and _APPLICATION_ID.fullmatch(value):
            data[f.json] = int(value)  # the OpenAPI document's type; Register accepts both (SPEC §6.2)
        else:
            data[f.json] = value
    if degree:
        data[DEGREES] = [degree]
    if placements:
        data[PLACEMENTS] = placements
    return {"data": data}


def _text(value: object) -> str:
    if value is None:
        return ""
    return str(value).strip()


def canonical_json(payload: Mapping[str, Any]) -> bytes:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def payload_hash(payload: Mapping[str, Any], salt: bytes = b"") -> str:
    """A keyed SHA-256 of the body: says whether the same body was sent, without keeping the body."""
    return hashlib.sha256(salt + canonical_json(payload)).hexdigest()


def row_from_body(data: Mapping[str, Any], template: Template | None = None) -> dict[str, str]:
    """The template row a request body describes (the inverse of ``build_payload``; the simulator uses it).

    Values that are not strings are turned into text the way Register looks codes up (a number
    loses any leading zero it never had); only the first degree and the first three placements
    have template columns.
    """
    template = template or load_template()
    row = dict.fromkeys(template.names, "")
    degrees = data.get(DEGREES)
    degree = degrees[0] if isinstance(degrees, list) and degrees and isinstance(degrees[0], Mapping) else {}
    placements = [p for p in (data.get(PLACEMENTS) or []) if isinstance(p, Mapping)] \
        if isinstance(data.get(PLACEMENTS), list) else []
    k = 0
    for f in template.fields:
        if f.json.startswith(f"{DEGREES}[0]."):
            row[f.name] = _value(degree.get(f.json.rsplit(".", 1)[1]))
        elif f.json.startswith(f"{PLACEMENTS}[]."):
            if k < len(placements):
                row[f.name] = _value(placements[k].get("urn"))
            k += 1
        else:
            row[f.name] = _value(data.get(f.json))
    return row


def _value(value: Any) -> str:
    if value is None or isinstance(value, (dict, list)):
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# Register's attribute names that are not the template field's name (SPEC §5.2, §6.3)
_RENAMED = {"employing_school_id": "employing_school_urn", "training_partner_id": "training_partner_urn"}
_LISTS = {
    "disabilities": tuple(f"disability{i}" for i in range(1, 10)),
    "disability_ids": tuple(f"disability{i}" for i in range(1, 10)),
    DEGREES: ("uk_degree", "non_uk_degree", "degree_subject", "degree_grade", "degree_graduation_year",
              "awarding_institution", "degree_country"),
    PLACEMENTS: ("placement_1_urn", "placement_2_urn", "placement_3_urn"),
}


def field_for_message(message: ApiMessage, row: Mapping[str, str] | None = None,
                      template: Template | None = None) -> str | None:
    """The template field one of Register's messages is about, or None for the whole row.

    The attribute is the message's first word (SPEC §7.5.2). Degree attributes carry no parent
    prefix (``subject`` → ``degree_subject``); messages about a list (disabilities, degrees,
    placements) go to the first filled cell of that list, since Register does not say which entry.
    """
    template = template or load_template()
    attribute = message.attribute
    if attribute in _RENAMED:
        return _RENAMED[attribute]
    if attribute in template and not template.field(attribute).json.startswith((DEGREES, PLACEMENTS)):
        return attribute
    for f in template.fields:
        if f.json.startswith(f"{DEGREES}[0].") and f.json.rsplit(".", 1)[1] == attribute:
            return f.name
    group = _LISTS.get(attribute)
    if group:
        if row is not None:
            for name in group:
                if _text(row.get(name)):
                    return name
        return group[0]
    return None
