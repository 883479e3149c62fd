"""Register's own v2026.1 bulk-add test files (SPEC §9.1) through ``check``: Register's outcome for each.

Every fixture runs twice: as our synthetic equivalent in ``tests/data/register_fixtures/`` (always;
written by ``generate.py`` in that folder), and as Register's own file from
``../shared/register/fixtures/v2026_1/`` beside the repository when that folder exists (on a
developer's machine; a clean clone skips those). ``check`` must give Register's outcome: a file
Register accepts exits 0 with every row ready; a file Register refuses at upload exits 1 and its
first findings carry Register's messages word for word, in Register's order; a file whose rows
Register refuses exits 1 with errors on exactly those rows, worded as Register's CSV page words
them (``register_csv_message``). Today is frozen inside the 2024/25 cycle, as Register's tests do.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from desktop.cli import main
from desktop.core.export import export_register_csv
from desktop.core.session import ImportSession
from tests.data.register_fixtures import generate

pytestmark = pytest.mark.integration

TODAY = "2024-10-15"
OURS = Path(generate.__file__).parent
REGISTER = Path(__file__).resolve().parents[2].parent / "shared" / "register" / "fixtures" / "v2026_1"

NO_TRAINEES = "The selected file must contain at least one trainee"
ROUTE_13 = generate.ROUTE_13


@dataclass(frozen=True)
class Outcome:
    """What Register's tests expect of a fixture (SPEC §9.1)."""

    rows: int  # trainee rows Register stores (blank rows are not rows)
    file_messages: tuple[str, ...] = ()  # Register refuses the file at upload with these, in this order
    failing: dict[int, frozenset[str]] = field(default_factory=dict)  # data row -> its messages, exactly
    failing_at_least: dict[int, frozenset[str]] = field(default_factory=dict)  # data row -> at least these
    all_fail: bool = False  # every row is refused (Register names the messages of only some)

    @property
    def accepted(self) -> bool:
        return not (self.file_messages or self.failing or self.failing_at_least or self.all_fail)


FAILED = {row: frozenset(messages) for row, messages in generate.FAILED_MESSAGES.items()}
EXPECTED: dict[str, Outcome] = {
    "empty_file_with_headers.csv": Outcome(0, (NO_TRAINEES,)),
    "five_trainees.csv": Outcome(5),
    "five_trainees_with_failed.csv": Outcome(5, failing=FAILED),
    # Register's errors file uploaded again: its two extra columns are ignored, the rows fail as before
    "failed_with_failed.csv": Outcome(5, failing=FAILED),
    "five_trainees_with_three_errors.csv": Outcome(5, all_fail=True, failing_at_least={0: frozenset({
        "degree_graduation_year Enter a valid graduation year",
        "degree_graduation_year Enter a year that is in the past, for example 2014",
        "degree_grade must be entered if specifying a previous UK degree or non-UK degree",
        "itt_start_date can't be blank", "date_of_birth can't be blank",
        "itt_aim has invalid reference data value of '203'. Valid values are '201', '202'.",
        "itt_qualification_aim has invalid reference data value of '21'. Example values include '001', '002', '003', "
        "'004', '007', '008', '020', '021', '028', '031'...",
    })}),
    "five_trainees_with_degree.csv": Outcome(5),
    "five_trainees_with_placement.csv": Outcome(5),
    "five_trainees_with_disability.csv": Outcome(5),
    "five_trainees_with_missing_column.csv": Outcome(5, (
        "Your file’s column names need to match the CSV template. Your file is missing the following columns: "
        "'hesa_id' and 'sex'",)),
    "five_trainees_with_mixed_case_headers.csv": Outcome(5),
    "mixed_headers_encoding.csv": Outcome(5, (
        "Your file’s column names need to match the CSV template. Your file is missing the following columns: "
        "'application_id'. Your file has the following extra columns: 'Ápplication ID'",)),
    "mixed_rows_encoding.csv": Outcome(5),
    "three_trainees_with_blank_rows.csv": Outcome(3),
    "file_with_headers_and_blank_entries.csv": Outcome(0, (NO_TRAINEES,)),
    "three_trainees_with_training_partners.csv": Outcome(3),
    "three_trainees_with_lead_partners.csv": Outcome(3, (
        "Your file’s column names need to match the CSV template. Your file is missing the following columns: "
        "'training_partner_urn'. Your file has the following extra columns: 'Lead Partner URN'",)),
    "five_trainees_with_unparseable_date.csv": Outcome(1, all_fail=True),
}


def register_fixture(name: str) -> Path:
    path = REGISTER / name
    if not path.is_file():
        pytest.skip(f"Register's own fixtures are not beside the repository ({REGISTER})")
    return path


