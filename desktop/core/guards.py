"""Checks that run before a workbook is unpacked, so a hostile file cannot exhaust memory.

XLSX, XLSM and ODS are zip archives of XML. python-calamine inflates the sheet it reads into
memory, so a "zip bomb" (a few MB that unpack to many GB) is refused here from the archive's
directory, before anything is inflated. XML entity expansion ("billion laughs") needs no guard:
calamine's XML reader does not expand DTD entities (tests/unit/test_hostile_files.py shows it).
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from desktop.core.errors import FileReadError

MAX_UNPACKED_BYTES = 1024 * 1024 * 1024  # 1 GiB of XML is ~ 5 million cells: far beyond any provider's file
MAX_ENTRIES = 10_000
MAX_RATIO = 200  # real sheets compress 5-30 times; bombs compress hundreds to thousands of times
RATIO_FLOOR = 20 * 1024 * 1024  # the ratio check applies only to parts that unpack beyond 20 MB


def check_zip_workbook(path: Path, *, max_unpacked: int = MAX_UNPACKED_BYTES) -> None:
    """Raise FileReadError if the archive is malformed or would unpack to an unreasonable size."""
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except Exception as exc:  # noqa: BLE001 - zipfile raises many types (even NotImplementedError) on bad archives
        raise FileReadError(
            f"{path.name} looks like a workbook but cannot be read: it is damaged or incomplete ({exc}). "
            "Open it in your spreadsheet program and save it again.") from None
    if len(infos) > MAX_ENTRIES:
        raise FileReadError(f"{path.name} holds {len(infos):,} parts; a workbook has a few dozen. It is not a normal spreadsheet.")
    total = sum(max(i.file_size, 0) for i in infos)
    if total > max_unpacked:
        raise FileReadError(
            f"{path.name} unpacks to {total / 1048576:,.0f} MB, more than this app reads "
            f"({max_unpacked / 1048576:,.0f} MB). Save the sheet as CSV, or split it.")
    for info in infos:
        if info.file_size > RATIO_FLOOR and info.compress_size > 0 and info.file_size / info.compress_size > MAX_RATIO:
            raise FileReadError(
                f"{path.name} contains a part ({info.filename}) that unpacks {info.file_size // info.compress_size:,} times "
                "larger than it is stored: that is how a 'zip bomb' looks, so the file was not opened.")
