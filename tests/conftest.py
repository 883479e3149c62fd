"""Test isolation: headless Qt, an in-memory keychain, private config folders, loopback only."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before anything imports Qt

import datetime as dt
from pathlib import Path

import httpx
import keyring
import pytest
from keyring.backend import KeyringBackend

TODAY = dt.date(2026, 11, 28)


class MemoryKeyring(KeyringBackend):
    """A dict-backed keychain so tests never touch the real one."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        from keyring.errors import PasswordDeleteError

        if (service, username) not in self.store:
            raise PasswordDeleteError("not found")
        del self.store[(service, username)]


_real_handle_request = httpx.HTTPTransport.handle_request
LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}


def _loopback_only(self: httpx.HTTPTransport, request: httpx.Request) -> httpx.Response:
    if request.url.host not in LOOPBACK:
        pytest.fail(f"test tried to reach {request.url.host}")
    return _real_handle_request(self, request)


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> MemoryKeyring:
    """No keychain prompts, no developer config, no network beyond loopback."""
    ring = MemoryKeyring()
    keyring.set_keyring(ring)
    monkeypatch.setenv("DESKTOP_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("DESKTOP_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("REGISTER_API_TOKEN", raising=False)
    monkeypatch.setattr(httpx.HTTPTransport, "handle_request", _loopback_only)
    return ring


@pytest.fixture
def today() -> dt.date:
    return TODAY


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark tests/ui as ui and run core tests first."""
    for item in items:
        if "tests/ui/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.ui)
    items.sort(key=lambda i: 1 if i.get_closest_marker("ui") else 0)
