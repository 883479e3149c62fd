"""``register-desktop token set|clear|status|test --env E``: the API token in the system keychain.

The token is read from the keyboard (not shown) or from standard input with ``--stdin``, never
from the command line (it would land in the shell's history).
"""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

from desktop.api.environments import resolve_environment
from desktop.core.config import load_config
from desktop.core.errors import UsageError, UserFacingError
from desktop.core.secrets import ENV_VAR, CredentialStore, default_store, mask


class NoKeychainError(UserFacingError):
    title = "The token was not saved"


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser("token", help="save, remove, show or test the Register API token")
    p.add_argument("action", choices=["set", "clear", "status", "test"])
    p.add_argument("--env", required=True, metavar="ENV", help="production, sandbox or an API address")
    p.add_argument("--stdin", action="store_true", help="read the token from standard input (for scripts)")
    p.add_argument("--token-env", metavar="NAME", help="status/test: the token in this environment variable")
    p.set_defaults(run=run)


def run(args: argparse.Namespace, *, store: CredentialStore | None = None) -> int:
    environment = resolve_environment(args.env)
    if environment.name == "practice":
        raise UsageError("Practice needs no token: the local simulator makes its own.")
    store = store or default_store()
    out = sys.stdout
    if args.action == "set":
        if args.stdin or not sys.stdin.isatty():
            token = sys.stdin.readline().strip()
        else:
            token = getpass.getpass(f"Paste your Register API token for {environment.label} (it is not shown): ").strip()
        where = store.set(environment.key, token)
        if where.kind == "session":
            # held in this process's memory only: gone the moment this command ends, so say it was not saved
            store.delete(environment.key)
            raise NoKeychainError(
                f"The token for {environment.label} was NOT saved: this computer has no system keychain the app can "
                "use, and a token kept in memory is forgotten when this command ends. For unattended use, set "
                f"{ENV_VAR} in the environment of the command that uploads; on a desktop, unlock the keychain "
                "(Windows Credential Manager, macOS Keychain or a Secret Service such as GNOME Keyring) and try again.")
        out.write(f"Token for {environment.label} {where.description}.\n")
        return 0
    if args.action == "clear":
        removed = store.delete(environment.key)
        out.write(f"Token for {environment.label} {'removed' if removed else 'was not saved'}.\n")
        return 0
    token, source = store.get(environment.key, token_env=args.token_env or load_config().token_env,
                              custom=environment.name == "custom")
    if args.action == "status":
        out.write(f"{environment.label}: token {source.description}" + (f", {mask(token)}" if token else "") + ".\n")
        return 0 if token else 1
    # test: GET /info with the stored token
    from desktop.core.connect import make_client

    with make_client(environment, token, load_config()) as client:
        info = client.info()
    out.write(f"Connected to {environment.label}: status {info.status}, API {info.requested} "
              f"(latest {info.latest}); the token works.\n")
    return 0
