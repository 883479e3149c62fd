"""Read runtime data shipped inside the package (works from source, wheel and frozen app).

The package's folder on disk, found from this file: every way the app is installed (source,
wheel, the PyInstaller bundle, which ships ``desktop/resources`` beside the modules) has one.
``importlib.resources`` would do the same at the price of importing ``tempfile`` and ``random``
on every start (issue 16: start-up is most of a small check).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

_ROOT = Path(__file__).resolve().parent.parent / "resources"


def resource(*parts: str) -> Path:
    return _ROOT.joinpath(*parts)


def read_text(*parts: str) -> str:
    return resource(*parts).read_text("utf-8")


def read_json(*parts: str) -> Any:
    return json.loads(read_text(*parts))
