"""A full session as a user runs it, then every file it left behind is scanned for the token and personal data.

The session: save a distinctive API token (``token set``), ``check`` a template file and a
provider export, ``map --save`` the export's headers, ``check --out`` a report, ``export
--allow-errors``, ``upload`` to a loopback Register (and rehearse it with ``--env practice``),
``history`` (list, one batch, JSON, a receipt copy) and ``purge --dry-run``, with the window's
log file switched on at DEBUG so every log line of the core, the API client and the simulator is
written. Then every file under the test's folders is read:

* the token appears in none of them;
* names, e-mail addresses, dates of birth, HESA ids and NI numbers appear only in the files the
  user explicitly wrote (the export, its error report, the check report, the receipt copy; the
  practice Register's own store, which is documented and expires) and never in the app's own
  folders otherwise (journal, receipts, settings, profiles, logs);
* every file and folder the app made in its folders is user-only (0600 / 0700), and so are the
  files it wrote where the user asked;
* no temporary file is left behind.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import os
import stat
from pathlib import Path

import pytest

from desktop.api.simulator import RegisterSimulator
from desktop.cli import main
from desktop.core.logs import setup_file_logging
from tests.helpers import TODAY, valid_row, write_csv

pytestmark = pytest.mark.integration

TOKEN = "sandbox_" + "5eC7e7".lower() * 10 + "a11ce5"
PEOPLE = [  # (first names, last name, e-mail, date of birth, HESA id, NI number): nowhere else in the project
    ("Zephyrine", "Quillfeather-Ó Dálaigh", "z.quillfeather@probe.example", "1987-03-19", "2699887766501", "JZ483726A"),
    ("Llinos Morwenna", "ap Gwyndaf-Pryce", "llinos.apgwyndaf@probe.example", "1991-11-02", "2699887766502", "JZ483726B"),
    ("Caoilfhionn", "Ní Fhlannagáin", "caoilfhionn.nf@probe.example", "1979-06-30", "2699887766503", "JZ483726C"),
    ("Ifeoluwa", "Okonkwo-Braithwaite", "ife.okb@probe.example", "1995-01-24", "2699887766504", "JZ483726D"),
    ("Oisín", "Mac Giolla Chomhghaill", "oisin.mgc@probe.example", "1988-08-08", "2699887766505", "JZ483726A"),
    ("Tegwen", "Featherstonehaugh", "tegwen.f@probe.example", "1993-12-12", "2699887766506", "JZ483726B"),
]
BAD = {4: {"sex": "Female"}, 5: {"email": "tegwen.f at probe"}}  # rows with errors: not sent, in the error report

PROVIDER_HEADERS = {"first_names": "Forename(s)", "last_name": "Surname", "date_of_birth": "DOB",
                    "email": "Email address", "ni_number": "NI Number", "sex": "Gender", "hesa_id": "HUSID"}


def rows() -> list[dict[str, str]]:
    out = []
    for i, (first, last, email, dob, hesa, ni) in enumerate(PEOPLE):
        r = valid_row(provider_trainee_id=f"PRV-{i + 1}", first_names=first, last_name=last, email=email,
                      date_of_birth=dob, hesa_id=hesa, ni_number=ni)
        r.update(BAD.get(i, {}))
        out.append(r)
    return out


def personal_values() -> list[str]:
    values = []
    for first, last, email, dob, hesa, ni in PEOPLE:
        values += [first, last, email, dob, hesa, ni, dt.date.fromisoformat(dob).strftime("%d/%m/%Y")]
    return values


def provider_export(path: Path) -> Path:
    """The same trainees under a student record system's headers, with labels instead of codes."""
    from tests.helpers import TEMPLATE

    headers = [PROVIDER_HEADERS.get(n, n) for n in TEMPLATE.names]
    data = [{PROVIDER_HEADERS.get(k, k): ("Female" if k == "sex" else v) for k, v in r.items()} for r in rows()]
    return write_csv(path, data, headers=headers)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return code, captured.out + captured.err


@pytest.fixture
def session_folders(tmp_path, monkeypatch):
    """Every place the app could write, inside the test's folder (conftest sets config, data and home)."""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    monkeypatch.setenv("TMPDIR", str(tmp))
    monkeypatch.setattr("tempfile.tempdir", str(tmp))
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    handler = setup_file_logging(logging.DEBUG)  # the window's log, as verbose as it gets
    yield tmp_path
    root.removeHandler(handler)
    handler.close()
    for h in list(root.handlers):
        if h not in handlers:
            root.removeHandler(h)
    root.setLevel(level)


