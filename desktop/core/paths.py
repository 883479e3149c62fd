"""Where the app keeps the user's files; every path can be overridden (tests, portable installs).

``DESKTOP_CONFIG_DIR`` (profiles, settings) and ``DESKTOP_DATA_DIR`` (journal, autosaves, cached
reference data, receipts, logs) override the platformdirs defaults. A folder the app creates
here is user-only (0700); a folder that already exists (say, an override naming a shared folder)
is used as it is and never chmod-ed. Files the app keeps here are written with ``private_file``
(user-only, atomic: ``desktop.base.writer``).
"""

from __future__ import annotations

import os
from pathlib import Path

from desktop.base.writer import WriteError, make_folder, write_file
from desktop.core.errors import UsageError

APP_NAME = "RegisterDesktop"
APP_AUTHOR = "RegisterDesktop"


def _ensure(path: Path, variable: str) -> Path:
    try:
        return make_folder(path, private=True)
    except WriteError:
        if path.exists() and not path.is_dir():
            raise UsageError(f"{variable} names {path}, which is a file: it must name a folder (or be unset).") from None
        raise UsageError(f"The app's folder {path} cannot be created: check {variable} or the permissions of "
                         "its parent folder.") from None


def config_path() -> Path:
    """The settings folder, not created."""
    override = os.environ.get("DESKTOP_CONFIG_DIR")
    if override:
        return Path(override)
    from platformdirs import user_config_path

    return user_config_path(APP_NAME, APP_AUTHOR)


def data_path() -> Path:
    """The data folder, not created."""
    override = os.environ.get("DESKTOP_DATA_DIR")
    if override:
        return Path(override)
    from platformdirs import user_data_path

    return user_data_path(APP_NAME, APP_AUTHOR)


def config_dir() -> Path:
    return _ensure(config_path(), "DESKTOP_CONFIG_DIR")


def data_dir() -> Path:
    return _ensure(data_path(), "DESKTOP_DATA_DIR")


def is_app_path(path: str | Path) -> bool:
    """Whether ``path`` lies in the app's own settings or data folder (so it is written user-only)."""
    where = os.path.realpath(os.path.dirname(os.path.abspath(path)))
    for folder in (config_path(), data_path()):
        root = os.path.realpath(folder)
        if where == root or where.startswith(root + os.sep):
            return True
    return False


def private_file(path: Path, data: bytes | str, *, encoding: str = "utf-8") -> Path:
    """Write one of the app's own files: user-only (0600), atomically (``desktop.base.writer``)."""
    return write_file(path, data, private=True, encoding=encoding)
