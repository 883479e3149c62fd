"""The Register API token: one per environment in the operating system's keychain, never on disk.

``CredentialStore(backend=None)`` uses keyring's own choice of backend, resolved on first use (so
building the window never blocks on a keychain unlock). When no keychain works (headless Linux
gets keyring's ``fail`` backend) the token is kept in memory for this run only and the caller is
told so: there is deliberately no plaintext fallback. ``REGISTER_API_TOKEN`` in the environment
wins for unattended use (it is read, never stored) — for Production and Sandbox only: a custom
address uses it (or any other variable) only when named explicitly (``--token-env NAME`` or the
``token_env`` setting), so a token meant for Register is never sent to an address someone typed.

The token never appears in an exception, a log line, ``repr`` or any file this app writes.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Any

from desktop.core.errors import UserFacingError

logger = logging.getLogger(__name__)

SERVICE = "RegisterDesktop: Register API token"
ENV_VAR = "REGISTER_API_TOKEN"


class CredentialStoreUnavailable(UserFacingError):
    title = "The keychain is not available"


@dataclass(frozen=True)
class TokenSource:
    """Where a token came from (shown to the user; never the token itself)."""

    kind: str  # "environment", "keychain", "session" (memory only) or "none"
    variable: str = ENV_VAR  # which environment variable, for "environment"

    @property
    def description(self) -> str:
        return {
            "environment": f"from the {self.variable} environment variable",
            "keychain": "saved in your keychain",
            "session": "kept in memory for this session only (no keychain available)",
            "none": "not set",
        }[self.kind]


class CredentialStore:
    """Tokens per environment key (``production``, ``sandbox``, ``custom:host:port``)."""

    def __init__(self, backend: Any | None = None) -> None:
        self._backend = backend
        self._memory: dict[str, str] = {}
        self._unavailable_reason: str | None = None

    def __repr__(self) -> str:
        return f"CredentialStore(backend={type(self._backend).__name__ if self._backend else 'auto'})"

    # ------------------------------------------------------------------ backend
    def _ring(self) -> Any:
        if self._backend is not None:
            return self._backend
        import keyring

        return keyring.get_keyring()  # keyring resolves (and caches) its choice on first use

    @property
    def is_secure(self) -> bool:
        """True when tokens are kept by a real keychain (keyring priority >= 1)."""
        try:
            return float(getattr(self._ring(), "priority", 0)) >= 1
        except Exception:  # noqa: BLE001 - a backend that cannot even say its priority is not secure
            return False

    @property
    def unavailable_reason(self) -> str | None:
        return self._unavailable_reason

    def _call(self, what: str, fn: Any, *args: Any) -> Any:
        from keyring.errors import InitError, KeyringError, KeyringLocked, NoKeyringError

        try:
            return fn(*args)
        except (NoKeyringError, InitError, KeyringLocked) as exc:
            kind = "is locked" if isinstance(exc, KeyringLocked) else "is not available on this computer"
            self._unavailable_reason = f"The system keychain {kind}"
            raise CredentialStoreUnavailable(
                f"The system keychain {kind}, so the API token cannot be saved. It will be kept in memory "
                "until you close the app; you will be asked again next time.") from None
        except KeyringError as exc:
            self._unavailable_reason = f"The keychain failed ({type(exc).__name__})"
            raise CredentialStoreUnavailable(
                f"The keychain could not {what} the API token ({type(exc).__name__}). It will be kept in memory "
                "for this session only.") from None

    # ------------------------------------------------------------------ tokens
    def get(self, key: str, *, token_env: str | None = None, custom: bool | None = None) -> tuple[str | None, TokenSource]:
        """The token for an environment and where it came from.

        ``token_env`` names an environment variable to read first (any environment); without it
        ``REGISTER_API_TOKEN`` is read for Production and Sandbox only, never for a custom address
        (``custom``: by default, keys starting ``custom:``).
        """
        custom = key.startswith("custom:") if custom is None else custom
        name = token_env or (None if custom else ENV_VAR)
        env = os.environ.get(name, "").strip() if name else ""
        if env:
            return env, TokenSource("environment", name or ENV_VAR)
        if key in self._memory:
            return self._memory[key], TokenSource("session")
        try:
            ring = self._ring()
            token = self._call("read", ring.get_password, SERVICE, key)
        except CredentialStoreUnavailable:
            return None, TokenSource("none")
        if token:
            return str(token), TokenSource("keychain")
        return None, TokenSource("none")

    def set(self, key: str, token: str) -> TokenSource:
        """Save a token; returns where it went ("keychain", or "session" when no keychain works)."""
        token = token.strip()
        if not token:
            raise UserFacingError("The API token is empty. Paste the token Register showed you.",
                                  title="No token given")
        try:
            ring = self._ring()
            if float(getattr(ring, "priority", 0)) < 1:
                self._unavailable_reason = "No secure keychain is available"
                raise CredentialStoreUnavailable("no secure keychain")
            self._call("save", ring.set_password, SERVICE, key, token)
        except CredentialStoreUnavailable:
            self._memory[key] = token
            logger.info("No keychain: the token for %s is kept in memory for this session", key)
            return TokenSource("session")
        self._memory.pop(key, None)
        return TokenSource("keychain")

    def delete(self, key: str) -> bool:
        """Forget the token (keychain and memory); True when there was one."""
        had = self._memory.pop(key, None) is not None
        try:
            return bool(self._call("delete", _delete_quietly, self._ring(), key)) or had
        except CredentialStoreUnavailable:
            return had


def _delete_quietly(ring: Any, key: str) -> bool:
    from keyring.errors import PasswordDeleteError

    try:
        ring.delete_password(SERVICE, key)
    except PasswordDeleteError:
        return False
    return True


def ignored_env_token(*, custom: bool, token_env: str | None) -> str | None:
    """A note when ``REGISTER_API_TOKEN`` is set but deliberately not used (a custom address), else None."""
    if custom and not token_env and os.environ.get(ENV_VAR, "").strip():
        return (f"{ENV_VAR} is set but is not sent to a custom address unless you say so: add --token-env {ENV_VAR} "
                "(or save a token for this address with 'register-desktop token set').")
    return None


_default: CredentialStore | None = None


def default_store() -> CredentialStore:
    """The process-wide store (its memory fallback lives as long as the process)."""
    global _default
    if _default is None:
        _default = CredentialStore()
    return _default


def mask(token: str | None) -> str:
    """What may be shown of a token: its environment prefix and length, never the secret part."""
    if not token:
        return "(none)"
    prefix = token.split("_", 1)[0] if "_" in token[:20] else ""
    return f"{prefix + '_' if prefix else ''}… ({len(token)} characters)"
