"""Uploads against the local Register over loopback: clean runs, 429 storms, faults, 422/409 on cells, pause."""

from __future__ import annotations

import datetime as dt
import io
import json
import threading
from collections import Counter
from pathlib import Path

import httpx
import pytest

from desktop.api.client import RegisterClient, RetryPolicy
from desktop.api.environments import resolve_environment
from desktop.api.errors import ApiError, AuthenticationError
from desktop.api.payload import build_payload
from desktop.api.ratelimit import RateLimiter
from desktop.api.simulator import Faults, RegisterSimulator
from desktop.cli import main
from desktop.core import upload as upload_mod
from desktop.core.connect import practice_state_file
from desktop.core.journal import Journal
from desktop.core.progress import Cancelled, CancelToken
from desktop.core.receipt import read_receipt_csv
from desktop.core.reference import cached_code_lists, refresh_reference_data
from desktop.core.session import ImportSession
from desktop.core.upload import PauseSwitch, upload_valid_rows
from desktop.core.upload_plan import file_sha256, plan_upload
from desktop.validation.codelists import bundled_code_lists
from tests.helpers import TODAY, valid_row, write_csv

pytestmark = pytest.mark.integration

TOKEN = "practice_" + "5e" * 32
FIRST = ["Siân", "Aoife", "Dafydd", "Seán", "Zoë", "Mary-Jane", "Rhodri", "Caoimhe", "José", "Llŷr", "Bláthnaid", "Gwenllian"]
LAST = ["O'Brien", "Ní Bhriain", "ap Rhys", "Featherstonehaugh-Cholmondeley", "Ó Súilleabháin", "D'Arcy", "Núñez",
        "Mac Giolla Phádraig", "Llewellyn", "Brontë", "Wolfeschlegelsteinhausen", "McCarthy"]


def person(i: int, **changes: str) -> dict[str, str]:
    """A distinct trainee Register accepts (no two are duplicates of each other)."""
    dob = dt.date(1975, 1, 1) + dt.timedelta(days=97 * i)
    return valid_row(provider_trainee_id=f"26/27-{i + 1}", hesa_id=f"{2610000000000 + i}",
                     first_names=FIRST[i % len(FIRST)], last_name=LAST[i % len(LAST)],
                     date_of_birth=dob.isoformat(), email=f"trainee{i}@example.com", **changes)


def make_file(tmp_path: Path, n: int, name: str = "trainees.csv", **extra: dict[str, str]) -> Path:
    rows = [person(i) for i in range(n)]
    for index, changes in extra.items():
        rows[int(index.lstrip("r"))].update(changes)
    return write_csv(tmp_path / name, rows)


@pytest.fixture
def sim(tmp_path):
    s = RegisterSimulator(token=TOKEN, today=TODAY, rate_limit=1000, window=1.0, state_file=tmp_path / "sim-state.json")
    s.start()
    yield s
    s.stop()


def client_for(sim: RegisterSimulator, *, rate: int = 1000, per: float = 1.0, token: str = TOKEN,
               transport: httpx.BaseTransport | None = None) -> RegisterClient:
    # the read timeout is scaled down with the rate window: a lost answer is looked up this long after it
    return RegisterClient(resolve_environment(sim.base_url), token, limiter=RateLimiter(rate, per),
                          retry=RetryPolicy(base_delay=0.02, max_delay=0.1), transport=transport,
                          timeout=httpx.Timeout(1.0, connect=1.0))


def by_hesa(sim: RegisterSimulator) -> Counter[str]:
    return Counter(t["hesa_id"] for t in sim.trainees())


def cli(*args: str) -> int:
    return main(["upload", *args, "--yes", "--no-progress", "--today", TODAY.isoformat(),
                 "--token-env", "REGISTER_API_TOKEN"])


# ---------------------------------------------------------------------- clean runs
def test_clean_upload_from_the_command_line(tmp_path, sim, monkeypatch, capsys):
    """Every row created once; the receipt matches the simulator's records; a second run sends nothing."""
    monkeypatch.setenv("REGISTER_API_TOKEN", TOKEN)
    path = make_file(tmp_path, 12)
    assert cli(str(path), "--env", sim.base_url, "--rate-limit", "1000", "--rate-window", "1") == 0
    err = capsys.readouterr().err
    assert "12 created, 0 already registered, 0 rejected, 0 outstanding" in err
    assert "all 12 created trainees found in Register" in err
    assert by_hesa(sim) == Counter({f"{2610000000000 + i}": 1 for i in range(12)})

    with Journal() as j:
        (batch,) = j.batches()
    meta, rows = read_receipt_csv(Path(batch.receipt_path))
    held = {t["provider_trainee_id"]: t["trainee_id"] for t in sim.trainees()}
    assert {r["provider_trainee_id"]: r["trainee_id"] for r in rows} == held
    assert {r["outcome"] for r in rows} == {"created"} and {r["status"] for r in rows} == {"submitted_for_trn"}
    assert [r["row"] for r in rows] == [str(i) for i in range(2, 14)]
    assert meta["File SHA-256"] == file_sha256(path)
    assert meta["Template version"] == "v2026.1" and meta["Sent by"]

    requests = sim.stats.requests
    assert cli(str(path), "--env", sim.base_url) == 0
    assert "already has an outcome in batch" in capsys.readouterr().err
    assert sim.stats.requests == requests  # nothing sent, not even a connection test


