"""How long the app keeps what it writes, and purging it (``register-desktop purge``; the window's menu).

What the data folder holds and for how long (``RETENTION``; README "Where your data lives"):

=========================================  =====================================  ====================================
What                                       Where (data folder)                    Kept
=========================================  =====================================  ====================================
finished upload batches and their receipts ``upload-journal.sqlite3``, ``receipts``  90 days after the batch finished
finished sync/action runs, their receipts  ``upload-journal.sqlite3``, ``receipts``  90 days after the run finished
unfinished upload batches                  ``upload-journal.sqlite3``              until finished or forgotten
the window's autosaved work                ``autosave/``                          30 days after it was last saved
the practice Register's trainees           ``practice/``                          30 days after the last change
the window's log (no personal data)        ``logs/``                              30 days after the last line
temporary files left by a crash            ``.*.tmp`` in the data/config folders  1 day
=========================================  =====================================  ====================================

An **unfinished batch is never purged**, by age or by ``--all``: its rows are what stops a row
that may already have reached Register from being sent again. Finish it (run the upload again)
or forget it on purpose (``register-desktop history N --forget``). A finished batch purged here is
gone for good (the journal overwrites deleted rows); uploading the same file again afterwards
starts a new batch, and Register answers "already registered" for the trainees it holds.

Not purged: settings and mapping profiles (config folder; no trainee data), the cached reference
data (public code lists), and copies the user saved elsewhere (exports, reports, ``--receipt``).

``expire()`` applies the periods; the command line calls it before ``upload`` and ``history``,
the window should call it once at start. ``purge()`` removes more on request.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from desktop.core.errors import UsageError, UserFacingError
from desktop.core.journal import FILE_NAME as JOURNAL_FILE
from desktop.core.journal import Batch, BatchBusyError, Journal, JournalError, iso_time
from desktop.core.ledger import Lease, forget_environment, hold_batch
from desktop.core.paths import config_dir, data_dir
from desktop.core.receipt import receipts_dir

logger = logging.getLogger(__name__)

DAY = 86400.0
PRACTICE_ENVIRONMENT = "practice"  # Environment.origin of Practice


@dataclass(frozen=True)
class Retention:
    """Days each kind of file is kept (see the module docstring)."""

    batches: float = 90
    autosave: float = 30
    practice: float = 30
    logs: float = 30
    temporary: float = 1


RETENTION = Retention()

#: folders of the data folder purged by age, by kind (file names the window and core use)
FOLDERS = {"autosave": "autosave", "practice": "practice", "logs": "logs"}


@dataclass
class PurgeReport:
    batches: list[int] = field(default_factory=list)  # finished batches removed from the journal
    receipts: list[Path] = field(default_factory=list)
    files: dict[str, list[Path]] = field(default_factory=dict)  # kind -> files removed
    kept_unfinished: list[Batch] = field(default_factory=list)  # unfinished batches left alone (on purpose)
    busy: list[int] = field(default_factory=list)  # finished batches in use by an upload right now
    dry_run: bool = False

    @property
    def removed_anything(self) -> bool:
        return bool(self.batches or self.receipts or any(self.files.values()))

    def lines(self) -> list[str]:
        """What happened, in plain English (one line per kind)."""
        verb = "Would remove" if self.dry_run else "Removed"
        out = []
        if self.batches:
            ids = ", ".join(str(b) for b in self.batches)
            out.append(f"{verb} {len(self.batches)} finished upload batch(es) from the journal: {ids}"
                       + (f", and {len(self.receipts)} receipt(s) the app kept." if self.receipts else "."))
        elif self.receipts:
            out.append(f"{verb} {len(self.receipts)} old receipt(s) the app kept.")
        labels = {"autosave": "autosaved work of the window", "practice": "the practice Register's trainees",
                  "logs": "log file(s)", "temporary": "temporary file(s) left by an interrupted save"}
        for kind, files in self.files.items():
            if files:
                out.append(f"{verb} {labels.get(kind, kind)} ({len(files)} file(s)).")
        for b in self.kept_unfinished:
            out.append(f"Kept batch {b.id} ({b.meta.file_name}, {b.meta.environment_label}): unfinished, "
                       f"{b.outstanding} row(s) without an outcome. Its rows stop anything being sent twice, so it "
                       f"is kept until it is finished (run the upload again) or forgotten ('register-desktop "
                       f"history {b.id} --forget').")
        for b_id in self.busy:
            out.append(f"Kept batch {b_id}: an upload is using it right now.")
        if not out:
            out.append("Nothing to remove.")
        return out


class PurgeError(UserFacingError):
    title = "The app's data could not be purged"


# ---------------------------------------------------------------------- entry points
def expire(*, now: float | None = None, retention: Retention = RETENTION) -> PurgeReport:
    """Remove what is older than its retention period; never raises (a failure is logged and retried next time)."""
    try:
        return _purge(_cutoffs(now, retention))
    except UsageError:  # DESKTOP_DATA_DIR names a file, or the folder cannot be made: the command says so itself
        return PurgeReport()
    except (OSError, UserFacingError) as exc:
        logger.warning("Expiring old data failed (%s); it is tried again next time", type(exc).__name__)
        return PurgeReport()


def purge(*, everything: bool = False, older_than_days: float | None = None, dry_run: bool = False,
          now: float | None = None) -> PurgeReport:
    """Remove finished batches, receipts, autosaves, practice data and logs: all of them, or those older than N days.

    Unfinished batches are always kept (see the module docstring). Raises ``PurgeError`` when a
    file cannot be removed or the journal cannot be written.
    """
    if not everything and older_than_days is None:
        return _purge(_cutoffs(now, RETENTION), dry_run=dry_run, strict=True)
    if older_than_days is not None and older_than_days < 0:
        raise PurgeError("The number of days must be 0 or more.")
    days = 0.0 if everything else float(older_than_days or 0)
    cutoff = (time.time() if now is None else now) - days * DAY
    kinds = ("batches", "autosave", "practice", "logs", "temporary")
    return _purge(dict.fromkeys(kinds, cutoff), dry_run=dry_run, strict=True)


# ---------------------------------------------------------------------- the work
def _cutoffs(now: float | None, retention: Retention) -> dict[str, float]:
    t = time.time() if now is None else now
    return {kind: t - getattr(retention, kind) * DAY
            for kind in ("batches", "autosave", "practice", "logs", "temporary")}


def _purge(cutoffs: dict[str, float], *, dry_run: bool = False, strict: bool = False) -> PurgeReport:
    report = PurgeReport(dry_run=dry_run)
    folder = data_dir()
    try:
        _purge_batches(folder, cutoffs["batches"], report, dry_run)
    except JournalError as exc:
        if strict:
            raise PurgeError(exc.message) from None
        raise
    for kind, sub in FOLDERS.items():
        report.files[kind] = _remove_older(_files(folder / sub), cutoffs[kind], dry_run, strict)
    if report.files.get("practice") and not dry_run and (folder / JOURNAL_FILE).exists():
        # the practice Register's trainees are gone: so is what the journal remembers sending to it
        with Journal(folder / JOURNAL_FILE) as journal, contextlib.suppress(BatchBusyError), \
                Lease(journal, PRACTICE_ENVIRONMENT):
            forget_environment(journal, PRACTICE_ENVIRONMENT)
    report.files["temporary"] = _remove_older(_temporary(folder, config_dir()), cutoffs["temporary"], dry_run, strict)
    return report


def _purge_batches(folder: Path, cutoff: float, report: PurgeReport, dry_run: bool) -> None:
    receipts = receipts_dir()
    kept_receipts: set[Path] = set()
    if (folder / JOURNAL_FILE).exists():
        with Journal(folder / JOURNAL_FILE) as journal:
            for batch in sorted(journal.batches(), key=lambda b: b.id):
                receipt = Path(batch.receipt_path) if batch.receipt_path else None
                if batch.status != "complete":
                    if receipt is not None:
                        kept_receipts.add(receipt)
                    if batch.total:
                        report.kept_unfinished.append(batch)
                    continue
                finished = _timestamp(batch.finished_at or batch.updated_at)
                if finished is None or finished > cutoff:
                    if receipt is not None:
                        kept_receipts.add(receipt)
                    continue
                if not dry_run:
                    try:
                        with hold_batch(journal, batch.id):
                            journal.forget(batch.id)
                    except BatchBusyError:
                        report.busy.append(batch.id)
                        if receipt is not None:
                            kept_receipts.add(receipt)
                        continue
                    _remove(folder / "journal-locks" / f"batch-{batch.id}.lock", strict=False)
                report.batches.append(batch.id)
                if receipt is not None and receipt.parent == receipts and receipt.exists():
                    if not dry_run:
                        _remove(receipt, strict=True)
                    report.receipts.append(receipt)
            if not dry_run:  # sync and action runs are views like batches: they go with the same period
                journal.forget_runs(iso_time(cutoff))
    # receipts the app kept whose batch is gone (forgotten, or an older journal moved aside) expire by age
    for path in _files(receipts):
        if path not in kept_receipts and path not in report.receipts and _mtime(path) <= cutoff:
            if not dry_run:
                _remove(path, strict=True)
            report.receipts.append(path)


def _files(folder: Path) -> Iterator[Path]:
    if folder.is_dir():
        for p in sorted(folder.rglob("*")):
            if p.is_file() or p.is_symlink():
                yield p


def _temporary(*folders: Path) -> Iterator[Path]:
    """``.name.tmp`` files ``private_file`` and the simulator write (left behind only by a crash mid-save)."""
    for folder in folders:
        if folder.is_dir():
            for p in sorted(folder.rglob(".*.tmp")):
                if p.is_file():
                    yield p


def _remove_older(paths: Iterable[Path], cutoff: float, dry_run: bool, strict: bool) -> list[Path]:
    removed = []
    for p in paths:
        if _mtime(p) <= cutoff and (dry_run or _remove(p, strict=strict)):
            removed.append(p)
    return removed


def _remove(path: Path, *, strict: bool) -> bool:
    try:
        path.unlink(missing_ok=True)
    except OSError as exc:
        if strict:
            raise PurgeError(f"{path} could not be removed ({exc.strerror or exc}). Close any program using it "
                             "and try again.") from None
        logger.warning("An expired file could not be removed (%s)", type(exc).__name__)
        return False
    return True


def _mtime(path: Path) -> float:
    with contextlib.suppress(OSError):
        return os.lstat(path).st_mtime
    return float("inf")


def _timestamp(text: str | None) -> float | None:
    if not text:
        return None
    try:
        t = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (t if t.tzinfo else t.replace(tzinfo=dt.UTC)).timestamp()
