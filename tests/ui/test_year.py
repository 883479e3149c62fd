"""Step 4's "Send to Register" and the withdraw/defer/recommend dialogs, against the practice Register."""

from __future__ import annotations

import pytest

from desktop.core.config import AppConfig
from desktop.core.secrets import CredentialStore
from desktop.ui.main_window import EXPORT, MainWindow
from desktop.ui.ui_state import UiState
from tests.helpers import TODAY, write_csv
from tests.ui.conftest import open_and_review, trainee
from tests.year.conftest import write_rows

FAST = {"rate_limit": 1000, "rate_window": 1.0, "read_timeout": 2.0, "connect_timeout": 2.0, "environment": "practice"}

pytestmark = pytest.mark.ui


@pytest.fixture
def window(qtbot, tmp_path):  # type: ignore[no-untyped-def]
    w = MainWindow(today=TODAY, ui_state=UiState(tmp_path / "window.ini"), autosave_file=tmp_path / "autosave.json",
                   config=AppConfig(**FAST), credential_store=CredentialStore())
    w.show()
    yield w
    w._may_discard = lambda: True
    w.uploading = False
    w.upload_panel.shutdown()
    w.close()
    w.deleteLater()


def wait_idle(qtbot, w) -> None:  # type: ignore[no-untyped-def]
    qtbot.waitUntil(lambda: not w.jobs.busy, timeout=30000)


def test_send_to_register_creates_then_shows_and_sends_a_change(qtbot, window, tmp_path):
    w = window
    rows = [trainee(i, hesa_id=f"{2610000000000 + i}") for i in range(3)]
    path = write_csv(tmp_path / "trainees.csv", rows)
    open_and_review(qtbot, w, path)
    w.go_to(EXPORT)
    sync = w.sync_panel
    sync.compare()
    wait_idle(qtbot, w)
    assert sync.plan.counts["new"] == 3 and sync.send_button.isEnabled()
    sync.send()  # practice: no question asked
    wait_idle(qtbot, w)
    assert sync.result.count("create") == 3
    sim = w.upload_panel._sim
    assert len(sim.trainees()) == 3

    w.session.apply_edits([(1, "email", "new.address@example.com")])
    sync.compare()
    wait_idle(qtbot, w)
    assert sync.plan.counts == {"new": 0, "changed": 1, "unchanged": 2, "locked": 0, "ambiguous": 0,
                                "in_register_only": 0, "invalid": 0}
    top = sync.tree.topLevelItem(0)
    assert top.text(2) == "Changed" and (top.child(0).text(2), top.child(0).text(4)) == ("email", "new.address@example.com")
    assert top.child(0).text(3) == rows[1]["email"]
    assert any(f.code == "api.changed" for f in w.session.findings)  # the change shows on the cell
    sync.send()
    wait_idle(qtbot, w)
    assert sync.result.count("update") == 1
    assert {t["email"] for t in sim.trainees()} >= {"new.address@example.com"}
    sync.compare()
    wait_idle(qtbot, w)
    assert sync.plan.requests_to_send == 0 and not sync.send_button.isEnabled()


def test_withdraw_dialog_checks_with_register_then_sends(qtbot, window, tmp_path):
    w = window
    rows = [trainee(i, hesa_id=f"{2610000000000 + i}") for i in range(2)]
    open_and_review(qtbot, w, write_csv(tmp_path / "trainees.csv", rows))
    w.go_to(EXPORT)
    w.sync_panel.compare()
    wait_idle(qtbot, w)
    w.sync_panel.send()
    wait_idle(qtbot, w)
    path = write_rows(tmp_path / "withdraw.csv", ["HESA ID", "Date withdrawn", "trigger", "reasons", "future_interest"], [
        {"HESA ID": rows[0]["hesa_id"], "Date withdrawn": "13/10/2026", "trigger": "Provider",
         "reasons": "Record added in error", "future_interest": "No"},
        {"HESA ID": rows[1]["hesa_id"], "Date withdrawn": "13/10/2026", "trigger": "trainee",
         "reasons": "record_added_in_error", "future_interest": "no"},
    ])
    dialog = w.show_action_dialog("withdraw")
    dialog.choose(path)
    assert dialog.table.topLevelItemCount() == 2
    assert dialog.table.topLevelItem(1).text(2) == "has errors: not sent"  # a provider's reason, a trainee's trigger
    dialog.run(dry_run=True)
    wait_idle(qtbot, w)
    assert dialog.result is not None, dialog.summary.text()
    assert dialog.result.count("would_send") == 1
    dialog.run(dry_run=False)
    wait_idle(qtbot, w)
    assert dialog.result.count("done") == 1
    assert sorted(t["state"] for t in w.upload_panel._sim.trainees()) == ["submitted_for_trn", "withdrawn"]
    dialog.close()