def test_practice_environment_runs_in_process(tmp_path, capsys):
    """--env practice starts the local Register itself and keeps its trainees for a resumed rehearsal."""
    path = make_file(tmp_path, 4)
    assert cli(str(path), "--env", "practice", "--rate-window", "1", "--rate-limit", "1000") == 0
    assert "4 created" in capsys.readouterr().err
    assert practice_state_file().exists()
    assert cli(str(path), "--env", "practice") == 0
    assert "already has an outcome" in capsys.readouterr().err


def test_receipt_copy_as_xlsx(tmp_path, sim, monkeypatch, capsys):
    import openpyxl

    monkeypatch.setenv("REGISTER_API_TOKEN", TOKEN)
    path = make_file(tmp_path, 3)
    out = tmp_path / "receipt.xlsx"
    assert cli(str(path), "--env", sim.base_url, "--rate-window", "1", "--receipt", str(out)) == 0
    wb = openpyxl.load_workbook(out)
    table = list(wb["Receipt"].values)
    assert table[0][:4] == ("row", "provider_trainee_id", "outcome", "trainee_id")
    assert sorted(r[3] for r in table[1:]) == sorted(t["trainee_id"] for t in sim.trainees())
    about = dict(wb["About"].values)
    assert about["Environment"].startswith("Custom") and about["File SHA-256"] == file_sha256(path)


# ---------------------------------------------------------------------- pacing and faults
def test_429_storm_is_waited_out_and_nothing_is_sent_twice(tmp_path):
    """A Register allowing 5 per second, hit by a client that thinks it may send 1000: every row still once."""
    with RegisterSimulator(token=TOKEN, today=TODAY, rate_limit=5, window=1.0) as sim:
        session = ImportSession.open(make_file(tmp_path, 12), today=TODAY)
        with Journal() as journal, client_for(sim) as client:
            result = upload_valid_rows(session, client, journal)
        assert sim.stats.rate_limited > 0 and result.rate_limited > 0
        assert result.created == 12 and result.complete
        assert set(by_hesa(sim).values()) == {1} and len(by_hesa(sim)) == 12


def test_pacing_at_the_limit_provokes_no_429(tmp_path):
    """The client's limiter set to Register's budget: zero 429s."""
    with RegisterSimulator(token=TOKEN, today=TODAY, rate_limit=6, window=0.5) as sim:
        session = ImportSession.open(make_file(tmp_path, 20), today=TODAY)
        with Journal() as journal, client_for(sim, rate=6, per=0.5) as client:
            result = upload_valid_rows(session, client, journal, reconcile=False)
        assert result.created == 20
        assert sim.stats.rate_limited == 0 and result.rate_limited == 0


@pytest.mark.parametrize("duplicate_rule", [True, False], ids=["register", "no-409-safety-net"])
def test_5xx_and_dropped_connections_still_create_every_row_once(tmp_path, duplicate_rule):
    """Faults before and after creation; the user re-runs until done; each trainee exists exactly once.

    Also without Register's duplicate rule, so the journal and look-ups alone must prevent doubles.
    """
    faults = Faults(server_error=0.1, server_error_after=0.1, drop=0.08, drop_after=0.12, seed=11)
    with RegisterSimulator(token=TOKEN, today=TODAY, rate_limit=1000, window=1.0, faults=faults,
                           duplicate_rule=duplicate_rule) as sim:
        session = ImportSession.open(make_file(tmp_path, 30), today=TODAY)
        runs = 0
        with Journal() as journal:
            while True:
                runs += 1
                with client_for(sim) as client:
                    try:
                        result = upload_valid_rows(session, client, journal, max_attempts=6)
                    except ApiError:
                        assert runs < 10, "the upload never completed"
                        continue
                break
            items = journal.items(result.batch_id)
        assert sim.stats.faults > 0
        assert result.complete and result.created == 30
        assert by_hesa(sim) == Counter({f"{2610000000000 + i}": 1 for i in range(30)})
        assert {it.trainee_id for it in items} == {t["trainee_id"] for t in sim.trainees()}
        # lost answers were resolved by a look-up or Register's 409, not by a second trainee
        assert Counter(it.confirmed_by for it in items)["201"] < 30


