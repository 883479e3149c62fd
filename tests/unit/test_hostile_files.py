"""Hostile and broken input: the readers end with a table or a clear FileReadError, nothing else."""

from __future__ import annotations

import io
import random
import tempfile
import zipfile
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from desktop.cli import main
from desktop.core.errors import FileReadError
from desktop.core.loading import Limits, read_table
from tests.helpers import TEMPLATE, valid_row, write_csv

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _read_bytes(data: bytes, suffix: str = ".csv") -> object:
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / f"f{suffix}"
        p.write_bytes(data)
        try:
            return read_table(p)
        except FileReadError as exc:
            error = exc
    message = str(error)
    assert message
    assert "\n" not in message.strip()
    return error


@FUZZ
@given(st.binary(max_size=3000))
def test_random_bytes_never_crash_the_csv_reader(data):
    _read_bytes(data)


@FUZZ
@given(st.binary(max_size=3000), st.sampled_from([".xlsx", ".xls", ".ods", ".xlsm"]))
def test_random_bytes_named_as_workbooks_never_crash(data, suffix):
    _read_bytes(data, suffix)


def _valid_csv_bytes() -> bytes:
    with tempfile.TemporaryDirectory() as d:
        return write_csv(Path(d) / "v.csv", [valid_row(), valid_row(last_name="Ó Súilleabháin")]).read_bytes()


def _valid_xlsx_bytes() -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(TEMPLATE.names)
    ws.append(list(valid_row().values()))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


VALID_CSV = _valid_csv_bytes()
VALID_XLSX = _valid_xlsx_bytes()


def _mutate(data: bytes, seed: int, n: int) -> bytes:
    rng = random.Random(seed)
    buf = bytearray(data)
    for _ in range(n):
        op = rng.randrange(3)
        pos = rng.randrange(len(buf)) if buf else 0
        if op == 0 and buf:
            buf[pos] = rng.randrange(256)
        elif op == 1:
            buf[pos:pos] = bytes([rng.randrange(256)]) * rng.randrange(1, 4)
        elif buf:
            del buf[pos: pos + rng.randrange(1, 8)]
    return bytes(buf)


@FUZZ
@given(st.integers(0, 2**32), st.integers(1, 30))
def test_mutated_csv_files_never_crash(seed, n):
    _read_bytes(_mutate(VALID_CSV, seed, n))


@FUZZ
@given(st.integers(0, 2**32), st.integers(1, 30))
def test_mutated_xlsx_files_never_crash(seed, n):
    _read_bytes(_mutate(VALID_XLSX, seed, n), ".xlsx")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 2**32), st.integers(1, 20))
def test_check_command_ends_with_findings_or_exit_2(seed, n):
    """Whatever the file, `check` exits 0, 1 or 2 and never raises."""
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "f.csv"
        p.write_bytes(_mutate(VALID_CSV, seed, n))
        assert main(["check", str(p), "--format", "json", "--out", str(Path(d) / "o.json")]) in (0, 1, 2)


def _rewrite(base: bytes, replace: dict[str, bytes | str]) -> bytes:
    zin = zipfile.ZipFile(io.BytesIO(base))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name in zin.namelist():
            z.writestr(name, replace.get(name, zin.read(name)))
    return out.getvalue()


def test_billion_laughs_entities_are_never_expanded_the_sheet_is_refused(tmp_path):
    """A sheet with nested entity definitions: no spreadsheet program writes a DTD, and expanding
    one is how "billion laughs" exhausts memory, so the workbook is refused at once with one line."""
    import time

    sheet = zipfile.ZipFile(io.BytesIO(VALID_XLSX)).read("xl/worksheets/sheet1.xml").decode()
    body = sheet.split("?>", 1)[1] if sheet.startswith("<?xml") else sheet
    ents = '<!ENTITY a0 "lol">' + "".join(f'<!ENTITY a{i} "{f"&a{i - 1};" * 10}">' for i in range(1, 10))
    hostile = f'<?xml version="1.0"?><!DOCTYPE d [{ents}]>' + body.replace("<v>", "<v>&a9;", 1)
    p = tmp_path / "laughs.xlsx"
    p.write_bytes(_rewrite(VALID_XLSX, {"xl/worksheets/sheet1.xml": hostile}))
    started = time.monotonic()
    with pytest.raises(FileReadError, match="document type declaration") as info:
        read_table(p)
    assert time.monotonic() - started < 2 and "\n" not in str(info.value)


def test_zip_bomb_is_refused_before_unpacking(tmp_path):
    """A part that unpacks hundreds of times larger than stored is refused up front."""
    sheet = zipfile.ZipFile(io.BytesIO(VALID_XLSX)).read("xl/worksheets/sheet1.xml").decode()
    padding = "<!--" + " " * (40 * 1024 * 1024) + "-->"
    bomb = sheet.replace("<sheetData>", padding + "<sheetData>", 1)
    p = tmp_path / "bomb.xlsx"
    p.write_bytes(_rewrite(VALID_XLSX, {"xl/worksheets/sheet1.xml": bomb}))
    assert p.stat().st_size < 1024 * 1024
    with pytest.raises(FileReadError, match="zip bomb"):
        read_table(p)


def test_a_million_columns_is_refused_with_a_reason(tmp_path):
    p = tmp_path / "wide.csv"
    p.write_bytes(b",".join([b"c"] * 1_000_000) + b"\n" + b"1\n")
    with pytest.raises(FileReadError, match="columns"):
        read_table(p)


def test_nul_bytes_are_refused_with_a_reason(tmp_path):
    p = tmp_path / "nul.csv"
    p.write_bytes(b"a,b\n1,\x002\n")
    with pytest.raises(FileReadError):
        read_table(p)


def test_row_and_size_caps_are_enforced(tmp_path):
    p = write_csv(tmp_path / "rows.csv", [valid_row()] * 5)
    with pytest.raises(FileReadError, match="more than 3 rows"):
        read_table(p, limits=Limits(max_rows=3))
    with pytest.raises(FileReadError, match="largest file"):
        read_table(p, limits=Limits(max_file_bytes=100))
    with pytest.raises(FileReadError, match="characters"):
        read_table(p, limits=Limits(max_cell_chars=10))
