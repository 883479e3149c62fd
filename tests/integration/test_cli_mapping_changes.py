"""`--set`/`--unset` on the command line, and `check` naming the column that probably holds a missing field."""

import json
import shlex
from pathlib import Path

import pytest

from desktop.cli import main
from desktop.core.profiles import load_profile

pytestmark = pytest.mark.integration

DATA = Path(__file__).resolve().parent.parent / "data" / "exports"
CLASS = DATA / "class-column.csv"
TODAY = ["--today", "2026-11-28"]


def check_json(capsys, *args: str) -> tuple[int, dict]:
    code = main(["check", *args, "--format", "json", *TODAY])
    return code, json.loads(capsys.readouterr().out)


def test_the_class_export_maps_completely_with_no_manual_step(capsys):
    """Done-when of issue 15: 'Class' holding '2:1'/'Upper second' is the degree grade; nothing is left missing."""
    code, report = check_json(capsys, str(CLASS))
    assert code == 0 and report["summary"]["errors"] == 0
    assert report["mapping"]["degree_grade"] == "Class"
    assert not [f for f in report["findings"] if f["code"] == "header.missing" and f["severity"] != "info"]
    assert report["suggestions"] == []  # every column that looks like a field is used


def test_a_profile_without_the_column_gets_it_offered_with_one_set(tmp_path, capsys):
    """The issue's path: a profile that leaves Class out; check names Class and the one --set that maps it."""
    profile = tmp_path / "no-class-test.json"
    assert main(["map", str(CLASS), "--unset", "degree_grade", "--out", str(profile), "--name", "no-class-test",
                 *TODAY]) == 0
    assert "degree_grade" not in load_profile(profile).profile.columns
    capsys.readouterr()
    assert main(["check", str(CLASS), "--mapping", str(profile), *TODAY]) == 1
    out = capsys.readouterr().out
    assert f"mapping: the profile 'no-class-test' from {profile}" in out and "saved profile" not in out
    assert "No column is mapped to degree_grade (Degree grade)" in out and "'Class' probably holds it" in out
    missing_lines = [line for line in out.splitlines() if "Degree grade is missing" in line]
    assert missing_lines and all("'Class' probably holds it" in line for line in missing_lines)
    command = next(line for line in out.splitlines() if "Map it for this check:" in line).split(": ", 1)[1]
    argv = shlex.split(command)
    assert argv[:2] == ["register-desktop", "check"] and "--set" in argv and "degree_grade=Class" in argv
    assert "--mapping" in argv  # the suggested command keeps the options that chose the mapping
    code, report = check_json(capsys, *argv[2:])
    assert code == 0 and report["mapping"]["degree_grade"] == "Class"
    assert report["mapping_details"]["fields"]["degree_grade"]["method"] == "user"


def test_set_and_save_makes_next_check_use_it(capsys):
    assert main(["map", str(CLASS), "--unset", "degree_grade", "--set", "previous_last_name=Preferred Name",
                 "--save", "--name", "Records", *TODAY]) == 0
    capsys.readouterr()
    _, report = check_json(capsys, str(CLASS))
    assert report["mapping_details"]["origin"] == "profile" and report["mapping_details"]["profile"] == "Records"
    assert report["mapping_details"]["profile_file"] is None
    assert report["mapping"]["previous_last_name"] == "Preferred Name" and report["mapping"]["degree_grade"] is None
    assert main(["map", str(CLASS), "--set", "degree_grade=Class", "--save", "--name", "Records", *TODAY]) == 0
    capsys.readouterr()
    _, report = check_json(capsys, str(CLASS))
    assert report["mapping"]["degree_grade"] == "Class"


def test_map_without_save_says_nothing_was_kept(capsys):
    assert main(["map", str(CLASS), "--set", "degree_grade=Notes", *TODAY]) == 0
    assert "Nothing was saved: add --save" in capsys.readouterr().out


def test_accept_all_takes_every_suggestion(tmp_path, capsys):
    profile = tmp_path / "p.json"
    assert main(["map", str(CLASS), "--unset", "degree_grade", "--unset", "itt_qualification_aim", "--out",
                 str(profile), *TODAY]) == 0
    capsys.readouterr()
    assert main(["map", str(CLASS), "--mapping", str(profile), *TODAY]) == 0
    out = capsys.readouterr().out
    assert "'Class': probably degree_grade" in out and "--set degree_grade=Class" in out and "--accept-all" in out
    assert main(["map", str(CLASS), "--mapping", str(profile), "--accept-all", "--out", str(profile), *TODAY]) == 0
    columns = load_profile(profile).profile.columns
    assert columns["degree_grade"] == "Class" and columns["itt_qualification_aim"] == "Award"


@pytest.mark.parametrize(("args", "says"), [
    (["--set", "grade=Class"], "'grade' is not a field of Register's v2026.1 template. Did you mean degree_grade"),
    (["--set", "degree_grade=Klass"], "The file has no column 'Klass'"),
    (["--set", "degree_grade"], "--set needs FIELD=COLUMN"),
    (["--unset", "nope"], "'nope' is not a field"),
])
def test_a_wrong_set_is_one_line_and_exit_2(capsys, args, says):
    assert main(["check", str(CLASS), *args, *TODAY]) == 2
    err = capsys.readouterr().err
    assert says in err and "Traceback" not in err


def test_export_refusal_repeats_the_mapping_options(tmp_path, capsys):
    """The hint to run check keeps --mapping (and --set), so it checks the same mapping."""
    profile = tmp_path / "p.json"
    assert main(["map", str(CLASS), "--unset", "degree_grade", "--out", str(profile), *TODAY]) == 0
    capsys.readouterr()
    assert main(["export", str(CLASS), "--out", str(tmp_path / "r.csv"), "--mapping", str(profile),
                 "--set", "previous_last_name=Preferred Name", *TODAY]) == 1
    err = capsys.readouterr().err
    assert f"register-desktop check {CLASS} --mapping {profile} --set 'previous_last_name=Preferred Name'" in err
