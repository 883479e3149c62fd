"""`register-desktop check`: exit codes, the JSON interface, row numbers, the bad-file corpus."""

import json
import zipfile
from pathlib import Path

import openpyxl
import pytest

from desktop.cli import main
from desktop.core.samples import sample_path
from tests.helpers import TEMPLATE, valid_row, write_csv

JSON_KEYS = {"file", "sheet", "encoding", "template_version", "reference_data_version", "rows", "mapping", "findings", "summary"}
FINDING_KEYS = {"row", "field", "severity", "code", "message", "register_message", "register_csv_message", "value"}


def run_json(capsys, *args: str) -> tuple[int, dict]:
    code = main(["check", *args, "--format", "json", "--today", "2026-11-28"])
    out = capsys.readouterr().out
    return code, json.loads(out)


def test_clean_file_exits_0(tmp_path, capsys):
    p = write_csv(tmp_path / "ok.csv", [valid_row(), valid_row(first_names="Aoife", last_name="Ní Bhriain")])
    code, report = run_json(capsys, str(p))
    assert code == 0
    assert set(report) >= JSON_KEYS  # the interface may be extended, never changed
    assert report["summary"] == {"errors": 0, "warnings": 0, "rows_with_errors": 0, "valid_rows": 2}
    assert report["mapping"]["hesa_id"] == "hesa_id"
    assert report["template_version"] == "v2026.1"


def test_errors_exit_1_on_spreadsheet_rows(tmp_path, capsys):
    """Row numbers are the spreadsheet's: header row 1, blank rows counted."""
    p = tmp_path / "f.csv"
    # a different trainee on row 2, or Register's duplicate rule would flag both rows
    write_csv(p, [valid_row(), valid_row(sex="Female", first_names="Aoife", email="aoife.obrien@example.com")])
    text = p.read_bytes().decode().replace("\r\n", "\r\n,,,\r\n", 2)  # blank rows after header and row 2
    p.write_bytes(text.encode())
    code, report = run_json(capsys, str(p))
    assert code == 1
    (finding,) = [f for f in report["findings"] if f["field"] == "sex"]
    assert set(finding) == FINDING_KEYS
    assert finding["row"] == 5 and finding["value"] == "Female" and finding["code"] == "cell.code_list"
    assert report["summary"]["rows_with_errors"] == 1 and report["summary"]["valid_rows"] == 1


def test_headers_in_any_case_and_order(tmp_path, capsys):
    names = list(reversed(TEMPLATE.names))
    rows = [valid_row()]
    p = tmp_path / "f.csv"
    write_csv(p, rows, headers=names)
    text = p.read_text("utf-8").replace(",last_name,", ",LAST_NAME,", 1)
    p.write_text(text, "utf-8")
    code, report = run_json(capsys, str(p))
    assert code == 0
    assert report["mapping"]["last_name"] == "LAST_NAME"


def test_missing_template_columns_are_file_level_findings(tmp_path, capsys):
    headers = [h for h in TEMPLATE.names if h not in {"hesa_id", "sex"}]
    p = write_csv(tmp_path / "f.csv", [valid_row()], headers=headers)
    code, report = run_json(capsys, str(p))
    assert code == 1
    missing = {f["field"] for f in report["findings"] if f["code"] == "header.missing" and f["row"] is None}
    assert missing == {"hesa_id", "sex"}
    assert report["mapping"]["hesa_id"] is None


def test_text_and_csv_formats_and_out(tmp_path, capsys):
    p = write_csv(tmp_path / "f.csv", [valid_row(email="nope")])
    assert main(["check", str(p), "--today", "2026-11-28"]) == 1
    out = capsys.readouterr().out
    assert "email" in out and "1 error, 0 warnings; 1 of 1 row has errors" in out  # never "1 errors"
    out_file = tmp_path / "r.csv"
    assert main(["check", str(p), "--format", "csv", "--out", str(out_file)]) == 1
    assert out_file.read_text("utf-8").startswith("row,field,severity,code,message,register_message,value")


def test_bundled_sample_checks(capsys):
    code, report = run_json(capsys, str(sample_path()))
    assert code in (0, 1)
    assert report["rows"] == 60


def test_template_command_writes_the_51_headers(tmp_path, capsys):
    out = tmp_path / "t.csv"
    assert main(["template", "--out", str(out)]) == 0
    data = out.read_bytes()
    assert not data.startswith(b"\xef\xbb\xbf")
    assert data.decode().strip().split(",") == TEMPLATE.names


