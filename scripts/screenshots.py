"""Screenshots of every step of the window, taken on a real X server (Xvfb), into ``screenshots/``.

    python scripts/screenshots.py [--out screenshots] [--size 1440x900]

Without a display it re-runs itself under ``xvfb-run`` (``apt-get install xvfb``). It drives
the real window as a user would, on the bundled sample and on a messy synthetic export (other
headers, labels instead of codes, UK dates), and grabs the whole screen so tooltips, pop-ups and
dialogs are in the pictures. Settings, profiles and autosaves go to a temporary folder, never
the user's. The folder is git-ignored: look at the pictures, don't commit them.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

TODAY = dt.date(2026, 11, 28)
MESSY_HEADERS = {
    "provider_trainee_id": "Student ID", "hesa_id": "HUSID", "first_names": "Forename(s)", "last_name": "Surname",
    "date_of_birth": "DOB", "sex": "Gender", "email": "Personal Email", "nationality": "Nationality",
    "itt_start_date": "Course Start", "itt_end_date": "Expected End", "training_route": "Route",
}
SEX_WORDS = {"10": "Female", "11": "Male", "12": "Other", "96": "Prefer not to say"}


def relaunch_under_xvfb(argv: list[str]) -> None:
    if os.environ.get("DISPLAY") or os.environ.get("REGISTER_SCREENSHOTS_NESTED"):
        return
    xvfb = shutil.which("xvfb-run")
    if xvfb is None:
        sys.exit("screenshots: no display and no xvfb-run; install it with: apt-get install xvfb")
    os.environ["REGISTER_SCREENSHOTS_NESTED"] = "1"
    os.execv(xvfb, [xvfb, "-a", "-s", "-screen 0 1600x1000x24", sys.executable, str(Path(__file__).resolve()), *argv])


def messy_export(path: Path) -> Path:
    """A provider's own export: other headers, labels instead of codes, UK dates, a few mistakes."""
    from desktop.core import synthetic
    from desktop.validation.template import load_template

    names = load_template().names
    rows = list(synthetic.rows(80, seed=7, defect_share=0.12))
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow([MESSY_HEADERS.get(n, n) for n in names])
        for i, r in enumerate(rows):
            r = dict(r)
            r["sex"] = SEX_WORDS.get(r["sex"], r["sex"])
            if r["date_of_birth"].count("-") == 2:
                y, m, d = r["date_of_birth"].split("-")
                r["date_of_birth"] = f"{d}/{m}/{y}"
            if r["nationality"] == "GB" and i % 3 == 0:
                r["nationality"] = "British"
            if i == 5:
                r["sex"] = "F?"
            w.writerow([r[n] for n in names])
    return path


