"""The Upload step against the local Register (loopback only): clean, rejected, pause, stop and resume, tokens."""

from __future__ import annotations

import logging
from collections import Counter
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from desktop.api.simulator import RegisterSimulator
from desktop.core.config import AppConfig
from desktop.core.journal import Journal
from desktop.core.progress import format_duration as duration
from desktop.core.receipt import read_receipt_csv
from desktop.core.samples import sample_path
from desktop.core.secrets import SERVICE, CredentialStore
from desktop.core.upload_plan import TimeLeft
from desktop.ui import dialogs
from desktop.ui.dialogs import MessageDialog, SaveFileDialog, TokenDialog
from desktop.ui.main_window import EXPORT, MainWindow
from desktop.ui.ui_state import UiState
from tests.helpers import TODAY
from tests.ui.conftest import open_and_review, trainee

TOKEN = "sandbox_" + "7f3a" * 16
FAST = {"rate_limit": 1000, "rate_window": 1.0, "read_timeout": 2.0, "connect_timeout": 2.0}


def people(n: int, **changes_by_row: dict[str, str]) -> list[dict[str, str]]:
    rows = [trainee(i, hesa_id=f"{2610000000000 + i}") for i in range(n)]
    for key, changes in changes_by_row.items():
        rows[int(key.lstrip("r"))].update(changes)
    return rows


@pytest.fixture
def make_window(qtbot, tmp_path):  # type: ignore[no-untyped-def]
    """Windows whose upload paces at a scaled-down rate window; each closed at the end of the test."""
    made: list[MainWindow] = []

    def make(environment: str = "practice", store: CredentialStore | None = None, **config: object) -> MainWindow:
        settings = {**FAST, **config, "environment": environment}
        w = MainWindow(today=TODAY, ui_state=UiState(tmp_path / f"window{len(made)}.ini"),
                       autosave_file=tmp_path / f"autosave{len(made)}.json", config=AppConfig(**settings),
                       credential_store=store or CredentialStore())
        w.show()
        made.append(w)
        return w

    yield make
    for w in made:
        w._may_discard = lambda: True
        w.uploading = False
        w.close()
        w.deleteLater()


@pytest.fixture
def sim(tmp_path):  # type: ignore[no-untyped-def]
    """A Register on loopback reached through a custom address, with a real token."""
    s = RegisterSimulator(token=TOKEN, today=TODAY, rate_limit=1000, window=1.0)
    s.start()
    yield s
    s.stop()


def answer(monkeypatch: pytest.MonkeyPatch, **keys: str) -> list[tuple[str, str, str]]:
    """MessageDialog.ask answers by the first word of its title (``send=...``); records (title, text, detail)."""
    asked: list[tuple[str, str, str]] = []

    def ask(cls, parent, title, text, choices, **kw):  # type: ignore[no-untyped-def]
        asked.append((title, text, kw.get("detail", "")))
        return keys.get(title.split()[0].lower(), choices[-1].key)

    monkeypatch.setattr(MessageDialog, "ask", classmethod(ask))
    return asked


def to_upload_step(qtbot, w: MainWindow, path: Path) -> None:  # type: ignore[no-untyped-def]
    open_and_review(qtbot, w, path)
    w.go_to(EXPORT)
    qtbot.waitUntil(lambda: w.upload_panel.plan_info is not None and not w.jobs.busy, timeout=10000)


def upload(qtbot, w: MainWindow) -> None:  # type: ignore[no-untyped-def]
    """Press Upload and wait until the upload and the plan after it are done."""
    panel = w.upload_panel
    assert panel.upload_button.isEnabled(), panel.plan_label.text()
    with qtbot.waitSignal(panel.running_changed, timeout=30000, check_params_cb=lambda running: not running):
        panel.upload_button.click()
    qtbot.waitUntil(lambda: not w.jobs.busy, timeout=10000)


def created_once(trainees: list[dict[str, object]], n: int) -> bool:
    return Counter(str(t["hesa_id"]) for t in trainees) == Counter(f"{2610000000000 + i}" for i in range(n))


