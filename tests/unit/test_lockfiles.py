"""The lock files match pyproject.toml: every declared dependency pinned within its range, every
file hashed, nothing unpinned, and the PySide6 build that aborts Python never chosen.

Offline checks only; `sh scripts/lock.sh` rewrites the files (it needs PyPI).
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
LOCKS = {"app": ("build",), "dev": ("dev", "build")}  # lock file -> dependency groups it holds


def _pins(name: str) -> dict[str, tuple[Version, str, int]]:
    """Package -> (version, marker text, number of hashes) of ``requirements/<name>.txt``."""
    text = (ROOT / "requirements" / f"{name}.txt").read_text("utf-8")
    pins: dict[str, tuple[Version, str, int]] = {}
    for entry in re.split(r"\n(?=\S)", text):
        first = entry.split("\\", 1)[0].strip()
        if not first or first.startswith("#"):
            continue
        req = Requirement(first)
        spec = str(req.specifier)
        assert spec.startswith("==") and "," not in spec, f"{name}.txt: {first} is not pinned to one version"
        pins[canonicalize_name(req.name)] = (Version(spec[2:]), str(req.marker or ""), entry.count("--hash=sha256:"))
    return pins


def _declared(groups: tuple[str, ...]) -> list[Requirement]:
    reqs = [Requirement(r) for r in PYPROJECT["project"]["dependencies"]]
    for group in groups:
        reqs += [Requirement(r) for r in PYPROJECT["dependency-groups"][group]]
    return reqs


@pytest.mark.parametrize("lock", sorted(LOCKS))
def test_every_declared_dependency_is_pinned_within_its_range(lock: str) -> None:
    """A dependency added to pyproject.toml without refreshing the lock fails here."""
    pins = _pins(lock)
    for req in _declared(LOCKS[lock]):
        if req.marker is not None and not req.marker.evaluate(default_environment()):
            continue  # e.g. the workflow linter, Linux x86-64 only
        name = canonicalize_name(req.name)
        assert name in pins, f"{req.name} is declared but not in requirements/{lock}.txt: run sh scripts/lock.sh"
        assert req.specifier.contains(pins[name][0], prereleases=True), f"{req} but {lock}.txt pins {pins[name][0]}"


@pytest.mark.parametrize("lock", sorted(LOCKS))
def test_every_pinned_file_is_hashed(lock: str) -> None:
    """pip installs with --require-hashes, so a pin without a hash would stop every fresh setup."""
    for name, (_, _, hashes) in _pins(lock).items():
        assert hashes >= 1, f"{name} in {lock}.txt has no hash"


def test_the_app_lock_is_the_dev_lock_without_the_tools() -> None:
    """The window a developer tests is the window a user runs: same versions of every app dependency."""
    app, dev = _pins("app"), _pins("dev")
    assert {n: v for n, (v, _, _) in app.items()} == {n: dev[n][0] for n in app}
    assert "pytest" in dev and "pytest" not in app


def test_pyside6_6_12_0_is_excluded_and_not_locked() -> None:
    """6.12.0 drops a reference to None or True on every call and aborts Python (issue 5)."""
    declared = {canonicalize_name(r.name): r for r in _declared(())}["pyside6-essentials"]
    assert not declared.specifier.contains("6.12.0")
    for lock in LOCKS:
        assert _pins(lock)["pyside6-essentials"][0] != Version("6.12.0")


def test_dev_tools_are_a_dependency_group_not_a_published_extra() -> None:
    assert "optional-dependencies" not in PYPROJECT["project"]
    assert {"pytest", "mypy", "ruff"} <= {canonicalize_name(Requirement(r).name) for r in PYPROJECT["dependency-groups"]["dev"]}


def test_mypy_checks_every_package_strictly() -> None:
    """No package of ours is switched off: an ignore is a line with its error code, never a module."""
    mypy = PYPROJECT["tool"]["mypy"]
    assert mypy["strict"] is True
    assert not mypy.get("ignore_missing_imports", False)
    for override in mypy.get("overrides", []):
        assert not override.get("ignore_errors", False), override