def main(argv: list[str] | None = None) -> int:
    args_list = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=str(ROOT / "screenshots"))
    parser.add_argument("--size", default="1440x900")
    parser.add_argument("--dark", action="store_true", help="only the dark-palette pictures")
    parser.add_argument("--only", choices=["steps", "upload", "help"], action="append",
                        help="only these groups (repeatable): the steps, the upload step, help and dialogs")
    args = parser.parse_args(args_list)
    relaunch_under_xvfb(args_list)
    os.environ["QT_QPA_PLATFORM"] = "xcb"  # a real X server, not the offscreen plugin
    work = Path(tempfile.mkdtemp(prefix="register-shots-"))
    os.environ["DESKTOP_CONFIG_DIR"] = str(work / "config")
    os.environ["DESKTOP_DATA_DIR"] = str(work / "data")
    os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"  # never the user's real keychain
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    width, height = (int(x) for x in args.size.split("x"))

    from PySide6.QtCore import QPoint, Qt
    from PySide6.QtGui import QColor, QGuiApplication, QPalette
    from PySide6.QtWidgets import QApplication, QMessageBox, QToolTip

    app = QApplication.instance() or QApplication([sys.argv[0]])
    app.setStyle("Fusion")

    from desktop.core.config import AppConfig
    from desktop.core.samples import sample_path
    from desktop.ui.dialogs import (
        AboutDialog,
        DeleteDataDialog,
        ErrorReportDialog,
        FixAllDialog,
        MessageDialog,
        TokenDialog,
    )
    from desktop.ui.main_window import MainWindow
    from desktop.ui.pages.mapping_page import MappingModel
    from desktop.ui.proxies import RowFilter
    from desktop.ui.ui_state import UiState

    taken: list[str] = []

    def settle(seconds: float = 0.25) -> None:
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            app.processEvents()
            time.sleep(0.01)

    def wait(cond: Callable[[], bool], timeout: float = 60) -> None:
        end = time.perf_counter() + timeout
        while not cond():
            app.processEvents()
            time.sleep(0.01)
            if time.perf_counter() > end:
                raise TimeoutError("the window did not get there in time")

    def shot(name: str) -> None:
        settle()
        screen = QGuiApplication.primaryScreen()
        pix = screen.grabWindow(0, 0, 0, width + 40, height + 40)
        path = out / f"{len(taken) + 1:02d}-{name}.png"
        pix.save(str(path))
        taken.append(path.name)
        print(f"  {path.name}", file=sys.stderr, flush=True)  # noqa: T201

    def new_window() -> MainWindow:
        w = MainWindow(today=TODAY, ui_state=UiState(work / "window.ini"), autosave_file=work / "autosave.json")
        w.resize(width, height)
        w.move(20, 20)
        w.show()
        w.raise_()
        w.activateWindow()
        return w

    def open_and_map(w: MainWindow, path: Path) -> None:
        w.open_file(path)
        wait(lambda: w.loaded is not None and not w.jobs.busy)

    def review(w: MainWindow) -> None:
        w.accept_mapping()
        wait(lambda: w.model is not None and w.step == 2 and not w.jobs.busy)

    def dark_palette() -> QPalette:
        p = QPalette()
        for role, color in ((QPalette.ColorRole.Window, "#2b2b2b"), (QPalette.ColorRole.WindowText, "#e6e6e6"),
                            (QPalette.ColorRole.Base, "#1e1e1e"), (QPalette.ColorRole.AlternateBase, "#2a2a2a"),
                            (QPalette.ColorRole.Text, "#e6e6e6"), (QPalette.ColorRole.Button, "#353535"),
                            (QPalette.ColorRole.ButtonText, "#e6e6e6"), (QPalette.ColorRole.Highlight, "#3d6fb6"),
                            (QPalette.ColorRole.HighlightedText, "#ffffff"), (QPalette.ColorRole.ToolTipBase, "#353535"),
                            (QPalette.ColorRole.ToolTipText, "#e6e6e6"), (QPalette.ColorRole.PlaceholderText, "#9a9a9a")):
            p.setColor(role, QColor(color))
        return p

    messy = messy_export(work / "SITS export Nov 2026.csv")
    UiState(work / "window.ini").add_recent(messy)
    UiState(work / "window.ini").add_recent(sample_path())

    groups = set(args.only or ["steps", "upload", "help"])
    fast = {"rate_limit": 1000, "rate_window": 1.0, "environment": "practice"}

    def answering(key: str, name: str):  # type: ignore[no-untyped-def]
        """MessageDialog.ask that shows the real box, photographs it, and answers ``key``."""
        def ask(cls, parent, title, text, choices, **kw):  # type: ignore[no-untyped-def]
            box, _buttons, _escape = MessageDialog.build(parent, title, text, choices, **kw)
            box.show()
            shot(name)
            box.close()
            return key
        return classmethod(ask)

    if "upload" in groups and not args.dark:
        w = new_window()
        w.upload_panel.config = AppConfig(**{**fast, "rate_limit": 4})  # slow enough to watch
        open_and_map(w, sample_path())
        review(w)
        model = w.model
        urn = model.column_of("training_partner_urn")
        before = model.session.summary()["rows_with_errors"]
        for r in range(model.rowCount()):  # one row Register will refuse: a training partner it does not know
            if model.findings_index.rows[r] < 0 and not model.value(r, urn):
                model.setData(model.index(r, urn), "123456")
                if model.session.summary()["rows_with_errors"] == before:
                    rejected_row = r
                    break
                w.undo_stack.undo()
        w.go_to(3)
        panel = w.upload_panel
        panel.set_environment("practice")
        wait(lambda: panel.plan_info is not None and not w.jobs.busy)
        shot("upload-before-practice")

        panel.upload_button.click()
        wait(lambda: panel.progress.value() >= 9)
        shot("upload-during")
        panel.pause()
        settle(1.0)
        shot("upload-paused")
        panel.cancel_upload()
        wait(lambda: not panel.running and not w.jobs.busy)
        shot("upload-stopped-resume-offered")

        panel.stop_practice()
        panel.config = AppConfig(**fast)
        panel.upload_button.click()
        wait(lambda: not panel.running and not w.jobs.busy)
        shot("upload-after")

        w.go_to(2)
        w.review_page.select_cell(rejected_row, urn)
        grid = w.review_page.grid
        cur = grid.currentIndex()
        QToolTip.showText(grid.viewport().mapToGlobal(grid.visualRect(cur).center()),
                          cur.data(Qt.ItemDataRole.ToolTipRole), grid.viewport())
        shot("review-register-rejected-row")
        QToolTip.hideText()

        history = w.show_history()
        history.move(w.geometry().center() - QPoint(450, 200))
        shot("upload-history")
        history.close()

        w.go_to(3)
        panel.set_environment("production")
        wait(lambda: panel.plan_info is not None and not w.jobs.busy)
        shot("upload-production-chosen")

        def token_ask(cls, parent, label, where):  # type: ignore[no-untyped-def]
            d = TokenDialog(parent, label, where)
            d.edit.setText("x" * 40)
            d.show()
            d.move(w.geometry().center() - QPoint(260, 80))
            shot("upload-token-entry")
            d.close()
            return None

        TokenDialog.ask = classmethod(token_ask)  # type: ignore[method-assign]
        MessageDialog.ask = answering("send", "upload-confirm-production")  # type: ignore[method-assign]
        # production is answered "send" only to reach the token question; no token is given, so nothing is sent
        panel.start_upload()
        w._may_discard = lambda: True  # type: ignore[method-assign]
        w.close()

    if "help" in groups and not args.dark:
        w = new_window()
        about = AboutDialog(w, w.about_html())
        about.show()
        about.move(w.geometry().center() - QPoint(280, 150))
        shot("help-about")
        about.close()
        guide = w.show_guide_window("ethnicity")
        guide.move(w.geometry().center() - QPoint(430, 300))
        shot("help-field-guide")
        guide.search.setText("disab")
        shot("help-field-guide-search")
        guide.close()
        purge_dialog = DeleteDataDialog(w)
        purge_dialog.show()
        purge_dialog.move(w.geometry().center() - QPoint(300, 220))
        shot("file-delete-saved-data")
        purge_dialog.close()
        w.help_menu.popup(w.mapToGlobal(w.menuBar().geometry().bottomLeft()) + QPoint(
            w.menuBar().actionGeometry(w.help_menu.menuAction()).x(), 0))
        shot("help-menu")
        w.help_menu.hide()
        from desktop.ui.dialogs.self_test import SelfTestDialog, self_test_command

        st = SelfTestDialog(w, [*self_test_command(), "--no-window"])  # the window part would open a second window
        st.show()
        st.move(w.geometry().center() - QPoint(350, 210))
        st.start()
        wait(lambda: st.exit_code is not None, timeout=120)
        shot("help-self-test")
        st.close()
        w._may_discard = lambda: True  # type: ignore[method-assign]
        w.close()

    if "steps" in groups and not args.dark:
        w = new_window()
        shot("open")

        open_and_map(w, sample_path())
        shot("map-sample-exact-headers")

        review(w)
        page = w.review_page
        page.next_error()
        shot("review-first-error")

        cur = page.grid.currentIndex()
        rect = page.grid.visualRect(cur)
        QToolTip.showText(page.grid.viewport().mapToGlobal(rect.center()), cur.data(Qt.ItemDataRole.ToolTipRole),
                          page.grid.viewport())
        shot("review-tooltip")
        QToolTip.hideText()

        model = w.model
        sex = model.column_of("sex")
        row = next(r for r in range(model.rowCount()) if model.value(r, sex) not in ("10", "11", "12", "96", "99"))
        page.select_cell(row, sex)
        page.grid.edit(page.grid.currentIndex())
        settle()
        editor = QApplication.focusWidget()
        if editor is not None and hasattr(editor, "lineEdit"):
            editor.lineEdit().setText("")
            from PySide6.QtTest import QTest

            QTest.keyClicks(editor.lineEdit(), "mal")
        shot("review-code-editor-type-ahead")
        if editor is not None:
            QTest.keyClick(editor, Qt.Key.Key_Escape)
        settle()

        page.set_filter(RowFilter("errors"))
        tree = page.findings.tree
        tree.expand(tree.model().index(0, 0))
        tree.setCurrentIndex(tree.model().index(0, 0, tree.model().index(0, 0)))
        shot("review-errors-only-and-problems")

        page.set_filter(RowFilter())
        dialog = page.open_find()
        dialog.find_edit.setText("Jones")
        wait(lambda: "match" in dialog.preview.text())
        dialog.move(w.geometry().center() - QPoint(200, 100))
        shot("find-and-replace-preview")
        dialog.close()

        page.show_guide("course_age_range")
        shot("review-field-guide")

        idx = model.findings_index
        fixable = next((i for i in range(len(idx)) if idx.fields[i] == "sex" and idx.values[i]), None)
        if fixable is not None:
            value = str(idx.values[fixable])
            count = int((model.column_values(sex) == value).sum())
            fix = FixAllDialog(w, "Sex", value, count, w.code_lists["sex"], "11")
            fix.show()
            fix.move(w.geometry().center() - QPoint(200, 80))
            shot("fix-all-like-this")
            fix.close()

        w.show_reference("course_subject")
        w._browser.search.setText("phys")
        w._browser.move(w.geometry().center() - QPoint(300, 250))
        shot("reference-data-browser")
        w._browser.close()

        report = ErrorReportDialog(w)
        report.show()
        report.move(w.geometry().center() - QPoint(200, 60))
        shot("error-report-options")
        report.close()

        from desktop.core.export import export_register_csv

        w.export_page.show_result(export_register_csv(w.session, work / "register.csv", allow_errors=True))
        w.go_to(3)
        shot("upload-export")

        w._may_discard = lambda: True  # type: ignore[method-assign]
        w.close()

        # a provider's own export: suggested columns, value mapping
        w = new_window()
        open_and_map(w, messy)
        w.mapping_page.select_field("sex")
        w.mapping_page.side.setCurrentWidget(w.mapping_page.values_box)
        shot("map-messy-export-suggestions-and-values")
        mm = w.mapping_page.model
        w.mapping_page.table.setCurrentIndex(w.mapping_page.proxy.mapFromSource(mm.index(mm.row_of("date_of_birth"),
                                                                                          MappingModel.SOURCE)))
        w.mapping_page.side.setCurrentWidget(w.mapping_page.values_box)
        shot("map-messy-export-dates")
        review(w)
        w.review_page.next_error()
        shot("review-messy-export")

        # unsaved work and a crash: the next start offers it back
        model = w.model
        model.setData(model.index(0, model.column_of("first_names")), "Gwenllian")
        w.autosave_now()
        w.jobs.shutdown()
        w.hide()
        w2 = new_window()
        box = QMessageBox(QMessageBox.Icon.Question, "Recover unsaved work?",
                          "Register Desktop closed without saving your work on SITS export Nov 2026.csv "
                          "(1 change(s) in the grid).", QMessageBox.StandardButton.NoButton, w2)
        box.addButton("Discard", QMessageBox.ButtonRole.DestructiveRole)
        box.addButton("Recover", QMessageBox.ButtonRole.RejectRole)
        box.show()
        shot("recover-after-crash")
        box.close()
        for each in (w, w2):
            each._may_discard = lambda: True  # type: ignore[method-assign]
            each.close()

    if not (args.dark or "steps" in groups):
        shutil.rmtree(work, ignore_errors=True)
        print(f"{len(taken)} screenshots in {out}:")  # noqa: T201
        for name in taken:
            print(f"  {name}")  # noqa: T201
        return 0

    # the system's dark palette
    app.setPalette(dark_palette())
    w = new_window()
    open_and_map(w, sample_path())
    shot("dark-map")
    review(w)
    w.review_page.next_error()
    shot("dark-review")
    w._may_discard = lambda: True  # type: ignore[method-assign]
    w.close()

    shutil.rmtree(work, ignore_errors=True)
    print(f"{len(taken)} screenshots in {out}:")  # noqa: T201
    for name in taken:
        print(f"  {name}")  # noqa: T201
    return 0


if __name__ == "__main__":
    sys.exit(main())