class LoseAnswers(httpx.BaseTransport):
    """Forwards to the real transport, but the answer to the first ``n`` POSTs is lost after Register acted."""

    def __init__(self, n: int) -> None:
        self.inner = httpx.HTTPTransport()
        self.n = n

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if request.method == "POST" and self.n > 0:
            self.n -= 1
            response.read()
            response.close()
            raise httpx.ReadTimeout("the answer was lost", request=request)
        return response

    def close(self) -> None:
        self.inner.close()


def test_lost_answer_is_found_by_a_look_up_not_sent_again(tmp_path, sim):
    session = ImportSession.open(make_file(tmp_path, 3), today=TODAY)
    with Journal() as journal, client_for(sim, transport=LoseAnswers(1)) as client:
        result = upload_valid_rows(session, client, journal)
        first = journal.items(result.batch_id)[0]
    assert result.created == 3 and len(sim.trainees()) == 3
    assert first.confirmed_by == "lookup" and first.attempts == 1
    assert sim.stats.duplicates == 0  # it was never re-sent


def test_lost_answer_then_409_is_success_with_the_first_attempts_trainee(tmp_path, sim, monkeypatch):
    """If the look-up misses it, the re-send's 409 proves the trainee exists: a success, not a duplicate."""
    monkeypatch.setattr(upload_mod, "look_up", lambda *a, **k: None)
    session = ImportSession.open(make_file(tmp_path, 2), today=TODAY)
    with Journal() as journal, client_for(sim, transport=LoseAnswers(1)) as client:
        result = upload_valid_rows(session, client, journal)
        first = journal.items(result.batch_id)[0]
    assert result.created == 2 and result.already_registered == 0
    assert first.confirmed_by == "409" and first.attempts == 2
    assert first.trainee_id == sim.trainees()[0]["trainee_id"]
    assert not result.findings.frame["code"].eq("api.already_registered").any()


# ---------------------------------------------------------------------- Register's answers on the cells
def test_422_and_409_map_back_to_cells(tmp_path, sim):
    """A row Register rejects gets api.rejected on the cell it names; one it already holds, api.already_registered."""
    with client_for(sim) as c:
        existing = c.create_trainee(build_payload(person(1))).trainee_id  # registered earlier, by someone else
    path = make_file(tmp_path, 4, r2={"employing_school_urn": "123456"})
    session = ImportSession.open(path, today=TODAY)
    with Journal() as journal, client_for(sim) as client:
        result = upload_valid_rows(session, client, journal)
    assert (result.created, result.already_registered, result.rejected) == (2, 1, 1)
    f = session.findings.frame
    rejected = f[f["code"] == "api.rejected"]
    assert list(zip(rejected["row"], rejected["field"], strict=True)) == [(2, "employing_school_urn")]
    assert rejected["register_message"].iloc[0] == \
        "employing_school_id is invalid. The URN '123456' does not match any known schools"
    already = f[f["code"] == "api.already_registered"]
    assert list(already["row"]) == [1] and list(already["value"]) == [existing]
    assert list(already["severity"]) == ["warning"]
    assert 2 not in set(session.valid_positions())  # the rejected row now shows as an error in the grid


def test_cli_lists_registers_answers_and_exits_1(tmp_path, sim, monkeypatch, capsys):
    monkeypatch.setenv("REGISTER_API_TOKEN", TOKEN)
    path = make_file(tmp_path, 3, r0={"training_partner_urn": "123456"})
    assert cli(str(path), "--env", sim.base_url, "--rate-window", "1") == 1
    err = capsys.readouterr().err
    assert "2 created, 0 already registered, 1 rejected" in err
    assert "2    training_partner_urn" in err and "does not match any known training partners" in err


# ---------------------------------------------------------------------- stopping
def test_401_stops_before_anything_is_sent_and_keeps_every_row(tmp_path, sim):
    session = ImportSession.open(make_file(tmp_path, 3), today=TODAY)
    with Journal() as journal:
        with client_for(sim, token="practice_wrong") as client, pytest.raises(AuthenticationError):
            upload_valid_rows(session, client, journal)
        assert journal.batches() == []  # the token is proven (GET /info) before anything is recorded or sent
        with client_for(sim) as client:
            assert upload_valid_rows(session, client, journal).created == 3
    assert len(sim.trainees()) == 3


