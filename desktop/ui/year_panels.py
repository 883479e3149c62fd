"""The window's rest of the year: "Send to Register" (sync) in step 4, and withdraw/defer/recommend dialogs.

Both drive the same core functions as the command line (``desktop.core.sync``,
``desktop.core.actions``) in jobs, over the same journal; where to send and with which token come
from the Upload panel (its environment choice, its token handling, its Practice simulator).

* ``SyncPanel``: *Compare with Register* reads Register and lists every row as new, changed (each field
  before → after), unchanged, cannot be changed, and the trainees in Register but not in the file;
  *Send changes…* asks first (always for a real environment), then sends. Register's answers come
  back on the rows' cells (``answers_ready``).
* ``ActionsDialog``: one action kind; choose the file (checked offline at once, with Register's
  messages), *Check with Register* reads each trainee's state and says what Register would refuse,
  *Send…* sends the rest; each row's outcome and what to do is listed, with the receipt's place.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.api.environments import Environment
from desktop.core.config import AppConfig
from desktop.core.progress import CancelToken, Progress
from desktop.core.session import ImportSession
from desktop.ui.dialogs import Choice, MessageDialog, OpenFileDialog, SaveFileDialog
from desktop.ui.jobs import Job, JobRunner

Target = Callable[[], "tuple[Environment, str | None] | None"]

STATUS_WORDS = {"new": "New — will be created", "changed": "Changed", "unchanged": "Unchanged",
                "locked": "Cannot be changed through the API", "ambiguous": "Needs Register's web service"}
ACTION_TITLES = {"withdraw": "Withdraw trainees", "defer": "Defer trainees", "recommend": "Recommend for QTS or EYTS"}


def _client(environment: Environment, token: str | None, config: AppConfig) -> Any:
    from desktop.core.connect import make_client

    return make_client(environment, token, config)


def _remember(plan: Any, journal: Any, client: Any, env: Environment) -> None:
    """Nothing to send: what the comparison found still goes in the ledger (trainees found in Register, what it
    holds), when no other window is sending to the environment (a comparison never waits for one)."""
    from desktop.core.ledger import Lease, UploadRunningError
    from desktop.core.sync import remember_plan

    try:
        with Lease(journal, env.origin, label=env.label, what="sync") as lease:
            remember_plan(plan, journal, client, lease)
    except UploadRunningError:
        pass


class SyncPanel(QGroupBox):
    """Keep Register in step with the open file: compare, show before → after, send."""

    answers_ready = Signal(object)  # Findings about the session's rows
    running_changed = Signal(bool)

    def __init__(self, jobs: JobRunner, target: Target, config: AppConfig, parent: QWidget | None = None) -> None:
        super().__init__("Send to Register: keep it in step (trainees Register already holds)", parent)
        self.jobs = jobs
        self.target = target
        self.config = config
        self.session: ImportSession | None = None
        self.plan: Any = None
        self.result: Any = None
        self._env: tuple[Environment, str | None] | None = None
        layout = QVBoxLayout(self)
        intro = QLabel("Compares every valid row with Register: new trainees are created, changed ones are sent as "
                       "updates (each field shown before → after), placements and degrees Register lacks are added. "
                       "Nothing in Register is ever deleted.")
        intro.setWordWrap(True)
        layout.addWidget(intro)
        buttons = QHBoxLayout()
        self.compare_button = QPushButton("&Compare with Register")
        self.send_button = QPushButton("Send &changes…")
        self.send_button.setEnabled(False)
        buttons.addWidget(self.compare_button)
        buttons.addWidget(self.send_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self.summary = QLabel("Open a file, then compare it with Register.")
        self.summary.setWordWrap(True)
        self.summary.setAccessibleName("Comparison with Register")
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.summary)
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Row", "Trainee", "Field", "In Register", "In the file"])
        self.tree.setAccessibleName("Changes to send, field by field")
        self.tree.setRootIsDecorated(True)
        self.tree.setMinimumHeight(160)
        layout.addWidget(self.tree)
        self.compare_button.clicked.connect(self.compare)
        self.send_button.clicked.connect(self.send)

    def set_session(self, session: ImportSession | None) -> None:
        self.session = session
        self.plan = None
        self.tree.clear()
        self.send_button.setEnabled(False)
        self.summary.setText("Compare the file with Register to see what would change." if session else
                             "Open a file, then compare it with Register.")

    # ------------------------------------------------------------------ compare
    def compare(self) -> Job | None:
        session = self.session
        if session is None:
            return None
        target = self.target()
        if target is None:
            return None
        self._env = target
        env, token = target
        config = self.config

        def work(progress: Progress, cancel: CancelToken) -> Any:
            from desktop.core.journal import Journal
            from desktop.core.sync import plan_sync

            progress(0, 0)
            with _client(env, token, config) as client, Journal() as journal:
                plan = plan_sync(session, client, journal, token=cancel, settle=config.settle_margin)
                if plan.requests_to_send == 0 and plan.running is None:
                    _remember(plan, journal, client, env)
                return plan

        self.compare_button.setEnabled(False)
        self.summary.setText(f"Reading {env.label}…")
        job = Job(work, label="Comparing with Register")
        job.signals.succeeded.connect(self._planned)
        job.signals.failed.connect(self._failed)
        job.signals.finished.connect(lambda: self.compare_button.setEnabled(True))
        return self.jobs.start("sync-plan", job)

    def _planned(self, plan: Any) -> None:
        self.plan = plan
        c = plan.counts
        self.summary.setText(
            f"{c['new']} new, {c['changed']} changed, {c['unchanged']} unchanged"
            + (f", {c['locked']} cannot be changed through the API" if c["locked"] else "")
            + (f", {c['ambiguous']} need Register's web service" if c["ambiguous"] else "")
            + (f", {c['invalid']} with errors (not sent)" if c["invalid"] else "")
            + f"; {c['in_register_only']} in Register but not in the file (kept as they are). "
            + (f"{plan.requests_to_send} request(s) to send." if plan.requests_to_send else
               "Register already matches the file: nothing to send.")
            + (f" Note: {plan.running.describe()} to {plan.environment_label}; sending waits until it has finished."
               if plan.running is not None else ""))
        self.tree.clear()
        for item in plan.items:
            if item.status == "unchanged":
                continue
            top = QTreeWidgetItem([str(item.source_row), item.trainee_id or "(new)", STATUS_WORDS[item.status], "", ""])
            self.tree.addTopLevelItem(top)
            for ch in item.changes:
                QTreeWidgetItem(top, ["", "", ch.field, ch.before or "(blank)", ch.after or "(blank)"])
            if item.note:
                QTreeWidgetItem(top, ["", "", item.note, "", ""])
            for urn in item.kept_placements:
                QTreeWidgetItem(top, ["", "", f"placement {urn}", urn, "(not in the file: kept)"])
            top.setExpanded(len(plan.items) < 200)
        if plan.absent:
            top = QTreeWidgetItem(["", f"{len(plan.absent)} trainee(s)", "In Register but not in the file (kept)", "", ""])
            self.tree.addTopLevelItem(top)
            for a in plan.absent:
                QTreeWidgetItem(top, ["", a.trainee_id, a.state, a.provider_trainee_id, ""])
        for i in range(self.tree.columnCount()):
            self.tree.resizeColumnToContents(i)
        self.send_button.setEnabled(plan.requests_to_send > 0)
        from desktop.core.sync import sync_findings

        if self.session is not None:
            self.answers_ready.emit(sync_findings(self.session, plan))

    # ------------------------------------------------------------------ send
    def send(self) -> Job | None:
        session, plan, target = self.session, self.plan, self._env
        if session is None or plan is None or target is None:
            return None
        env, token = target
        if env.is_live or env.name != "practice":
            choice = MessageDialog.ask(
                self.window(), f"Send {plan.requests_to_send} change(s) to {env.label}?",
                "Changed trainees are sent as updates with their complete details; placements and degrees Register "
                "lacks are added; new trainees are created. Nothing is deleted.",
                [Choice("send", "Send"), Choice("cancel", "Cancel", QMessageBox.ButtonRole.RejectRole)], default="cancel")
            if choice != "send":
                return None
        config = self.config

        def work(progress: Progress, cancel: CancelToken) -> Any:
            from desktop.core.journal import Journal
            from desktop.core.sync import run_sync

            with _client(env, token, config) as client, Journal() as journal:
                return run_sync(session, plan, client, journal, progress=progress, token=cancel,
                                settle=config.settle_margin)

        self.send_button.setEnabled(False)
        self.compare_button.setEnabled(False)
        self.running_changed.emit(True)
        self.summary.setText(f"Sending to {env.label}…")
        job = Job(work, label="Sending changes to Register")
        job.signals.succeeded.connect(self._sent)
        job.signals.failed.connect(self._failed)

        def finished() -> None:
            self.compare_button.setEnabled(True)
            self.running_changed.emit(False)

        job.signals.finished.connect(finished)
        return self.jobs.start("sync", job)

    def _sent(self, result: Any) -> None:
        self.result = result
        self.plan = None
        done: dict[str, int] = {}
        for o in result.outcomes:
            key = f"{o.request.replace('_', ' ')} {o.outcome}"
            done[key] = done.get(key, 0) + 1
        text = "Sent: " + (", ".join(f"{n} {k}" for k, n in sorted(done.items())) or "nothing") + "."
        if result.problems:
            text += f" {result.problems} request(s) were not accepted: see the rows marked in the grid."
        if result.receipt_path is not None:
            text += f" Receipt: {result.receipt_path}"
        self.summary.setText(text)
        self.answers_ready.emit(result.findings)

    def _failed(self, exc: object) -> None:
        message = getattr(exc, "message", None) or str(exc)
        self.summary.setText(f"Stopped: {message} Nothing is lost; compare again to carry on.")


class ActionsDialog(QDialog):
    """Withdraw, defer or recommend the trainees of a file."""

    def __init__(self, kind: str, jobs: JobRunner, target: Target, config: AppConfig, *, today: Any = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.kind = kind
        self.jobs = jobs
        self.target = target
        self.config = config
        self.today = today
        self.action_file: Any = None
        self.result: Any = None
        self.setWindowTitle(ACTION_TITLES[kind])
        layout = QVBoxLayout(self)
        intro = QLabel({
            "withdraw": "A file with one row per trainee who leaves: the trainee (HESA ID, your trainee ID or Register's "
                        "id), the withdrawal date, who decided (provider or trainee), the reasons and future interest.",
            "defer": "A file with one row per trainee who defers: the trainee and the defer date (a reason is "
                     "optional). Register's API cannot reinstate a trainee later: that is done in its web service.",
            "recommend": "A file with one row per trainee who met the QTS or EYTS standards: the trainee and the "
                         "date. Register needs the trainee's TRN, enough placements and (on most routes) a degree.",
        }[kind])
        intro.setWordWrap(True)
        layout.addWidget(intro)
        buttons = QHBoxLayout()
        self.template_button = QPushButton("Save a &template…")
        self.open_button = QPushButton("&Choose the file…")
        self.check_button = QPushButton("Check with &Register")
        self.send_button = QPushButton("&Send…")
        for b in (self.template_button, self.open_button, self.check_button, self.send_button):
            buttons.addWidget(b)
        self.check_button.setEnabled(False)
        self.send_button.setEnabled(False)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self.summary = QLabel("Choose the file.")
        self.summary.setWordWrap(True)
        self.summary.setAccessibleName("What the file holds and what Register answered")
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.summary)
        self.table = QTreeWidget()
        self.table.setHeaderLabels(["Row", "Trainee", "Outcome", "Register says", "What to do"])
        self.table.setRootIsDecorated(False)
        self.table.setWordWrap(True)
        self.table.setAccessibleName("Rows and their outcome")
        layout.addWidget(self.table)
        self.detail = QLabel()
        self.detail.setWordWrap(True)
        self.detail.setAccessibleName("The selected row in full")
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.detail)
        self.table.currentItemChanged.connect(
            lambda item, _old: self.detail.setText(
                f"Row {item.text(0)}: {item.text(3)}\n{item.text(4)}".strip() if item is not None else ""))
        close = QPushButton("Close")
        close.clicked.connect(self.reject)
        layout.addWidget(close, 0, Qt.AlignmentFlag.AlignRight)
        self.resize(900, 480)
        self.template_button.clicked.connect(self.save_template)
        self.open_button.clicked.connect(lambda: self.choose())
        self.check_button.clicked.connect(lambda: self.run(dry_run=True))
        self.send_button.clicked.connect(lambda: self.run(dry_run=False))

    def save_template(self) -> Path | None:
        from desktop.base.writer import write_file
        from desktop.core.action_files import template_csv

        path = SaveFileDialog.ask(self, "Save the template", f"{self.kind}.csv", "CSV (*.csv)")
        if path is None:
            return None
        write_file(path, template_csv(self.kind))  # the user's folder: its own permissions
        self.summary.setText(f"Template saved to {path}.")
        return path

    def choose(self, path: Path | None = None) -> None:
        from desktop.core.action_files import open_action_file

        path = path or OpenFileDialog.ask(self)
        if path is None:
            return
        try:
            self.action_file = open_action_file(path, self.kind, today=self.today)
        except Exception as exc:  # noqa: BLE001 - an unreadable file is said in words, never a traceback
            self.summary.setText(getattr(exc, "message", None) or f"The file cannot be read ({type(exc).__name__}).")
            return
        self._show_file()

    def _show_file(self) -> None:
        f = self.action_file
        self.table.clear()
        errors: dict[int, list[str]] = {}
        for x in f.findings:
            if str(x.severity) == "error":
                errors.setdefault(x.row if x.row is not None else -1, []).append(x.message)
        for r in f.rows:
            name, value = r.identity
            problems = errors.get(r.position, [])
            QTreeWidgetItem(self.table, [str(r.source_row), f"{name} {value}".strip(),
                                         "has errors: not sent" if problems else "ready", "", " ".join(problems)])
        ready = len(f.valid_rows)
        file_errors = " ".join(errors.get(-1, []))
        self.summary.setText(f"{f.path.name}: {len(f.rows)} rows, {ready} ready. {file_errors}".strip())
        self.check_button.setEnabled(ready > 0)
        self.send_button.setEnabled(ready > 0)
        self._fit_columns()

    def run(self, *, dry_run: bool) -> Job | None:
        f = self.action_file
        if f is None:
            return None
        target = self.target()
        if target is None:
            return None
        env, token = target
        if not dry_run and env.name != "practice":
            choice = MessageDialog.ask(
                self, f"{ACTION_TITLES[self.kind]} in {env.label}?",
                f"Up to {len(f.valid_rows)} trainee(s). Register's API cannot undo this.",
                [Choice("send", "Send"), Choice("cancel", "Cancel", QMessageBox.ButtonRole.RejectRole)], default="cancel")
            if choice != "send":
                return None
        config = self.config

        def work(progress: Progress, cancel: CancelToken) -> Any:
            from desktop.core.actions import run_actions
            from desktop.core.journal import Journal

            with _client(env, token, config) as client, Journal() as journal:
                return run_actions(f, client, journal, progress=progress, token=cancel, dry_run=dry_run,
                                   settle=config.settle_margin)

        for b in (self.check_button, self.send_button, self.open_button):
            b.setEnabled(False)
        self.summary.setText(f"Reading {env.label}…" if dry_run else f"Sending to {env.label}…")
        job = Job(work, label=ACTION_TITLES[self.kind])
        job.signals.succeeded.connect(self._done)
        job.signals.failed.connect(
            lambda exc: self.summary.setText(f"Stopped: {getattr(exc, 'message', None) or exc} Nothing is lost."))

        def finished() -> None:
            for b in (self.check_button, self.send_button, self.open_button):
                b.setEnabled(True)

        job.signals.finished.connect(finished)
        return self.jobs.start(f"action-{self.kind}", job)

    def _done(self, result: Any) -> None:
        from desktop.core.year_receipts import OUTCOME_WORDS

        self.result = result
        rows = {r.position: r for r in self.action_file.rows}
        self.table.clear()
        for o in sorted(result.outcomes, key=lambda o: o.source_row):
            r = rows.get(o.position)
            who = f"{r.identity[0]} {r.identity[1]}" if r is not None else ""
            said = " | ".join(o.register_messages)
            line = QTreeWidgetItem(self.table, [str(o.source_row), who, OUTCOME_WORDS.get(o.outcome, o.outcome),
                                                said, o.advice])
            line.setToolTip(3, said)
            line.setToolTip(4, o.advice)
        counts: dict[str, int] = {}
        for o in result.outcomes:
            counts[o.outcome] = counts.get(o.outcome, 0) + 1
        text = ", ".join(f"{n} {OUTCOME_WORDS.get(k, k)}" for k, n in counts.items())
        if result.receipt_path is not None:
            text += f". Receipt: {result.receipt_path}"
        self.summary.setText(text)
        self._fit_columns()

    def _fit_columns(self) -> None:
        """Row, trainee and outcome as wide as they need; Register's words and the advice share the rest."""
        for i in range(3):
            self.table.resizeColumnToContents(i)
        self.table.setColumnWidth(3, 320)
