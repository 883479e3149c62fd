"""``register-desktop defer FILE --env ENV``: see ``desktop.cli.actions``."""

from __future__ import annotations

from typing import Any


def register(sub: Any) -> None:
    from desktop.cli.actions import register_kind

    register_kind(sub, "defer")