def test_cli_without_a_usable_token_says_what_to_do(tmp_path, sim, monkeypatch, capsys):
    path = make_file(tmp_path, 2)
    assert cli(str(path), "--env", sim.base_url) == 2
    assert "No API token is saved" in capsys.readouterr().err
    monkeypatch.setenv("REGISTER_API_TOKEN", "practice_wrong")
    assert cli(str(path), "--env", sim.base_url) == 2
    err = capsys.readouterr().err
    assert "did not accept the API token" in err and "token set --env" in err
    assert "Traceback" not in err and sim.trainees() == []


def test_pause_and_cancel_from_another_thread_then_resume(tmp_path, sim):
    """Pause holds between requests; cancel stops cleanly; the next run sends only the rest."""
    session = ImportSession.open(make_file(tmp_path, 8), today=TODAY)
    pause, token = PauseSwitch(), CancelToken()
    paused = threading.Event()
    outcome: dict[str, object] = {}

    def on_row(row):
        if len(sim.trainees()) == 3:
            pause.pause()
            paused.set()

    def work():
        with Journal() as journal, client_for(sim) as client:
            try:
                upload_valid_rows(session, client, journal, pause=pause, token=token, on_row=on_row)
            except Cancelled:
                outcome["cancelled"] = True

    t = threading.Thread(target=work)
    t.start()
    assert paused.wait(10)
    held = sim.stats.requests
    t.join(0.4)
    assert t.is_alive() and sim.stats.requests == held  # paused: nothing sent
    token.cancel()
    t.join(5)
    assert not t.is_alive() and outcome == {"cancelled": True}
    assert len(sim.trainees()) == 3
    with Journal() as journal, client_for(sim) as client:
        result = upload_valid_rows(session, client, journal)
    assert result.created == 8 and len(result.rows) == 5
    assert set(by_hesa(sim).values()) == {1}


def test_plan_says_what_would_be_sent_and_how_long(tmp_path, sim):
    path = make_file(tmp_path, 5, r4={"sex": "Female"})
    session = ImportSession.open(path, today=TODAY)
    env = resolve_environment(sim.base_url)
    with Journal() as journal:
        plan = plan_upload(session, journal, env, limiter=RateLimiter(2, 60))
        assert (plan.valid_rows, plan.invalid_rows, plan.to_send, plan.resuming) == (4, 1, 4, False)
        assert plan.estimated_seconds == pytest.approx(60)
        with client_for(sim) as client:
            upload_valid_rows(session, client, journal)
        again = plan_upload(session, journal, env)
        assert again.nothing_to_send and again.already_done == 4


def test_reference_data_refresh_is_cached_per_version(sim):
    with client_for(sim) as client:
        lists = refresh_reference_data(client, bundled_code_lists())
    assert lists.source == "api" and lists.date == dt.datetime.now(dt.UTC).date().isoformat()
    cached = cached_code_lists("v2026.1")
    assert cached is not None and cached.label == lists.label
    assert "10" in cached["sex"].codes


# ---------------------------------------------------------------------- secrets
def test_no_file_the_app_wrote_contains_the_token(tmp_path, sim, monkeypatch, capsys, caplog):
    """Token saved with `token set`, used by `upload`, receipts and history written: no file holds it."""
    import logging

    caplog.set_level(logging.DEBUG)
    monkeypatch.setattr("sys.stdin", io.StringIO(TOKEN + "\n"))
    assert main(["token", "set", "--env", sim.base_url, "--stdin"]) == 0
    path = make_file(tmp_path, 5, r1={"sex": "Female"})
    assert cli(str(path), "--env", sim.base_url, "--rate-window", "1", "--receipt", str(tmp_path / "r.xlsx")) == 1
    assert main(["history", "1", "--receipt", str(tmp_path / "again.csv")]) == 0
    assert main(["history", "--format", "json"]) == 0
    assert main(["token", "status", "--env", sim.base_url]) == 0
    out = capsys.readouterr()
    assert len(sim.trainees()) == 4
    secret = TOKEN.encode()
    scanned = 0
    for f in tmp_path.rglob("*"):
        if f.is_file():
            data = f.read_bytes()
            scanned += 1
            assert secret not in data and secret[9:] not in data, f"token found in {f}"
    assert scanned >= 5  # journal, receipts, simulator state, the csv ...
    assert TOKEN not in out.out + out.err
    assert all(TOKEN not in r.getMessage() for r in caplog.records)


