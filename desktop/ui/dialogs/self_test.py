"""Help → Run self-test: ``register-desktop self-test`` in a child process, its report shown as it comes.

The same command support asks users to run (``desktop/cli/selftest.py``): it checks the bundled
data, the sample, the keychain and that the window opens. A child process keeps this window
responsive and the check honest (a fresh interpreter, as a user's would be). No network.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from PySide6.QtCore import QProcess, QProcessEnvironment, Signal
from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from typing_extensions import override


def self_test_command() -> list[str]:
    """The command-line program's self-test: beside the frozen app, or this interpreter's module."""
    if getattr(sys, "frozen", False):
        name = "register-desktop.exe" if os.name == "nt" else "register-desktop"
        return [str(Path(sys.executable).with_name(name)), "self-test"]
    return [sys.executable, "-m", "desktop.cli", "self-test"]


class SelfTestDialog(QDialog):
    """Runs the self-test and shows its output; ``completed`` carries the exit status.

    Not ``done``: that name is ``QDialog.done(int)``, the slot that closes a dialog.
    """

    completed = Signal(int)

    def __init__(self, parent: QWidget | None = None, command: list[str] | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Self-test")
        self.resize(700, 420)
        self.command = command or self_test_command()
        layout = QVBoxLayout(self)
        self.status = QLabel("Checking this installation (no network is used)…")
        self.status.setWordWrap(True)
        self.status.setAccessibleName("Self-test status")
        layout.addWidget(self.status)
        self.output = QPlainTextEdit()
        self.output.setReadOnly(True)
        self.output.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.output.setAccessibleName("Self-test report")
        layout.addWidget(self.output, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.copy_button = QPushButton("&Copy report")
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.copy_button.clicked.connect(lambda: QGuiApplication.clipboard().setText(self.output.toPlainText()))
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.exit_code: int | None = None
        self.process = QProcess(self)
        self.process.setProcessChannelMode(QProcess.ProcessChannelMode.MergedChannels)
        env = QProcessEnvironment.systemEnvironment()
        env.insert("PYTHONIOENCODING", "utf-8")
        self.process.setProcessEnvironment(env)
        self.process.readyReadStandardOutput.connect(self._read)
        self.process.finished.connect(self._finished)
        self.process.errorOccurred.connect(self._error)

    def start(self) -> None:
        self.output.clear()
        self.exit_code = None
        self.process.start(self.command[0], self.command[1:])

    def _read(self) -> None:
        text = bytes(self.process.readAllStandardOutput().data()).decode("utf-8", "replace")
        self.output.moveCursor(self.output.textCursor().MoveOperation.End)
        self.output.insertPlainText(text)

    def _finished(self, code: int, _status: QProcess.ExitStatus) -> None:
        self._read()
        self.exit_code = int(code)
        if code == 0:
            self.status.setText("All checks passed: this installation works.")
        else:
            self.status.setText("Some checks failed. Copy the report and send it to your IT desk.")
        self.completed.emit(self.exit_code)

    def _error(self, error: QProcess.ProcessError) -> None:
        if error == QProcess.ProcessError.FailedToStart:
            self.exit_code = -1
            self.status.setText(f"The self-test could not be started ({self.command[0]}). Run 'register-desktop "
                                "self-test' from a command prompt instead.")
            self.completed.emit(self.exit_code)

    @override
    def reject(self) -> None:
        if self.process.state() != QProcess.ProcessState.NotRunning:
            self.process.kill()
            self.process.waitForFinished(2000)
        super().reject()
