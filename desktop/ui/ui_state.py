"""Window state between runs (QSettings, INI file in the config folder): geometry, splitters, recent files."""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

from desktop.base.writer import make_folder
from desktop.core.paths import config_dir

MAX_RECENT = 8


class UiState:
    def __init__(self, path: Path | None = None) -> None:
        self.path = path or config_dir() / "window.ini"
        _user_only(self.path)  # recent files name the user's files: no one else reads them
        self._s = QSettings(str(self.path), QSettings.Format.IniFormat)

    def recent_files(self) -> list[Path]:
        value = self._s.value("recent/files", [])
        # QSettings' INI format reads a one-item list back as a plain string
        items = [value] if isinstance(value, str) else list(value) if isinstance(value, (list, tuple)) else []
        return [Path(p) for p in items if p]

    def add_recent(self, path: Path) -> list[Path]:
        path = path.resolve()
        items = [p for p in self.recent_files() if p != path]
        items.insert(0, path)
        items = items[:MAX_RECENT]
        self._s.setValue("recent/files", [str(p) for p in items])
        return items

    def last_dir(self) -> str:
        return str(self._s.value("recent/dir", "") or "")

    def set_last_dir(self, folder: Path) -> None:
        self._s.setValue("recent/dir", str(folder))

    def blob(self, key: str) -> QByteArray | None:
        value = self._s.value(key)
        return value if isinstance(value, QByteArray) else None

    def set_blob(self, key: str, value: QByteArray) -> None:
        self._s.setValue(key, value)

    def sync(self) -> None:
        self._s.sync()
        _user_only(self.path)


def _user_only(path: Path) -> None:
    """Create the settings file user-only (0600) before QSettings writes it, and keep it so."""
    try:
        make_folder(path.parent, private=True)
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
        path.chmod(0o600)
    except OSError:  # a read-only or odd folder (WriteError is an OSError too): QSettings reports its own problems
        pass
