"""Screenshots of every step of the window, taken on a real X server (Xvfb), into ``screenshots/``.

    python scripts/screenshots.py [--out screenshots] [--size 1440x900] [--scale 2] [--high-contrast]
                                  [--only steps|upload|help|newcomer]

Without a display it re-runs itself under ``xvfb-run`` (``apt-get install xvfb``). It drives
the real window as a user would, on the bundled sample and on a messy synthetic export (other
headers, labels instead of codes, UK dates), and grabs the whole screen so tooltips, pop-ups and
dialogs are in the pictures. Settings, profiles and autosaves go to a temporary folder, never
the user's. The folder is git-ignored: look at the pictures, don't commit them.

``newcomer`` walks issue 15's path: an export whose degree class is a column called "Class"
with a profile that left it out, the suggestion and its one click, a match to confirm, the
drop-down with values and used marks, Undo, the review's problems in words, "Fix all like
this" with every value, a damaged cell counted once, the corrected copy and crash recovery.
``--scale 2`` draws at 200 % (Qt's scale factor, on a screen twice the size) and
``--high-contrast`` in a black-and-yellow high-contrast palette, as Windows' own theme does.
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


def relaunch_under_xvfb(argv: list[str], screen: str = "1600x1000") -> None:
    if os.environ.get("DISPLAY") or os.environ.get("REGISTER_SCREENSHOTS_NESTED"):
        return
    xvfb = shutil.which("xvfb-run")
    if xvfb is None:
        sys.exit("screenshots: no display and no xvfb-run; install it with: apt-get install xvfb")
    os.environ["REGISTER_SCREENSHOTS_NESTED"] = "1"
    os.execv(xvfb, [xvfb, "-a", "-s", f"-screen 0 {screen}x24", sys.executable, str(Path(__file__).resolve()), *argv])


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


def photograph_recovery(w, new_window, shot, name: str) -> None:  # type: ignore[no-untyped-def]
    """The window goes away without closing (a crash); the next one asks about the work: its real question."""
    from desktop.ui.dialogs import MessageDialog

    w.autosave_now()
    w.jobs.shutdown()
    w.hide()
    w2 = new_window()

    def ask(cls, parent, title, text, choices, **kw):  # type: ignore[no-untyped-def]
        box, _buttons, _escape = MessageDialog.build(parent, title, text, choices, **kw)
        box.show()
        shot(name)
        box.close()
        return "discard"

    original = MessageDialog.ask
    MessageDialog.ask = classmethod(ask)  # type: ignore[method-assign,assignment]
    try:
        w2.offer_recovery()
    finally:
        MessageDialog.ask = original  # type: ignore[method-assign]
    for each in (w, w2):
        each._may_discard = lambda: True
        each.close()


def newcomer(new_window, open_and_map, review, shot, settle, work: Path) -> None:  # type: ignore[no-untyped-def]
    """Issue 15's path, step by step, as a new user meets it."""
    from PySide6.QtCore import QPoint, Qt
    from PySide6.QtWidgets import QToolTip

    from desktop.cli import main as cli
    from desktop.ui.dialogs import CopyDialog, FixAllDialog

    exports = ROOT / "tests" / "data" / "exports"
    records = work / "Student records Nov 2026.csv"
    shutil.copy(exports / "class-column.csv", records)
    # the profile a colleague made before 'Class' was in the export: the degree class is left out
    cli(["map", str(records), "--unset", "degree_grade", "--unset", "itt_qualification_aim", "--name", "no-class-test",
         "--save", "--today", "2026-11-28"])
    w = new_window()
    open_and_map(w, records)
    page = w.mapping_page
    page.select_field("degree_grade", focus=False)
    shot("newcomer-map-unused-columns-suggested")
    combo = page.combo_for("degree_grade")
    combo.setFocus()
    combo.showPopup()
    shot("newcomer-map-drop-down-values-and-used-marks")
    combo.hidePopup()
    row = next(r for r in range(page.unused.rowCount()) if page.unused.item(r, 0).text() == "Class")
    page.unused.cellWidget(row, 3).click()
    settle()
    shot("newcomer-map-class-mapped-with-one-click")
    page.search.setText("Award")
    shot("newcomer-map-find-a-field-by-its-other-name")
    page.search.clear()
    page.accept_all()
    page.select_field("itt_qualification_aim", focus=False)
    shot("newcomer-map-accept-all-then-undo-available")
    page.undo()
    shot("newcomer-map-after-undo")
    page.redo()
    w._may_discard = lambda: True
    w.close()

    # an uncertain match: its reason inline, beside Confirm
    w = new_window()
    open_and_map(w, exports / "ambiguous-headers.csv")
    w.mapping_page.select_field("sex", focus=False)
    shot("newcomer-map-confirm-uncertain-matches")
    w.mapping_page.row_action("sex")
    shot("newcomer-map-after-confirm")
    w._may_discard = lambda: True
    w.close()

    # the review: problems in words, by column, the description of the selection, fix all, one cause per cell
    messy = work / "Admissions export.csv"
    with messy.open("w", encoding="utf-8", newline="") as fh:
        import csv as _csv

        from desktop.core import synthetic
        from desktop.validation.template import load_template

        names = load_template().names
        wr = _csv.writer(fh)
        wr.writerow(names)
        for i, r in enumerate(synthetic.rows(40, seed=15, defect_share=0.1)):
            if i in (3, 9, 17):
                r["sex"] = "F" if i != 9 else "M"
            if i in (4, 5, 6, 7, 8):
                r["email"] = r["email"].replace("@", "@@")
            if i == 12:
                r["hesa_id"] = "2.61149E+16"
            wr.writerow([r[n] for n in names])
    w = new_window()
    open_and_map(w, messy)
    review(w)
    rp = w.review_page
    model = w.model
    rp.select_cell(12, model.column_of("hesa_id"))
    grid = rp.grid
    cur = grid.currentIndex()
    QToolTip.showText(grid.viewport().mapToGlobal(grid.visualRect(cur).center()), cur.data(Qt.ItemDataRole.ToolTipRole),
                      grid.viewport())
    shot("newcomer-review-one-cause-per-cell")
    QToolTip.hideText()
    rp.filter_combo.showPopup()
    shot("newcomer-review-show-filters-in-words")
    rp.filter_combo.hidePopup()
    rp.select_cell(3, model.column_of("sex"))
    shot("newcomer-review-description-follows-the-cell")
    idx = model.findings_index
    group = next(r for r, g in enumerate(rp.findings.model.groups) if g.key == ("cell.code_list", "sex"))
    tree = rp.findings.tree
    tree.setCurrentIndex(tree.model().index(group, 0))
    shot("newcomer-review-description-follows-the-group")
    finding = next(i for i in range(len(idx)) if idx.fields[i] == "sex" and idx.codes[i] == "cell.code_list")

    def show_fix(cls, parent, label, problem, items, code_list):  # type: ignore[no-untyped-def]
        d = FixAllDialog(parent, label, problem, items, code_list)
        d.show()
        d.move(w.geometry().center() - QPoint(d.width() // 2, d.height() // 2))
        shot("newcomer-review-fix-all-lists-every-value")
        answer = d.replacements()
        d.close()
        return answer

    FixAllDialog.ask = classmethod(show_fix)  # type: ignore[method-assign]
    rp.fix_all_like_this(finding)
    settle(0.3)
    shot("newcomer-review-after-fix-all")
    email = model.column_of("email")
    rp.select_cell(4, email)

    def show_fix_email(cls, parent, label, problem, items, code_list):  # type: ignore[no-untyped-def]
        d = FixAllDialog(parent, label, problem, items, code_list)
        for item, editor in zip(items, d.editors, strict=True):
            editor.setText(item.value.replace("@@", "@"))
        d.show()
        d.move(w.geometry().center() - QPoint(d.width() // 2, d.height() // 2))
        shot("newcomer-review-fix-all-five-emails")
        d.close()
        return None

    FixAllDialog.ask = classmethod(show_fix_email)  # type: ignore[method-assign]
    rp.fix_all_like_this()

    # the corrected copy of their own file
    w.go_to(3)
    cd = CopyDialog(w, "csv")
    cd.show()
    cd.move(w.geometry().center() - QPoint(cd.width() // 2, cd.height() // 2))
    shot("newcomer-export-copy-of-my-file-options")
    cd.close()
    from desktop.core.own_layout import save_own_layout

    w.export_page.show_copy(save_own_layout(w.session, work / "Admissions export-corrected.xlsx", problems_column=True))
    w.statusBar().showMessage("Mapping saved as profile 'Admissions export': files with these columns open with it "
                              "— a long message that once ran under the counts of rows, errors and warnings.", 60000)
    shot("newcomer-export-copy-saved-and-a-long-status-message")

    # a crash, then recovery in words
    w.go_to(2)
    model.setData(model.index(0, model.column_of("first_names")), "Gwenllian")
    w.autosave_now()
    photograph_recovery(w, new_window, shot, "newcomer-recover-after-crash-in-words")


def main(argv: list[str] | None = None) -> int:
    args_list = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=str(ROOT / "screenshots"))
    parser.add_argument("--size", default="1440x900")
    parser.add_argument("--dark", action="store_true", help="only the dark-palette pictures")
    parser.add_argument("--only", choices=["steps", "upload", "help", "newcomer"], action="append",
                        help="only these groups (repeatable): the steps, the upload step, help and dialogs, "
                             "issue 15's newcomer path")
    parser.add_argument("--scale", type=float, default=1.0, help="draw at this scale (2 = 200 %%)")
    parser.add_argument("--high-contrast", action="store_true", help="a high-contrast palette (black, white, yellow)")
    args = parser.parse_args(args_list)
    width, height = (int(x) for x in args.size.split("x"))
    relaunch_under_xvfb(args_list, f"{int((width + 160) * args.scale)}x{int((height + 100) * args.scale)}")
    if args.scale != 1.0:
        os.environ["QT_SCALE_FACTOR"] = f"{args.scale:g}"
        os.environ["QT_ENABLE_HIGHDPI_SCALING"] = "1"
    os.environ["QT_QPA_PLATFORM"] = "xcb"  # a real X server, not the offscreen plugin
    work = Path(tempfile.mkdtemp(prefix="register-shots-"))
    os.environ["DESKTOP_CONFIG_DIR"] = str(work / "config")
    os.environ["DESKTOP_DATA_DIR"] = str(work / "data")
    os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"  # never the user's real keychain
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    from PySide6.QtCore import QPoint, Qt
    from PySide6.QtGui import QColor, QGuiApplication, QPalette
    from PySide6.QtWidgets import QApplication, QToolTip

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
        pix = screen.grabWindow(0, 0, 0, width + 40, height + 40)  # logical pixels: at 200 % the picture is twice as big
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

    def palette(colors: dict[str, str], disabled: dict[str, str] | None = None) -> QPalette:
        p = QPalette()
        for role, color in colors.items():
            p.setColor(getattr(QPalette.ColorRole, role), QColor(color))
        for role, color in (disabled or {}).items():
            p.setColor(QPalette.ColorGroup.Disabled, getattr(QPalette.ColorRole, role), QColor(color))
        return p

    def dark_palette() -> QPalette:
        return palette({"Window": "#2b2b2b", "WindowText": "#e6e6e6", "Base": "#1e1e1e", "AlternateBase": "#2a2a2a",
                        "Text": "#e6e6e6", "Button": "#353535", "ButtonText": "#e6e6e6", "Highlight": "#3d6fb6",
                        "HighlightedText": "#ffffff", "ToolTipBase": "#353535", "ToolTipText": "#e6e6e6",
                        "PlaceholderText": "#9a9a9a"})

    def high_contrast_palette() -> QPalette:  # Windows' "High Contrast Black": white and yellow on black
        return palette({"Window": "#000000", "WindowText": "#ffffff", "Base": "#000000", "AlternateBase": "#000000",
                        "Text": "#ffffff", "Button": "#000000", "ButtonText": "#ffff00", "Highlight": "#1aebff",
                        "HighlightedText": "#000000", "ToolTipBase": "#000000", "ToolTipText": "#ffffff",
                        "PlaceholderText": "#c0c0c0", "Link": "#ffff00", "Light": "#ffffff", "Mid": "#ffffff",
                        "Dark": "#ffffff"},
                       {"WindowText": "#3ff23f", "Text": "#3ff23f", "ButtonText": "#3ff23f"})

    messy = messy_export(work / "SITS export Nov 2026.csv")
    UiState(work / "window.ini").add_recent(messy)
    UiState(work / "window.ini").add_recent(sample_path())

    if args.high_contrast:
        app.setPalette(high_contrast_palette())

    groups = set(args.only or ["steps", "upload", "help"])
    if "newcomer" in groups:
        newcomer(new_window, open_and_map, review, shot, settle, work)
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
            from desktop.ui.dialogs import FixItem

            fix = FixAllDialog(w, "Sex", "Sex: not a Register code", [FixItem(value, count, "11")], w.code_lists["sex"])
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
        photograph_recovery(w, new_window, shot, "recover-after-crash")

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