def _truncated_xlsx(tmp_path: Path) -> Path:
    good = tmp_path / "good.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(["a"])
    wb.save(good)
    data = good.read_bytes()
    p = tmp_path / "trunc.xlsx"
    p.write_bytes(data[: len(data) // 2])
    return p


def _bad_files(tmp_path: Path) -> dict[str, Path]:
    files = {
        "empty": b"",
        "random_bytes": bytes(range(256)) * 40,
        "unbalanced_quote": b'a,b\n"unterminated,2\n' + b"x" * 10,
        "only_blank_rows": b",,\n,,\n",
    }
    out = {}
    for name, data in files.items():
        p = tmp_path / f"{name}.csv"
        p.write_bytes(data)
        out[name] = p
    out["truncated_xlsx"] = _truncated_xlsx(tmp_path)
    z = tmp_path / "not_a_workbook.xlsx"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("hello.txt", "hi")
    out["zip_not_workbook"] = z
    return out


@pytest.mark.parametrize("name", ["empty", "random_bytes", "truncated_xlsx", "zip_not_workbook", "only_blank_rows"])
def test_bad_files_exit_2_with_one_line(tmp_path, capsys, name):
    p = _bad_files(tmp_path)[name]
    assert main(["check", str(p)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("register-desktop: ") and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("name", ["header_only", "duplicate_headers", "ragged", "csv_named_xlsx", "big_cell", "unknown_encoding"])
def test_odd_files_give_findings_not_tracebacks(tmp_path, capsys, name):
    if name == "header_only":
        p = tmp_path / "h.csv"
        p.write_text(TEMPLATE.header_line() + "\n")
    elif name == "duplicate_headers":
        p = write_csv(tmp_path / "d.csv", [valid_row()], headers=[*TEMPLATE.names, "sex"])
    elif name == "ragged":
        p = write_csv(tmp_path / "r.csv", [valid_row()])
        p.write_text(p.read_text() + "a,b\n" + ",".join(["x"] * 60) + "\n")
    elif name == "csv_named_xlsx":
        p = write_csv(tmp_path / "c.xlsx", [valid_row()])
    elif name == "big_cell":
        p = write_csv(tmp_path / "b.csv", [valid_row(previous_last_name="x" * 1_000_000)])
    else:
        p = tmp_path / "u.csv"
        p.write_bytes(TEMPLATE.header_line().encode() + b"\n" + bytes(range(0x80, 0x100)) + b"\n")
    code = main(["check", str(p), "--format", "json", "--today", "2026-11-28"])
    captured = capsys.readouterr()
    assert code in (0, 1), captured.err
    report = json.loads(captured.out)
    if name == "header_only":
        assert report["rows"] == 0
    if name == "duplicate_headers":
        assert any(f["code"] == "header.duplicate" for f in report["findings"])
    if name == "ragged":
        assert any(f["code"] == "row.extra_cells" for f in report["findings"])
    if name == "big_cell":
        (f,) = [f for f in report["findings"] if f["field"] == "previous_last_name"] or [None]
        assert f is None or f["severity"] != "error"


def test_fifty_megabyte_file(tmp_path, capsys):
    """A 50 MB CSV is read and checked without trouble (no timing asserted here).

    Its rows are padded to ~600 bytes so 50 MB stays under the 100,000-row cap (issue 8); a file
    over the cap is refused with its reason (tests/integration/test_hostile_limits.py).
    """
    p = tmp_path / "big.csv"
    row = ",".join(valid_row(previous_last_name="Featherstonehaugh-" + "x" * 400).values())
    line = (row + "\n").encode()
    n = (50 * 1024 * 1024) // len(line) + 1
    p.write_bytes(TEMPLATE.header_line().encode() + b"\n" + line * n)
    code = main(["check", str(p), "--format", "json", "--today", "2026-11-28", "--out", str(tmp_path / "o.json")])
    assert code in (0, 1)
    assert json.loads((tmp_path / "o.json").read_text())["rows"] == n


def test_usage_errors_exit_2(tmp_path, capsys):
    assert main(["check"]) == 2
    assert main(["check", "x.csv", "--today", "28/11/2026"]) == 2
    assert main(["nonsense"]) == 2
    assert "Traceback" not in capsys.readouterr().err
