"""Rule packs, one per Register template version."""

from __future__ import annotations

from functools import cache
from importlib import import_module

from desktop.validation.engine import RulePack

PACKS = {"v2026.1": "desktop.validation.packs.v2026_1"}


@cache
def get_pack(version: str = "v2026.1") -> RulePack:
    try:
        module = import_module(PACKS[version])
    except KeyError:
        raise ValueError(f"No rules for template version {version}; this app knows {', '.join(PACKS)}") from None
    pack: RulePack = module.PACK
    return pack
