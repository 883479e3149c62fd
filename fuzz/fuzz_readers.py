"""Coverage-guided fuzzing of the readers and `check` with atheris (issue 8's fuzzing run).

Usage (not part of the test suite; needs `pip install atheris`):
    python fuzz/fuzz_readers.py -max_total_time=600 -rss_limit_mb=2048 -timeout=20 fuzz/corpus
Each input is tried as CSV and, when it starts like a zip or OLE file, as a workbook. Anything
other than a table or a FileReadError is a bug: atheris stops and writes the input as crash-*.
Inputs that found bugs become regression tests in tests/unit/test_fuzz_regressions.py.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import atheris

with atheris.instrument_imports():
    from desktop.core.errors import FileReadError
    from desktop.core.loading import Limits, read_table
    from desktop.core.session import ImportSession

LIMITS = Limits(max_file_bytes=2 * 1024 * 1024, max_rows=20_000)
TMP = Path(tempfile.mkdtemp(prefix="fuzz-"))


def one_input(data: bytes) -> None:
    suffix = ".xlsx" if data[:2] == b"PK" else ".xls" if data[:4] == b"\xd0\xcf\x11\xe0" else ".csv"
    path = TMP / f"input{suffix}"
    path.write_bytes(data)
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
