"""Step 4's upload: where to, the token, a connection test, what would be sent, progress, the result.

A controller widget over the Qt-free upload stack (``desktop.core.upload`` and its ``upload_plan``,
``upload_answers``, ``upload_receipts`` and ``connect``), the same one the command line drives: the
plan, the time remaining, the counts and Register's earlier answers are worked out there, and this
panel only shows them. Everything that touches the network or the journal runs in a ``Job``:

* ``plan``: how many rows would be sent now, whether an unfinished batch for this file resumes,
  which rows were already sent before (with date and batch), whether an upload is running in
  another window, and Register's earlier answers for its rows (shown back in the grid);
* ``connection``: ``GET /info`` with the token;
* ``upload``: ``upload_valid_rows`` with a pause switch and the job's cancel token. The journal is
  opened on the job's thread (SQLite connections belong to the thread that opened them); the
  result's findings are handed to the window, which applies them to the session on its thread.

The token is read from the ``CredentialStore`` only when needed (a connection test or an upload),
held in memory only while a job runs, and never shown, logged or written. Practice starts the
local Register simulator in this process, so the whole flow can be rehearsed without a token.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from typing_extensions import override

from desktop.api.environments import NAMED, PRACTICE, Environment, resolve_environment
from desktop.api.errors import AuthenticationError, InvalidEnvironmentError
from desktop.api.ratelimit import RateLimiter
from desktop.core.config import AppConfig, load_config
from desktop.core.connect import make_client, start_practice
from desktop.core.errors import UserFacingError
from desktop.core.journal import Batch, ItemState, Journal
from desktop.core.progress import CancelToken, Progress, format_duration
from desktop.core.receipt import Reconciliation
from desktop.core.secrets import CredentialStore, TokenSource, default_store
from desktop.core.session import ImportSession
from desktop.core.upload import PauseSwitch, RowResult, UploadResult, upload_valid_rows
from desktop.core.upload_answers import plan_answers
from desktop.core.upload_plan import (
    TimeLeft,
    UploadPlan,
    counts_text,
    describe_plan,
    file_sha256,
    plan_upload,
)
from desktop.core.upload_receipts import write_batch_receipt
from desktop.ui.dialogs import (
    AgainRow,
    Choice,
    MessageDialog,
    RegisterAgainDialog,
    SaveFileDialog,
    TokenDialog,
)
from desktop.ui.jobs import Job, JobRunner
from desktop.validation.findings import Findings

logger = logging.getLogger(__name__)

#: the choices of the environment box, in order: (environment name, what the user reads)
ENVIRONMENTS = [
    ("practice", "Practice — a copy of Register on this computer"),
    ("sandbox", "Sandbox — Register's test service"),
    ("production", "Production — real trainee records"),
    ("custom", "Another address…"),
]
ABOUT_ENVIRONMENT = {
    "practice": "Rehearse the whole upload safely: a copy of Register runs on this computer, needs no token and "
                "keeps what you send in the app's data folder. Nothing leaves this computer.",
    "sandbox": "Register's test service: records sent here are not real, but your organisation's sandbox "
               "account keeps them. Needs a sandbox API token.",
    "production": "The live service: every row sent becomes a real trainee record, submitted for TRN at once. "
                  "Register's API cannot delete them. Needs your organisation's API token.",
    "custom": "The address of a Register API, ending /api/v2026.1 (for example a test server your IT desk runs). "
              "It must use https unless it is this computer.",
}
JOB_KINDS = ("upload", "upload-plan", "connection")


# ---------------------------------------------------------------------- plain work (no Qt)
@dataclass(frozen=True)
class PlanInfo:
    """What an upload would do now, and Register's earlier answers that still describe the rows."""

    plan: UploadPlan
    batch: Batch | None  # the batch that would resume
    findings: Findings  # api.* findings for the session's rows
    rate: int
    per: float


def plan_work(session: ImportSession, environment: Environment, config: AppConfig,
              again: Collection[int] = ()) -> Callable[[Progress, CancelToken], PlanInfo]:
    def run(progress: Progress, token: CancelToken) -> PlanInfo:
        progress(0, 0)
        limiter = RateLimiter(config.rate_limit, config.rate_window)
        file_hash = file_sha256(session.raw.path)
        token.raise_if_cancelled()
        with Journal() as journal:
            plan = plan_upload(session, journal, environment, limiter=limiter, file_hash=file_hash, again=again)
            batch = journal.batch(plan.batch_id) if plan.batch_id is not None else None
            findings = plan_answers(session, journal, batch, plan.decisions)
        return PlanInfo(plan=plan, batch=batch, findings=findings, rate=limiter.rate, per=limiter.per)

    return run


