"""The main window: the four steps, menus, toolbar, status bar, jobs, autosave and recovery.

Event flow (the window never reaches past the session into pandas):

1. Open (menu, toolbar, drop, recent, command line): a ``load`` job reads the file and suggests a
   mapping; the Map step shows it.
2. Map: "Continue" starts a ``prepare`` job that builds a fresh session with the mapping and
   value maps, re-applies any earlier edits and validates every row; the Review step shows it.
3. Review: each edit is one undoable command; ``ImportSession.apply_edits`` revalidates the rows
   at once; the grid, problems, filter and counts follow. Work is autosaved as it changes.
4. Upload / Export: Register's CSV (clean rows only), the error report, and the upload panel
   (``upload_panel.py``): while an upload runs the grid is read-only; Register's answers come back
   as ``api.*`` findings on the rows and cells, and an edit of such a row clears them. Closing asks
   about unsaved work and a running upload, cancels running jobs and waits for them.

Nothing touches the network until the user asks: a connection test, an upload, or Help → Refresh
reference data (``GET /reference-data``; the lists are cached in the data folder and used from then on).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QSize, Qt, Signal
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QDragEnterEvent,
    QDropEvent,
    QIcon,
    QKeySequence,
    QStatusTipEvent,
    QUndoStack,
)
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QStackedWidget,
    QStyle,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)
from typing_extensions import override

from desktop import __version__
from desktop.core.config import AppConfig, load_config
from desktop.core.draft import MappingDraft
from desktop.core.errors import UserFacingError
from desktop.core.mapping import Mapping
from desktop.core.profiles import ProfileStore
from desktop.core.progress import CancelToken, Progress
from desktop.core.samples import sample_path
from desktop.core.secrets import CredentialStore
from desktop.core.session import ImportSession
from desktop.core.values import ValueOptions
from desktop.ui import autosave
from desktop.ui.commands import attach_undo, history_of, restore_history
from desktop.ui.dialogs import (
    AboutDialog,
    Choice,
    CopyDialog,
    DeleteDataDialog,
    ErrorReportDialog,
    MessageDialog,
    OpenFileDialog,
    SaveFileDialog,
    TextDialog,
)
from desktop.ui.guide import FieldGuideWindow, personal_fields
from desktop.ui.jobs import Job, JobRunner
from desktop.ui.pages.export_page import ExportPage
from desktop.ui.pages.mapping_page import MappingPage
from desktop.ui.pages.open_page import OpenPage
from desktop.ui.pages.review_page import ReviewPage
from desktop.ui.reference_browser import ReferenceBrowser
from desktop.ui.reports import write_error_report
from desktop.ui.status_bar import StatusBar
from desktop.ui.table_model import FrameTableModel
from desktop.ui.theme import icon
from desktop.ui.ui_state import UiState
from desktop.ui.workflow import Loaded, Prepared, export_register_csv, load, prepare, reference_lists
from desktop.validation.codelists import CodeLists
from desktop.validation.template import load_template

if TYPE_CHECKING:
    from desktop.ui.upload_panel import UploadPanel

logger = logging.getLogger(__name__)

OPEN, MAP, REVIEW, EXPORT = range(4)
STEP_NAMES = ["Open", "Map", "Review", "Upload / Export"]


class StepBar(QWidget):
    """The four steps as buttons: where you are, and where you can go."""

    step_chosen = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 2)
        self.buttons: list[QToolButton] = []
        for i, name in enumerate(STEP_NAMES):
            if i:
                arrow = QLabel("→")
                arrow.setAccessibleName("then")
                layout.addWidget(arrow)
            b = QToolButton()
            b.setText(f"&{i + 1}  {name}")
            b.setCheckable(True)
            b.setAutoExclusive(True)
            b.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            b.setAccessibleName(f"Step {i + 1} of 4: {name}")
            b.setToolTip(f"Ctrl+{i + 1}")
            font = b.font()
            font.setPointSizeF(font.pointSizeF() * 1.1)
            b.setFont(font)
            b.clicked.connect(lambda _checked=False, step=i: self.step_chosen.emit(step))
            layout.addWidget(b)
            self.buttons.append(b)
        layout.addStretch(1)

    def set_current(self, step: int) -> None:
        self.buttons[step].setChecked(True)
        for i, b in enumerate(self.buttons):
            font = b.font()
            font.setBold(i == step)
            b.setFont(font)

    def set_reachable(self, last: int) -> None:
        for i, b in enumerate(self.buttons):
            b.setEnabled(i <= last)


class MainWindow(QMainWindow):
    file_ready = Signal()  # a file was validated and the review is showing

    def __init__(self, *, today: dt.date | None = None, ui_state: UiState | None = None,
                 jobs: JobRunner | None = None, autosave_file: Path | None = None,
                 credential_store: CredentialStore | None = None, config: AppConfig | None = None) -> None:
        super().__init__()
        self._today_fixed = today
        self.template = load_template()
        self.code_lists = reference_lists(self.template.version)  # refreshed lists when the user fetched some
        self.config = config or load_config()
        self.ui_state = ui_state or UiState()
        self.jobs = jobs or JobRunner(parent=self)
        self.autosave_file = autosave_file or autosave.autosave_path()
        self.undo_stack = QUndoStack(self)
        self.loaded: Loaded | None = None
        self.session: ImportSession | None = None
        self.model: FrameTableModel | None = None
        self.current_file: Path | None = None
        self._pending_edits: dict[tuple[int, str], str] = {}
        self._pending_mapping: Mapping | None = None
        self._pending_options: ValueOptions | None = None
        self._pending_history: tuple[list[autosave.HistoryStep], int] | None = None  # recovery: the grid's undo steps
        self._dirty = False
        self._browser: ReferenceBrowser | None = None
        self._guide_window: FieldGuideWindow | None = None
        self._window_jobs: set[str] = set()  # kinds whose progress the status bar shows
        self.uploading = False

        self.setWindowTitle("Register Desktop")
        self.setWindowIcon(icon("app"))
        self.setAcceptDrops(True)
        self.resize(1280, 800)

        central = QWidget()
        outer = QVBoxLayout(central)
        outer.setContentsMargins(0, 0, 0, 0)
        self.steps = StepBar()
        self.steps.step_chosen.connect(self.go_to)
        outer.addWidget(self.steps)
        self.stack = QStackedWidget()
        try:
            sample: Path | None = sample_path()
        except (OSError, ValueError):
            sample = None
        self.open_page = OpenPage(sample)
        self.open_page.open_requested.connect(self.open_dialog)
        self.open_page.file_chosen.connect(self.open_file)
        self.mapping_page = MappingPage(self.template, self.code_lists, self.today)
        self.mapping_page.continue_requested.connect(self.accept_mapping)
        self.mapping_page.save_profile_requested.connect(self.save_profile)
        self.mapping_page.code_list_requested.connect(self.show_reference)
        self.mapping_page.sheet_changed.connect(self._sheet_changed)
        self.review_page = ReviewPage(self.template, self.code_lists, self.jobs, self.today)
        self.review_page.counts_changed.connect(self._update_status)
        self.review_page.code_list_requested.connect(self.show_reference)
        self.review_page.mapping_field_requested.connect(self._show_mapping_field)
        self.export_page = ExportPage()
        self.export_page.export_csv_requested.connect(self.export_csv)
        self.export_page.export_report_requested.connect(self.export_report)
        self.export_page.copy_requested.connect(self.save_copy)
        self.export_page.back_requested.connect(lambda: self.go_to(REVIEW))
        self._credential_store = credential_store
        self._upload_panel: UploadPanel | None = None  # built on first need: keeps the HTTP stack out of start-up
        self._sync_panel: Any = None  # "Send to Register" (sync), built with the upload panel
        for page in (self.open_page, self.mapping_page, self.review_page, self.export_page):
            self.stack.addWidget(page)
        outer.addWidget(self.stack, 1)
        self.setCentralWidget(central)

        self._make_actions()
        self._make_menus()
        self._make_toolbar()
        self._make_status_bar()

        self.undo_stack.cleanChanged.connect(self._update_title)
        self.undo_stack.indexChanged.connect(self._changed)
        for signal in (self.undo_stack.canUndoChanged, self.undo_stack.canRedoChanged,
                       self.undo_stack.undoTextChanged, self.undo_stack.redoTextChanged,
                       self.mapping_page.history_changed):
            signal.connect(self._update_undo_actions)
        self.jobs.busy_changed.connect(self._busy_changed)

        self.open_page.set_recent(self.ui_state.recent_files())
        self._refresh_recent_menu()
        geometry = self.ui_state.blob("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        self.go_to(OPEN)
        self._update_status()

    # ------------------------------------------------------------------ setup
    def today(self) -> dt.date:
        return self._today_fixed or dt.datetime.now(dt.UTC).date()

    def _action(self, text: str, slot: Callable[[], object], shortcut: QKeySequence | QKeySequence.StandardKey | str | None = None,
                icon_name: str | None = None, tip: str = "", theme: tuple[str, QStyle.StandardPixmap] | None = None) -> QAction:
        a = QAction(text, self)
        if shortcut is not None:
            a.setShortcut(QKeySequence(shortcut))
        if icon_name:
            a.setIcon(icon(icon_name))
        elif theme is not None:  # the desktop's own icon where it has one, else Qt's
            a.setIcon(QIcon.fromTheme(theme[0], self.style().standardIcon(theme[1])))
        if tip:
            a.setStatusTip(tip)
            a.setToolTip(tip)
        a.triggered.connect(lambda _checked=False: slot())
        self.addAction(a)
        return a

    def _make_actions(self) -> None:
        sp = QStyle.StandardPixmap
        self.open_action = self._action("&Open…", self.open_dialog, QKeySequence.StandardKey.Open,
                                        tip="Open a spreadsheet (Ctrl+O)", theme=("document-open", sp.SP_DialogOpenButton))
        self.save_action = self._action("&Save Register CSV…", self.export_csv, QKeySequence.StandardKey.Save,
                                        tip="Save the rows without errors as Register's CSV (Ctrl+S)",
                                        theme=("document-save", sp.SP_DialogSaveButton))
        self.report_action = self._action("Save &error report…", self.export_report,
                                          tip="Every problem by row and field, as CSV or Excel")
        self.close_file_action = self._action("&Close file", self.close_file, QKeySequence.StandardKey.Close)
        self.quit_action = self._action("&Quit", self.close, QKeySequence.StandardKey.Quit)
        # one Undo/Redo for the step on screen: the mapping's history on the Map step, the grid's elsewhere
        self.undo_action = self._action("&Undo", self.undo, QKeySequence.StandardKey.Undo,
                                        theme=("edit-undo", sp.SP_ArrowBack))
        self.redo_action = self._action("&Redo", self.redo, theme=("edit-redo", sp.SP_ArrowForward))
        redo_keys = [QKeySequence("Ctrl+Y")]  # Windows users' redo everywhere, plus the platform's own
        redo_keys += [k for k in QKeySequence.keyBindings(QKeySequence.StandardKey.Redo) if k not in redo_keys]
        self.redo_action.setShortcuts(redo_keys)
        self.find_action = self._action("&Find and replace…", self.open_find, QKeySequence.StandardKey.Find,
                                        tip="Find text in the grid and replace it (Ctrl+F)",
                                        theme=("edit-find", sp.SP_FileDialogContentsView))
        find_keys: list[QKeySequence] = []
        for key in (*QKeySequence.keyBindings(QKeySequence.StandardKey.Find),
                    *QKeySequence.keyBindings(QKeySequence.StandardKey.Replace), QKeySequence("Ctrl+H")):
            if key not in find_keys:  # a key bound twice is ambiguous and then fires neither
                find_keys.append(key)
        self.find_action.setShortcuts(find_keys)
        self.next_error_action = self.review_page.next_error_action
        self.next_error_action.setIcon(icon("error"))
        self.next_error_action.setToolTip("Go to the next error (F8; Shift+F8 goes back)")
        self.addAction(self.next_error_action)
        self.addAction(self.review_page.previous_error_action)
        self.fix_all_action = self._action("Fix &all like this…", self.review_page.fix_all_like_this,
                                           tip="One replacement for every cell holding the same wrong value")
        self.reference_action = self._action("&Reference data…", self.show_reference, "Ctrl+R",
                                             tip="Search every code list by code or label",
                                             theme=("accessories-dictionary", sp.SP_FileDialogDetailedView))
        self.guide_action = self._action("Field &guide", self.show_guide, QKeySequence.StandardKey.HelpContents,
                                         tip="What the selected field means and how to fill it (F1)",
                                         theme=("help-contents", sp.SP_DialogHelpButton))
        self.step_actions = [self._action(f"Step &{i + 1}: {n}", partial(self.go_to, i), f"Ctrl+{i + 1}")
                             for i, n in enumerate(STEP_NAMES)]
        self.refilter_action = self._action("Apply the filter &again", self.review_page.refilter, "Ctrl+Shift+R")
        self.file_order_action = self._action("&File order", self.review_page.file_order)
        self.about_action = self._action("&About Register Desktop", self.about)
        self.withdraw_action = self._action("&Withdraw trainees from a file…", lambda: self.show_action_dialog("withdraw"),
                                            tip="Withdraw the trainees listed in a file (checked with Register first)")
        self.defer_action = self._action("&Defer trainees from a file…", lambda: self.show_action_dialog("defer"),
                                         tip="Defer the trainees listed in a file")
        self.recommend_action = self._action("Recommend for &QTS or EYTS from a file…",
                                             lambda: self.show_action_dialog("recommend"),
                                             tip="Recommend the trainees listed in a file for QTS or EYTS")
        self.history_action = self._action("Upload &history…", self.show_history,
                                           tip="Past uploads from this computer, each with its receipt")
        self.guide_window_action = self._action("Field guide: &every field…", self.show_guide_window,
                                                tip="What each of the 51 template fields means, its format and an example")
        self.diagnostics_action = self._action("&Copy diagnostics", self.copy_diagnostics,
                                               tip="Versions, system, keychain, proxy and certificates, for your IT desk "
                                                   "(never tokens or personal data)")
        self.refresh_reference_action = self._action("Refresh reference &data from Register…", self.refresh_reference,
                                                     tip="Fetch Register's current code lists (asks the environment "
                                                         "chosen in the Upload step)")
        self.delete_data_action = self._action("&Delete saved data…", self.delete_saved_data,
                                               tip="Delete upload history, receipts, autosaved work, practice data and "
                                                   "logs the app keeps")
        self.selftest_action = self._action("Run &self-test…", self.run_self_test,
                                            tip="Check that this installation works (no network)")

    def _make_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        file_menu.addAction(self.open_action)
        self.recent_menu = QMenu("Open &recent", self)
        file_menu.addMenu(self.recent_menu)
        file_menu.addSeparator()
        file_menu.addAction(self.save_action)
        file_menu.addAction(self.report_action)
        file_menu.addSeparator()
        file_menu.addAction(self.close_file_action)
        file_menu.addSeparator()
        file_menu.addAction(self.withdraw_action)
        file_menu.addAction(self.defer_action)
        file_menu.addAction(self.recommend_action)
        file_menu.addSeparator()
        file_menu.addAction(self.history_action)
        file_menu.addAction(self.delete_data_action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        edit = bar.addMenu("&Edit")
        edit.addAction(self.undo_action)
        edit.addAction(self.redo_action)
        edit.addSeparator()
        rp = self.review_page
        for a in (rp.cut_action, rp.copy_action, rp.paste_action, rp.clear_action):
            edit.addAction(a)
        edit.addSeparator()
        edit.addAction(rp.fill_down_action)
        edit.addAction(self.find_action)
        edit.addAction(self.fix_all_action)
        go = bar.addMenu("&Go")
        for a in self.step_actions:
            go.addAction(a)
        go.addSeparator()
        go.addAction(self.next_error_action)
        go.addAction(rp.previous_error_action)
        view = bar.addMenu("&View")
        view.addAction(self.refilter_action)
        view.addAction(self.file_order_action)
        view.addSeparator()
        view.addAction(self.guide_action)
        view.addAction(self.reference_action)
        help_menu = bar.addMenu("&Help")
        help_menu.addAction(self.guide_action)
        help_menu.addAction(self.guide_window_action)
        help_menu.addAction(self.reference_action)
        help_menu.addSeparator()
        help_menu.addAction(self.refresh_reference_action)
        help_menu.addAction(self.selftest_action)
        help_menu.addAction(self.diagnostics_action)
        help_menu.addSeparator()
        help_menu.addAction(self.about_action)
        self.help_menu = help_menu
        self.file_menu = file_menu

    def _make_toolbar(self) -> None:
        tb = QToolBar("Main toolbar")
        tb.setObjectName("main-toolbar")
        tb.setMovable(False)
        tb.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        tb.setIconSize(QSize(16, 16))
        for a in (self.open_action, self.save_action, None, self.undo_action, self.redo_action, None,
                  self.find_action, self.next_error_action, None, self.reference_action, self.guide_action):
            if a is None:
                tb.addSeparator()
            else:
                tb.addAction(a)
        self.addToolBar(tb)
        self.toolbar = tb

    def _make_status_bar(self) -> None:
        sb = StatusBar(self)
        self.setStatusBar(sb)
        self.status_rows = QLabel()
        self.status_errors = QLabel()
        self.status_warnings = QLabel()
        self.status_versions = QLabel(f"Template {self.template.version} · Reference data {self.code_lists.label}")
        for label, name in ((self.status_rows, "Rows"), (self.status_errors, "Errors"),
                            (self.status_warnings, "Warnings"), (self.status_versions, "Versions")):
            label.setAccessibleName(name)
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(220)
        self.progress.setAccessibleName("Progress")
        self.progress_label = QLabel()
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setAccessibleName("Cancel the running task")
        self.cancel_button.clicked.connect(self.cancel_jobs)
        for w in (self.progress_label, self.progress, self.cancel_button):
            w.hide()
            sb.addWidget(w)
        for w in (self.status_rows, self.status_errors, self.status_warnings, self.status_versions):
            sb.addPermanentWidget(w)

    # ------------------------------------------------------------------ steps
    def go_to(self, step: int) -> None:
        reachable = self._reachable()
        if step > reachable:
            step = reachable
        if step == EXPORT:
            _ = self.upload_panel  # built before it is shown
        self.stack.setCurrentIndex(step)
        self.steps.set_reachable(reachable)
        self.steps.set_current(step)
        has_session = self.session is not None
        for a in (self.save_action, self.report_action, self.find_action, self.next_error_action,
                  self.review_page.previous_error_action, self.fix_all_action, self.refilter_action):
            a.setEnabled(has_session)
        self.close_file_action.setEnabled(self.loaded is not None)
        if step == EXPORT:
            self.export_page.update_summary(self.session)
        if step == REVIEW:
            self.review_page.grid.setFocus(Qt.FocusReason.OtherFocusReason)
        if step == MAP:
            self.mapping_page.table.setFocus(Qt.FocusReason.OtherFocusReason)
        self._update_undo_actions()
        self._update_title()

    def _reachable(self) -> int:
        if self.session is not None:
            return EXPORT
        if self.loaded is not None:
            return MAP
        return OPEN

    @property
    def step(self) -> int:
        return self.stack.currentIndex()

    # ------------------------------------------------------------------ undo and redo
    def _mapping_history(self) -> bool:
        """Undo and Redo act on the mapping (the Map step is on screen and a file is read)."""
        return self.step == MAP and self.loaded is not None

    def undo(self) -> None:
        if self._mapping_history():
            self.mapping_page.undo()
        elif not self.uploading:
            self.undo_stack.undo()

    def redo(self) -> None:
        if self._mapping_history():
            self.mapping_page.redo()
        elif not self.uploading:
            self.undo_stack.redo()

    def _update_undo_actions(self, *_: object) -> None:
        if self._mapping_history():
            assert self.loaded is not None
            draft = self.loaded.draft
            can_undo, can_redo = draft.can_undo, draft.can_redo
            undo_text, redo_text = draft.undo_text, draft.redo_text
        else:
            can_undo = self.undo_stack.canUndo() and not self.uploading
            can_redo = self.undo_stack.canRedo() and not self.uploading
            undo_text, redo_text = self.undo_stack.undoText(), self.undo_stack.redoText()
        self.undo_action.setEnabled(can_undo)
        self.redo_action.setEnabled(can_redo)
        self.undo_action.setText(f"&Undo {undo_text}" if undo_text and can_undo else "&Undo")
        self.redo_action.setText(f"&Redo {redo_text}" if redo_text and can_redo else "&Redo")
        for action, text in ((self.undo_action, undo_text), (self.redo_action, redo_text)):
            action.setIconText(action.text().split(" ", 1)[0].replace("&", ""))  # the toolbar keeps a short label
            action.setToolTip(f"{action.iconText()}: {text}" if text else action.iconText())

    # ------------------------------------------------------------------ jobs
    def _run(self, kind: str, fn: Callable[[Progress, CancelToken], Any], label: str,
             on_success: Callable[[Any], None], on_cancel: Callable[[], None] | None = None) -> Job:
        job = Job(fn, label=label)
        job.signals.progress.connect(self._progress)
        job.signals.succeeded.connect(on_success)
        job.signals.failed.connect(self.show_error)
        if on_cancel is not None:
            job.signals.cancelled.connect(on_cancel)
        job.signals.cancelled.connect(lambda: self.statusBar().showMessage(f"{label}: cancelled.", 5000))
        self.progress_label.setText(label + "…")
        self.progress.setRange(0, 0)
        self._window_jobs.add(kind)
        started = self.jobs.start(kind, job)
        job.signals.finished.connect(self._update_busy_widgets)  # after the runner has forgotten the job
        self._update_busy_widgets()
        return started

    def _progress(self, done: int, total: int) -> None:
        if total <= 0:
            self.progress.setRange(0, 0)
        else:
            self.progress.setRange(0, total)
            self.progress.setValue(done)

    def _busy_changed(self, busy: bool) -> None:
        self._update_busy_widgets()

    def _update_busy_widgets(self) -> None:
        """The status bar's progress shows the window's own work (reading, checking); the upload has its own."""
        self._window_jobs = {k for k in self._window_jobs if self.jobs.running(k) is not None}
        visible = bool(self._window_jobs)
        for w in (self.progress_label, self.progress, self.cancel_button):
            w.setVisible(visible)
        self.mapping_page.set_busy(self.jobs.running("prepare") is not None or self.uploading)
        self.open_page.setEnabled(self.jobs.running("load") is None and not self.uploading)

    def cancel_jobs(self) -> None:
        for kind in list(self._window_jobs):
            self.jobs.cancel(kind)

    def show_error(self, exc: object) -> None:
        if isinstance(exc, UserFacingError):
            MessageDialog.inform(self, exc.title, exc.message, icon=QMessageBox.Icon.Warning)
            return
        if isinstance(exc, MemoryError):
            MessageDialog.inform(self, "Not enough memory", "The file is too large to work on in the memory available. "
                                 "Close other programs, or split the file and open each part.", icon=QMessageBox.Icon.Warning)
            return
        logger.error("unexpected error: %s", type(exc).__name__, exc_info=exc if isinstance(exc, BaseException) else None)
        MessageDialog.inform(self, "Something went wrong",
                             "The app hit a problem it did not expect. Your work so far is kept.",
                             detail=f"{type(exc).__name__}. Details are in the log file in the app's data folder.",
                             icon=QMessageBox.Icon.Critical)

    # ------------------------------------------------------------------ open
    def open_dialog(self) -> None:
        path = OpenFileDialog.ask(self, self.ui_state.last_dir())
        if path is not None:
            self.open_file(path)

    def open_file(self, path: Path, sheet: str | None = None, *, mapping: Mapping | None = None,
                  options: ValueOptions | None = None, edits: dict[tuple[int, str], str] | None = None,
                  history: tuple[list[autosave.HistoryStep], int] | None = None) -> bool:
        """Start reading ``path``; with ``mapping`` (recovery) the Map step is skipped. False if refused."""
        path = Path(path)
        if self._refuse_while_uploading("open another file"):
            return False
        if mapping is None and not self._may_discard():
            return False
        self.jobs.cancel("prepare")
        self._pending_mapping = mapping
        self._pending_options = options
        self._pending_edits = dict(edits or {})
        self._pending_history = history
        self.ui_state.set_last_dir(path.parent)
        self._run("load", load(path, sheet, self._today_fixed, self.code_lists), f"Reading {path.name}",
                  lambda loaded: self._loaded(path, loaded))
        return True

    def _loaded(self, path: Path, loaded: Loaded) -> None:
        self._clear_session()
        self.loaded = loaded
        self.current_file = path
        self.open_page.set_recent(self.ui_state.add_recent(path))
        self._refresh_recent_menu()
        if self._pending_mapping is not None:  # recovery: the mapping the user had made
            loaded.draft = MappingDraft(loaded.raw, self._pending_mapping, self._pending_options or loaded.options,
                                        template=self.template, code_lists=self.code_lists, today=self._today_fixed,
                                        profile=loaded.profile)
        self.mapping_page.set_draft(loaded.draft, loaded.samples)
        self._dirty = False
        if self._pending_mapping is not None:  # recovery: straight on to validation with the saved mapping
            self._pending_mapping = self._pending_options = None
            self._start_prepare(loaded.mapping, loaded.options, self._pending_edits)
            self._pending_edits = {}
        else:
            self.go_to(MAP)
        self.statusBar().showMessage(f"Read {loaded.raw.n_rows:,} rows from {path.name}.", 5000)
        self._update_status()

    def _sheet_changed(self, sheet: str) -> None:
        if self.current_file is not None and self.loaded is not None and sheet != self.loaded.raw.sheet:
            self.open_file(self.current_file, sheet)

    def _clear_session(self) -> None:
        self.undo_stack.clear()
        self.session = None
        self.model = None
        self.loaded = None
        if self._upload_panel is not None:
            self._upload_panel.set_session(None)
        if self._sync_panel is not None:
            self._sync_panel.set_session(None)

    def close_file(self) -> None:
        if self._refuse_while_uploading("close the file"):
            return
        if not self._may_discard():
            return
        self.jobs.cancel()
        self._clear_session()
        self.current_file = None
        self._dirty = False
        autosave.clear(self.autosave_file)
        self.go_to(OPEN)
        self._update_status()

    def _refresh_recent_menu(self) -> None:
        self.recent_menu.clear()
        files = self.ui_state.recent_files()
        for i, path in enumerate(files):
            a = self.recent_menu.addAction(f"&{i + 1} {path.name}")
            a.setToolTip(str(path))
            a.triggered.connect(lambda _checked=False, p=path: self.open_file(p))
        self.recent_menu.setEnabled(bool(files))

    @override
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if any(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()
        else:
            event.ignore()

    @override
    def dropEvent(self, event: QDropEvent) -> None:
        files = [Path(u.toLocalFile()) for u in event.mimeData().urls() if u.isLocalFile()]
        if files:
            event.acceptProposedAction()
            self.open_file(files[0])

    # ------------------------------------------------------------------ map
    def accept_mapping(self) -> None:
        if self.loaded is None or self._refuse_while_uploading("change the mapping"):
            return
        draft = self.loaded.draft
        mapping, options = draft.mapping, draft.options
        edits = self.model.edited_cells() if self.model is not None else {}
        first = draft.history()[0][0]
        if mapping.columns != first.mapping.columns or options != first.options:
            self._dirty = True
            self._remember_mapping()
        self._start_prepare(mapping, options, edits)

    def _remember_mapping(self) -> None:
        """The user changed the mapping: the next file with these columns opens with it, without
        anyone having to think of "Save as profile" (issue 15)."""
        if self.loaded is None or self.loaded.mapping.is_template_exact:
            return  # Register's own layout needs no mapping
        draft = self.loaded.draft
        stem = self.current_file.stem if self.current_file else "My export"
        name = draft.profile.name if draft.profile is not None else stem
        profile = draft.to_profile(name, description="Remembered when you continued from the Map step.")
        try:
            _path, name = ProfileStore().remember(profile)
        except UserFacingError as exc:
            self.statusBar().showMessage(f"Your mapping could not be remembered: {exc.message}", 10000)
            return
        except ValueError:  # a name pydantic refuses: nothing to remember it by
            return
        self.statusBar().showMessage(f"Mapping remembered as '{name}': files with these columns open with it.", 10000)

    def _start_prepare(self, mapping: Mapping, options: ValueOptions, edits: dict[tuple[int, str], str]) -> None:
        assert self.loaded is not None
        self._run("prepare", prepare(self.loaded.raw, mapping, options, edits, self._today_fixed, self.code_lists),
                  "Checking every row", self._prepared)

    def _prepared(self, result: Prepared) -> None:
        self.session = result.session
        self.model = FrameTableModel(result.session, self)
        self.model.set_originals(result.originals)
        attach_undo(self.model, self.undo_stack)
        if self._pending_history is not None:  # recovery: Ctrl+Z undoes what it would have before the crash
            steps, index = self._pending_history
            self._pending_history = None
            restore_history(self.model, self.undo_stack, steps, index)
        self.model.cells_changed.connect(self._cells_changed)
        self.model.edits_refused.connect(self._edits_refused)
        self.review_page.set_model(self.model)
        if self._upload_panel is not None:
            self._upload_panel.set_session(result.session)
        if self._sync_panel is not None:
            self._sync_panel.set_session(result.session)
        self.go_to(REVIEW)
        self._update_status()
        if result.lost_edits:
            MessageDialog.inform(self, "Some changes no longer apply",
                                 f"{result.lost_edits} change(s) you made were in columns that are no longer mapped.")
        if result.originals:
            self._dirty = True
        self.autosave_now()
        self.file_ready.emit()

    def _show_mapping_field(self, field_name: str) -> None:
        self.go_to(MAP)
        self.mapping_page.select_field(field_name)

    def save_profile(self) -> None:
        name = TextDialog.ask(self, "Save as profile", "A name for this mapping (for example the name of the export):",
                              self.current_file.stem if self.current_file else "")
        if name is None:
            return
        if self.loaded is None:
            return
        try:
            profile = self.loaded.draft.to_profile(name)
            path = ProfileStore().save(profile)
        except UserFacingError as exc:
            self.show_error(exc)
            return
        except ValueError as exc:  # pydantic: a name it cannot take
            self.show_error(UserFacingError(str(exc).splitlines()[0], title="Profile not saved"))
            return
        self.statusBar().showMessage(f"Mapping saved as profile '{name}': files with these columns open with it.",
                                     10000)
        logger.info("profile saved in %s", path.parent)

    # ------------------------------------------------------------------ review
    def _cells_changed(self, rows: object) -> None:
        self._dirty = True
        if self._upload_panel is not None:
            self._upload_panel.invalidate_plan()
        # saved at once, not on a timer: an edit must survive the process being killed a moment later
        self.autosave_now()

    def _changed(self, *_: object) -> None:
        self._update_title()
        if self._dirty and self.model is not None:
            self.autosave_now()  # the undo stack's position, after an undo or redo has finished

    def open_find(self) -> None:
        if self.session is not None:
            self.go_to(REVIEW)
            self.review_page.open_find()

    def show_guide(self) -> None:
        if self.step == MAP:
            self.mapping_page.side.setCurrentWidget(self.mapping_page.guide)
            self.mapping_page.guide.setFocus()
        elif self.step == REVIEW and self.model is not None:
            cur = self.review_page.current_cell()
            self.review_page.show_guide(self.model.field_at(cur[1]) if cur else self.template.names[0])
        else:
            self.show_guide_window()

    def show_reference(self, list_name: str = "") -> None:
        if self._browser is None:
            self._browser = ReferenceBrowser(self.code_lists, self)
        if list_name:
            self._browser.show_list(list_name)
        else:
            self._browser.show()
            self._browser.raise_()
            self._browser.activateWindow()

    def show_guide_window(self, field_name: str = "") -> FieldGuideWindow:
        """Help → Field guide: every field, also with no file open."""
        if self._guide_window is None:
            self._guide_window = FieldGuideWindow(self.template, self.code_lists, self)
            self._guide_window.code_list_requested.connect(self.show_reference)
        if not field_name and self.model is not None and (cur := self.review_page.current_cell()) is not None:
            field_name = self.model.field_at(cur[1])
        self._guide_window.show_field(field_name or self.template.names[0])
        return self._guide_window

    # ------------------------------------------------------------------ help, diagnostics, reference data
    def about_html(self) -> str:
        import html
        import platform

        from desktop.ui.diagnostics import qt_line, reference_source

        e = html.escape
        return (f"<h3>Register Desktop {e(__version__)}</h3>"
                "<p>Prepares trainee records for DfE's Register trainee teachers service: checks a provider's export "
                "against Register's rules, helps fix it, then saves Register's CSV or uploads through the API.</p>"
                f"<p><b>Template:</b> {e(self.template.version)} (Register's bulk-add template, "
                f"{len(self.template.names)} columns)<br>"
                f"<b>Reference data:</b> {e(reference_source(self.code_lists))}<br>"
                f"<b>Built with:</b> Python {e(platform.python_version())}, {e(qt_line())}</p>"
                "<p>Your data stays on this computer unless you upload it. Help → Copy diagnostics gives your IT desk "
                "what they need, without tokens or personal data.</p>")

    def about(self) -> None:
        if AboutDialog.ask(self, self.about_html()) == "copy":
            self.copy_diagnostics()

    def diagnostics(self) -> str:
        from desktop.ui.diagnostics import diagnostics_text, proxy_host

        env = self.upload_panel.environment()
        where = f"{env.label} ({proxy_host(env.base_url)})" if env is not None and env.base_url else (
            env.label if env is not None else "an address that is not valid")
        rate = f"{self.config.rate_limit} requests per {self.config.rate_window:g} s"
        return diagnostics_text(self.template.version, self.code_lists, environment=where, rate=rate)

    def copy_diagnostics(self) -> str:
        from PySide6.QtGui import QGuiApplication

        text = self.diagnostics()
        QGuiApplication.clipboard().setText(text)
        self.statusBar().showMessage("Diagnostics copied: paste them into your message to your IT desk. They hold no "
                                     "token and no personal data.", 10000)
        return text

    def run_self_test(self) -> Any:
        from desktop.ui.dialogs.self_test import SelfTestDialog

        dialog = SelfTestDialog(self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        dialog.start()
        return dialog

    def refresh_reference(self) -> Job | None:
        """Fetch Register's current code lists (only now: the user asked), cache them, check again with them."""
        env = self.upload_panel.environment()
        if env is None:
            MessageDialog.inform(self, "Choose where Register is", "The address chosen in the Upload step is not a "
                                 "Register address. Choose Practice, Sandbox or Production there first.",
                                 icon=QMessageBox.Icon.Warning)
            return None
        where = env.label if env.name == "practice" else f"{env.label} ({env.base_url})"
        choice = MessageDialog.ask(
            self, "Refresh reference data?",
            f"Fetch Register's current code lists from {where}?",
            [Choice("fetch", "Fetch"), Choice("cancel", "Cancel", QMessageBox.ButtonRole.RejectRole)],
            detail="No token and no trainee data are sent. The lists are kept on this computer and used from now on; "
                   "an open file is checked again with them.", default="fetch")
        if choice != "fetch":
            return None
        if env.name == "practice":
            env, _token = self.upload_panel.practice()
        version = self.template.version
        config = self.config

        def run(progress: Progress, token: CancelToken) -> CodeLists:
            from desktop.core.connect import make_client
            from desktop.core.reference import refresh_reference_data
            from desktop.validation.codelists import bundled_code_lists

            progress(0, 0)
            with make_client(env, None, config) as client:
                client.checkpoint = token.raise_if_cancelled
                return refresh_reference_data(client, bundled_code_lists(version))

        return self._run("reference", run, f"Fetching reference data from {env.label}", self._reference_refreshed)

    def _reference_refreshed(self, lists: CodeLists) -> None:
        self.set_code_lists(lists)
        self.statusBar().showMessage(f"Reference data refreshed from Register: {lists.label}.", 15000)
        if self.session is not None and self.loaded is not None and not self.uploading:
            self.accept_mapping()  # every row checked again against the new lists

    def set_code_lists(self, lists: CodeLists) -> None:
        self.code_lists = lists
        self.status_versions.setText(f"Template {self.template.version} · Reference data {lists.label}")
        self.mapping_page.set_code_lists(lists)
        self.review_page.set_code_lists(lists)
        if self._browser is not None:
            self._browser.set_code_lists(lists)
        if self._guide_window is not None:
            self._guide_window.set_code_lists(lists)

    # ------------------------------------------------------------------ upload
    def show_history(self) -> Any:
        from desktop.ui.history import HistoryDialog

        dialog = HistoryDialog(self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.forgotten.connect(lambda _batch: self.upload_panel.set_session(self.session))
        dialog.show()
        return dialog

    def delete_saved_data(self) -> Any:
        """File → Delete saved data: the core's purge, after a dialog that says what goes and what is kept."""
        from desktop.core.logs import PrivateRotatingFileHandler
        from desktop.core.retention import purge

        if self._refuse_while_uploading("delete saved data"):
            return None
        answer = DeleteDataDialog.ask(self)
        if answer is None:
            return None
        everything, days = answer
        if self._upload_panel is not None:  # its trainees are in memory too: it restarts from the file, or empty
            self._upload_panel.stop_practice()
        for handler in logging.getLogger().handlers:  # the log file is reopened at the next line (Windows cannot
            if isinstance(handler, PrivateRotatingFileHandler):  # delete a file that is open)
                handler.close()
        try:
            report = purge(everything=everything, older_than_days=days)
        except UserFacingError as exc:
            self.show_error(exc)
            return None
        if self._dirty:
            self.autosave_now()  # the work open now stays recoverable
        if self._upload_panel is not None:
            self._upload_panel.set_session(self.session)  # the plan and Register's answers follow the journal
        lines = report.lines()
        MessageDialog.inform(self, "Saved data deleted" if report.removed_anything else "Nothing deleted",
                             "\n".join(lines[:1]), detail="\n".join(lines[1:]))
        return report

    @property
    def upload_panel(self) -> UploadPanel:
        """The Upload step's panel, built the first time it is needed (the Upload step, diagnostics, a refresh)."""
        if self._upload_panel is None:
            from desktop.ui.upload_panel import UploadPanel

            panel = UploadPanel(self.jobs, store=self._credential_store, config=self.config)
            panel.running_changed.connect(self._upload_running)
            panel.answers_ready.connect(self._apply_answers)
            panel.history_requested.connect(self.show_history)
            self.export_page.set_upload_widget(panel)
            self._upload_panel = panel
            panel.set_session(self.session)
            from desktop.ui.year_panels import SyncPanel

            sync = SyncPanel(self.jobs, panel._target, self.config)
            sync.answers_ready.connect(self._apply_sync_answers)
            sync.running_changed.connect(self._upload_running)
            self.export_page.set_upload_widget(sync)
            sync.set_session(self.session)
            self._sync_panel = sync
        return self._upload_panel

    @property
    def sync_panel(self) -> Any:
        """Step 4's "Send to Register" (sync) panel, built with the upload panel."""
        _ = self.upload_panel
        return self._sync_panel

    def _apply_sync_answers(self, findings: Any) -> None:
        """The comparison and Register's answers to a sync, on the rows and cells they concern."""
        session = self.session
        if session is None or self.model is None or self._sync_panel is None or self._sync_panel.session is not session:
            return
        session.set_api_findings(findings)
        self.model.refresh_findings()
        self._update_status()

    def show_action_dialog(self, kind: str) -> Any:
        """File → Withdraw / Defer / Recommend from a file: the action's dialog (where and token from step 4)."""
        from desktop.ui.year_panels import ActionsDialog

        dialog = ActionsDialog(kind, self.jobs, self.upload_panel._target, self.config, today=self.today(), parent=self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        return dialog

    def _refuse_while_uploading(self, what: str) -> bool:
        if not self.uploading:
            return False
        MessageDialog.inform(self, "An upload is running",
                             f"Wait for the upload to finish, or stop it in the Upload step, before you {what}. "
                             "Stopping loses nothing: uploading again resumes.")
        return True

    def _upload_running(self, running: bool) -> None:
        """While an upload reads the session, no cell, mapping or file may change under it."""
        self.uploading = running
        if self.model is not None:
            self.model.set_read_only(running)
        self._update_undo_actions()
        rp = self.review_page
        for a in (rp.cut_action, rp.paste_action, rp.clear_action, rp.fill_down_action, self.fix_all_action,
                  self.open_action, self.close_file_action, self.refresh_reference_action):
            a.setEnabled(not running)
        self.recent_menu.setEnabled(not running and bool(self.ui_state.recent_files()))
        self._update_busy_widgets()
        if running:
            self.statusBar().showMessage("Uploading: the grid is read-only until the upload finishes or is stopped.")
        else:
            self.statusBar().clearMessage()
            self.go_to(self.step)  # re-enable what the current step allows

    def _edits_refused(self) -> None:
        self.statusBar().showMessage("Cells cannot be changed while an upload runs: wait for it, or stop it in the "
                                     "Upload step.", 8000)

    def _apply_answers(self, findings: Any) -> None:
        """Register's answers (``api.*`` findings) shown on the rows and cells they concern."""
        session = self.session
        if session is None or self.model is None or self._upload_panel is None or self._upload_panel.session is not session:
            return
        session.set_api_findings(findings)
        self.model.refresh_findings()
        self._update_status()

    # ------------------------------------------------------------------ export
    def export_csv(self) -> Path | None:
        session = self.session
        if session is None:
            return None
        s = session.summary()
        blocked = bool(s["rows_with_errors"]) or session.has_file_errors()
        if session.has_file_errors():
            MessageDialog.inform(self, "Nothing can be exported yet",
                                 "The file itself has a problem (see Problems, 'This file'); fix the mapping first.",
                                 icon=QMessageBox.Icon.Warning)
            return None
        if s["valid_rows"] == 0:
            MessageDialog.inform(self, "Nothing to export", "Every row still has at least one error.",
                                 icon=QMessageBox.Icon.Warning)
            return None
        if s["rows_with_errors"]:
            choice = MessageDialog.ask(
                self, "Some rows still have errors",
                f"{s['rows_with_errors']:,} row(s) still have errors. Save only the {s['valid_rows']:,} row(s) without errors?",
                [Choice("clean", f"Save {s['valid_rows']:,} rows"), Choice("back", "Go back and fix", QMessageBox.ButtonRole.RejectRole)],
                detail="The rows with errors are saved beside it in Register's errors-file layout (…-errors.csv), "
                       "to correct and check again.", default="clean")
            if choice != "clean":
                return None
        suggested = str(Path(self.ui_state.last_dir() or ".") / f"{self.current_file.stem if self.current_file else 'trainees'}-register.csv")
        path = SaveFileDialog.ask(self, "Save Register CSV", suggested, "CSV (*.csv)")
        if path is None:
            return None
        if self.current_file is not None and path.resolve() == self.current_file.resolve():
            MessageDialog.inform(self, "Choose another name", "Saving over the file you opened would lose the original. "
                                 "Choose another name.", icon=QMessageBox.Icon.Warning)
            return None
        try:
            result = export_register_csv(session, path, allow_errors=blocked)
        except UserFacingError as exc:
            self.show_error(exc)
            return None
        if not result.written:
            self.show_error(UserFacingError("No row could be written.", title="Not saved"))
            return None
        n = result.rows_written
        self._dirty = False
        self.undo_stack.setClean()
        self.ui_state.set_last_dir(path.parent)
        self.autosave_now()
        extra = f" Rows with errors: {result.error_report}." if result.error_report else ""
        self.statusBar().showMessage(f"Saved {n:,} rows to {path}.{extra}", 15000)
        self.export_page.show_result(result)
        self.export_page.update_summary(session)
        self._update_title()
        return path

    def save_copy(self) -> Path | None:
        """Export step: "Save a copy of my file with the fixes" in the user's own layout (core/own_layout.py)."""
        from desktop.core.own_layout import save_own_layout

        session = self.session
        if session is None or self.current_file is None:
            return None
        spreadsheet = self.current_file.suffix.lower() in (".xlsx", ".xlsm", ".xls", ".ods")
        answer = CopyDialog.ask(self, "xlsx" if spreadsheet else "csv")
        if answer is None:
            return None
        fmt, values, problems = answer
        suggested = str(Path(self.ui_state.last_dir() or ".") / f"{self.current_file.stem}-corrected.{fmt}")
        filters = "Excel workbook (*.xlsx)" if fmt == "xlsx" else "CSV (*.csv)"
        path = SaveFileDialog.ask(self, "Save a copy of your file", suggested, filters)
        if path is None:
            return None
        if path.suffix.lower() not in (".xlsx", ".csv"):
            path = path.with_name(f"{path.name}.{fmt}")
        try:
            result = save_own_layout(session, path, values=values, problems_column=problems)
        except UserFacingError as exc:
            self.show_error(exc)
            return None
        except OSError as exc:
            self.show_error(UserFacingError(f"{path} could not be written: {exc.strerror or exc}.", title="Not saved"))
            return None
        self.ui_state.set_last_dir(path.parent)
        self.export_page.show_copy(result)
        self.statusBar().showMessage(f"Saved a copy of your file with {result.corrected_cells:,} corrected cells.", 10000)
        return result.path

    def export_report(self) -> Path | None:
        session = self.session
        if session is None:
            return None
        answer = ErrorReportDialog.ask(self)
        if answer is None:
            return None
        fmt, include_personal = answer
        stem = self.current_file.stem if self.current_file else "trainees"
        suggested = str(Path(self.ui_state.last_dir() or ".") / f"{stem}-problems.{fmt}")
        filters = "Excel workbook (*.xlsx)" if fmt == "xlsx" else "CSV (*.csv)"
        path = SaveFileDialog.ask(self, "Save error report", suggested, filters)
        if path is None:
            return None
        try:
            n = write_error_report(session, path, personal_fields(self.template.version), include_personal=include_personal)
        except UserFacingError as exc:  # the writer's one line (a full disk, a folder, a link, no permission)
            self.show_error(UserFacingError(exc.message, title="Not saved"))
            return None
        self.statusBar().showMessage(f"Saved {n:,} problems to {path}.", 10000)
        return path

    # ------------------------------------------------------------------ status
    def _update_status(self) -> None:
        if self.session is None:
            rows = self.loaded.raw.n_rows if self.loaded is not None else 0
            self.status_rows.setText(f"Rows: {rows:,}" if self.loaded else "No file open")
            self.status_errors.setText("")
            self.status_warnings.setText("")
        else:
            s = self.session.summary()
            self.status_rows.setText(f"Rows: {self.session.n_rows:,} ({s['valid_rows']:,} ready)")
            self.status_errors.setText(f"Errors: {s['errors']:,}")
            self.status_warnings.setText(f"Warnings: {s['warnings']:,}")
        if self.step == EXPORT:
            self.export_page.update_summary(self.session)

    def _update_title(self, *_: object) -> None:
        name = self.current_file.name if self.current_file else ""
        title = f"{name}[*] — Register Desktop" if name else "Register Desktop"
        self.setWindowTitle(title)
        self.setWindowModified(bool(name) and self._dirty)

    @property
    def dirty(self) -> bool:
        return self._dirty

    # ------------------------------------------------------------------ autosave and recovery
    def snapshot(self) -> autosave.Snapshot | None:
        if self.current_file is None or self.loaded is None:
            return None
        if self.session is not None:  # what the grid shows (the Map step may hold changes not applied yet)
            mapping, options = self.session.mapping, self.session.value_options
        else:
            mapping, options = self.loaded.mapping, self.loaded.options
        edits = self.model.edited_cells() if self.model is not None else {}
        steps, index = history_of(self.undo_stack) if self.model is not None else ([], 0)
        return autosave.Snapshot(file=self.current_file, sheet=self.loaded.raw.sheet, mapping=mapping,
                                 options=options, edits=edits, history=steps, history_index=index)

    def autosave_now(self) -> Path | None:
        snap = self.snapshot()
        if snap is None or not self._dirty:
            return None
        try:
            return autosave.save(snap, self.autosave_file)
        except OSError as exc:
            logger.warning("autosave failed: %s", exc.strerror or type(exc).__name__)
            self.statusBar().showMessage("Your work could not be saved automatically (the data folder is not writable).", 10000)
            return None

    def offer_recovery(self) -> bool:
        """At start: if the last session ended without closing properly, offer its work back."""
        snap = autosave.load(self.autosave_file)
        if snap is None:
            return False
        n = snap.n_edits
        edits = f"{n} change{'s' if n != 1 else ''} in the grid" if n else "the mapping"
        detail = "The file has changed since then; rows may not line up." if snap.file_changed() else ""
        if not snap.file.exists():
            detail = f"The file is no longer at {snap.file}. Put it back and start again to recover, or discard the work."
        choice = MessageDialog.ask(
            self, "Recover unsaved work?",
            f"Register Desktop closed without saving your work on {snap.file.name} ({edits}, saved "
            f"{autosave.saved_when(snap.saved_at)}).",
            [Choice("discard", "Discard", QMessageBox.ButtonRole.DestructiveRole),
             Choice("recover", "Recover", QMessageBox.ButtonRole.RejectRole)],  # Esc keeps the work
            detail=detail, icon=QMessageBox.Icon.Question, default="recover")
        if choice == "discard":
            autosave.clear(self.autosave_file)
            return False
        if not snap.file.exists():
            return False
        return self.open_file(snap.file, snap.sheet, mapping=snap.mapping, options=snap.options, edits=snap.edits,
                              history=(snap.history, snap.history_index))

    def _may_discard(self) -> bool:
        """True when there is no unsaved work, or the user chose what to do with it."""
        if not self._dirty or self.session is None:
            return True
        choice = MessageDialog.ask(
            self, "Save your work?",
            f"You have changes to {self.current_file.name if self.current_file else 'this file'} that are not saved in a Register CSV.",
            [Choice("save", "Save Register CSV…"), Choice("discard", "Discard", QMessageBox.ButtonRole.DestructiveRole),
             Choice("cancel", "Cancel", QMessageBox.ButtonRole.RejectRole)],
            default="save")
        if choice == "save":
            return self.export_csv() is not None
        return choice == "discard"

    # ------------------------------------------------------------------ Qt events
    @override
    def closeEvent(self, event: QCloseEvent) -> None:
        if self.uploading:
            choice = MessageDialog.ask(
                self, "Stop the upload and close?",
                "An upload is running. Closing stops it after the request on its way.",
                [Choice("close", "Stop and close"), Choice("cancel", "Keep uploading", QMessageBox.ButtonRole.RejectRole)],
                detail="Nothing is lost: everything sent so far is recorded, and uploading the same file again "
                       "resumes without sending any row twice.", default="cancel")
            if choice != "close":
                event.ignore()
                return
        if not self._may_discard():
            event.ignore()
            return
        if self._upload_panel is not None:
            self._upload_panel.shutdown()
        self.jobs.shutdown()
        if self._upload_panel is not None:
            self._upload_panel.stop_practice()
        autosave.clear(self.autosave_file)
        self.ui_state.set_blob("window/geometry", self.saveGeometry())
        self.ui_state.sync()
        if self._browser is not None:
            self._browser.close()
        event.accept()

    @override
    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.StatusTip and isinstance(event, QStatusTipEvent):
            self.statusBar().showMessage(event.tip())  # in the bar's label, not painted over the counts
            return True
        return super().event(event)

    @override
    def changeEvent(self, event: QEvent) -> None:
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange) and self.model is not None:
            self.model.update_palette()
        super().changeEvent(event)

