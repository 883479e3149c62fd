"""The upload journal: durable states, user-only file, no personal data, forgetting, one uploader per batch."""

import os
import sqlite3
import subprocess
import sys

import pytest

from desktop.core.journal import BatchBusyError, BatchMeta, ItemState, Journal, NewItem


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


def test_sending_then_created(journal):
    b = journal.start_batch(meta(), items())
    journal.mark_sending(b, 2, "p0")
    it = journal.item(b, 2)
    assert it.state == ItemState.SENDING and it.maybe_sent and it.attempts == 1 and it.first_sent_at
    journal.mark_result(b, 2, ItemState.CREATED, http_status=201, trainee_id="t" * 24, trainee_state="submitted_for_trn",
                        confirmed_by="201")
    it = journal.item(b, 2)
    assert it.final and it.trainee_id == "t" * 24 and it.http_status == 201


def test_a_crash_mid_request_reads_back_as_maybe_sent(tmp_path):
    """State 'sending' committed before the request survives the process; reopened it is 'maybe sent'."""
    path = tmp_path / "j.sqlite3"
    with Journal(path) as j:
        b = j.start_batch(meta(), items())
    code = (f"from desktop.core.journal import Journal; j = Journal(__import__('pathlib').Path({str(path)!r}));"
            f"j.mark_sending({b}, 3, 'p1'); import os; os._exit(9)")  # no close, no cleanup
    subprocess.run([sys.executable, "-c", code], check=False, cwd=os.getcwd())
    with Journal(path) as j:
        it = j.item(b, 3)
    assert it.state == ItemState.SENDING and it.maybe_sent and not it.final


def test_not_sent_goes_back_to_pending_unless_an_earlier_attempt_may_have_arrived(journal):
    b = journal.start_batch(meta(), items())
    journal.mark_sending(b, 2, "p0")
    journal.mark_not_sent(b, 2)
    assert journal.item(b, 2).state == ItemState.PENDING
    journal.mark_sending(b, 3, "p1")
    journal.mark_unknown(b, 3, 503)
    journal.mark_sending(b, 3, "p1")
    journal.mark_not_sent(b, 3)
    it = journal.item(b, 3)
    assert it.state == ItemState.UNKNOWN and it.maybe_sent and it.attempts == 2


def test_only_outcomes_are_final(journal):
    b = journal.start_batch(meta(), items())
    with pytest.raises(ValueError):
        journal.mark_result(b, 2, ItemState.UNKNOWN, http_status=None)


def test_status_complete_when_every_row_has_an_outcome(journal):
    b = journal.start_batch(meta(), items(2))
    journal.mark_result(b, 2, ItemState.REJECTED, http_status=422, messages=["email Enter an email address"])
    assert journal.refresh_status(b) == "open"
    journal.mark_result(b, 3, ItemState.ALREADY, http_status=409, trainee_id="x" * 24)
    assert journal.refresh_status(b) == "complete"
    batch = journal.batch(b)
    assert batch.finished_at and batch.counts == {"rejected": 1, "already_registered": 1}
    assert journal.item(b, 2).messages == ("email Enter an email address",)


def test_batches_newest_first_with_counts(journal):
    a = journal.start_batch(meta("a"), items(1))
    b = journal.start_batch(meta("b"), items(2))
    assert [(x.id, x.total) for x in journal.batches()] == [(b, 2), (a, 1)]


def test_forget_removes_the_batch_for_good(tmp_path):
    path = tmp_path / "j.sqlite3"
    with Journal(path) as j:
        b = j.start_batch(meta(), items())
        j.mark_result(b, 2, ItemState.CREATED, http_status=201, trainee_id="ZZsecretTraineeIdZZ0000")
        assert j.forget(b) and j.batch(b) is None and j.items(b) == []
        assert not j.forget(b)
    assert b"ZZsecretTraineeIdZZ0000" not in path.read_bytes()  # secure_delete: overwritten, not just unlinked


def test_file_is_user_only(tmp_path):
    path = tmp_path / "j.sqlite3"
    with Journal(path) as j:
        j.start_batch(meta(), items())
    assert oct(path.stat().st_mode & 0o777) == "0o600"


def test_keyed_hashes_depend_on_the_journal(tmp_path):
    with Journal(tmp_path / "a.sqlite3") as a, Journal(tmp_path / "b.sqlite3") as b:
        assert a.keyed_hash("Siân", "1990-04-13") == a.keyed_hash("Siân", "1990-04-13")
        assert a.keyed_hash("Siân", "1990-04-13") != b.keyed_hash("Siân", "1990-04-13")


def test_one_uploader_per_batch(journal):
    b = journal.start_batch(meta(), items())
    with journal.lock(b), Journal(journal.path) as other, pytest.raises(BatchBusyError), other.lock(b):
        pass
    with journal.lock(b):  # released afterwards
        pass


def test_damaged_file_gives_a_clear_message(tmp_path):
    path = tmp_path / "j.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    from desktop.core.journal import JournalError

    with pytest.raises(JournalError, match="cannot be opened"):
        Journal(path)


def test_schema_is_what_the_docstring_promises(journal):
    """No column for names, dates of birth, e-mails or other row contents."""
    cols = {r[1] for r in sqlite3.connect(journal.path).execute("PRAGMA table_info(item)")}
    assert cols == {"batch_id", "source_row", "position", "fingerprint", "payload_hash", "cycle", "state", "maybe_sent",
                    "attempts", "first_sent_at", "last_sent_at", "http_status", "trainee_id", "trainee_state",
                    "confirmed_by", "messages", "updated_at"}