def test_the_samples_valid_rows_upload_to_practice_once(qtbot, make_window):
    """The sample's 45 clean rows are created once each; the grid is read-only meanwhile; nothing is left to send."""
    w = make_window()
    to_upload_step(qtbot, w, sample_path())
    panel = w.upload_panel
    plan = panel.plan_info.plan
    assert (plan.valid_rows, plan.invalid_rows, plan.to_send) == (45, 15, 45)
    assert "45 row(s) to send to Practice" in panel.plan_label.text()
    assert panel.upload_button.text() == "&Upload 45 rows…"
    read_only_seen: list[bool] = []
    panel.running_changed.connect(lambda running: read_only_seen.append(w.model.read_only))

    upload(qtbot, w)
    result = panel.last_result
    assert (result.created, result.already_registered, result.rejected, result.outstanding) == (45, 0, 0, 0)
    assert len(panel._sim.trainees()) == 45
    assert "45 created · 0 already registered · 0 rejected · 0 outstanding" in panel.result_label.text()
    assert "all 45 created trainees found in Register" in panel.result_label.text()
    assert read_only_seen == [True, False]  # read-only while running, editable again after
    assert not w.model.read_only
    assert panel.plan_info.plan.nothing_to_send and not panel.upload_button.isEnabled()
    assert "Nothing more to send" in panel.plan_label.text()


def test_a_row_register_rejects_is_shown_in_the_grid_and_sent_again_once_fixed(qtbot, make_window, make_file):
    """Register's 422 becomes an error on the cell it names; editing the row clears it and the next upload sends it."""
    w = make_window()
    path = make_file(people(3, r1={"training_partner_urn": "123456"}))
    to_upload_step(qtbot, w, path)
    assert w.session.summary()["errors"] == 0
    upload(qtbot, w)
    panel = w.upload_panel
    assert (panel.last_result.created, panel.last_result.rejected) == (2, 1)
    assert "marked in the grid with Register's message" in panel.result_label.text()

    model = w.model
    col = model.column_of("training_partner_urn")
    findings = model.index(1, col).data(model.FindingsRole) if hasattr(model, "FindingsRole") else None
    tip = model.index(1, col).data(Qt.ItemDataRole.ToolTipRole)
    assert "Register rejected this row" in tip and "123456" in tip, (findings, tip)
    assert model.session.summary()["rows_with_errors"] == 1
    assert "Errors: 1" in w.status_errors.text()

    model.setData(model.index(1, col), "")  # the fix: no training partner
    codes = set(w.session.findings.frame["code"])
    assert not any(c.startswith("api.") for c in codes), codes
    assert model.session.summary()["errors"] == 0

    w.go_to(EXPORT)
    qtbot.waitUntil(lambda: not w.jobs.busy and panel.plan_info is not None and panel.plan_info.plan.to_send == 1,
                    timeout=10000)
    assert panel.upload_button.text() == "&Resume: send 1 row…"
    upload(qtbot, w)
    assert panel.last_result.created == 3 and panel.last_result.rejected == 0
    assert created_once(panel._sim.trainees(), 3)


def test_pause_holds_every_request_until_resumed(qtbot, make_window, make_file):
    """Paused from the first moment: no trainee is created until Resume; then all are, once."""
    w = make_window()
    to_upload_step(qtbot, w, make_file(people(4)))
    panel = w.upload_panel
    panel.running_changed.connect(lambda running: panel.pause() if running else None)
    panel.upload_button.click()
    assert panel.paused and panel.pause_button.text() == "&Resume"
    qtbot.waitUntil(lambda: panel._sim is not None and panel._sim.stats.requests >= 1, timeout=10000)  # GET /info
    qtbot.wait(300)
    assert panel._sim.trainees() == []
    assert "Pausing" in panel.progress_label.text() or "Paused" in panel.progress_label.text()
    with qtbot.waitSignal(panel.running_changed, timeout=20000):
        panel.resume()
    qtbot.waitUntil(lambda: not w.jobs.busy, timeout=10000)
    assert panel.last_result.created == 4
    assert created_once(panel._sim.trainees(), 4)


def test_stop_then_resume_in_a_new_window_sends_every_row_exactly_once(qtbot, make_window, make_file, monkeypatch):
    """Stop after the first answer; the next window offers to resume and sends only what is left."""
    path = make_file(people(8))
    w = make_window(rate_limit=4)  # 4 requests a second: time to stop part-way
    to_upload_step(qtbot, w, path)
    panel = w.upload_panel
    panel.row_done.connect(lambda _row: panel.cancel_upload())
    upload(qtbot, w)
    assert "Stopped." in panel.result_label.text()
    assert panel.last_result is None
    sent = len(panel._sim.trainees())
    assert 1 <= sent < 8
    plan = panel.plan_info.plan
    assert plan.resuming and plan.to_send == 8 - sent
    assert panel.upload_button.text() == f"&Resume: send {8 - sent} rows…"
    batch_id = plan.batch_id
    w.upload_panel.stop_practice()

    w2 = make_window()
    to_upload_step(qtbot, w2, path)
    plan2 = w2.upload_panel.plan_info.plan
    assert (plan2.batch_id, plan2.to_send, plan2.already_done) == (batch_id, 8 - sent, sent)
    assert "This file was partly uploaded to Practice" in w2.upload_panel.plan_label.text()
    upload(qtbot, w2)
    assert w2.upload_panel.last_result.batch_id == batch_id
    assert created_once(w2.upload_panel._sim.trainees(), 8)
    with Journal() as j:
        assert [b.id for b in j.batches()] == [batch_id]


