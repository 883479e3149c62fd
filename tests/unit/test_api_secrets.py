"""CredentialStore: one token per environment in the keychain; no keychain → memory only, said plainly."""

import keyring
import pytest
from keyring.backends import fail

from desktop.core.errors import UserFacingError
from desktop.core.secrets import ENV_VAR, SERVICE, CredentialStore, mask

TOKEN = "sandbox_" + "9c" * 32


def test_set_get_delete_in_the_keychain():
    ring = keyring.get_keyring()  # the test's in-memory keychain (conftest)
    store = CredentialStore()
    token, source = store.get("sandbox")
    assert (token, source.kind) == (None, "none")
    assert store.set("sandbox", f"  {TOKEN}\n").kind == "keychain"
    assert ring.store[(SERVICE, "sandbox")] == TOKEN
    token, source = store.get("sandbox")
    assert token == TOKEN and source.kind == "keychain" and store.is_secure
    assert store.get("production")[0] is None  # one token per environment
    assert store.delete("sandbox") and not store.delete("sandbox")
    assert store.get("sandbox")[0] is None


def test_no_keychain_keeps_it_in_memory_for_the_session_only():
    store = CredentialStore(backend=fail.Keyring())
    source = store.set("production", TOKEN)
    assert source.kind == "session" and "this session only" in source.description
    assert store.get("production") == (TOKEN, source)
    assert not store.is_secure
    assert CredentialStore(backend=fail.Keyring()).get("production")[0] is None  # a new run: gone


def test_locked_keychain_reads_as_no_token():
    from keyring.errors import KeyringLocked

    class Locked(keyring.backend.KeyringBackend):
        priority = 5

        def get_password(self, service, username):
            raise KeyringLocked("locked")

        def set_password(self, service, username, password):
            raise KeyringLocked("locked")

        def delete_password(self, service, username):
            raise KeyringLocked("locked")

    store = CredentialStore(backend=Locked())
    assert store.get("sandbox")[0] is None
    assert store.set("sandbox", TOKEN).kind == "session"
    assert "locked" in store.unavailable_reason


def test_environment_variable_wins_for_unattended_use(monkeypatch):
    store = CredentialStore()
    store.set("sandbox", TOKEN)
    monkeypatch.setenv(ENV_VAR, "sandbox_fromenv")
    token, source = store.get("sandbox")
    assert (token, source.kind) == ("sandbox_fromenv", "environment")
    assert keyring.get_keyring().get_password(SERVICE, "sandbox") == TOKEN  # the keychain keeps its own
    monkeypatch.delenv(ENV_VAR)
    assert store.get("sandbox")[0] == TOKEN


def test_empty_token_is_refused():
    with pytest.raises(UserFacingError, match="empty"):
        CredentialStore().set("sandbox", "   ")


def test_mask_shows_no_secret():
    assert TOKEN[10:] not in mask(TOKEN)
    assert mask(TOKEN).startswith("sandbox_") and mask(None) == "(none)"


def test_repr_has_no_token():
    store = CredentialStore(backend=fail.Keyring())
    store.set("sandbox", TOKEN)
    assert TOKEN not in repr(store)
