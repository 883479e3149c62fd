"""``register-desktop self-test``: the first thing support asks a user to run.

Loads the bundled template, reference data and rules, checks the bundled sample, round-trips a
dummy secret through the keychain when one is available, and starts and closes the window
offscreen (in a child process, so the command line stays Qt-free). Touches no network.
Exit 0 when everything the app needs works.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from desktop import __version__

SERVICE = "register-desktop-self-test"


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser("self-test", help="check that this installation works (no network)")
    p.add_argument("--no-window", action="store_true", help="skip starting the window")
    p.set_defaults(run=run)


def _check_data() -> str:
    """Every template version the registry knows: its template, code lists and rule pack load and
    fit together (each code field has its list, each list names real fields, the pack has rules)."""
    from desktop.validation.packs import PACKS

    return "; ".join(check_version(version) for version in PACKS)


def check_version(version: str) -> str:
    from desktop.validation.codelists import bundled_code_lists
    from desktop.validation.packs import get_pack
    from desktop.validation.template import load_template

    template = load_template(version)
    lists = bundled_code_lists(version)
    pack = get_pack(version)
    if not template.fields:
        raise RuntimeError(f"the {version} template has no fields")
    if template.version != version or lists.version != version or pack.version != version:
        raise RuntimeError(f"{version}: the template, code lists and rules are of different versions "
                           f"({template.version}, {lists.version}, {pack.version})")
    missing = sorted({f.code_list for f in template.fields if f.code_list} - set(lists.lists))
    if missing:
        raise RuntimeError(f"{version}: no code list for {', '.join(missing)}")
    empty = sorted(name for name, code_list in lists.lists.items() if not code_list.entries)
    if empty:
        raise RuntimeError(f"{version}: empty code list(s) {', '.join(empty)}")
    strangers = sorted({f for code_list in lists.lists.values() for f in code_list.fields} - set(template.names))
    if strangers:
        raise RuntimeError(f"{version}: code lists name fields the template lacks: {', '.join(strangers)}")
    if not pack.rules:
        raise RuntimeError(f"{version}: the rule pack has no rules")
    return (f"template {version}, {len(template.fields)} fields, {len(lists.lists)} code lists ({lists.label}), "
            f"{len(pack.rules)} rules")


def _check_sample() -> str:
    from desktop.core.samples import sample_path
    from desktop.core.session import ImportSession

    session = ImportSession.open(sample_path(), today=dt.date(2026, 11, 28))
    s = session.summary()
    if session.n_rows == 0:
        raise RuntimeError("the bundled sample has no rows")
    return f"{session.n_rows} rows, {s['errors']} errors, {s['warnings']} warnings (as expected: it has defects)"


def _check_keyring() -> str:
    import keyring
    from keyring.errors import KeyringError

    backend = keyring.get_keyring()
    name = f"{type(backend).__module__}.{type(backend).__name__}"
    if getattr(backend, "priority", 0) < 1:
        return f"no usable keychain ({name}): API tokens will be kept in memory for the session only"
    secret = f"self-test-{os.getpid()}-{time.time_ns()}"
    try:
        keyring.set_password(SERVICE, "probe", secret)
        got = keyring.get_password(SERVICE, "probe")
        keyring.delete_password(SERVICE, "probe")
    except KeyringError as exc:
        return f"keychain {name} is present but refused access ({type(exc).__name__}): tokens will be kept in memory"
    if got != secret:
        raise RuntimeError(f"keychain {name} returned a different value than was stored")
    return f"keychain {name}: a test secret was stored, read back and deleted"


def _window_command() -> list[str]:
    if getattr(sys, "frozen", False):  # the windowed program beside this one (or this one, under its own name)
        exe = Path(sys.executable).with_name("RegisterDesktop" + (".exe" if os.name == "nt" else ""))
        return [str(exe), "--self-test"]
    return [sys.executable, "-m", "desktop", "--self-test"]


def _check_window() -> str:
    env = dict(os.environ)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    started = time.perf_counter()
    try:
        proc = subprocess.run(_window_command(), env=env, capture_output=True, text=True, timeout=120, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise RuntimeError(f"the window could not be started: {exc}") from None
    if proc.returncode != 0:
        last = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
        raise RuntimeError(f"the window failed to start (exit {proc.returncode}): {last[0]}")
    said = (proc.stdout or "").strip().splitlines()[-1:] or ["window opened"]
    return f"{said[0].removeprefix('window self-test: ')}; the window opened, read the sample and closed in {time.perf_counter() - started:.1f} s"


def run(args: argparse.Namespace) -> int:
    print(f"Register Desktop {__version__} self-test")
    print(f"  Python {platform.python_version()} on {platform.system()} {platform.release()} ({platform.machine()})"
          f"{', frozen' if getattr(sys, 'frozen', False) else ''}")
    checks: list[tuple[str, Callable[[], str]]] = [
        ("data", _check_data), ("sample", _check_sample), ("keychain", _check_keyring)]
    if not args.no_window:
        checks.append(("window", _check_window))
    failed = 0
    for name, fn in checks:
        try:
            print(f"  ok    {name}: {fn()}")
        except Exception as exc:  # noqa: BLE001 - each check reports its own failure and the test goes on
            failed += 1
            print(f"  FAIL  {name}: {exc}")
    print("All checks passed." if not failed else f"{failed} check(s) failed: send this output to your IT desk.")
    return 0 if not failed else 1
