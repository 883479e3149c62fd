"""The packaged app: PyInstaller builds the onedir bundle from build/desktop.spec and the bundle's
own self-test passes inside it (template, code lists, rules, sample, keychain layer, window).

This is CI's packaging job: it runs on every submission (about a minute on two cores). Marked
``bundle``, so ``sh scripts/test.sh -m "not bundle"`` skips it while developing.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent

pytestmark = [pytest.mark.integration, pytest.mark.bundle]


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("pyinstaller", path=str(Path(sys.executable).parent)) is None:
        pytest.fail("PyInstaller is not installed: it is in the dev lock file (sh scripts/test.sh installs it)")
    work = tmp_path_factory.mktemp("pyinstaller")
    dist = work / "dist"
    proc = subprocess.run(
        [sys.executable, "-m", "PyInstaller", str(ROOT / "build" / "desktop.spec"), "--noconfirm", "--log-level", "WARN",
         "--workpath", str(work / "build"), "--distpath", str(dist)],
        cwd=ROOT, capture_output=True, text=True, timeout=900, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return dist / "RegisterDesktop"


def _env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(QT_QPA_PLATFORM="offscreen", DESKTOP_CONFIG_DIR=str(tmp_path / "c"), DESKTOP_DATA_DIR=str(tmp_path / "d"))
    return env


def test_bundle_self_test_passes(bundle: Path, tmp_path: Path) -> None:
    cli = bundle / ("register-desktop.exe" if os.name == "nt" else "register-desktop")
    proc = subprocess.run([str(cli), "self-test"], env=_env(tmp_path), capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "window: 60 rows shown" in proc.stdout
    assert "frozen" in proc.stdout


def test_bundle_checks_a_file_like_the_source_does(bundle: Path, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """The frozen app's report on the sample is the source's, finding for finding."""
    cli = bundle / ("register-desktop.exe" if os.name == "nt" else "register-desktop")
    sample = bundle / "_internal" / "desktop" / "resources" / "samples" / "sample-provider-export.csv"
    args = ["check", str(sample), "--today", "2026-11-28", "--format", "json"]
    proc = subprocess.run([str(cli), *args], env=_env(tmp_path), capture_output=True, text=True, timeout=120,
                          check=False)
    from desktop.cli import main

    capsys.readouterr()
    code = main(args)
    source = json.loads(capsys.readouterr().out)
    assert (proc.returncode, code) == (1, 1), proc.stderr
    frozen = json.loads(proc.stdout)
    assert frozen["rows"] == source["rows"] == 60
    assert frozen["summary"] == source["summary"]
    assert frozen["summary"]["errors"] > 0
    assert frozen["findings"] == source["findings"]
    assert frozen["reference_data_version"] == source["reference_data_version"]


def test_bundle_size_is_under_250_mb(bundle: Path) -> None:
    size = sum(f.stat().st_size for f in bundle.rglob("*") if f.is_file() and not f.is_symlink())
    assert size < 250e6, f"bundle is {size / 1e6:.0f} MB"