def test_the_token_goes_to_the_keychain_and_never_into_a_file(qtbot, make_window, make_file, sim, tmp_path,
                                                                monkeypatch, keychain):
    """Asked once, kept in the keychain, sent to Register, and found in no file the app wrote (logs included)."""
    log_file = tmp_path / "data" / "logs" / "test.log"
    log_file.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(log_file, encoding="utf-8")
    root = logging.getLogger()
    root.addHandler(handler)
    old_level = root.level
    root.setLevel(logging.DEBUG)
    asked_token: list[str] = []
    monkeypatch.setattr(TokenDialog, "ask", classmethod(lambda cls, parent, label, where: asked_token.append(label) or TOKEN))
    confirmations = answer(monkeypatch, send="send")
    try:
        w = make_window("custom")
        w.upload_panel.set_environment("custom", sim.base_url)
        path = make_file(people(3))
        to_upload_step(qtbot, w, path)
        panel = w.upload_panel
        upload(qtbot, w)
        assert panel.last_result.created == 3
        assert asked_token == [f"Custom ({'127.0.0.1'})"]
        assert confirmations[0][0] == "Send to Custom (127.0.0.1)?"
        assert keychain.store[(SERVICE, "custom:127.0.0.1:" + str(sim.port))] == TOKEN
        assert "Saved in your keychain" in panel.token_label.text()
        with qtbot.waitSignal(panel.jobs.busy_changed, timeout=10000, check_params_cb=lambda busy: not busy):
            panel.test_connection()
        assert "accepted the token" in panel.connection_label.text()
        receipt_target = tmp_path / "exported-receipt.csv"
        monkeypatch.setattr(SaveFileDialog, "ask", classmethod(lambda cls, *a: receipt_target))
        assert panel.export_receipt() == receipt_target
        handler.flush()
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
        handler.close()
    texts = [label.text() for label in w.findChildren(QLabel)] + [w.diagnostics()]
    assert not any(TOKEN in t for t in texts)
    assert "HTTP Request: POST" in log_file.read_text("utf-8")  # the log saw the requests, not the token
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert receipt_target in written and log_file in written
    assert any(p.suffix == ".sqlite3" for p in written) and any("receipt" in p.name for p in written)
    leaks = [p for p in written if TOKEN.encode() in p.read_bytes() or TOKEN[8:40].encode() in p.read_bytes()]
    assert leaks == []


def test_without_a_keychain_the_token_is_kept_in_memory_and_the_panel_says_so(qtbot, make_window, monkeypatch):
    """No secure keychain: the token lives in memory for this session, and the panel says that plainly."""
    from keyring.backends import fail

    store = CredentialStore(backend=fail.Keyring())
    monkeypatch.setattr(TokenDialog, "ask", classmethod(lambda cls, parent, label, where: TOKEN))
    w = make_window("sandbox", store=store)
    panel = w.upload_panel
    assert not panel.token_label.isHidden()
    assert panel.ask_token() == TOKEN
    assert "Kept in memory for this session only" in panel.token_label.text()
    assert store.get("sandbox") == (TOKEN, store.get("sandbox")[1]) and store.get("sandbox")[1].kind == "session"
    panel.forget_token()
    assert store.get("sandbox")[0] is None


def test_production_asks_first_with_a_warning_and_sends_nothing_when_cancelled(qtbot, make_window, make_file,
                                                                               monkeypatch, keychain):
    """A real environment needs a yes; Production's question says the records become real and cannot be deleted."""
    keychain.set_password(SERVICE, "production", TOKEN)
    asked = answer(monkeypatch, send="cancel")
    w = make_window("production")
    to_upload_step(qtbot, w, make_file(people(2)))
    panel = w.upload_panel
    assert panel.plan_info.plan.to_send == 2
    assert panel.start_upload() is None  # conftest fails the test if anything reached for the network
    (title, text, detail) = asked[0]
    assert title == "Send to Production?" and "Send 2 trainees to Production" in text
    assert "real trainee records" in detail and "cannot delete" in detail
    assert not w.uploading and not w.jobs.busy


