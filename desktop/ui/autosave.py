"""Unsaved work is never lost: the open file's mapping and every edit, saved as the user works.

One JSON file in the user's data folder, written atomically and readable only by the user
(``private_file``): it holds personal data (edited cells). It is removed when the user closes
normally (after saving or choosing to discard); if it is still there at the next start the
window offers the work back. The source file itself is not copied: recovery re-reads it,
re-applies the mapping and value options, then the edits, and puts back the undo history
(each step's cells before and after, and how far it had been undone), so Ctrl+Z after a
crash still undoes what it would have undone before.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from desktop.core.mapping import Mapping
from desktop.core.paths import data_dir, private_file
from desktop.core.values import KINDS, ValueOptions

logger = logging.getLogger(__name__)

FORMAT = 1


def autosave_path() -> Path:
    return data_dir() / "autosave" / "session.json"


@dataclass(frozen=True)
class HistoryStep:
    """One undoable step of the grid: its label and each cell's value before and after."""

    text: str
    changes: tuple[tuple[int, str, str, str], ...]  # (frame row, field, before, after)


@dataclass
class Snapshot:
    file: Path
    sheet: str | None
    mapping: Mapping
    options: ValueOptions = field(default_factory=ValueOptions)
    edits: dict[tuple[int, str], str] = field(default_factory=dict)
    saved_at: str = ""
    file_size: int | None = None
    file_mtime_ns: int | None = None
    history: list[HistoryStep] = field(default_factory=list)  # the grid's undo stack, oldest first
    history_index: int = 0  # how many of its steps are done (the rest can be redone)

    @property
    def n_edits(self) -> int:
        return len(self.edits)

    def file_changed(self) -> bool:
        """True when the source file is gone or is not the one the work was done on."""
        try:
            st = self.file.stat()
        except OSError:
            return True
        return (self.file_size is not None and st.st_size != self.file_size) or (
            self.file_mtime_ns is not None and st.st_mtime_ns != self.file_mtime_ns)


def _mapping_json(mapping: Mapping) -> dict[str, Any]:
    return dataclasses.asdict(mapping)


def _mapping_from(doc: dict[str, Any]) -> Mapping:
    names = {f.name for f in dataclasses.fields(Mapping)}
    return Mapping(**{k: v for k, v in doc.items() if k in names})


def _options_from(doc: dict[str, Any]) -> ValueOptions:
    disabled = frozenset(str(k) for k in doc.get("disabled", []) if k in KINDS)
    maps = {str(f): {str(a): str(b) for a, b in m.items()} for f, m in (doc.get("user_maps") or {}).items()}
    return ValueOptions(disabled=disabled, user_maps=maps)


def save(snapshot: Snapshot, path: Path | None = None) -> Path:
    path = path or autosave_path()
    size: int | None
    mtime: int | None
    try:
        st = snapshot.file.stat()
        size, mtime = st.st_size, st.st_mtime_ns
    except OSError:
        size, mtime = snapshot.file_size, snapshot.file_mtime_ns
    doc = {
        "format": FORMAT,
        "saved_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "file": str(snapshot.file),
        "sheet": snapshot.sheet,
        "file_size": size,
        "file_mtime_ns": mtime,
        "mapping": _mapping_json(snapshot.mapping),
        "value_options": {"disabled": sorted(snapshot.options.disabled),
                          "user_maps": {f: dict(m) for f, m in snapshot.options.user_maps.items()}},
        "edits": [[row, name, value] for (row, name), value in sorted(snapshot.edits.items())],
        "history": [{"text": h.text, "changes": [list(c) for c in h.changes]} for h in snapshot.history],
        "history_index": snapshot.history_index,
    }
    return private_file(path, json.dumps(doc, ensure_ascii=False))


def load(path: Path | None = None) -> Snapshot | None:
    """The saved work, or None when there is none (or it cannot be read: it is then set aside)."""
    path = path or autosave_path()
    if not path.is_file():
        return None
    try:
        doc = json.loads(path.read_text("utf-8"))
        if doc.get("format") != FORMAT:
            raise ValueError(f"unknown autosave format {doc.get('format')!r}")
        return Snapshot(
            file=Path(doc["file"]),
            sheet=doc.get("sheet"),
            mapping=_mapping_from(doc["mapping"]),
            options=_options_from(doc.get("value_options") or {}),
            edits={(int(r), str(f)): str(v) for r, f, v in doc.get("edits", [])},
            saved_at=str(doc.get("saved_at", "")),
            file_size=doc.get("file_size"),
            file_mtime_ns=doc.get("file_mtime_ns"),
            history=[HistoryStep(str(h["text"]), tuple((int(r), str(f), str(b), str(a)) for r, f, b, a in h["changes"]))
                     for h in doc.get("history") or []],
            history_index=int(doc.get("history_index") or 0),
        )
    except (OSError, ValueError, KeyError, TypeError) as exc:
        logger.warning("autosave unreadable (%s); keeping it aside", type(exc).__name__)
        try:
            path.replace(path.with_suffix(".unreadable"))
        except OSError:
            pass
        return None


def clear(path: Path | None = None) -> None:
    (path or autosave_path()).unlink(missing_ok=True)


def saved_when(saved_at: str, now: dt.datetime | None = None) -> str:
    """When the work was saved, as a person says it in their own time zone ("today at 14:32",
    "yesterday at 09:05", "on Tuesday 3 December 2026 at 16:40"), not an ISO timestamp."""
    try:
        when = dt.datetime.fromisoformat(saved_at)
    except ValueError:
        return "earlier"
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    local = when.astimezone()
    today = (now or dt.datetime.now(dt.UTC)).astimezone().date()
    clock = f"{local:%H:%M}"
    if local.date() == today:
        return f"today at {clock}"
    if local.date() == today - dt.timedelta(days=1):
        return f"yesterday at {clock}"
    return f"on {local:%A} {local.day} {local:%B %Y} at {clock}"
