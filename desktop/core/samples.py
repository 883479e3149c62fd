"""The realistic synthetic sample that ships with the app (for first runs, the self-test and demos)."""

from __future__ import annotations

from pathlib import Path

from desktop.validation.resources import resource

SAMPLE = "sample-provider-export.csv"


def sample_path(name: str = SAMPLE) -> Path:
    """A real path to a bundled sample (the package is on disk in every install mode we ship)."""
    return Path(str(resource("samples", name)))
