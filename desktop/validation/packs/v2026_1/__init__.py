"""Register template v2026.1: field rules, then cross-field rules in Register's order of concerns."""

from __future__ import annotations

from desktop.validation.engine import RulePack
from desktop.validation.packs.v2026_1.fields import field_rules
from desktop.validation.template import load_template

VERSION = "v2026.1"

PACK = RulePack(version=VERSION, rules=tuple(field_rules(load_template(VERSION))))
