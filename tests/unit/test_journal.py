"""The upload journal: durable states, user-only file, no personal data, forgetting, one uploader per batch."""

import os
import sqlite3
import subprocess
import sys

import pytest

from desktop.core.journal import BatchMeta, ItemState, Journal, NewItem
from desktop.core.ledger import (
    AlreadyInRegister,
    Lease,
    LeaseLost,
    Ledger,
    UploadRunningError,
    identity_of,
    running_uploads,
)


def meta(key="k1"):
    return BatchMeta(key=key, environment="sandbox", environment_label="Sandbox", base_url="https://x/api/v2026.1",
                     file_name="trainees.csv", file_hash="ab" * 32, sheet=None, template_version="v2026.1",
                     reference_data="v2026.1 (bundled, 2026-07-27)", app_version="0.1.0", account="amelia")


def items(n=3):
    return [NewItem(source_row=i + 2, position=i, fingerprint=f"f{i}", payload_hash=f"p{i}", cycle=2026) for i in range(n)]


@pytest.fixture
def journal(tmp_path):
    with Journal(tmp_path / "j.sqlite3") as j:
        yield j


def test_new_batch_starts_pending(journal):
    b = journal.start_batch(meta(), items())
    batch = journal.batch(b)
    assert batch.counts == {"pending": 3} and batch.status == "open" and batch.outstanding == 3
    assert journal.latest_batch("k1").id == b and journal.latest_batch("other") is None


def identity(journal, hesa="2610000000001", email="a@example.com", first="Siân"):
    row = {"hesa_id": hesa, "itt_start_date": "2026-09-01", "trainee_start_date": "", "date_of_birth": "1990-04-13",
           "last_name": "O'Brien", "first_names": first, "training_route": "11", "email": email}
    return identity_of(row, journal, "body")


def test_sending_then_created(journal):
    b = journal.start_batch(meta(), items())
    it = journal.item_at(b, 2)
    ledger = Ledger(journal, "sandbox")
    e = ledger.mark_sending(identity(journal), item_id=it.id, sent_at="2026-11-28T10:00:00.000Z", owner=None)
    it = journal.item(it.id)
    assert it.state == ItemState.SENDING and it.maybe_sent and it.attempts == 1 and it.first_sent_at
    assert ledger.entry(e).in_flight and [r.kind for r in ledger.open_requests()] == ["create"]
    ledger.record_created(e, it.id, trainee_id="t" * 24, trainee_state="submitted_for_trn", confirmed_by="201",
                          http_status=201)
    it = journal.item(it.id)
    assert it.final and it.trainee_id == "t" * 24 and it.http_status == 201
    assert ledger.entry(e).in_register and ledger.open_requests() == []
    assert ledger.find(identity(journal)).id == e  # the same trainee, whatever file or batch it comes from


def test_a_crash_mid_request_reads_back_as_maybe_sent(tmp_path):
    """State 'sending' committed before the request survives the process; reopened it is 'maybe sent'."""
    path = tmp_path / "j.sqlite3"
    with Journal(path) as j:
        b = j.start_batch(meta(), items())
        item_id = j.item_at(b, 3).id
    code = ("import pathlib; from desktop.core.journal import Journal; from tests.unit.test_journal import identity;"
            "from desktop.core.ledger import Ledger;"
            f"j = Journal(pathlib.Path({str(path)!r})); Ledger(j, 'sandbox').mark_sending(identity(j), item_id={item_id},"
            " sent_at='2026-11-28T10:00:00.000Z', owner=None); import os; os._exit(9)")  # no close, no cleanup
    subprocess.run([sys.executable, "-c", code], check=False, cwd=os.getcwd())
    with Journal(path) as j:
        it = j.item(item_id)
        entry = Ledger(j, "sandbox").find(identity(j))
    assert it.state == ItemState.SENDING and it.maybe_sent and not it.final
    assert entry is not None and entry.in_flight and entry.last_sent_at == "2026-11-28T10:00:00.000Z"


def test_not_sent_goes_back_to_pending_unless_an_earlier_attempt_may_have_arrived(journal):
    b = journal.start_batch(meta(), items())
    ledger = Ledger(journal, "sandbox")
    one, two = journal.item_at(b, 2), journal.item_at(b, 3)
    e = ledger.mark_sending(identity(journal), item_id=one.id, sent_at="2026-11-28T10:00:00.000Z", owner=None)
    ledger.mark_not_sent(e, one.id)
    assert journal.item(one.id).state == ItemState.PENDING and not ledger.entry(e).in_flight
    e2 = ledger.mark_sending(identity(journal, hesa="2610000000002"), item_id=two.id, sent_at="x", owner=None)
    ledger.mark_unknown(e2, two.id, 503)
    ledger.mark_sending(identity(journal, hesa="2610000000002"), item_id=two.id, sent_at="y", owner=None, entry_id=e2)
    ledger.mark_not_sent(e2, two.id)
    it = journal.item(two.id)
    assert it.state == ItemState.UNKNOWN and it.maybe_sent and it.attempts == 2
    assert ledger.entry(e2).in_flight  # the first attempt may still have arrived


