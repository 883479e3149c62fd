"""The window and the command line check against the same code lists: refreshed ones when there are any."""

import dataclasses
import json

from desktop.cli import main
from desktop.core.reference import current_code_lists, reference_cache_path
from desktop.validation.codelists import Code, bundled_code_lists, save_code_lists
from tests.helpers import valid_row, write_csv


def _refreshed_with_extra_sex_code() -> None:
    base = bundled_code_lists()
    sex = base["sex"]
    extra = dataclasses.replace(sex, entries=(*sex.entries, Code("13", "A code Register added later")))
    lists = dataclasses.replace(base, source="api", date="2026-11-20", lists={**base.lists, "sex": extra})
    save_code_lists(lists, reference_cache_path(base.version))


def test_bundled_lists_apply_until_a_refresh():
    assert current_code_lists("v2026.1").source == "bundled"


def test_check_uses_refreshed_lists(tmp_path, capsys):
    p = write_csv(tmp_path / "f.csv", [valid_row(sex="13")])
    assert main(["check", str(p), "--format", "json", "--today", "2026-11-28"]) == 1
    capsys.readouterr()
    _refreshed_with_extra_sex_code()
    assert main(["check", str(p), "--format", "json", "--today", "2026-11-28"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["reference_data_version"] == "v2026.1 (api, 2026-11-20)"


def test_a_damaged_cache_falls_back_to_the_bundled_lists():
    path = reference_cache_path("v2026.1")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("{not json", "utf-8")
    assert current_code_lists("v2026.1").source == "bundled"
