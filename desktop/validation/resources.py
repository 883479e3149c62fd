"""Read runtime data shipped inside the package (works from source, wheel and frozen app)."""

from __future__ import annotations

import json
from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import Any


def resource(*parts: str) -> Traversable:
    node = files("desktop") / "resources"
    for part in parts:
        node = node / part
    return node


def read_text(*parts: str) -> str:
    return resource(*parts).read_text("utf-8")


def read_json(*parts: str) -> Any:
    return json.loads(read_text(*parts))