def check_json(capsys, path: Path, *args: str) -> tuple[int, dict]:
    code = main(["check", str(path), "--format", "json", "--today", TODAY, *args])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return code, json.loads(captured.out)


def data_rows(report: dict, path: Path) -> list[int]:
    """The spreadsheet row of each trainee row (blank rows skipped), read as Register's page would."""
    session = ImportSession.open(path, today=None, validate=False)
    assert session.n_rows == report["rows"]
    return [int(r) for r in session.source_rows]


def assert_register_outcome(capsys, path: Path, expected: Outcome) -> None:
    code, report = check_json(capsys, path)
    findings = report["findings"]
    errors = [f for f in findings if f["severity"] == "error"]
    assert report["rows"] == expected.rows
    assert report["as_uploaded"]["checked"]  # every fixture is Register's template filled in
    if expected.accepted:
        assert code == 0, errors
        assert errors == [] and report["summary"]["valid_rows"] == expected.rows
        return
    assert code == 1
    file_errors = [f for f in errors if f["row"] is None and f["code"].startswith("file.")]
    assert [f["register_csv_message"] for f in file_errors] == list(expected.file_messages)
    if expected.file_messages:  # Register's first refusal is the first thing reported
        assert findings[0]["register_csv_message"] == expected.file_messages[0]
    rows = data_rows(report, path)
    by_row: dict[int, set[str]] = {}
    for f in errors:
        if f["row"] is not None:
            by_row.setdefault(rows.index(f["row"]), set()).add(f["register_csv_message"])
    if expected.failing:
        assert set(by_row) == set(expected.failing)
        for row, messages in expected.failing.items():
            assert by_row[row] == messages, row
        assert report["summary"]["valid_rows"] == expected.rows - len(expected.failing)
    for row, messages in expected.failing_at_least.items():
        assert messages <= by_row.get(row, set()), row
    if expected.all_fail:
        assert set(by_row) == set(range(expected.rows)) and report["summary"]["valid_rows"] == 0


# ------------------------------------------------------------------ our synthetic equivalents
def test_our_fixture_files_are_up_to_date():
    """The files in tests/data/register_fixtures are what generate.py writes (run it after a change)."""
    written = generate.files()
    assert set(written) == set(EXPECTED)
    for name, data in written.items():
        assert (OURS / name).read_bytes() == data, f"{name} is out of date: python -m tests.data.register_fixtures.generate"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_our_equivalent_of_each_register_fixture(capsys, name):
    assert_register_outcome(capsys, OURS / name, EXPECTED[name])


# ------------------------------------------------------------------ Register's own files, when present
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_register_fixture(capsys, name):
    assert_register_outcome(capsys, register_fixture(name), EXPECTED[name])


def test_every_register_fixture_has_an_expected_outcome():
    if not REGISTER.is_dir():
        pytest.skip(f"Register's own fixtures are not beside the repository ({REGISTER})")
    assert {p.name for p in REGISTER.glob("*.csv")} == set(EXPECTED)


# ------------------------------------------------------------------ the errors file, as Register writes it
def errors_by_trainee(data: bytes) -> dict[str, tuple[str, list[str]]]:
    """provider_trainee_id -> (validation result without our row prefix, messages) of an errors file."""
    out = {}
    for r in csv.DictReader(io.StringIO(data.decode("utf-8"), newline="")):
        result = r["Validation results"].split(": ", 1)[-1]
        out[r["provider_trainee_id"]] = (result, [m for m in r["Errors"].split(";\n") if m])
    return out


@pytest.mark.parametrize("source", ["ours", "register"])
def test_export_error_report_says_what_registers_errors_file_says(tmp_path, source):
    """The export's error report for the failed fixture holds, for every failing row, exactly the
    messages of Register's own errors file (its CSV page's words), as Register's test compares it."""
    folder = OURS if source == "ours" else register_fixture("failed_with_failed.csv").parent
    import datetime as dt

    session = ImportSession.open(folder / "five_trainees_with_failed.csv", today=dt.date(2024, 10, 15))
    result = export_register_csv(session, tmp_path / "out.csv", allow_errors=True)
    assert result.rows_written == 2 and result.error_report is not None
    ours = errors_by_trainee(result.error_report.read_bytes())
    theirs = {k: v for k, v in errors_by_trainee((folder / "failed_with_failed.csv").read_bytes()).items()
              if v[0] != "Validation passed"}
    assert set(ours) == set(theirs)
    for trainee, (count, messages) in theirs.items():
        assert ours[trainee][0] == count
        assert sorted(ours[trainee][1]) == sorted(messages)
