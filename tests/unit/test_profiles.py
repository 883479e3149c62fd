"""Mapping profiles: saved, found again by headers, shared, migrated with a report or refused."""

import json
import os
import stat
import sys
from pathlib import Path

import pytest

from desktop.core.mapping import exact_mapping
from desktop.core.profiles import (
    MappingProfile,
    ProfileError,
    ProfileStore,
    choose_mapping,
    load_profile,
    parse_profile,
)
from desktop.core.values import ValueOptions
from tests.helpers import TEMPLATE

HEADERS = ["Student Number", "HUSID", "Forename(s)", "Surname", "DOB", "Gender"]
COLUMNS = {"provider_trainee_id": "Student Number", "hesa_id": "HUSID", "first_names": "Forename(s)",
           "last_name": "Surname", "date_of_birth": "DOB", "sex": "Gender"}


def profile(**changes) -> MappingProfile:
    doc = {"name": "SITS weekly export", "template_version": "v2026.1", "headers": HEADERS, "columns": COLUMNS,
           "values": {"sex": {"Woman": "10", "Unknown": None}}, "disabled_conversions": ["excel_serials"],
           "created": "2026-11-20T09:00:00+00:00"}
    doc.update(changes)
    return MappingProfile(**doc)


def test_round_trip_through_the_store(tmp_path):
    store = ProfileStore(tmp_path / "profiles")
    original = profile()
    path = store.save(original)
    loaded = store.get("sits weekly  export")  # names compare ignoring case and spacing
    assert loaded.profile == original and loaded.report == [] and loaded.path == path
    assert json.loads(path.read_text("utf-8"))["kind"] == "register-desktop/mapping-profile"


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX file modes")
def test_saved_profiles_are_private(tmp_path):
    path = ProfileStore(tmp_path / "p").save(profile())
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_default_store_is_in_the_config_folder(tmp_path):
    assert ProfileStore().folder == Path(os.environ["DESKTOP_CONFIG_DIR"]) / "profiles"


def test_profile_becomes_a_mapping_and_value_options():
    p = profile()
    m = p.to_mapping([h.upper() for h in HEADERS], TEMPLATE)  # header case does not matter
    assert m.columns["last_name"] == "SURNAME" and m.method["last_name"] == "profile"
    assert m.origin == "profile" and m.profile_name == "SITS weekly export" and not m.notes
    options = p.value_options()
    assert options.user_maps == {"sex": {"Woman": "10"}}  # undecided (null) entries are not applied
    assert options.disabled == {"excel_serials"}


def test_a_column_the_file_lacks_is_noted_not_dropped_silently():
    m = profile().to_mapping([h for h in HEADERS if h != "Gender"], TEMPLATE)
    assert m.columns["sex"] is None
    assert m.notes == ["The profile 'SITS weekly export' maps sex to the column 'Gender', which this file does not have."]


def test_found_automatically_by_headers_in_any_order_and_case(tmp_path):
    store = ProfileStore(tmp_path)
    store.save(profile())
    store.save(profile(name="Other", headers=["a", "b"], columns={"last_name": "a"}))
    found = store.find_for_headers([" surname", "gender", "DOB", "Forename(s)", "husid", "Student  Number"])
    assert found is not None and found.profile.name == "SITS weekly export"
    assert store.find_for_headers([*HEADERS, "Notes"]) is None  # a new column: not the same file


def test_choose_mapping_prefers_given_then_saved_then_suggested(tmp_path):
    store = ProfileStore(tmp_path)
    suggested = exact_mapping(HEADERS, TEMPLATE)
    assert choose_mapping(HEADERS, lambda: suggested, TEMPLATE, store=store).mapping is suggested
    store.save(profile())
    chosen = choose_mapping(HEADERS, lambda: pytest.fail("no suggestion needed"), TEMPLATE, store=store)
    assert chosen.profile is not None and chosen.mapping.origin == "profile"
    assert chosen.value_options == profile().value_options()
    off = choose_mapping(HEADERS, lambda: suggested, TEMPLATE, store=store, auto_profile=False)
    assert off.mapping is suggested


def test_import_and_export_for_sharing(tmp_path):
    mine, theirs = ProfileStore(tmp_path / "mine"), ProfileStore(tmp_path / "theirs")
    mine.save(profile())
    shared = mine.export("SITS weekly export", tmp_path / "shared.json")
    loaded = theirs.import_file(shared)
    assert loaded.profile == profile() and loaded.path is not None and loaded.path.parent == theirs.folder


def test_saving_two_names_with_one_slug_keeps_both(tmp_path):
    store = ProfileStore(tmp_path)
    a = store.save(profile(name="SITS export"))
    b = store.save(profile(name="SITS-export"))
    assert a != b and {p.profile.name for p in store.all()[0]} == {"SITS export", "SITS-export"}
    assert store.save(profile(name="SITS export", description="again")) == a


def test_delete_and_unknown_names(tmp_path):
    store = ProfileStore(tmp_path)
    store.save(profile())
    store.delete("SITS weekly export")
    with pytest.raises(ProfileError, match="no saved profile called"):
        store.get("SITS weekly export")


