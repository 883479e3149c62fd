"""Findings beyond the caps keep everything but their words: counts, rows with errors, exports and the
window's rows are exactly as without caps; the report lists at most the caps and says how many it left
out; ``check --all-findings`` and the export's error report give every finding its words.

The caps are lowered here (20 of a kind on a field, 200 in all) so a small file crosses them; the
figures for the real caps on a 100,000-row file come from ``benchmarks/all_errors.py``.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from desktop.cli import main
from desktop.core.session import ImportSession
from desktop.validation import findings as findings_module
from desktop.validation.findings import UNLISTED
from desktop.validation.template import load_template
from tests.helpers import TODAY, valid_row

pytestmark = pytest.mark.integration
NAMES = load_template().names
T = ["--today", TODAY.isoformat()]


def distinct(r: int) -> dict[str, str]:
    """A valid row that is no other row's duplicate (Register's rule: date of birth, surname, route)."""
    day = 1 + r % 28
    return valid_row(hesa_id=f"{2610000000000 + r}", provider_trainee_id=f"26/27-{r}", email=f"t{r}@example.com",
                     last_name=f"Llewellyn-{r}", date_of_birth=f"1990-03-{day:02d}")


def bad_file(path: Path, rows: int = 150) -> Path:
    """Every cell of most rows wrong in its own way; a few valid rows among them."""
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(NAMES)
        for r in range(rows):
            if r % 10 == 3:
                w.writerow([distinct(r)[n] for n in NAMES])
            else:
                w.writerow([f"=bad{r * 51 + c}" for c in range(len(NAMES))])
    return path


@pytest.fixture
def small_caps(monkeypatch):
    monkeypatch.setattr(findings_module, "WORDED_PER_RULE_AND_FIELD", 20)
    monkeypatch.setattr(findings_module, "WORDED_IN_ALL", 200)


def run_json(capsys, path: Path, *extra: str) -> dict:
    main(["check", str(path), "--format", "json", *T, *extra])
    return json.loads(capsys.readouterr().out)


def uncapped(monkeypatch, fn):
    with monkeypatch.context() as m:
        m.setattr(findings_module, "WORDED_PER_RULE_AND_FIELD", 10**9)
        m.setattr(findings_module, "WORDED_IN_ALL", 10**9)
        return fn()


def test_the_report_lists_at_most_the_caps_and_counts_everything(tmp_path, capsys, monkeypatch, small_caps):
    path = bad_file(tmp_path / "bad.csv")
    full = uncapped(monkeypatch, lambda: run_json(capsys, path))
    capped = run_json(capsys, path)
    assert capped["summary"] == full["summary"]  # counts, rows with errors, rows ready: all exact
    capped_kinds = {(g["code"], g["field"]) for g in capped["unlisted_findings"]["per_rule_and_field"]}
    per_kind: dict[tuple, int] = {}
    for f in capped["findings"]:
        per_kind[(f["code"], f["field"])] = per_kind.get((f["code"], f["field"]), 0) + 1
    assert sum(per_kind.get(k, 0) for k in capped_kinds) <= 200  # the row rules' findings: the ones capped
    assert max(per_kind.get(k, 0) for k in capped_kinds) <= 20
    assert all(f["message"] != UNLISTED for f in capped["findings"])
    unlisted = capped["unlisted_findings"]
    assert unlisted["count"] == len(full["findings"]) + len(full["folded_findings"]) - len(capped["findings"]) \
        - len(capped["folded_findings"])
    assert unlisted["count"] == sum(g["count"] for g in unlisted["per_rule_and_field"])
    assert "--all-findings" in unlisted["note"]
    assert "unlisted_findings" not in full  # present only when something was left out
    assert set(capped) - set(full) == {"unlisted_findings"}  # the rest of the interface unchanged


def test_all_findings_writes_every_one_with_its_words(tmp_path, capsys, monkeypatch, small_caps):
    path = bad_file(tmp_path / "bad.csv")
    uncapped(monkeypatch, lambda: main(["check", str(path), "--format", "csv", "--out", str(tmp_path / "full.csv"), *T]))
    assert main(["check", str(path), "--all-findings", str(tmp_path / "all.csv"), *T]) == 1
    assert "more findings counted but not listed" in capsys.readouterr().out
    full = (tmp_path / "full.csv").read_text("utf-8").splitlines()
    every = (tmp_path / "all.csv").read_text("utf-8").splitlines()
    assert full[0] == every[0] and sorted(full) == sorted(every)
    assert UNLISTED not in (tmp_path / "all.csv").read_text("utf-8")


def test_caps_change_no_row_and_no_export(tmp_path, monkeypatch, small_caps):
    path = bad_file(tmp_path / "bad.csv")
    capped = ImportSession.open(path, today=TODAY)
    full = uncapped(monkeypatch, lambda: ImportSession.open(path, today=TODAY))
    assert (capped.invalid_row_mask() == full.invalid_row_mask()).all()
    assert (capped.valid_positions() == full.valid_positions()).all()
    assert (capped.findings.frame["message"] == UNLISTED).any()
    for row in (0, 1, 120, 149):  # a row far beyond the caps gets its own words back
        assert capped.row_findings(row) == full.row_findings(row)
    from desktop.core.export import export_register_csv

    a = export_register_csv(capped, tmp_path / "a.csv", allow_errors=True)
    b = uncapped(monkeypatch, lambda: export_register_csv(full, tmp_path / "b.csv", allow_errors=True))
    assert a.rows_written == b.rows_written == 15
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
    report_a = (tmp_path / "a-errors.csv").read_text("utf-8")
    assert report_a == (tmp_path / "b-errors.csv").read_text("utf-8") and UNLISTED not in report_a


def test_an_edit_of_a_row_beyond_the_caps_revalidates_it(tmp_path, monkeypatch, small_caps):
    path = bad_file(tmp_path / "bad.csv", rows=60)
    session = ImportSession.open(path, today=TODAY)
    good = distinct(999)
    session.apply_edits([(55, name, good[name]) for name in NAMES])
    assert session.row_findings(55) == []
    assert 55 in session.valid_positions()
