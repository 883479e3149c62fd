"""The composition root: command-line arguments, the QApplication, logging, the excepthook, the window.

``main()`` is what ``python -m desktop`` and ``register-desktop-gui`` run. Without a display it
says so in one line and points to the command line instead of letting Qt abort.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import sys
from pathlib import Path
from types import TracebackType

logger = logging.getLogger(__name__)

NO_DISPLAY = ("register-desktop-gui: no display is available, so the window cannot open. "
              "Use the command line instead, for example: register-desktop check FILE")


def display_available(env: dict[str, str] | None = None, platform: str | None = None,
                      x11_sockets: Path = Path("/tmp/.X11-unix")) -> bool:
    """Whether Qt can open a window here; only Linux and the BSDs can be without one."""
    env = dict(os.environ) if env is None else env
    platform = platform or sys.platform
    if platform.startswith(("win", "darwin", "cygwin")):
        return True
    qpa = env.get("QT_QPA_PLATFORM", "").split(":")[0]
    if qpa in ("offscreen", "minimal", "vnc", "eglfs", "linuxfb", "minimalegl"):
        return True
    if env.get("WAYLAND_DISPLAY") and qpa in ("", "wayland", "wayland-egl"):
        return True
    display = env.get("DISPLAY", "")
    if not display:
        return False
    if display.startswith(":"):  # a local X server listens on a socket we can look for
        number = display[1:].split(".")[0]
        return (x11_sockets / f"X{number}").exists()
    return True  # host:display — let Qt try


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="register-desktop-gui", description="Register Desktop: the window.")
    p.add_argument("file", nargs="?", help="a spreadsheet to open")
    p.add_argument("--sheet", help="the sheet to read (workbooks)")
    p.add_argument("--today", help=argparse.SUPPRESS)  # evaluate date rules as on this day (demos, screenshots)
    return p.parse_args(argv)


def _setup_logging() -> logging.Handler:
    """The window's log: user-only, rotated, and redacted (``desktop.core.logs``: no token, no personal data)."""
    from desktop.core.logs import install_redaction, setup_file_logging

    handler = setup_file_logging(logging.INFO)
    install_redaction()  # also the last-resort handler (warnings on standard error)
    return handler


def _expire_old_data() -> None:
    """What is past its retention period goes, once a start (``desktop.core.retention``; never raises)."""
    from desktop.core.retention import expire

    report = expire()
    if report.removed_anything:  # counts only: the report's lines name files
        logger.info("expired old data: %d upload batch(es), %d receipt(s), %d other file(s)", len(report.batches),
                    len(report.receipts), sum(len(f) for f in report.files.values()))


def _excepthook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
    """A bug in a slot must not kill the window silently or show a traceback: log it, say so."""
    if issubclass(kind, KeyboardInterrupt):
        sys.__excepthook__(kind, exc, tb)
        return
    logger.error("uncaught exception", exc_info=(kind, exc, tb))
    from PySide6.QtWidgets import QApplication

    from desktop.ui.main_window import MainWindow

    for w in QApplication.topLevelWidgets():
        if isinstance(w, MainWindow):
            w.show_error(exc)
            break


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    today = None
    if args.today:
        try:
            today = dt.date.fromisoformat(args.today)
        except ValueError:
            print(f"register-desktop-gui: --today must look like 2026-11-28, not '{args.today}'.", file=sys.stderr)  # noqa: T201
            return 2
    if not display_available():
        print(NO_DISPLAY, file=sys.stderr)  # noqa: T201 - the one line the issue asks for
        return 2
    try:
        from PySide6.QtCore import QTimer
        from PySide6.QtWidgets import QApplication
    except ImportError as exc:
        print(f"register-desktop-gui: the window's libraries are missing ({exc.name}); "  # noqa: T201
              "use the command line: register-desktop check FILE", file=sys.stderr)
        return 2

    from desktop.core.errors import UserFacingError
    from desktop.core.paths import config_dir, data_dir

    try:
        config_dir(), data_dir()  # e.g. DESKTOP_DATA_DIR naming a file: one line, before any window
    except UserFacingError as exc:
        print(f"register-desktop-gui: {exc.message}", file=sys.stderr)  # noqa: T201
        return 2
    _setup_logging()
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication([sys.argv[0]])
    app.setApplicationName("Register Desktop")
    app.setOrganizationName("RegisterDesktop")
    app.setApplicationDisplayName("Register Desktop")
    from desktop.ui.main_window import MainWindow

    sys.excepthook = _excepthook
    window = MainWindow(today=today)
    window.show()

    def start() -> None:
        _expire_old_data()  # before recovery: an autosave past its period is not offered back
        recovering = window.offer_recovery()
        if args.file and not recovering:
            window.open_file(Path(args.file), args.sheet)

    QTimer.singleShot(0, start)  # the window paints before any file is read
    return int(app.exec())
