"""What the user's IT desk needs to know about this installation — and nothing else.

``diagnostics_text()`` gathers versions (app, template, reference data, Python, Qt), the system,
the keychain backend and whether it is secure, the proxy settings in use (variable names and proxy
hosts only: a ``user:password@`` part is dropped), the TLS trust store, and the app's folders.
It never includes a token (``REGISTER_API_TOKEN`` is reported as set or not), the open file's name
or any of its contents. Nothing here touches the network.
"""

from __future__ import annotations

import os
import platform
import sys
import urllib.request
from urllib.parse import urlsplit

from desktop import __version__
from desktop.validation.codelists import CodeLists

PROXY_VARIABLES = ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "https_proxy", "http_proxy", "all_proxy")
NO_PROXY_VARIABLES = ("NO_PROXY", "no_proxy")
CERT_VARIABLES = ("SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")


def proxy_host(value: str) -> str:
    """``http://user:secret@proxy.example.ac.uk:8080/`` → ``http://proxy.example.ac.uk:8080``: never credentials."""
    text = value.strip()
    if not text:
        return "(empty)"
    parts = urlsplit(text if "://" in text else f"http://{text}")
    host = parts.hostname or "(no host)"
    if ":" in host:  # IPv6
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    scheme = parts.scheme if "://" in text else ""
    return f"{scheme + '://' if scheme else ''}{host}{f':{port}' if port else ''}"


def reference_source(code_lists: CodeLists) -> str:
    if code_lists.source == "api":
        return f"{code_lists.version}, refreshed from Register's API on {code_lists.date}"
    return f"{code_lists.version}, bundled with the app (dated {code_lists.date})"


def keychain_line() -> str:
    try:
        import keyring

        backend = keyring.get_keyring()
    except Exception as exc:  # noqa: BLE001 - a broken keyring installation is exactly what to report
        return f"unavailable ({type(exc).__name__})"
    name = f"{type(backend).__module__}.{type(backend).__name__}"
    try:
        secure = float(getattr(backend, "priority", 0)) >= 1
    except Exception:  # noqa: BLE001
        secure = False
    return f"{name} — " + ("secure: tokens are saved in it" if secure else
                           "not secure: tokens are kept in memory for the session only")


def proxy_lines(env: dict[str, str] | None = None) -> list[str]:
    env = dict(os.environ) if env is None else env
    lines = []
    for name in PROXY_VARIABLES:
        if env.get(name):
            lines.append(f"{name} = {proxy_host(env[name])}")
    for name in NO_PROXY_VARIABLES:
        if env.get(name):
            hosts = [h.strip() for h in env[name].split(",") if h.strip()]
            lines.append(f"{name} = {', '.join(hosts)}")
    if env is os.environ or env == dict(os.environ):
        try:
            system = urllib.request.getproxies()  # the environment, or the Windows / macOS settings httpx reads
        except Exception:  # noqa: BLE001 - unreadable system settings are reported as such
            system = {}
        from_env = {k.lower().removesuffix("_proxy") for k in PROXY_VARIABLES if env.get(k)}
        for scheme, value in sorted(system.items()):
            if scheme not in from_env and scheme != "no":
                lines.append(f"system setting for {scheme} = {proxy_host(value)}")
    return lines or ["none (direct connection)"]


def tls_line(env: dict[str, str] | None = None) -> str:
    env = dict(os.environ) if env is None else env
    try:
        import truststore

        line = f"the operating system's certificate store (truststore {getattr(truststore, '__version__', '?')})"
    except ImportError:
        try:
            import certifi

            line = f"certifi's bundled list ({certifi.__version__}): the system store is not available"
        except ImportError:
            line = "Python's default certificates"
    extra = [name for name in CERT_VARIABLES if env.get(name)]
    if extra:
        line += "; also set: " + ", ".join(f"{n} = {env[n]}" for n in extra)
    return line


def qt_line() -> str:
    try:
        import PySide6
        from PySide6.QtCore import qVersion
        from PySide6.QtGui import QGuiApplication

        app = QGuiApplication.instance()
        plugin = QGuiApplication.platformName() if app is not None else "(no application)"
        return f"Qt {qVersion()}, PySide6 {PySide6.__version__}, platform {plugin}"
    except ImportError:
        return "not available"


def diagnostics_text(template_version: str, code_lists: CodeLists, *, environment: str | None = None,
                     rate: str | None = None) -> str:
    from desktop.core.paths import config_dir, data_dir

    token_set = bool(os.environ.get("REGISTER_API_TOKEN", "").strip())
    lines = [
        f"Register Desktop {__version__}{' (installed bundle)' if getattr(sys, 'frozen', False) else ''}",
        f"Template: {template_version}",
        f"Reference data: {reference_source(code_lists)}",
        f"System: {platform.platform()} ({platform.machine()})",
        f"Python: {platform.python_version()} ({platform.python_implementation()})",
        f"Qt: {qt_line()}",
        f"Keychain: {keychain_line()}",
        f"REGISTER_API_TOKEN: {'set (value not shown)' if token_set else 'not set'}",
        "Proxy:",
        *(f"  {line}" for line in proxy_lines()),
        f"TLS trust: {tls_line()}",
    ]
    if environment:
        lines.append(f"Upload environment: {environment}" + (f"; pace {rate}" if rate else ""))
    try:
        data = data_dir()
        lines += [f"Settings folder: {config_dir()}", f"Data folder: {data}",
                  f"Log file: {data / 'logs' / 'register-desktop.log'}"]
    except OSError as exc:
        lines.append(f"Folders: not available ({exc.strerror or type(exc).__name__})")
    return "\n".join(lines) + "\n"