def test_a_refused_token_is_reported_and_a_new_one_asked_for(qtbot, make_window, make_file, sim, monkeypatch,
                                                             keychain):
    """401 from Register: nothing is sent, the old token is forgotten and the user is asked for a new one."""
    key = f"custom:127.0.0.1:{sim.port}"
    keychain.set_password(SERVICE, key, "sandbox_wrong-token")
    answer(monkeypatch, send="send")
    reasons: list[str] = []
    monkeypatch.setattr(TokenDialog, "ask", classmethod(lambda cls, parent, label, where: reasons.append(where) or None))
    w = make_window("custom")
    w.upload_panel.set_environment("custom", sim.base_url)
    to_upload_step(qtbot, w, make_file(people(2)))
    upload(qtbot, w)
    assert sim.trainees() == []
    assert "did not accept the API token" in w.upload_panel.result_label.text()
    assert reasons and "did not accept the last token" in reasons[0]
    assert (SERVICE, key) not in keychain.store


def test_edits_are_refused_while_an_upload_runs(qtbot, make_window, make_file):
    """While paused mid-upload no cell is editable and undo is off; after it ends editing works again."""
    w = make_window()
    to_upload_step(qtbot, w, make_file(people(2)))
    panel = w.upload_panel
    panel.running_changed.connect(lambda running: panel.pause() if running else None)
    panel.upload_button.click()
    model = w.model
    index = model.index(0, model.column_of("first_names"))
    assert not (model.flags(index) & Qt.ItemFlag.ItemIsEditable)
    before = model.value(0, index.column())
    refused: list[bool] = []
    model.edits_refused.connect(lambda: refused.append(True))
    model.setData(index, "Changed")
    w.review_page.fill_down()
    assert model.value(0, index.column()) == before and refused
    assert not w.undo_action.isEnabled() and not w.open_action.isEnabled()
    with qtbot.waitSignal(panel.running_changed, timeout=20000):
        panel.resume()
    assert model.flags(index) & Qt.ItemFlag.ItemIsEditable
    assert w.open_action.isEnabled()


def test_history_lists_batches_and_opens_their_receipts(qtbot, make_window, make_file, monkeypatch):
    """Every batch is listed with its counts; opening one opens its receipt, which matches Register's records."""
    w = make_window()
    to_upload_step(qtbot, w, make_file(people(3)))
    upload(qtbot, w)
    opened: list[Path] = []
    monkeypatch.setattr(dialogs, "open_local_file", lambda path: opened.append(path) or True)
    dialog = w.show_history()
    qtbot.addWidget(dialog)
    assert dialog.model.rowCount() == 1
    cells = [dialog.model.item(0, c).text() for c in range(dialog.model.columnCount())]
    assert cells[2].startswith("Practice") and cells[3] == "export.csv" and cells[4:] == ["3", "3", "0", "0", "0"]
    path = dialog.open_receipt()
    assert opened == [path]
    _meta, rows = read_receipt_csv(path)
    held = {t["trainee_id"] for t in w.upload_panel._sim.trainees()}
    assert {r["trainee_id"] for r in rows} == held and {r["outcome"] for r in rows} == {"created"}
    dialog.close()


def test_time_left_follows_the_pace_and_leaves_out_paused_time():
    """The estimate is the plan's until three rows are done, then the measured pace; pauses do not count."""
    now = [0.0]
    t = TimeLeft(estimate=100.0, clock=lambda: now[0])
    assert t.seconds(0, 10) == pytest.approx(100.0)
    now[0] = 2.0
    assert t.seconds(1, 10) == pytest.approx(90.0)
    t.pause()
    now[0] = 50.0  # a long pause
    t.resume()
    now[0] = 54.0
    assert t.seconds(4, 10) == pytest.approx(6 / 4 * 6)  # 6 active seconds for 4 rows, 6 left
    assert duration(59) == "59 s" and duration(61) == "1 min 01 s" and duration(3700) == "1 h 01 min"


def test_the_upload_panel_is_built_only_when_needed(qtbot, window, make_file):
    """Opening and reviewing a file builds no upload panel (the HTTP stack stays out of start-up); the step builds it."""
    open_and_review(qtbot, window, make_file(people(1)))
    assert window._upload_panel is None
    window.go_to(EXPORT)
    assert window._upload_panel is not None and window.upload_panel.isVisible()
    assert window.upload_panel.session is window.session
    qtbot.waitUntil(lambda: not window.jobs.busy, timeout=10000)


