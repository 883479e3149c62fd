"""Long work off the UI thread: a ``Job`` runs a plain ``fn(progress, token)`` on a pool thread.

The function is the same one the command line calls (HOUSE_STYLE §4, §7); the job only talks to
the window through its signals, and the ``JobRunner`` owns running jobs, one per kind, so a newer
validation supersedes an older one and closing the window can cancel and wait for all of them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal
from typing_extensions import override

from desktop.core.progress import Cancelled, CancelToken, Progress

logger = logging.getLogger(__name__)


class JobSignals(QObject):
    progress = Signal(int, int)  # done, total
    succeeded = Signal(object)  # the function's return value
    failed = Signal(object)  # the exception
    cancelled = Signal()
    finished = Signal()  # always emitted, last


class Job(QRunnable):
    """Runs ``fn(progress, token)`` on a pool thread; talks to the UI only through signals."""

    def __init__(self, fn: Callable[[Progress, CancelToken], Any], *, label: str = "") -> None:
        super().__init__()
        self.signals = JobSignals()  # composition: a QRunnable is not a QObject
        self.token = CancelToken()
        self.label = label
        self._fn = fn

    @override
    def run(self) -> None:  # pool thread: never touch widgets or models here
        try:
            self.token.raise_if_cancelled()
            result = self._fn(self.signals.progress.emit, self.token)
        except Cancelled:
            self.signals.cancelled.emit()
        except Exception as exc:  # noqa: BLE001 - reported to the UI, not swallowed
            self.signals.failed.emit(exc)
        else:
            if self.token.cancelled:
                self.signals.cancelled.emit()  # a cancelled job's late result is never applied
            else:
                self.signals.succeeded.emit(result)
        finally:
            self.signals.finished.emit()

    def cancel(self) -> None:
        self.token.cancel()


class JobRunner(QObject):
    """Owns running jobs, one per kind; ``shutdown()`` cancels them all and waits."""

    busy_changed = Signal(bool)

    def __init__(self, pool: QThreadPool | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pool = pool or QThreadPool.globalInstance()
        self._running: dict[str, Job] = {}
        self._all: set[Job] = set()  # referenced until finished (superqt's habit)

    @property
    def busy(self) -> bool:
        return bool(self._all)

    def running(self, kind: str) -> Job | None:
        return self._running.get(kind)

    def start(self, kind: str, job: Job) -> Job:
        previous = self._running.get(kind)
        if previous is not None:
            previous.cancel()
        was_busy = self.busy
        self._running[kind] = job
        self._all.add(job)
        job.signals.finished.connect(lambda: self._finished(kind, job))
        self._pool.start(job)
        if not was_busy:
            self.busy_changed.emit(True)
        return job

    def _finished(self, kind: str, job: Job) -> None:
        if self._running.get(kind) is job:
            del self._running[kind]
        self._all.discard(job)
        if not self._all:
            self.busy_changed.emit(False)

    def cancel(self, kind: str | None = None) -> None:
        jobs = list(self._all) if kind is None else [j for k, j in self._running.items() if k == kind]
        for job in jobs:
            job.cancel()

    def shutdown(self, timeout_ms: int = 5000) -> bool:
        """Cancel everything and wait for the pool; True when every worker has stopped."""
        self.cancel()
        done = bool(self._pool.waitForDone(timeout_ms))
        if not done:
            logger.warning("workers still running after %d ms", timeout_ms)
        return done
