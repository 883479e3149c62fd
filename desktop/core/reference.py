"""Which code lists apply: the last ones refreshed from Register (cached per version in the data
folder), else the bundled ones. The window, ``check``, ``export`` and ``upload`` all ask here, so
they never disagree. Choosing reads only a local file; ``refresh_reference_data`` is handed a
client (the only network here), so this module imports no HTTP library.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import Any

from desktop.core.paths import data_dir
from desktop.validation.codelists import (
    CodeLists,
    bundled_code_lists,
    code_lists_from_api,
    load_cached_code_lists,
    save_code_lists,
)

logger = logging.getLogger(__name__)


def reference_cache_path(version: str) -> Path:
    return data_dir() / "reference" / f"{version}.json"


def cached_code_lists(version: str) -> CodeLists | None:
    """The last refreshed lists for a version, or None (then the bundled lists apply)."""
    path = reference_cache_path(version)
    if not path.exists():
        return None
    try:
        return load_cached_code_lists(path)
    except (OSError, ValueError, KeyError, IndexError, TypeError):
        logger.warning("The cached reference data is damaged; using the bundled lists")
        return None


def current_code_lists(version: str) -> CodeLists:
    return cached_code_lists(version) or bundled_code_lists(version)


def refresh_reference_data(client: Any, base: CodeLists) -> CodeLists:
    """Fetch Register's current code lists with ``client`` (a ``RegisterClient``), cache them per
    version (with today's date) and return them."""
    payload = client.reference_data()
    lists = code_lists_from_api(payload, fetched=dt.datetime.now(dt.UTC).date().isoformat(), base=base)
    save_code_lists(lists, reference_cache_path(lists.version))
    return lists