def connection_work(environment: Environment, token: str | None, config: AppConfig) -> Callable[[Progress, CancelToken], str]:
    def run(progress: Progress, cancel: CancelToken) -> str:
        progress(0, 0)
        with make_client(environment, token, config) as client:
            client.checkpoint = cancel.raise_if_cancelled
            info = client.info()
        version = info.requested or info.latest or "v2026.1"
        return f"Connected to {environment.label}: Register answered and accepted the token (API {version})."

    return run


def upload_work(session: ImportSession, environment: Environment, token: str | None, config: AppConfig,
                pause: PauseSwitch, on_row: Callable[[RowResult], None],
                again: Collection[int] = ()) -> Callable[[Progress, CancelToken], UploadResult]:
    def run(progress: Progress, cancel: CancelToken) -> UploadResult:
        with Journal() as journal, make_client(environment, token, config) as client:
            return upload_valid_rows(session, client, journal, progress=progress, token=cancel, pause=pause,
                                     on_row=on_row, account=config.account_name, apply_findings=False,
                                     settle=config.settle_margin, again=again)

    return run


# ---------------------------------------------------------------------- the panel
class UploadPanel(QWidget):
    """The controls of the upload; the window applies Register's answers and blocks edits meanwhile."""

    running_changed = Signal(bool)  # an upload started (True) or ended (False)
    answers_ready = Signal(object)  # Findings: Register's answers for the session's rows
    row_done = Signal(object)  # RowResult, emitted from the upload's thread (queued to this one)
    history_requested = Signal()

    def __init__(self, jobs: JobRunner, *, store: CredentialStore | None = None, config: AppConfig | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.jobs = jobs
        self._store = store
        self.config = config or load_config()
        self.session: ImportSession | None = None
        self.plan_info: PlanInfo | None = None
        self.last_result: UploadResult | None = None
        self._plan_stale = True
        self._closing = False
        self._sim: Any = None  # the Practice simulator, started on first need
        self._practice_env: Environment | None = None
        self._pause: PauseSwitch | None = None
        self._time_left: TimeLeft | None = None
        self._live: dict[str, int] = {}
        self._running_env: Environment | None = None
        self._upload_job: Job | None = None
        #: spreadsheet rows to register a second time on purpose, for the next upload only (``--register-again``)
        self.again: set[int] = set()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        form = QFormLayout()
        self.env_combo = QComboBox()
        for name, text in ENVIRONMENTS:
            self.env_combo.addItem(text, name)
        self.env_combo.setAccessibleName("Where to send the rows")
        self.env_combo.setMaximumWidth(self.env_combo.fontMetrics().averageCharWidth() * 60)
        form.addRow("&Send to:", self.env_combo)
        self.custom_url = QLineEdit()
        self.custom_url.setPlaceholderText("https://register.example/api/v2026.1")
        self.custom_url.setAccessibleName("Register API address")
        self.custom_label = QLabel("&Address:")
        self.custom_label.setBuddy(self.custom_url)
        form.addRow(self.custom_label, self.custom_url)
        self.env_note = QLabel()
        self.env_note.setWordWrap(True)
        self.env_note.setAccessibleName("About this environment")
        form.addRow(self.env_note)

        token_row = QHBoxLayout()
        self.token_label = QLabel()
        self.token_label.setWordWrap(True)
        self.token_label.setAccessibleName("API token")
        token_row.addWidget(self.token_label, 1)
        self.set_token_button = QPushButton("Set &token…")
        self.forget_token_button = QPushButton("&Forget token")
        token_row.addWidget(self.set_token_button)
        token_row.addWidget(self.forget_token_button)
        self.token_caption = QLabel("API token:")
        form.addRow(self.token_caption, token_row)

        test_row = QHBoxLayout()
        self.test_button = QPushButton("Test &connection")
        self.test_button.setToolTip("Asks Register's /info with the token; sends no trainee")
        test_row.addWidget(self.test_button)
        self.connection_label = QLabel()
        self.connection_label.setWordWrap(True)
        self.connection_label.setAccessibleName("Connection test result")
        self.connection_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        test_row.addWidget(self.connection_label, 1)
        form.addRow(test_row)
        layout.addLayout(form)

        self.plan_label = QLabel("Open a file and check it first.")
        self.plan_label.setWordWrap(True)
        self.plan_label.setTextFormat(Qt.TextFormat.RichText)
        self.plan_label.setAccessibleName("What would be sent")
        layout.addWidget(self.plan_label)

        run_row = QHBoxLayout()
        self.upload_button = QPushButton("&Upload…")
        self.upload_button.setEnabled(False)
        run_row.addWidget(self.upload_button)
        self.again_button = QPushButton("Register a&gain…")
        self.again_button.setToolTip("A genuine second registration of a trainee already sent (a withdrawal and a new "
                                     "course in the same year): choose the rows; recorded in the ledger and the receipt")
        self.again_button.hide()
        run_row.addWidget(self.again_button)
        self.pause_button = QPushButton("&Pause")
        self.pause_button.setCheckable(True)
        self.pause_button.setToolTip("Stops between two requests; nothing is lost")
        self.cancel_button = QPushButton("Stop")
        self.cancel_button.setToolTip("Stops after the request on its way; upload again later to resume")
        self.cancel_button.setAccessibleName("Stop the upload")
        for b in (self.pause_button, self.cancel_button):
            b.hide()
            run_row.addWidget(b)
        run_row.addStretch(1)
        self.history_button = QPushButton("Upload &history…")
        self.receipt_button = QPushButton("Export &receipt…")
        self.receipt_button.setEnabled(False)
        run_row.addWidget(self.receipt_button)
        run_row.addWidget(self.history_button)
        layout.addLayout(run_row)

        self.progress = QProgressBar()
        self.progress.setAccessibleName("Upload progress")
        self.progress.setFormat("%v of %m rows")
        self.progress.hide()
        layout.addWidget(self.progress)
        self.progress_label = QLabel()
        self.progress_label.setAccessibleName("Upload status")
        self.progress_label.setWordWrap(True)
        self.progress_label.hide()
        layout.addWidget(self.progress_label)

        self.result_label = QLabel()
        self.result_label.setWordWrap(True)
        self.result_label.setTextFormat(Qt.TextFormat.RichText)
        self.result_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.result_label.setAccessibleName("Upload result")
        self.result_label.hide()
        layout.addWidget(self.result_label)

        self.env_combo.currentIndexChanged.connect(self._environment_changed)
        self.custom_url.editingFinished.connect(self._custom_url_changed)
        self.set_token_button.clicked.connect(lambda: self.ask_token())
        self.forget_token_button.clicked.connect(self.forget_token)
        self.test_button.clicked.connect(self.test_connection)
        self.upload_button.clicked.connect(self.start_upload)
        self.again_button.clicked.connect(self.choose_again)
        self.pause_button.toggled.connect(self._pause_toggled)
        self.cancel_button.clicked.connect(self.cancel_upload)
        self.receipt_button.clicked.connect(self.export_receipt)
        self.history_button.clicked.connect(self.history_requested)
        self.row_done.connect(self._row_done)

        self._select_configured_environment()
        self._environment_changed()

    # ------------------------------------------------------------------ environment and token
    @property
    def store(self) -> CredentialStore:
        if self._store is None:
            self._store = default_store()  # the keychain is touched on first need, not at start
        return self._store

    def _select_configured_environment(self) -> None:
        chosen = (self.config.environment or "practice").strip()
        i = self.env_combo.findData(chosen.lower())
        if i < 0:
            i = self.env_combo.findData("custom")
            self.custom_url.setText(chosen)
        self.env_combo.blockSignals(True)
        self.env_combo.setCurrentIndex(i)
        self.env_combo.blockSignals(False)

    def environment_name(self) -> str:
        return str(self.env_combo.currentData())

    def set_environment(self, name: str, url: str = "") -> None:
        """Choose an environment by name (``practice``, ``sandbox``, ``production`` or ``custom`` with ``url``)."""
        if name == "custom":
            self.custom_url.setText(url)
        i = self.env_combo.findData(name)
        if i == self.env_combo.currentIndex():
            self._environment_changed()
        else:
            self.env_combo.setCurrentIndex(i)

    def environment(self) -> Environment | None:
        """The chosen environment, or None when the custom address is not a Register address."""
        name = self.environment_name()
        if name != "custom":
            return NAMED[name]
        try:
            return resolve_environment(self.custom_url.text())
        except InvalidEnvironmentError:
            return None

    def _environment_changed(self, *_: object) -> None:
        name = self.environment_name()
        custom = name == "custom"
        self.custom_url.setVisible(custom)
        self.custom_label.setVisible(custom)
        self.env_note.setText(ABOUT_ENVIRONMENT[name])
        self.connection_label.clear()
        self._forget_result()
        self._update_token_label(read=False)
        self._save_choice()
        self.invalidate_plan()

    def _forget_result(self) -> None:
        """Another environment: the last upload's result (and its batch) no longer describe what is shown."""
        self.last_result = None
        self.again = set()  # a second registration is asked for one environment's trainees
        self.result_label.clear()
        self.result_label.hide()
        self.receipt_button.setEnabled(False)

    def _custom_url_changed(self) -> None:
        if self.environment_name() != "custom":
            return
        text = self.custom_url.text().strip()
        if text:
            try:
                resolve_environment(text)
            except InvalidEnvironmentError as exc:
                self.env_note.setText(f"<b>{exc.message}</b>")
                self.invalidate_plan()
                return
        self.env_note.setText(ABOUT_ENVIRONMENT["custom"])
        self._update_token_label(read=False)
        self._save_choice()
        self.invalidate_plan()

    def _save_choice(self) -> None:
        name = self.environment_name()
        value = self.custom_url.text().strip() if name == "custom" else name
        if not value or value == self.config.environment:
            return
        self.config.environment = value
        try:  # only the choice changes on disk: pacing and timeouts stay as the settings file has them
            from desktop.core.config import save_config

            on_disk = load_config()
            on_disk.environment = value
            save_config(on_disk)
        except (OSError, ValueError) as exc:  # a read-only profile folder: the choice lasts this session
            logger.info("environment choice not saved (%s)", type(exc).__name__)

    def _update_token_label(self, *, read: bool, source: TokenSource | None = None) -> None:
        env = self.environment()
        needs_token = env is not None and env.name != "practice"
        for w in (self.token_caption, self.token_label, self.set_token_button, self.forget_token_button):
            w.setVisible(needs_token)
        if not needs_token or env is None:
            return
        if source is None and read:
            _token, source = self.store.get(env.key, token_env=self.config.token_env)
        if source is None:
            self.token_label.setText("Read from your keychain when you test the connection or upload.")
            return
        if source.kind == "none":
            self.token_label.setText(f"No token saved for {env.label}: you will be asked for it.")
        elif source.kind == "session":
            self.token_label.setText("Kept in memory for this session only: this computer has no keychain the app "
                                     "can use, so you will be asked again next time.")
        elif source.kind == "environment":
            self.token_label.setText(f"Taken from the {source.variable} environment variable.")
        else:
            self.token_label.setText("Saved in your keychain (never shown or written to a file).")
        self.forget_token_button.setEnabled(source.kind in ("keychain", "session"))

    def ask_token(self, reason: str = "") -> str | None:
        """Ask for a token for the chosen environment and keep it in the keychain (or memory); None if not given."""
        env = self.environment()
        if env is None or env.name == "practice":
            return None
        where = ("It is saved in your keychain for next time." if self.store.is_secure else
                 "This computer has no keychain the app can use: the token is kept in memory until you close the app.")
        if reason:
            where = f"{reason} {where}"
        token = TokenDialog.ask(self.window(), env.label, where)
        if not token:
            return None
        try:
            source = self.store.set(env.key, token)
        except UserFacingError as exc:
            MessageDialog.inform(self.window(), exc.title, exc.message, icon=QMessageBox.Icon.Warning)
            return None
        self._update_token_label(read=False, source=source)
        return token

    def forget_token(self) -> None:
        env = self.environment()
        if env is None or env.name == "practice":
            return
        had = self.store.delete(env.key)
        self._update_token_label(read=False, source=TokenSource("none"))
        self.connection_label.setText("Token forgotten." if had else "There was no saved token.")

    def _token_for(self, env: Environment) -> str | None:
        """The token for ``env``: asked for when none is saved. None when the user gave none."""
        token, source = self.store.get(env.key, token_env=self.config.token_env)
        self._update_token_label(read=False, source=source)
        return token or self.ask_token()

    def practice(self) -> tuple[Environment, str]:
        """The running Practice simulator's environment and token (started on first need)."""
        if self._sim is None or not self._sim.running:
            today = getattr(self.session, "today", None) if self.session is not None else None
            self._sim, self._practice_env = start_practice(rate_limit=self.config.rate_limit,
                                                           window=self.config.rate_window, today=today)
        assert self._practice_env is not None
        return self._practice_env, str(self._sim.token)

    def _target(self) -> tuple[Environment, str | None] | None:
        """Where to send and with which token; asks for what is missing. None when the user backed out."""
        env = self.environment()
        if env is None:
            MessageDialog.inform(self.window(), "That is not a Register address", ABOUT_ENVIRONMENT["custom"],
                                 icon=QMessageBox.Icon.Warning)
            return None
        if env.name == "practice":
            return self.practice()
        token = self._token_for(env)
        if not token:
            return None
        return env, token

    # ------------------------------------------------------------------ session and plan
    def set_session(self, session: ImportSession | None) -> None:
        self.session = session
        self.plan_info = None
        self.again = set()
        self._forget_result()
        self.invalidate_plan()

    def invalidate_plan(self) -> None:
        """The session or the environment changed: the plan is recomputed when the panel is next seen."""
        self._plan_stale = True
        self.upload_button.setEnabled(False)
        if self.isVisible():
            self.refresh_plan()

    @override
    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._plan_stale:
            self.refresh_plan()

    @property
    def running(self) -> bool:
        return self._upload_job is not None

    def refresh_plan(self) -> Job | None:
        if self.running or self._closing:
            return None
        self._plan_stale = False
        self.upload_button.setEnabled(False)
        session = self.session
        if session is None:
            self.plan_label.setText("Open a file and check it first.")
            return None
        if session.has_file_errors():
            self.plan_label.setText("<b>The file itself has a problem</b> (see Problems, 'This file'): nothing can be "
                                    "sent until it is fixed.")
            return None
        env = self.environment()
        if env is None:
            self.plan_label.setText("Give the address of a Register API to see what would be sent.")
            return None
        plan_env = PRACTICE if env.name == "practice" else env  # the batch is Practice's whatever its port
        self.plan_label.setText("Working out what to send…")
        job = Job(plan_work(session, plan_env, self.config, frozenset(self.again)), label="Working out what to send")
        job.signals.succeeded.connect(lambda info, s=session: self._planned(info, s))
        job.signals.failed.connect(self._plan_failed)
        return self.jobs.start("upload-plan", job)

    def _planned(self, info: PlanInfo, session: ImportSession) -> None:
        if session is not self.session:
            return
        self.plan_info = info
        plan = info.plan
        env = self.environment()
        label = env.label if env is not None else plan.environment.label
        parts = []
        just_sent = self.last_result is not None and info.batch is not None and self.last_result.batch_id == info.batch.id
        if info.batch is not None and not just_sent and info.batch.sent:
            how = "partly uploaded" if info.batch.outstanding else "uploaded"
            parts.append(f"<p><b>This file was {how} to {label} before</b> (batch {info.batch.id}, "
                         f"{info.batch.created_at[:16].replace('T', ' ')} UTC): {counts_text(info.batch.counts)}.</p>")
        if plan.running is not None:
            parts.append(f"<p><b>{plan.running.describe()[0].upper()}{plan.running.describe()[1:]}.</b> Only one "
                         f"upload, sync or action at a time may send to {label}: wait for it to finish, then look "
                         "here again.</p>")
        again = sorted(d.row.source_row for d in plan.decisions if d.action == "again")
        if again:
            parts.append(f"<p><b>{len(again)} row(s) will be registered a second time on purpose</b> (row "
                         f"{', '.join(map(str, again))}): each is sent as a new trainee with this upload only, and the "
                         "ledger and the receipt record it.</p>")
        for line in describe_plan(plan)[1 if plan.running is not None else 0:]:
            if not line.startswith("Resuming"):
                parts.append(f"<p>{line}</p>")
        if plan.nothing_to_send:
            if plan.valid_rows:
                parts.append(f"<p>Every row ready to send already has Register's answer in batch {plan.batch_id}. "
                             "Nothing more to send from this file; Upload history shows the receipt.</p>")
            else:
                parts.append("<p>No row is ready to send yet: fix the rows with errors first.</p>")
        else:
            per = f"{info.rate} requests per {info.per:g} s"
            eta = "under a minute" if plan.estimated_seconds < 60 else f"about {format_duration(plan.estimated_seconds)}"
            what = "Resume: " if plan.resuming else ""
            pace = "Register's limit of" if (info.rate, info.per) == (100, 60.0) else "the configured rate of"
            parts.append(f"<p><b>{what}{plan.to_send:,} row(s) to send to {label}</b> — {eta} at {pace} {per}.")
            if plan.already_done:
                parts.append(f" {plan.already_done:,} row(s) already have Register's answer and are not sent again.")
            if plan.invalid_rows:
                parts.append(f" {plan.invalid_rows:,} row(s) with errors are left out until fixed.")
            parts.append("</p>")
        self.plan_label.setText("".join(parts))
        n = plan.to_send
        if n == 0:
            self.upload_button.setText("&Upload")
        else:
            self.upload_button.setText(("&Resume: send " if plan.resuming else "&Upload ") + f"{n:,} row{'s' if n != 1 else ''}…")
        self.upload_button.setEnabled((n > 0 or plan.to_check > 0) and plan.running is None)
        self.again_button.setVisible(bool(plan.already_sent or again))
        self.again_button.setEnabled(plan.running is None)
        self.receipt_button.setEnabled(info.batch is not None)
        if len(info.findings) or (self.session is not None and self.session.has_api_findings):
            self.answers_ready.emit(info.findings)

    def _plan_failed(self, exc: object) -> None:
        if isinstance(exc, UserFacingError):
            self.plan_label.setText(f"<b>{exc.title}.</b> {exc.message}")
        else:
            logger.error("planning the upload failed: %s", type(exc).__name__,
                         exc_info=exc if isinstance(exc, BaseException) else None)
            self.plan_label.setText("<b>What would be sent could not be worked out.</b> Details are in the log file.")

    def again_rows(self) -> list[AgainRow]:
        """Rows whose trainee the ledger holds (sent from this or another file), as the plan found them."""
        if self.plan_info is None:
            return []
        return [AgainRow(d.row.source_row, d.entry.describe()) for d in self.plan_info.plan.decisions
                if d.action in ("already_sent", "again") and d.entry is not None]

    def choose_again(self) -> set[int] | None:
        """Ask which already-sent rows to register a second time (for the next upload only)."""
        rows = self.again_rows()
        if not rows or self.running:
            return None
        chosen = RegisterAgainDialog.ask(self.window(), rows, set(self.again))
        if chosen is None:
            return None
        self.again = chosen
        self.invalidate_plan()
        return chosen

    # ------------------------------------------------------------------ connection test
    def test_connection(self) -> Job | None:
        target = self._target()
        if target is None:
            return None
        env, token = target
        self.test_button.setEnabled(False)
        self.connection_label.setText(f"Asking {env.label}…")
        job = Job(connection_work(env, token, self.config), label="Testing the connection")
        job.signals.succeeded.connect(self.connection_label.setText)
        job.signals.failed.connect(self._connection_failed)
        job.signals.finished.connect(lambda: self.test_button.setEnabled(True))
        return self.jobs.start("connection", job)

    def _connection_failed(self, exc: object) -> None:
        if isinstance(exc, AuthenticationError):
            self.connection_label.setText("Register did not accept the token. Set a new one with 'Set token…'.")
        elif isinstance(exc, UserFacingError):
            self.connection_label.setText(f"{exc.title}: {exc.message}")
        else:
            logger.error("connection test failed: %s", type(exc).__name__)
            self.connection_label.setText(f"The connection test failed ({type(exc).__name__}).")

    # ------------------------------------------------------------------ upload
    def start_upload(self) -> Job | None:
        session, info = self.session, self.plan_info
        if session is None or info is None or self.running or info.plan.nothing_to_send:
            return None
        env = self.environment()
        if env is None:
            return None
        n = info.plan.to_send
        if env.name != "practice" and not self._confirm(env, n):
            return None
        target = self._target()
        if target is None:
            return None
        env, token = target
        self._pause = PauseSwitch()
        self._time_left = TimeLeft(info.plan.estimated_seconds)
        self._live = {}
        self._running_env = env
        job = Job(upload_work(session, env, token, self.config, self._pause, self.row_done.emit,
                              frozenset(self.again)), label=f"Sending to {env.label}")
        job.signals.progress.connect(self._progress)
        job.signals.succeeded.connect(self._uploaded)
        job.signals.failed.connect(self._upload_failed)
        job.signals.cancelled.connect(self._upload_cancelled)
        job.signals.finished.connect(self._upload_finished)
        self._upload_job = job
        self._set_running(True, n)
        return self.jobs.start("upload", job)

    def _confirm(self, env: Environment, n: int) -> bool:
        rows = f"{n:,} trainee{'s' if n != 1 else ''}"
        if env.is_live:
            detail = ("These become real trainee records, submitted for TRN at once. Register's API cannot delete "
                      "them. Rows already sent from this file are never sent twice.")
        else:
            detail = f"{env.label} keeps what is sent. Rows already sent from this file are never sent twice."
        if self.again:
            detail += (f" Except the {len(self.again)} row(s) you chose to register a second time on purpose "
                       f"(row {', '.join(map(str, sorted(self.again)))}): recorded in the ledger and the receipt.")
        choice = MessageDialog.ask(
            self.window(), f"Send to {env.label}?", f"Send {rows} to {env.label} ({env.base_url})?",
            [Choice("send", f"Send {rows}"), Choice("cancel", "Cancel", QMessageBox.ButtonRole.RejectRole)],
            detail=detail, icon=QMessageBox.Icon.Warning if env.is_live else QMessageBox.Icon.Question,
            default="cancel" if env.is_live else "send")
        return choice == "send"

    def _set_running(self, running: bool, n: int = 0) -> None:
        for w in (self.env_combo, self.custom_url, self.set_token_button, self.forget_token_button,
                  self.test_button, self.upload_button, self.receipt_button, self.again_button):
            w.setEnabled(not running)
        for shown in (self.pause_button, self.cancel_button, self.progress, self.progress_label):
            shown.setVisible(running)
        if running:
            self.pause_button.blockSignals(True)
            self.pause_button.setChecked(False)
            self.pause_button.setText("&Pause")
            self.pause_button.blockSignals(False)
            self.cancel_button.setEnabled(True)
            self.progress.setRange(0, max(1, n))
            self.progress.setValue(0)
            self.progress_label.setText("Connecting…")
            self.result_label.hide()
        self.running_changed.emit(running)

    def _row_done(self, row: RowResult) -> None:
        self._live[row.state] = self._live.get(row.state, 0) + 1

    def _progress(self, done: int, total: int) -> None:
        if total <= 0 or self._time_left is None:
            return
        self.progress.setRange(0, total)
        self.progress.setValue(done)
        left = self._time_left.words(done, total)
        live = (f"{self._live.get(ItemState.CREATED, 0):,} created, {self._live.get(ItemState.ALREADY, 0):,} already "
                f"registered, {self._live.get(ItemState.REJECTED, 0):,} rejected so far")
        if self._pause is not None and self._pause.paused:
            self.progress_label.setText(f"Paused after {done:,} of {total:,} rows — {live}. Nothing is being sent.")
        elif done >= total:
            self.progress_label.setText(f"All {total:,} rows answered — {live}. Checking them against Register…")
        else:
            self.progress_label.setText(f"{done:,} of {total:,} rows — {left} — {live}.")

    def _pause_toggled(self, paused: bool) -> None:
        if self._pause is None:
            return
        if paused:
            self._pause.pause()
            if self._time_left is not None:
                self._time_left.pause()
            self.pause_button.setText("&Resume")
            self.progress_label.setText(f"Pausing after the request on its way… {self.progress.value():,} of "
                                        f"{self.progress.maximum():,} rows answered.")
        else:
            if self._time_left is not None:
                self._time_left.resume()
            self._pause.resume()
            self.pause_button.setText("&Pause")
            self.progress_label.setText("Resumed.")

    @property
    def paused(self) -> bool:
        return self._pause is not None and self._pause.paused

    def pause(self) -> None:
        self.pause_button.setChecked(True)

    def resume(self) -> None:
        self.pause_button.setChecked(False)

    def cancel_upload(self) -> None:
        job = self._upload_job
        if job is None:
            return
        job.cancel()
        self.cancel_button.setEnabled(False)
        self.progress_label.setText("Stopping after the request on its way…")
        if self._pause is not None:
            self._pause.resume()  # a paused upload must wake up to see the cancel

    def _uploaded(self, result: UploadResult) -> None:
        self.last_result = result
        self.again = set()  # the override is for one upload of those rows, not a standing licence
        self.answers_ready.emit(result.findings)
        env = self._running_env or result.environment
        lines = [f"<p><b>Batch {result.batch_id} to {env.label}:</b> {counts_text(result.counts)}.</p>"]
        if result.rejected:
            lines.append(f"<p>{result.rejected:,} row(s) rejected: each is marked in the grid with Register's message. "
                         "Fix them in the Review step and upload again: only those rows are sent.</p>")
        if result.already_registered:
            lines.append(f"<p>{result.already_registered:,} row(s) were already in Register and were not added again "
                         "(marked as warnings in the grid).</p>")
        if result.rate_limited:
            lines.append(f"<p>Register asked us to slow down {result.rate_limited} time(s); the upload waited as "
                         "asked.</p>")
        if result.looked_up:
            lines.append(f"<p>{result.looked_up} row(s) whose answer was lost on the way were confirmed in Register, "
                         "not created twice.</p>")
        if result.reconciliation is not None:
            lines.append(f"<p>Checked against Register: {result.reconciliation.describe()}.</p>")
        if result.receipt_path is not None:
            lines.append(f"<p>Receipt kept at {result.receipt_path}.</p>")
        self._show_result("".join(lines))

    def _upload_failed(self, exc: object) -> None:
        if isinstance(exc, AuthenticationError):
            env = self._running_env
            self._show_result(f"<p><b>{exc.title}.</b> {exc.message}</p>")
            if env is not None and env.name != "practice":
                _token, source = self.store.get(env.key, token_env=self.config.token_env)
                if source.kind == "environment":
                    MessageDialog.inform(self.window(), exc.title, f"{exc.message} The token comes from the {source.variable} "
                                         "environment variable: change it there.", icon=QMessageBox.Icon.Warning)
                else:
                    self.store.delete(env.key)
                    self.ask_token("Register did not accept the last token. Paste a new one, then upload again to "
                                   "resume.")
            return
        if isinstance(exc, UserFacingError):
            self._show_result(f"<p><b>{exc.title}.</b> {exc.message}</p>")
            MessageDialog.inform(self.window(), exc.title, exc.message, icon=QMessageBox.Icon.Warning)
            return
        logger.error("the upload failed: %s", type(exc).__name__, exc_info=exc if isinstance(exc, BaseException) else None)
        self._show_result("<p><b>The upload stopped on an unexpected problem.</b> Everything sent so far is recorded: "
                          "upload again to resume; nothing will be sent twice. Details are in the log file.</p>")

    def _upload_cancelled(self) -> None:
        self._show_result("<p><b>Stopped.</b> Everything sent so far is recorded. Upload again to resume: nothing "
                          "will be sent twice.</p>")

    def _upload_finished(self) -> None:
        self._upload_job = None
        self._pause = None
        self._time_left = None
        self._set_running(False)
        if not self._closing:
            self.refresh_plan()

    def _show_result(self, text: str) -> None:
        self.result_label.setText(text)
        self.result_label.show()

    # ------------------------------------------------------------------ receipts
    def export_receipt(self) -> Path | None:
        """Save the receipt of this file's batch (the last upload's, or the one that would resume)."""
        session = self.session
        batch_id = self.last_result.batch_id if self.last_result is not None else (
            self.plan_info.batch.id if self.plan_info is not None and self.plan_info.batch is not None else None)
        if session is None or batch_id is None:
            return None
        reconciliation: Reconciliation | None = self.last_result.reconciliation if self.last_result else None
        suggested = f"{Path(session.raw.path).stem}-receipt-{batch_id}.csv"
        path = SaveFileDialog.ask(self.window(), "Export receipt", str(Path(session.raw.path).parent / suggested),
                                  "CSV (*.csv);;Excel workbook (*.xlsx)")
        if path is None:
            return None
        ids = {int(session.source_rows[p]): session.row(int(p))["provider_trainee_id"]
               for p in range(session.n_rows)}
        try:
            with Journal() as journal:
                batch = journal.batch(batch_id)
                if batch is None:
                    raise UserFacingError("That upload is no longer in the journal (it was deleted).",
                                          title="No receipt")
                written = write_batch_receipt(journal, batch, path=path, provider_ids=ids,
                                              reconciliation=reconciliation)
        except UserFacingError as exc:
            MessageDialog.inform(self.window(), exc.title, exc.message, icon=QMessageBox.Icon.Warning)
            return None
        except OSError as exc:
            MessageDialog.inform(self.window(), "Receipt not saved", f"{path} could not be written: "
                                 f"{exc.strerror or type(exc).__name__}.", icon=QMessageBox.Icon.Warning)
            return None
        self.result_label.setText(self.result_label.text() + f"<p>Receipt saved to {written}.</p>")
        self.result_label.show()
        return written

    # ------------------------------------------------------------------ closing
    def shutdown(self) -> None:
        """The window is closing: no new work; a running upload stops after the request on its way."""
        self._closing = True
        job = self._upload_job
        if job is not None:
            job.cancel()
        if self._pause is not None:
            self._pause.resume()  # a paused upload must wake up to see the cancel

    def stop_practice(self) -> None:
        """Stop the Practice simulator (after the jobs using it have ended)."""
        if self._sim is not None:
            self._sim.stop()
            self._sim = None


