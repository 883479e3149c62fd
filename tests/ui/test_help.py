"""Help: About, the field guide, Copy diagnostics (no tokens, no personal data), reference refresh, self-test."""

from __future__ import annotations

import socket

import pytest
from PySide6.QtGui import QGuiApplication

from desktop.core.secrets import SERVICE
from desktop.ui.diagnostics import diagnostics_text, proxy_host, proxy_lines
from desktop.ui.dialogs import AboutDialog, MessageDialog
from desktop.ui.dialogs.self_test import SelfTestDialog, self_test_command
from desktop.ui.main_window import EXPORT
from desktop.ui.workflow import reference_lists
from desktop.validation.codelists import bundled_code_lists
from tests.ui.conftest import open_and_review, trainee

SECRET = "sandbox_" + "c0ffee" * 10


def menu_texts(menu) -> list[str]:  # type: ignore[no-untyped-def]
    return [a.text() for a in menu.actions() if not a.isSeparator()]


def test_the_help_menu_offers_guide_reference_refresh_self_test_diagnostics_and_about(window):
    """Everything support asks for is one click away in Help."""
    assert menu_texts(window.help_menu) == [
        "Field &guide", "Field guide: &every field…", "&Reference data…", "Refresh reference &data from Register…",
        "Run &self-test…", "&Copy diagnostics", "&About Register Desktop"]


def test_about_names_the_versions_and_where_the_reference_data_came_from(window, monkeypatch):
    """App, template and reference-data versions, bundled with its date; "Copy diagnostics" copies them."""
    shown: list[str] = []
    monkeypatch.setattr(AboutDialog, "ask", classmethod(lambda cls, parent, text: shown.append(text) or "copy"))
    window.about()
    (text,) = shown
    from desktop import __version__

    lists = bundled_code_lists()
    assert f"Register Desktop {__version__}" in text and "v2026.1" in text
    assert f"bundled with the app (dated {lists.date})" in text
    assert QGuiApplication.clipboard().text() == window.diagnostics()


def test_diagnostics_hold_no_token_and_no_personal_data(qtbot, window, make_file, monkeypatch, keychain):
    """With a token in the keychain and the environment, a proxy password and a file open: none of it is copied."""
    keychain.set_password(SERVICE, "sandbox", SECRET)
    monkeypatch.setenv("REGISTER_API_TOKEN", SECRET)
    monkeypatch.setenv("HTTPS_PROXY", "http://jo.bloggs:Pa55word!@proxy.uni.example.ac.uk:8080")
    monkeypatch.setenv("NO_PROXY", "localhost,.example.ac.uk")
    people = [trainee(0, first_names="Gwenllian", last_name="Ní Bhriain", email="gwen.nibhriain@example.com",
                      date_of_birth="1991-03-14")]
    path = make_file(people, name="Gwenllian Ni Bhriain trainees.csv")
    open_and_review(qtbot, window, path)
    window.upload_panel.set_environment("sandbox")
    text = window.copy_diagnostics()
    assert QGuiApplication.clipboard().text() == text
    for secret in (SECRET, "Pa55word", "jo.bloggs", "Gwenllian", "Bhriain", "gwen.", "1991-03-14", path.name):
        assert secret not in text, secret
    assert "REGISTER_API_TOKEN: set (value not shown)" in text
    assert "HTTPS_PROXY = http://proxy.uni.example.ac.uk:8080" in text
    assert "NO_PROXY = localhost, .example.ac.uk" in text
    assert "MemoryKeyring — secure" in text
    assert "truststore" in text and "Python: 3." in text and "Qt: Qt 6." in text
    assert "Upload environment: Sandbox (https://sandbox.register-trainee-teachers.service.gov.uk)" in text


@pytest.mark.parametrize(("value", "shown"), [
    ("http://user:secret@proxy.example.ac.uk:3128/", "http://proxy.example.ac.uk:3128"),
    ("proxy.example.ac.uk:8080", "proxy.example.ac.uk:8080"),
    ("https://proxy.example.ac.uk", "https://proxy.example.ac.uk"),
    ("socks5://u:p@[fe80::1]:1080", "socks5://[fe80::1]:1080"),
    ("http://only-user@proxy:notaport", "http://proxy"),
    ("  ", "(empty)"),
])
def test_a_proxy_is_shown_by_host_and_port_only(value, shown):
    """Credentials in a proxy address never reach the diagnostics."""
    assert proxy_host(value) == shown


