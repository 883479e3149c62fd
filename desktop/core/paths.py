"""Where the app keeps the user's files; every path can be overridden (tests, portable installs).

``DESKTOP_CONFIG_DIR`` (profiles, settings) and ``DESKTOP_DATA_DIR`` (journal, autosaves, cached
reference data, receipts, logs) override the platformdirs defaults. Folders are created
user-only (0700) and files the app writes there should be written with ``private_file``.
"""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "RegisterDesktop"
APP_AUTHOR = "RegisterDesktop"


def _ensure(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    try:
        path.chmod(0o700)
    except OSError:  # pragma: no cover - e.g. a network drive that ignores modes
        pass
    return path


def config_dir() -> Path:
    override = os.environ.get("DESKTOP_CONFIG_DIR")
    if override:
        return _ensure(Path(override))
    from platformdirs import user_config_path

    return _ensure(user_config_path(APP_NAME, APP_AUTHOR))


def data_dir() -> Path:
    override = os.environ.get("DESKTOP_DATA_DIR")
    if override:
        return _ensure(Path(override))
    from platformdirs import user_data_path

    return _ensure(user_data_path(APP_NAME, APP_AUTHOR))


def private_file(path: Path, data: bytes | str, *, encoding: str = "utf-8") -> Path:
    """Write a file readable only by the user (0600), atomically (write then rename)."""
    _ensure(path.parent)
    tmp = path.with_name(f".{path.name}.tmp")
    payload = data.encode(encoding) if isinstance(data, str) else data
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    os.replace(tmp, path)
    return path