def test_status_complete_when_every_row_has_an_outcome(journal):
    b = journal.start_batch(meta(), items(2))
    ledger = Ledger(journal, "sandbox")
    one, two = journal.item_at(b, 2), journal.item_at(b, 3)
    e = ledger.mark_sending(identity(journal), item_id=one.id, sent_at="x", owner=None)
    ledger.record_rejected(e, one.id, http_status=422, messages=["email Enter an email address"])
    assert journal.refresh_status(b) == "open"
    e2 = ledger.mark_sending(identity(journal, hesa="2610000000002"), item_id=two.id, sent_at="x", owner=None)
    ledger.record_already_registered(e2, two.id, trainee_id="x" * 24, trainee_state=None, http_status=409, messages=[])
    assert journal.refresh_status(b) == "complete"
    batch = journal.batch(b)
    assert batch.finished_at and batch.counts == {"rejected": 1, "already_registered": 1}
    assert journal.item(one.id).messages == ("email Enter an email address",)
    assert not ledger.entry(e).in_register and ledger.entry(e2).in_register


def test_the_ledger_knows_a_trainee_whose_hesa_id_was_corrected(journal):
    """Same date of birth, surname, route, cycle and first name (Register's own rule): the same trainee."""
    ledger = Ledger(journal, "sandbox")
    e = ledger.mark_sending(identity(journal), item_id=None, sent_at="x", owner=None)
    ledger.record_created(e, None, trainee_id="t" * 24, trainee_state=None, confirmed_by="201", http_status=201)
    assert ledger.find(identity(journal, hesa="2610000000099")).id == e
    assert ledger.find(identity(journal, hesa="2610000000099", first="Aoife")).id == e  # by e-mail
    assert ledger.find(identity(journal, hesa="2610000000099", first="Aoife", email="b@example.com")) is None
    other = Ledger(journal, "production")
    assert other.find(identity(journal)) is None  # another environment is another place


def test_field_hashes_say_what_changed_without_the_values(journal):
    a = identity(journal)
    b = identity(journal, email="new@example.com", first="Siân Mair")
    ledger = Ledger(journal, "sandbox")
    e = ledger.mark_sending(a, item_id=None, sent_at="x", owner=None)
    assert ledger.entry(e).differs(b.fields) == ["email", "first_names"]
    assert "new@example.com" not in str(b.fields)
    assert all(len(h) == 16 for k, h in b.fields.items() if k != "_scheme")


def test_second_registration_is_a_new_entry(journal):
    ledger = Ledger(journal, "sandbox")
    e = ledger.mark_sending(identity(journal), item_id=None, sent_at="x", owner=None)
    ledger.record_created(e, None, trainee_id="t" * 24, trainee_state=None, confirmed_by="201", http_status=201)
    with pytest.raises(AlreadyInRegister):
        ledger.mark_sending(identity(journal), item_id=None, sent_at="x", owner=None)
    e2 = ledger.mark_sending(identity(journal), item_id=None, sent_at="x", owner=None, new_registration="asked by amelia")
    assert ledger.entry(e2).registration == 2 and ledger.entry(e2).override == "asked by amelia"


def test_batches_newest_first_with_counts(journal):
    a = journal.start_batch(meta("a"), items(1))
    b = journal.start_batch(meta("b"), items(2))
    assert [(x.id, x.total) for x in journal.batches()] == [(b, 2), (a, 1)]


def test_forget_removes_the_batch_for_good_and_keeps_the_ledger(tmp_path):
    path = tmp_path / "j.sqlite3"
    with Journal(path) as j:
        b = j.start_batch(meta(), items())
        ledger = Ledger(j, "sandbox")
        it = j.item_at(b, 2)
        e = ledger.mark_sending(identity(j), item_id=it.id, sent_at="x", owner=None)
        ledger.record_rejected(e, it.id, http_status=422, messages=["email ZZsecretMessageZZ"])
        e2 = ledger.mark_sending(identity(j, hesa="2610000000002"), item_id=j.item_at(b, 3).id, sent_at="x", owner=None)
        ledger.record_created(e2, j.item_at(b, 3).id, trainee_id="t" * 24, trainee_state=None, confirmed_by="201",
                              http_status=201)
        assert j.forget(b) and j.batch(b) is None and j.items(b) == []
        assert not j.forget(b)
        assert ledger.find(identity(j, hesa="2610000000002")).in_register  # never sent again, batch or not
    assert b"ZZsecretMessageZZ" not in path.read_bytes()  # secure_delete: overwritten, not just unlinked


