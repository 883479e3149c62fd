"""Where Register lives: Production, Sandbox, Practice (the local simulator) or a custom address."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

import httpx

from desktop.api.errors import InvalidEnvironmentError

API_VERSION = "v2026.1"
PRODUCTION_HOST = "https://www.register-trainee-teachers.service.gov.uk"
SANDBOX_HOST = "https://sandbox.register-trainee-teachers.service.gov.uk"
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
_VERSION_PATH = re.compile(r"/api/(v[0-9.]+(?:-pre|-rc)?)")


@dataclass(frozen=True)
class Environment:
    name: str  # "production", "sandbox", "practice" or "custom"
    base_url: str  # the API base including the version path ("" for practice until it starts)
    label: str

    @property
    def key(self) -> str:
        """What the token is stored under in the keychain (one token per environment)."""
        if self.name != "custom":
            return self.name
        url = httpx.URL(self.base_url)
        return f"custom:{url.host}:{url.port or (443 if url.scheme == 'https' else 80)}"

    @property
    def origin(self) -> str:
        """Where trainees live, for the upload ledger: the name, or a custom address's normalised origin.

        Practice is one place whatever port its simulator listens on; a custom address is its
        scheme, host (lower case) and port, whatever its path or spelling.
        """
        if self.name != "custom":
            return self.name
        url = httpx.URL(self.base_url)
        return f"{url.scheme}://{url.host.lower()}:{url.port or (443 if url.scheme == 'https' else 80)}"

    @property
    def is_live(self) -> bool:
        """True where a created trainee is real and submitted for TRN."""
        return self.name == "production"

    def with_base_url(self, base_url: str) -> Environment:
        return replace(self, base_url=base_url.rstrip("/"))


PRODUCTION = Environment("production", f"{PRODUCTION_HOST}/api/{API_VERSION}", "Production")
SANDBOX = Environment("sandbox", f"{SANDBOX_HOST}/api/{API_VERSION}", "Sandbox")
PRACTICE = Environment("practice", "", "Practice (local simulator)")
NAMED = {e.name: e for e in (PRODUCTION, SANDBOX, PRACTICE)}


def resolve_environment(text: str) -> Environment:
    """``production``, ``sandbox``, ``practice`` or an API base URL such as ``http://127.0.0.1:8080/api/v2026.1``.

    A custom address must use https unless it is this computer (the token travels with every request).
    A bare host gets the version path added; any other version is refused because this app's rules
    and request bodies are those of v2026.1.
    """
    key = text.strip().lower()
    if key in NAMED:
        return NAMED[key]
    try:
        url = httpx.URL(text.strip())
    except (httpx.InvalidURL, TypeError, ValueError):
        raise InvalidEnvironmentError(_usage(text)) from None
    if url.userinfo:
        raise InvalidEnvironmentError(
            "That address contains a user name or password (user:password@); they are not used by Register and would "
            "be stored and sent — give the address without them and save the API token with 'register-desktop token set'.")
    if url.scheme not in ("http", "https") or not url.host:
        raise InvalidEnvironmentError(_usage(text))
    if url.scheme == "http" and url.host not in LOOPBACK:
        raise InvalidEnvironmentError(
            f"'{text}' uses http, which would send your API token unencrypted. Use an https address "
            "(http is only allowed for this computer, 127.0.0.1).")
    path = url.path.rstrip("/")
    if path in ("", "/api"):
        path = f"/api/{API_VERSION}"
    m = _VERSION_PATH.fullmatch(path) or _VERSION_PATH.search(path)
    if not m or not path.endswith(m.group(0)):
        raise InvalidEnvironmentError(
            f"'{text}' does not end in Register's API path. Give the API base, for example "
            f"https://register.example/api/{API_VERSION}.")
    if m.group(1) != API_VERSION:
        raise InvalidEnvironmentError(
            f"'{text}' is API version {m.group(1)}; this app sends {API_VERSION} requests. "
            f"Use the address ending /api/{API_VERSION}.")
    base = str(url.copy_with(path=path, query=None, fragment=None)).rstrip("/")
    return Environment("custom", base, f"Custom ({url.host})")


def _usage(text: str) -> str:
    return (f"'{text}' is not an environment. Use production, sandbox, practice or an API address such as "
            f"http://127.0.0.1:8080/api/{API_VERSION}.")