def test_history_lists_shows_and_forgets(tmp_path, sim, monkeypatch, capsys):
    monkeypatch.setenv("REGISTER_API_TOKEN", TOKEN)
    cli(str(make_file(tmp_path, 2)), "--env", sim.base_url, "--rate-window", "1")
    capsys.readouterr()
    assert main(["history"]) == 0
    listing = capsys.readouterr().out
    assert "trainees.csv" in listing and "Custom" in listing
    with Journal() as j:
        label = j.batch(1).meta.environment_label
    assert len(label) > 12 and label in listing  # the whole environment, not "Custom (127."
    assert main(["history", "1"]) == 0
    assert "2 rows: 2 created" in capsys.readouterr().out
    with Journal() as j:
        receipt = Path(j.batch(1).receipt_path)
    assert receipt.exists()
    assert main(["history", "1", "--forget", "--yes"]) == 0
    assert not receipt.exists()
    assert main(["history", "1"]) == 2
    assert "There is no batch 1" in capsys.readouterr().err


def test_edited_session_state_carries_into_the_journal(tmp_path, sim):
    """Rows the journal never sent take the session's latest values (an edit after a failed start)."""
    session = ImportSession.open(make_file(tmp_path, 2), today=TODAY)
    with Journal() as journal:
        with client_for(sim, token="practice_wrong") as client, pytest.raises(AuthenticationError):
            upload_valid_rows(session, client, journal)
        session.apply_edits([(0, "email", "new.address@example.com")])
        with client_for(sim) as client:
            upload_valid_rows(session, client, journal)
    assert {t["email"] for t in sim.trainees()} == {"new.address@example.com", "trainee1@example.com"}


def test_a_rejected_row_fixed_in_the_session_is_sent_again(tmp_path, sim):
    """The window's flow: Register rejects a row, the user fixes the cell, uploads again: only that row goes."""
    path = make_file(tmp_path, 4, r1={"employing_school_urn": "123456"}, r2={"training_partner_urn": "123456"})
    session = ImportSession.open(path, today=TODAY)
    with Journal() as journal:
        with client_for(sim) as client:
            first = upload_valid_rows(session, client, journal)
        assert (first.created, first.rejected) == (2, 2)
        assert 1 not in set(session.valid_positions())  # shown as an error in the grid
        session.apply_edits([(1, "employing_school_urn", "900030")])
        plan = plan_upload(session, journal, client.environment)
        assert (plan.to_send, plan.already_done) == (1, 3)
        posts = sim.stats.created + sim.stats.rejected
        with client_for(sim) as client:
            second = upload_valid_rows(session, client, journal)
    assert [r.source_row for r in second.rows] == [3]
    assert sim.stats.created + sim.stats.rejected == posts + 1  # the unchanged rejected row was not re-sent
    assert (second.created, second.rejected) == (3, 1)
    f = session.findings.frame
    assert list(f.loc[f["code"] == "api.rejected", "row"]) == [2]


def test_the_window_applies_findings_itself_and_clears_them_on_edit(tmp_path, sim):
    """apply_findings=False leaves the session alone (the Job's thread); the slot applies them later."""
    session = ImportSession.open(make_file(tmp_path, 2, r0={"employing_school_urn": "123456"}), today=TODAY)
    before = len(session.findings)
    with Journal() as journal, client_for(sim) as client:
        result = upload_valid_rows(session, client, journal, apply_findings=False)
    assert len(session.findings) == before and len(result.findings) == 1
    session.set_api_findings(result.findings)
    assert session.has_api_findings
    assert list(session.findings.frame["code"]).count("api.rejected") == 1
    assert session.summary()["valid_rows"] == 1  # the rejected row is not ready
    session.apply_edits([(0, "employing_school_urn", "900030")])
    assert "api.rejected" not in set(session.findings.frame["code"])
    assert not session.has_api_findings
    assert session.summary()["valid_rows"] == 2


def test_upload_maps_a_provider_export_like_check_does(tmp_path, sim, monkeypatch, capsys):
    """Provider headers and labels are mapped by the same code as `check` before anything is sent."""
    monkeypatch.setenv("REGISTER_API_TOKEN", TOKEN)
    export = Path(__file__).resolve().parents[1] / "data" / "exports" / "sits-labels.csv"
    assert main(["check", str(export), "--format", "json", "--today", TODAY.isoformat()]) in (0, 1)
    valid = json.loads(capsys.readouterr().out)["summary"]["valid_rows"]
    assert valid > 0
    code = cli(str(export), "--env", sim.base_url, "--rate-window", "1")
    assert code in (0, 1)
    assert len(sim.trainees()) == valid
    assert all(t["sex"] in {"10", "11", "12", "96", "99"} for t in sim.trainees())  # codes, not labels