def test_a_full_session_leaves_no_token_and_personal_data_only_where_the_user_put_it(session_folders, capsys, monkeypatch):
    base = session_folders
    inputs, exports, register_store = base / "inputs", base / "exports", base / "register"
    for d in (inputs, exports, register_store):
        d.mkdir()
    template_file = write_csv(inputs / "trainees.csv", rows())
    export_file = provider_export(inputs / "sits-export.csv")
    today = ["--today", TODAY.isoformat()]

    with RegisterSimulator(token=TOKEN, today=TODAY, rate_limit=1000, window=1.0,
                           state_file=register_store / "state.json") as sim:  # stands in for Register itself
        monkeypatch.setattr("sys.stdin", io.StringIO(TOKEN + "\n"))
        assert run(capsys, "token", "set", "--env", sim.base_url, "--stdin")[0] == 0
        assert run(capsys, "check", str(template_file), *today)[0] == 1
        assert run(capsys, "check", str(template_file), "--format", "json", *today)[0] == 1
        assert run(capsys, "map", str(export_file), "--save", "--name", "sits")[0] == 0
        assert run(capsys, "check", str(export_file), *today)[0] in (0, 1)
        assert run(capsys, "check", str(template_file), "--format", "csv", "--out", str(exports / "report.csv"),
                   *today)[0] == 1
        code, text = run(capsys, "export", str(template_file), "--out", str(exports / "register.csv"),
                         "--allow-errors", *today)
        assert code == 0 and (exports / "register-errors.csv").exists()
        code, text = run(capsys, "upload", str(template_file), "--env", sim.base_url, "--yes", "--no-progress",
                         "--rate-window", "1", *today)
        assert code == 1 and "4 created" in text
        code, text = run(capsys, "upload", str(template_file), "--env", "practice", "--yes", "--no-progress",
                         "--rate-window", "1", "--rate-limit", "1000", *today)
        assert code == 1 and "4 created" in text
        assert run(capsys, "history")[0] == 0
        assert run(capsys, "history", "1")[0] == 0
        assert run(capsys, "history", "--format", "json")[0] == 0
        assert run(capsys, "history", "1", "--receipt", str(exports / "receipt.xlsx"))[0] == 0
        assert run(capsys, "token", "status", "--env", sim.base_url)[0] == 0
        assert run(capsys, "purge", "--dry-run")[0] == 0
        assert len(sim.trainees()) == 4
    logging.getLogger("desktop.test").info("session over")  # the log is really being written

    data, config = Path(os.environ["DESKTOP_DATA_DIR"]), Path(os.environ["DESKTOP_CONFIG_DIR"])
    explicit = {exports / "report.csv", exports / "register.csv", exports / "register-errors.csv",
                exports / "receipt.xlsx"}
    documented = {data / "practice" / "register-state.json"}  # the practice Register's own store (expires)
    not_ours = {template_file, export_file, register_store / "state.json"}

    values = personal_values()
    token = TOKEN.encode()
    scanned: list[Path] = []
    found: dict[Path, list[str]] = {}
    for f in sorted(p for p in base.rglob("*") if p.is_file()):
        raw = f.read_bytes()
        assert token not in raw and token.split(b"_", 1)[1] not in raw, f"the token is in {f}"
        if f in not_ours:
            continue
        scanned.append(f)
        if f.suffix == ".xlsx":
            raw = _xlsx_text(f).encode("utf-8")
        folded = raw.decode("utf-8", "replace").casefold()
        hits = [v for v in values if v.casefold() in folded]
        if hits:
            found[f] = hits

    log = data / "logs" / "register-desktop.log"
    assert log in scanned and "session over" in log.read_text("utf-8") and "simulator" in log.read_text("utf-8")
    assert data / "upload-journal.sqlite3" in scanned
    assert any(p.parent == data / "receipts" for p in scanned)
    assert any(p.parent.name == "profiles" for p in scanned), "map --save wrote no profile?"
    assert set(found) <= explicit | documented, {str(f): v for f, v in found.items() if f not in explicit | documented}
    # the scan finds personal data where it is (so it would find it elsewhere); the receipt holds none
    assert set(found) & explicit == explicit - {exports / "receipt.xlsx"}

    # user-only: everything the app made in its folders; what it wrote where the user asked has that
    # folder's normal permissions (the umask's), like any file the user saves there (SECURITY.md)
    for top in (data, config):
        for p in [top, *top.rglob("*")]:
            mode = stat.S_IMODE(p.lstat().st_mode)
            assert mode == (0o700 if p.is_dir() else 0o600), f"{p} is {oct(mode)}"
    umask = os.umask(0)
    os.umask(umask)
    for f in explicit:
        assert stat.S_IMODE(f.stat().st_mode) == 0o666 & ~umask, f"{f} is {oct(stat.S_IMODE(f.stat().st_mode))}"

    # nothing temporary left behind
    assert list((base / "tmp").iterdir()) == []
    assert [p for p in base.rglob("*") if p.name.endswith((".tmp", "-journal"))] == []
    assert not any((base / "home").rglob("*")) if (base / "home").exists() else True


def _xlsx_text(path: Path) -> str:
    import openpyxl

    wb = openpyxl.load_workbook(path, read_only=True)
    return "\n".join(str(c) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for c in row
                     if c is not None)
