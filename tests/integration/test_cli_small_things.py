"""The command-line details a newcomer tripped over (issue 15): each says exactly what happened."""

from __future__ import annotations

import argparse
import io

import pytest
from keyring.backends import fail

from desktop.cli import main
from desktop.cli import token as token_cmd
from desktop.cli import upload as upload_cmd
from desktop.core.secrets import CredentialStore

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(("typed", "sends"), [("yes", True), (" YES ", True), ("y", False), ("Y", False), ("", False)])
def test_only_the_word_yes_sends(monkeypatch, typed, sends):
    from desktop.api.environments import resolve_environment

    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    monkeypatch.setattr("builtins.input", lambda prompt: typed)
    assert upload_cmd._confirm(resolve_environment("sandbox"), 3, io.StringIO()) is sends


def test_token_set_without_a_keychain_says_it_was_not_saved(monkeypatch, capsys):
    """It used to print 'Token for Sandbox kept in memory…' as if it had worked; the token was gone at once."""
    store = CredentialStore(backend=fail.Keyring())
    monkeypatch.setattr("sys.stdin", io.StringIO("sandbox_" + "ab" * 20 + "\n"))
    monkeypatch.setattr(token_cmd, "default_store", lambda: store)
    assert main(["token", "set", "--env", "sandbox", "--stdin"]) == 2
    captured = capsys.readouterr()
    assert "was NOT saved" in captured.err and "REGISTER_API_TOKEN" in captured.err
    assert captured.out == "" and store.get("sandbox")[0] is None


def test_the_plan_never_says_about_0_s():
    """Under a minute of rate-limit waiting is said so (Register's answer time comes on top)."""
    plan = argparse.Namespace(resuming=False, estimated_seconds=0.0, to_send=40, running=None, batch_id=None,
                              already_sent=0, already_done=0, decisions=[], differing=0, to_check=0,
                              environment=argparse.Namespace(label="Practice", base_url="http://127.0.0.1:1"))
    out = io.StringIO()
    upload_cmd._describe_plan(plan, 100, 60, out)
    assert "about 0 s" not in out.getvalue() and "under a minute of waiting" in out.getvalue()
    printer = upload_cmd._ProgressPrinter(out, enabled=True, estimate=0.0)
    printer(1, 40)
    assert "0 s left" not in out.getvalue() and "working out the time left" in out.getvalue()
