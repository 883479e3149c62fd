"""The field guide covers every field in our own words; the reference browser finds codes; profiles save."""

from __future__ import annotations

from desktop.core.profiles import ProfileStore
from desktop.core.samples import sample_path
from desktop.ui.dialogs import TextDialog
from desktop.ui.guide import guide_html, load_guide, personal_fields
from desktop.ui.reference_browser import ReferenceBrowser
from desktop.validation.codelists import bundled_code_lists
from desktop.validation.template import load_template


def test_guide_has_meaning_format_and_example_for_every_template_field():
    """All 51 fields, each with a meaning, a format and an example; codes in examples are real codes."""
    template, lists = load_template(), bundled_code_lists()
    guide = load_guide()
    assert list(guide) == template.names
    for f in template.fields:
        entry = guide[f.name]
        assert entry.meaning and entry.format and entry.example, f.name
        if f.kind == "code":
            assert entry.example in lists.for_field(f.name), f.name
    html = guide_html(template, lists, "sex")
    assert "SEXID" in html and "10 — Female" in html and "codes:sex" in html


def test_personal_and_special_category_fields_are_marked():
    """Names, IDs and dates of birth are personal; ethnicity and disabilities special-category."""
    personal = personal_fields()
    assert {"first_names", "last_name", "date_of_birth", "hesa_id", "email", "ethnicity", "disability1"} <= personal
    assert "course_subject_1" not in personal and "itt_start_date" not in personal
    assert load_guide()["ethnicity"].privacy == "special"


def test_reference_browser_searches_by_code_or_label(qtbot):
    """Typing part of a label or a code narrows the list; lists can be switched."""
    browser = ReferenceBrowser(bundled_code_lists())
    qtbot.addWidget(browser)
    browser.show_list("course_subject", "physics")
    assert "100425" in browser.visible_codes()
    assert all("phys" in browser.proxy.index(r, 1).data().lower() or "phys" in browser.proxy.index(r, 0).data().lower()
               for r in range(browser.proxy.rowCount()))
    browser.show_list("sex", "96")
    assert browser.visible_codes() == ["96"]
    browser.close()


def test_a_saved_profile_is_used_for_the_next_file_with_these_headers(qtbot, window, monkeypatch):
    """Save as profile writes a private profile; the core then picks it for the same headers."""
    with qtbot.waitSignal(window.jobs.busy_changed, timeout=10000, check_params_cb=lambda busy: not busy):
        window.open_file(sample_path())
    monkeypatch.setattr(TextDialog, "ask", classmethod(lambda cls, *a, **k: "Weekly SITS export"))
    window.save_profile()
    store = ProfileStore()
    loaded = store.find_for_headers(window.loaded.raw.headers)
    assert loaded is not None and loaded.profile.name == "Weekly SITS export"
    assert oct(loaded.path.stat().st_mode & 0o777) == "0o600"
