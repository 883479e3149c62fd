"""Coverage-guided fuzzing of the readers, the workbook guards and `check` with atheris.

Usage (not part of the test suite; needs `pip install atheris`; on a shared machine run it with `nice`):
    python fuzz/fuzz_readers.py -max_total_time=900 -rss_limit_mb=2048 -timeout=20 NEW_CORPUS fuzz/corpus
(NEW_CORPUS first: libFuzzer writes the inputs it keeps there, not into the committed seeds.)

Each input is tried as CSV and, when it starts like a zip or OLE file, as a workbook. Anything
other than a table or a FileReadError is a bug: atheris stops and writes the input as crash-*.
For a zip, every worksheet the guards would measure is also measured both ways (numpy over the
plain form, expat event by event): where the fast measure accepts a sheet, the two must agree.
The seeds include the hostile workbooks of issue 12 (``seed-hostile-*``, from tests/data/hostile).
Inputs that found bugs become regression tests in tests/unit/test_fuzz_regressions.py.
"""

from __future__ import annotations

import io
import os
import sys
import tempfile
import zipfile
from pathlib import Path

import atheris

TMP = Path(tempfile.mkdtemp(prefix="fuzz-"))
os.environ["DESKTOP_CONFIG_DIR"] = str(TMP / "config")  # never the user's own folders
os.environ["DESKTOP_DATA_DIR"] = str(TMP / "data")

with atheris.instrument_imports():
    from desktop.core import guards
    from desktop.core.errors import FileReadError
    from desktop.core.loading import Limits, read_table
    from desktop.core.session import ImportSession

LIMITS = Limits(max_file_bytes=2 * 1024 * 1024, max_rows=20_000)


def both_measures(data: bytes, path: Path) -> None:
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        names = guards._xlsx_sheet_parts(zf)
    except Exception:  # noqa: BLE001 - not a readable zip: the reader says so
        return
    for name in names:
        try:
            fast = guards._fast_sheet(path, zf, name)
        except (guards._Irregular, FileReadError):
            continue
        except Exception:  # noqa: BLE001 - a damaged part: the reader refuses it
            continue
        try:
            slow = guards._expat_sheet(path, zf, name)
        except FileReadError:
            continue  # expat refuses what the fast measure could count (malformed XML): refused either way
        except Exception:  # noqa: BLE001
            continue
        if (fast.max_row, fast.max_col, fast.cells) != (slow.max_row, slow.max_col, slow.cells):
            raise AssertionError(f"fast {fast} != expat {slow} for {name}")


def one_input(data: bytes) -> None:
    suffix = ".xlsx" if data[:2] == b"PK" else ".xls" if data[:4] == b"\xd0\xcf\x11\xe0" else ".csv"
    path = TMP / f"input{suffix}"
    path.write_bytes(data)
    if suffix == ".xlsx":
        both_measures(data, path)
    try:
        raw = read_table(path, limits=LIMITS)
    except FileReadError:
        return
    session = ImportSession.from_raw(raw)
    session.report()


def main() -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