def test_file_is_user_only(tmp_path):
    path = tmp_path / "j.sqlite3"
    with Journal(path) as j:
        j.start_batch(meta(), items())
    assert oct(path.stat().st_mode & 0o777) == "0o600"


def test_keyed_hashes_depend_on_the_journal(tmp_path):
    with Journal(tmp_path / "a.sqlite3") as a, Journal(tmp_path / "b.sqlite3") as b:
        assert a.keyed_hash("Siân", "1990-04-13") == a.keyed_hash("Siân", "1990-04-13")
        assert a.keyed_hash("Siân", "1990-04-13") != b.keyed_hash("Siân", "1990-04-13")


def test_one_writer_per_environment(journal):
    with Lease(journal, "sandbox") as first, Journal(journal.path) as other:
        with pytest.raises(UploadRunningError, match=rf"pid {os.getpid()}"):
            Lease(other, "sandbox").acquire()
        with Lease(other, "production"):  # another environment is free
            pass
        assert [i.pid for i in running_uploads(other)] == [os.getpid()]
        # a writer that lost its lease can journal nothing (and so send nothing)
        ledger = Ledger(other, "sandbox")
        with pytest.raises(LeaseLost):
            ledger.mark_sending(identity(other), item_id=None, sent_at="x", owner="someone-else")
        ledger.mark_sending(identity(other), item_id=None, sent_at="x", owner=first.owner)
    with Lease(journal, "sandbox"):  # released afterwards
        pass
    assert running_uploads(journal) == []


def test_damaged_file_gives_a_clear_message(tmp_path):
    path = tmp_path / "j.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    from desktop.core.journal import JournalError

    with pytest.raises(JournalError, match="cannot be opened"):
        Journal(path)


def test_schema_is_what_the_docstring_promises(journal):
    """No column for names, dates of birth, e-mails or other row contents."""
    db = sqlite3.connect(journal.path)
    cols = {r[1] for r in db.execute("PRAGMA table_info(item)")}
    assert cols == {"id", "batch_id", "source_row", "position", "trainee_key", "fingerprint", "payload_hash", "cycle",
                    "state", "maybe_sent", "attempts", "first_sent_at", "last_sent_at", "http_status", "trainee_id",
                    "trainee_state", "confirmed_by", "messages", "updated_at", "ledger_id", "differs"}
    cols = {r[1] for r in db.execute("PRAGMA table_info(trainee)")}
    assert cols == {"id", "environment", "account", "trainee_key", "registration", "legacy_fingerprint", "match_name",
                    "match_email", "state", "trainee_id", "trainee_state", "cycle", "sent_hashes", "held_hashes",
                    "body_hash", "batch_id", "source_row", "owner", "attempts", "first_sent_at", "last_sent_at",
                    "confirmed_by", "override", "created_at", "updated_at", "settled_at"}


def test_no_personal_value_is_written(journal):
    """Names, e-mails, dates of birth and the HESA ID go in as keyed hashes only."""
    ledger = Ledger(journal, "sandbox")
    e = ledger.mark_sending(identity(journal), item_id=None, sent_at="x", owner=None)
    ledger.record_created(e, None, trainee_id="t" * 24, trainee_state=None, confirmed_by="201", http_status=201)
    journal.close()
    data = b"".join(p.read_bytes() for p in journal.path.parent.glob(journal.path.name + "*"))
    for value in ("2610000000001", "O'Brien", "Siân", "a@example.com", "1990-04-13"):
        assert value.encode() not in data


def test_finished_runs_are_forgotten_after_the_period_but_their_requests_stay_on_the_ledger(journal):
    """Runs are views (like batches): retention deletes them; the ledger's requests, which stop a repeat, stay."""
    ledger = Ledger(journal, "sandbox")
    entry = ledger.mark_sending(identity(journal), item_id=None, sent_at="2026-01-01T00:00:00Z", owner=None)
    run = journal.start_run("withdraw", environment="sandbox", environment_label="Sandbox", file_name="w.csv",
                            app_version="0")
    req = ledger.begin_request(entry, "withdraw", body_hash="h", sent_at="2026-01-01T00:00:00Z", owner=None,
                               run_id=run, row_key="k")
    ledger.settle_request(req, "done", confirmed_by="answer")
    journal.finish_run(run, {"done": 1})
    open_run = journal.start_run("defer", environment="sandbox", environment_label="Sandbox", file_name="d.csv",
                                 app_version="0")
    assert journal.forget_runs("2000-01-01T00:00:00Z") == 0
    assert journal.forget_runs("2999-01-01T00:00:00Z") == 1
    assert [r.id for r in journal.runs()] == [open_run]  # an unfinished run is kept
    done = ledger.done_request("withdraw", "h", row_key="k")
    assert done is not None and done.run_id is None  # still stops the same request being sent again
