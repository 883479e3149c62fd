"""Retention: finished uploads, receipts, autosaves, practice data and logs expire; unfinished batches never do."""

from __future__ import annotations

import io
import os
import time
from pathlib import Path

import pytest

from desktop.cli import main
from desktop.core import retention
from desktop.core.journal import FILE_NAME, BatchMeta, Journal, NewItem
from desktop.core.ledger import Ledger, hold_batch
from desktop.core.paths import config_dir, data_dir
from desktop.core.receipt import receipts_dir
from desktop.core.retention import DAY, expire, purge
from desktop.core.upload_receipts import write_batch_receipt
from tests.helpers import journal_outcome

TRAINEE_ID = "ZZretainedTraineeId00001"


def meta(key: str) -> BatchMeta:
    return BatchMeta(key=key, environment="sandbox", environment_label="Sandbox", base_url="https://x/api/v2026.1",
                     file_name=f"{key}.csv", file_hash="ab" * 32, sheet=None, template_version="v2026.1",
                     reference_data="v2026.1 (bundled, 2026-07-27)", app_version="0.1.0", account="amelia")


def batch(key: str, *, finished: bool, trainee_id: str = TRAINEE_ID) -> int:
    """A batch of two rows in the data folder's journal, with the receipt the app keeps."""
    with Journal() as j:
        b = j.start_batch(meta(key), [NewItem(source_row=r, position=r - 2, fingerprint=f"f{r}", payload_hash=f"p{r}",
                                              cycle=2026) for r in (2, 3)])
        journal_outcome(j, b, 2, "created", trainee_id=trainee_id)
        if finished:
            journal_outcome(j, b, 3, "rejected", messages=["email Enter an email address"])
        else:
            journal_outcome(j, b, 3, "sending")  # may have reached Register: must never be forgotten by age
        j.refresh_status(b)
        write_batch_receipt(j, j.batch(b))
    return b


def receipt_of(b: int) -> Path:
    with Journal() as j:
        return Path(j.batch(b).receipt_path)


def aged(path: Path, days: float) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        path.write_text("x", "utf-8")
    t = time.time() - days * DAY
    os.utime(path, (t, t))
    return path


def batch_ids() -> list[int]:
    with Journal() as j:
        return sorted(b.id for b in j.batches())


def test_finished_batches_and_their_receipts_expire_after_90_days():
    b = batch("old", finished=True)
    receipt = receipt_of(b)
    assert expire().batches == [] and batch_ids() == [b]  # young: kept
    report = expire(now=time.time() + 91 * DAY)
    assert report.batches == [b] and report.receipts == [receipt]
    assert batch_ids() == [] and not receipt.exists()
    data = (data_dir() / FILE_NAME).read_bytes()
    assert b"Enter an email address" not in data  # the batch's rows: overwritten, not just unlinked
    with Journal() as j:  # the ledger keeps the trainee (keyed hashes and Register's id): never sent twice
        assert [e.trainee_id for e in Ledger(j, "sandbox").entries() if e.in_register] == [TRAINEE_ID]


def test_unfinished_batches_are_never_purged_and_the_user_is_told_why():
    b = batch("open", finished=False)
    receipt = receipt_of(b)
    for report in (expire(now=time.time() + 1000 * DAY), purge(everything=True)):
        assert report.batches == [] and [k.id for k in report.kept_unfinished] == [b]
        assert receipt.exists() and batch_ids() == [b]
    text = "\n".join(report.lines())
    assert f"Kept batch {b}" in text and "unfinished" in text and f"history {b} --forget" in text


def test_purge_all_removes_every_finished_batch_and_keeps_unfinished_ones():
    done, open_ = batch("a", finished=True), batch("b", finished=False)
    report = purge(everything=True)
    assert report.batches == [done] and batch_ids() == [open_]


def test_purge_older_than_days():
    b = batch("recent", finished=True)
    old_log = aged(data_dir() / "logs" / "register-desktop.log.1", 12)
    new_log = aged(data_dir() / "logs" / "register-desktop.log", 2)
    report = purge(older_than_days=10)
    assert report.batches == [] and batch_ids() == [b]  # finished just now
    assert report.files["logs"] == [old_log] and not old_log.exists() and new_log.exists()
    assert purge(older_than_days=10, now=time.time() + 11 * DAY).batches == [b]


@pytest.mark.parametrize(("kind", "name"), [("autosave", "session.json"), ("autosave", "session.unreadable"),
                                        ("practice", "register-state.json"), ("logs", "register-desktop.log")])
def test_autosaves_practice_data_and_logs_expire_after_30_days(kind, name):
    old = aged(data_dir() / kind / name, 31)
    young = aged(data_dir() / kind / ("young-" + name), 29)
    report = expire()
    assert report.files[kind] == [old] and not old.exists() and young.exists()


def test_temporary_files_left_by_a_crash_expire_after_a_day_in_both_folders():
    stale = [aged(data_dir() / "autosave" / ".session.json.tmp", 2), aged(config_dir() / ".settings.json.tmp", 2)]
    fresh = aged(data_dir() / ".upload.tmp", 0.1)
    report = expire()
    assert sorted(report.files["temporary"]) == sorted(stale) and fresh.exists()
    assert not any(p.exists() for p in stale)