def v2026_0_profile() -> dict:
    """A profile made when Register's template was v2026.0 (Title Case headers, 'lead partner')."""
    return {"kind": "register-desktop/mapping-profile", "format_version": 1, "name": "Old SITS",
            "template_version": "v2026.0", "headers": ["Surname", "Lead school", "Subject", "Disability"],
            "columns": {"last_name": "Surname", "lead_partner_urn": "Lead school", "course_subject_one": "Subject",
                        "disability_1": "Disability"},
            "values": {"course_subject_one": {"Maths": "100403"}}}


def test_an_older_profile_is_migrated_with_a_report():
    loaded = parse_profile(json.dumps(v2026_0_profile()))
    p = loaded.profile
    assert loaded.migrated_from == "v2026.0" and p.template_version == "v2026.1"
    assert p.columns == {"last_name": "Surname", "training_partner_urn": "Lead school", "course_subject_1": "Subject",
                         "disability1": "Disability"}
    assert p.values == {"course_subject_1": {"Maths": "100403"}}
    report = "\n".join(loaded.report)
    assert report.startswith("The profile 'Old SITS' was made for Register's v2026.0 template and was migrated to v2026.1")
    assert "lead_partner_urn is called training_partner_urn in v2026.1" in report
    assert "v2026.1 adds iqts_country" in report


def test_a_v2025_profile_is_migrated_through_every_step():
    doc = {"kind": "register-desktop/mapping-profile", "format_version": 1, "name": "Ancient",
           "template_version": "v2025.0", "headers": ["Placement"],
           "columns": {"first_placement_urn": "Placement", "degree_uk_awarding_institution": "Uni"}}
    loaded = parse_profile(json.dumps(doc))
    assert loaded.profile.columns == {"placement_1_urn": "Placement", "awarding_institution": "Uni"}
    assert any("v2026.0 adds placement_2_urn" in line for line in loaded.report)


def test_a_migrated_profile_used_in_a_session_shows_its_report(tmp_path):
    path = tmp_path / "old.json"
    path.write_text(json.dumps(v2026_0_profile()), "utf-8")
    chosen = choose_mapping(["Surname", "Lead school", "Subject", "Disability"], lambda: None, TEMPLATE,
                            profile=load_profile(path))
    assert chosen.mapping.columns["training_partner_urn"] == "Lead school"
    assert any("migrated" in n for n in chosen.mapping.notes)


@pytest.mark.parametrize(("change", "message"), [
    ({"template_version": "v2027.1"}, "does not know"),
    ({"template_version": "2026"}, "does not know"),
    ({"format_version": 2}, "newer version of Register Desktop"),
    ({"kind": "something-else"}, "not a Register Desktop mapping profile"),
    ({"columns": {"lastname": "Surname"}}, "does not have: lastname"),
    ({"disabled_conversions": ["magic"]}, "unknown kind"),
    ({"surprise": 1}, "not a valid mapping profile"),
    ({"name": "   "}, "not a valid mapping profile"),
])
def test_unusable_profiles_are_refused_loudly(change, message):
    doc = json.loads(profile().to_json())
    doc.update(change)
    with pytest.raises(ProfileError, match=message):
        parse_profile(json.dumps(doc))


def test_an_old_profile_naming_fields_its_template_lacked_is_refused():
    doc = v2026_0_profile()
    doc["columns"]["iqts_country"] = "Country"  # v2026.0 had no iQTS country
    with pytest.raises(ProfileError, match="names fields that template does not have: iqts_country"):
        parse_profile(json.dumps(doc))


def test_value_map_entries_that_are_not_codes_are_ignored_with_a_report():
    loaded = parse_profile(profile(values={"sex": {"Woman": "1O"}}).to_json())
    assert loaded.profile.value_options().user_maps == {}
    assert loaded.report == ["The value map for sex turns 'Woman' into '1O', which is not a Sex code; that entry is ignored."]


def test_files_that_are_not_profiles(tmp_path):
    (tmp_path / "x.json").write_text("{not json", "utf-8")
    with pytest.raises(ProfileError, match="not valid JSON"):
        load_profile(tmp_path / "x.json")
    with pytest.raises(ProfileError, match="no mapping profile at"):
        load_profile(tmp_path / "missing.json")


def test_a_broken_saved_profile_is_listed_and_skipped(tmp_path):
    store = ProfileStore(tmp_path)
    store.save(profile())
    (tmp_path / "broken.json").write_text("[]", "utf-8")
    good, bad = store.all()
    assert [p.profile.name for p in good] == ["SITS weekly export"]
    assert bad and bad[0].startswith("broken.json")
    assert store.find_for_headers(HEADERS) is not None


def test_from_mapping_keeps_the_users_value_map():
    m = exact_mapping(["last_name", "sex"], TEMPLATE)
    options = ValueOptions(disabled=frozenset({"dates"}), user_maps={"sex": {"W": "10"}})
    p = MappingProfile.from_mapping("Mine", m, ["last_name", "sex"], options=options, values={"sex": {"M": "11"}})
    assert p.columns == {"last_name": "last_name", "sex": "sex"}
    assert p.values == {"sex": {"M": "11", "W": "10"}} and p.disabled_conversions == ["dates"]
    assert parse_profile(p.to_json()).profile == p