def test_no_proxy_says_direct():
    """Without proxy variables the diagnostics say the connection is direct."""
    assert proxy_lines({}) == ["none (direct connection)"]


def test_refreshing_reference_data_asks_fetches_from_practice_and_checks_the_file_again(qtbot, window, make_file,
                                                                                       monkeypatch, tmp_path):
    """Only when asked: GET /reference-data (Practice here), cached with its date, shown, and the file re-checked."""
    asked: list[str] = []

    def ask(cls, parent, title, text, choices, **kw):  # type: ignore[no-untyped-def]
        asked.append(title)
        return "fetch"

    monkeypatch.setattr(MessageDialog, "ask", classmethod(ask))
    open_and_review(qtbot, window, make_file([trainee(0), trainee(1)]))
    window.upload_panel.set_environment("practice")
    with qtbot.waitSignal(window.file_ready, timeout=20000):  # refreshed, then every row checked again
        window.refresh_reference()
    assert asked == ["Refresh reference data?"]
    assert window.code_lists.source == "api"
    assert "(api," in window.status_versions.text()
    assert "Reference data refreshed from Register" in window.statusBar().currentMessage()
    assert window.session.code_lists is window.code_lists
    from desktop.core.reference import reference_cache_path

    assert reference_cache_path("v2026.1").is_file()
    again = reference_lists("v2026.1")  # the next start uses the refreshed lists, read from disk only
    assert (again.source, again.date) == ("api", window.code_lists.date)


def test_nothing_connects_anywhere_until_the_user_asks(qtbot, window, make_file, monkeypatch):
    """Start, open, map, review, reach the Upload step, copy diagnostics: not one outgoing connection."""
    connects: list[object] = []
    real_connect = socket.socket.connect

    def record(self, address):  # type: ignore[no-untyped-def]
        if self.family in (socket.AF_INET, socket.AF_INET6):
            connects.append(address)
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", record)
    open_and_review(qtbot, window, make_file([trainee(0)]))
    window.go_to(EXPORT)
    qtbot.waitUntil(lambda: window.upload_panel.plan_info is not None and not window.jobs.busy, timeout=10000)
    window.diagnostics()
    window.show_guide_window().close()
    assert connects == []
    assert window.upload_panel._sim is None  # Practice starts only for a test, an upload or a refresh


def test_the_field_guide_window_lists_every_field_and_searches_them(window):
    """With no file open F1 opens the guide of all 51 fields; searching narrows the list and shows the first match."""
    window.show_guide()
    guide = window._guide_window
    assert guide is not None and guide.isVisible()
    assert len(guide.visible_fields()) == 51
    guide.search.setText("disab")
    assert guide.visible_fields() == [f"disability{i}" for i in range(1, 10)]
    assert guide.panel.field_name == "disability1"
    assert "Special-category" in guide.panel.toPlainText()
    guide.search.setText("BIRTHDTE")  # the HESA name finds it too
    assert guide.visible_fields() == ["date_of_birth"]
    guide.close()


def test_self_test_runs_the_command_line_check_and_reports_it(qtbot, window):
    """Help → Run self-test runs ``register-desktop self-test`` and shows that every check passed."""
    dialog = SelfTestDialog(window, [*self_test_command(), "--no-window"])  # the window part starts a second window
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.completed, timeout=60000) as blocker:
        dialog.start()
    assert blocker.args == [0]
    assert "All checks passed." in dialog.output.toPlainText()
    assert "ok    keychain" in dialog.output.toPlainText()
    assert dialog.status.text().startswith("All checks passed")


def test_a_self_test_that_cannot_start_says_what_to_run_instead(qtbot, window, tmp_path):
    """A missing program is reported in words, with the command to run by hand."""
    dialog = SelfTestDialog(window, [str(tmp_path / "no-such-program"), "self-test"])
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.completed, timeout=10000):
        dialog.start()
    assert dialog.exit_code == -1 and "register-desktop self-test" in dialog.status.text()


def test_diagnostics_text_works_without_a_window():
    """The text is built from plain functions (no window needed), e.g. for a crash report."""
    text = diagnostics_text("v2026.1", bundled_code_lists())
    assert text.startswith("Register Desktop ") and "Data folder:" in text