def test_every_upload_control_has_a_name_a_screen_reader_can_read(qtbot, make_window, make_file):
    """Buttons have text; the environment box, address, token, plan, progress and result are named."""
    from PySide6.QtWidgets import QAbstractButton, QComboBox, QLineEdit, QProgressBar

    w = make_window()
    to_upload_step(qtbot, w, make_file(people(1)))
    panel = w.upload_panel
    panel.set_environment("custom", "")  # shows the address and token rows too
    assert "Give the address of a Register API" in panel.plan_label.text()
    unnamed = [b for b in panel.findChildren(QAbstractButton) if not (b.text().strip() or b.accessibleName())]
    named = [panel.env_combo, panel.custom_url, panel.token_label, panel.plan_label, panel.progress,
             panel.progress_label, panel.result_label, panel.connection_label]
    unnamed += [c for c in named if not c.accessibleName()]
    for kind in (QComboBox, QLineEdit, QProgressBar):
        unnamed += [c for c in panel.findChildren(kind) if not c.accessibleName() and not isinstance(c.parent(), QComboBox)]
    assert not unnamed, [type(c).__name__ for c in unnamed]


def test_an_unreachable_register_is_reported_and_nothing_is_lost(qtbot, make_window, make_file, monkeypatch, keychain):
    """Connection refused: the test and the upload say so in words, and the rows stay ready to resume."""
    import socket

    from desktop.api.client import RetryPolicy
    from desktop.ui import upload_panel

    fast_retry = RetryPolicy(base_delay=0.01, max_delay=0.02)
    real = upload_panel.make_client
    monkeypatch.setattr(upload_panel, "make_client", lambda env, token, config: real(env, token, config, retry=fast_retry))
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    keychain.set_password(SERVICE, f"custom:127.0.0.1:{port}", TOKEN)
    answer(monkeypatch, send="send")
    told: list[str] = []
    monkeypatch.setattr(MessageDialog, "inform", classmethod(lambda cls, parent, title, text, **kw: told.append(title)))
    w = make_window()
    w.upload_panel.set_environment("custom", f"http://127.0.0.1:{port}/api/v2026.1")
    to_upload_step(qtbot, w, make_file(people(2)))
    panel = w.upload_panel
    with qtbot.waitSignal(panel.jobs.busy_changed, timeout=20000, check_params_cb=lambda busy: not busy):
        panel.test_connection()
    assert panel.connection_label.text().startswith("Cannot reach Register")
    upload(qtbot, w)
    assert told == ["Cannot reach Register"]
    assert "Everything sent so far is recorded" in panel.result_label.text()
    assert panel.plan_info.plan.to_send == 2 and panel.upload_button.isEnabled()
    assert not w.model.read_only


def test_closing_during_an_upload_asks_then_stops_it_cleanly(qtbot, make_window, make_file, monkeypatch):
    """Close while uploading: asked first ("Keep uploading" keeps it); "Stop and close" stops after the request."""
    w = make_window()
    path = make_file(people(3))
    to_upload_step(qtbot, w, path)
    panel = w.upload_panel
    panel.running_changed.connect(lambda running: panel.pause() if running else None)
    panel.upload_button.click()
    qtbot.waitUntil(lambda: panel._sim.stats.requests >= 1, timeout=10000)  # GET /info: the batch has begun
    keys = iter(["cancel", "close"])
    asked: list[str] = []
    monkeypatch.setattr(MessageDialog, "ask", classmethod(
        lambda cls, parent, title, text, choices, **kw: asked.append(title) or next(keys)))
    w._may_discard = lambda: True
    assert not w.close() and w.isVisible() and w.uploading  # kept uploading
    assert w.close()
    assert asked == ["Stop the upload and close?"] * 2
    assert panel._sim is None  # the practice Register stopped after the job ended
    with Journal() as j:
        (batch,) = j.batches()
    assert batch.outstanding == 3  # nothing was sent while paused; the next upload resumes it