def test_dry_run_removes_nothing():
    b = batch("dry", finished=True)
    log = aged(data_dir() / "logs" / "register-desktop.log", 40)
    report = purge(everything=True, dry_run=True)
    assert report.batches == [b] and report.files["logs"] == [log]
    assert batch_ids() == [b] and log.exists() and receipt_of(b).exists()
    assert report.lines()[0].startswith("Would remove 1 finished upload batch")


def test_a_batch_being_uploaded_is_left_alone():
    b = batch("busy", finished=True)
    with Journal() as j, hold_batch(j, b):
        report = purge(everything=True)
    assert report.busy == [b] and batch_ids() == [b]
    assert purge(everything=True).batches == [b]


def test_copies_the_user_saved_elsewhere_are_not_touched(tmp_path):
    b = batch("copy", finished=True)
    with Journal() as j:
        copy = write_batch_receipt(j, j.batch(b), path=tmp_path / "my-receipt.csv")
    purge(everything=True)
    assert copy.exists() and not any(receipts_dir().glob(f"receipt-{b}-*"))


def test_orphan_receipts_expire_by_age():
    orphan = aged(receipts_dir() / "receipt-99-sandbox-20260101-000000.csv", 91)
    young = aged(receipts_dir() / "receipt-98-sandbox-20261101-000000.csv", 10)
    report = expire()
    assert report.receipts == [orphan] and not orphan.exists() and young.exists()


def test_expire_never_raises(caplog):
    (data_dir() / FILE_NAME).write_bytes(b"not a database" * 100)
    report = expire()
    assert not report.removed_anything
    assert "Expiring old data failed" in caplog.text


def test_no_journal_is_created_by_expiring():
    expire()
    assert not (data_dir() / FILE_NAME).exists()


# ---------------------------------------------------------------------- the command
def test_purge_command_applies_the_periods_by_default(capsys):
    b = batch("cli", finished=True)
    assert main(["purge"]) == 0
    out = capsys.readouterr().out
    assert "after 90 days" in out and "Nothing to remove." in out and batch_ids() == [b]


def test_purge_all_asks_unless_yes(capsys, monkeypatch):
    b = batch("cli", finished=True)
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert main(["purge", "--all"]) == 2
    assert "Add --yes" in capsys.readouterr().err and batch_ids() == [b]
    assert main(["purge", "--all", "--yes"]) == 0
    assert f"Removed 1 finished upload batch(es) from the journal: {b}, and 1 receipt(s)" in capsys.readouterr().out
    assert batch_ids() == []


def test_purge_dry_run_and_bad_days(capsys):
    batch("cli", finished=True)
    assert main(["purge", "--older-than", "0", "--dry-run"]) == 0
    assert "Would remove 1 finished upload batch" in capsys.readouterr().out and batch_ids() == [1]
    assert main(["purge", "--older-than", "-3", "--yes"]) == 2
    assert "--older-than needs a number of days" in capsys.readouterr().err
    assert main(["purge", "--all", "--older-than", "3"]) == 2  # one or the other


def test_upload_and_history_expire_old_batches_first(capsys, monkeypatch):
    """The command line applies the periods by itself before using the journal."""
    b = batch("auto", finished=True)
    real = retention._cutoffs
    monkeypatch.setattr(retention, "_cutoffs", lambda now, r: real(time.time() + 91 * DAY, r))  # 91 days later
    assert main(["history"]) == 0
    assert "No uploads yet." in capsys.readouterr().out and b not in batch_ids()


def test_purging_practice_data_forgets_what_was_sent_to_practice():
    """The practice Register's trainees expire: so do the practice batches and ledger (a rehearsal starts afresh);
    other environments keep theirs."""
    from desktop.core.journal import BatchMeta as Meta

    with Journal() as j:
        for env in ("practice", "sandbox"):
            b = j.start_batch(Meta(key=env, environment=env, environment_label=env, base_url="", file_name="f.csv",
                                   file_hash="ab" * 32, sheet=None, template_version="v2026.1", reference_data="x",
                                   app_version="0", account="a", scope=env),
                              [NewItem(source_row=2, position=0, fingerprint="f", payload_hash="p", cycle=2026)])
            journal_outcome(j, b, 2, "created", trainee_id=f"{env}-id", environment=env)
            j.refresh_status(b)
        unfinished = j.start_batch(Meta(key="u", environment="practice", environment_label="p", base_url="",
                                        file_name="u.csv", file_hash="cd" * 32, sheet=None, template_version="v2026.1",
                                        reference_data="x", app_version="0", account="a", scope="practice"),
                                   [NewItem(source_row=2, position=0, fingerprint="g", payload_hash="q", cycle=2026)])
    aged(data_dir() / "practice" / "register-state.json", 31)
    report = expire()
    assert report.files["practice"]
    with Journal() as j:
        assert sorted(b.id for b in j.batches()) == sorted([unfinished, 2])  # the sandbox batch and the unfinished one
        assert Ledger(j, "practice").entries() == [] and len(Ledger(j, "sandbox").entries()) == 1