def test_rows_already_sent_show_date_and_batch_and_a_running_upload_blocks(qtbot, make_window, tmp_path):
    """Another file holding trainees already sent: those rows show 'already sent on DATE in batch N'; while another
    window uploads to the same environment, the Upload step says so and sends nothing."""
    from desktop.api.environments import PRACTICE
    from desktop.core.ledger import Lease
    from tests.helpers import write_csv

    first = write_csv(tmp_path / "first.csv", people(4))
    w = make_window()
    to_upload_step(qtbot, w, first)
    upload(qtbot, w)
    assert w.upload_panel.last_result.created == 4

    second = people(6)
    second[1]["email"] = "changed@example.com"
    w2 = make_window()
    to_upload_step(qtbot, w2, write_csv(tmp_path / "second.csv", second))
    panel = w2.upload_panel
    plan = panel.plan_info.plan
    assert (plan.to_send, plan.already_sent, plan.differing) == (2, 4, 1)
    text = panel.plan_label.text()
    assert "4 row(s) were already sent to Practice" in text and "1 row(s) already sent have changed since" in text
    frame = w2.session.findings.frame
    sent = frame[(frame["code"] == "api.already_sent") & frame["field"].isna()]
    assert sorted(sent["row"]) == [0, 1, 2, 3]
    assert all("in batch 1 (trainee id" in m for m in sent["message"])
    assert "differs in email" in sent[sent["row"] == 1]["message"].iloc[0]

    with Journal() as j, Lease(j, PRACTICE.origin):  # another window (here: this process) is uploading
        panel.invalidate_plan()
        panel.refresh_plan()
        qtbot.waitUntil(lambda: not w2.jobs.busy and panel.plan_info is not None
                        and panel.plan_info.plan.running is not None, timeout=10000)
        assert "an upload is running in another window (pid" in panel.plan_label.text().lower()
        assert not panel.upload_button.isEnabled()
    panel.invalidate_plan()
    panel.refresh_plan()
    qtbot.waitUntil(lambda: not w2.jobs.busy and panel.plan_info.plan.running is None, timeout=10000)
    upload(qtbot, w2)
    assert len(panel._sim.trainees()) == 6 and panel.last_result.created == 2


def test_register_again_is_chosen_per_row_in_the_window_and_recorded(qtbot, make_window, tmp_path, monkeypatch):
    """Issue 11's per-trainee override in the window (the CLI's --register-again ROW): a later file holds a student
    already sent; only the row ticked is sent again, once, with the ledger and the receipt saying so; the next
    upload sends nobody twice."""
    from desktop.core.ledger import Ledger
    from tests.helpers import write_csv

    w = make_window()
    to_upload_step(qtbot, w, write_csv(tmp_path / "autumn.csv", people(4)))
    upload(qtbot, w)
    panel = w.upload_panel
    sim = panel._sim
    sim.duplicate_rule = False  # a real second registration differs from the first; here only the app decides
    assert panel.again_button.isHidden()  # nothing of this file's was sent from elsewhere

    spring = people(6)[1::4]  # person(1), sent in autumn.csv (a withdrawal, then a new course), and person(5)
    to_upload_step(qtbot, w, write_csv(tmp_path / "spring.csv", spring))
    assert (panel.plan_info.plan.to_send, panel.plan_info.plan.already_sent) == (1, 1)
    assert not panel.again_button.isHidden()
    offered: list[list[int]] = []

    def ask(cls, parent, rows, chosen):  # type: ignore[no-untyped-def]
        offered.append([r.source_row for r in rows])
        assert all("already sent on" in r.sent and "in batch 1" in r.sent for r in rows), rows
        return {2}

    monkeypatch.setattr(dialogs.RegisterAgainDialog, "ask", classmethod(ask))
    panel.again_button.click()
    qtbot.waitUntil(lambda: not w.jobs.busy and panel.plan_info is not None and panel.plan_info.plan.to_send == 2,
                    timeout=10000)
    assert offered == [[2]]
    assert "1 row(s) will be registered a second time on purpose" in panel.plan_label.text()
    upload(qtbot, w)
    held = Counter(str(t["hesa_id"]) for t in sim.trainees())
    assert len(sim.trainees()) == 6 and held[str(2610000000001)] == 2
    assert panel.again == set()  # for that upload only
    with Journal() as j:
        second = [e for e in Ledger(j, "practice").entries() if e.registration == 2]
        assert len(second) == 1 and "second registration asked for by" in (second[0].override or "")
        receipt = Path(j.batches()[0].receipt_path).read_text("utf-8-sig")
    assert "Sent again on purpose" in receipt
    qtbot.waitUntil(lambda: not w.jobs.busy and panel.plan_info is not None, timeout=10000)
    assert panel.plan_info.plan.nothing_to_send  # the override is not a standing licence
