"""A journal of the unreleased build whose sync kept its own request log beside the ledger (schema 2 + ``year_*``),
migrated in place: the ledger and batches kept, the ``year_*`` tables dropped (``journal._migrate_2_to_3`` says
why), and nothing done before is done again — Register's own state is what shows it."""

from __future__ import annotations

import contextlib
import io
import shutil
import sqlite3
from pathlib import Path

import httpx
import pytest

from desktop.api.environments import resolve_environment
from desktop.api.simulator import RegisterSimulator
from desktop.cli import main
from desktop.core.journal import SCHEMA_VERSION, Journal
from desktop.core.ledger import Ledger
from desktop.core.paths import data_dir
from tests.year.conftest import TODAY, TOKEN, sent_since

pytestmark = pytest.mark.integration

FIXTURE = Path(__file__).resolve().parents[1] / "data" / "journal_v2"


def cli(*args: str) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main([*args, "--yes", "--no-progress", "--today", TODAY.isoformat()])
    return code, err.getvalue()


def test_the_unreleased_year_tables_are_dropped_and_nothing_done_is_done_again(tmp_path, env_token):
    folder = data_dir()
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(FIXTURE / "upload-journal.sqlite3", folder / "upload-journal.sqlite3")
    for name in ("sim-state.json", "trainees.csv", "withdraw.csv"):
        shutil.copy(FIXTURE / name, tmp_path / name)
    db = sqlite3.connect(FIXTURE / "upload-journal.sqlite3")
    (base_url,) = {r[0] for r in db.execute("SELECT base_url FROM batch")}
    assert db.execute("SELECT COUNT(*) FROM year_request WHERE state = 'sending'").fetchone()[0] == 1
    db.close()
    with Journal() as j:
        tables = {r[0] for r in j.db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert not {t for t in tables if t.startswith("year_")} and {"run", "request", "trainee", "lease"} <= tables
        assert j.db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()[0] == str(SCHEMA_VERSION)
        columns = {r[1] for r in j.db.execute("PRAGMA table_info(request)")}
        assert {"run_id", "row_key", "target", "fields", "messages", "confirmed_by"} <= columns
        assert "what" in {r[1] for r in j.db.execute("PRAGMA table_info(lease)")}
        entries = Ledger(j, resolve_environment(base_url).origin).entries()
        assert len(entries) == 6 and all(e.in_register for e in entries)  # every trainee the old journal created
        assert [b.counts for b in j.batches()] == [{"created": 6}]

    port = httpx.URL(base_url).port
    with RegisterSimulator(token=TOKEN, today=TODAY, rate_limit=10_000, duplicate_rule=False, trn_after=0.0,
                           award_after=10_000.0, state_file=tmp_path / "sim-state.json", port=port or 0) as sim:
        assert sim.base_url == base_url
        placements_before = {t["hesa_id"]: [p["urn"] for p in t["placements"]] for t in sim.trainees()}
        before = dict(sim.stats.by_endpoint)
        code, err = cli("sync", str(tmp_path / "trainees.csv"), "--env", base_url)
        assert code == 0 and "0 new, 0 changed, 6 unchanged" in err, err
        code, err = cli("withdraw", str(tmp_path / "withdraw.csv"), "--env", base_url)
        assert code == 0 and "already so in Register" in err, err
        code, err = cli("upload", str(tmp_path / "trainees.csv"), "--env", base_url,
                        "--token-env", "REGISTER_API_TOKEN")
        assert code == 0, err
        writes = {k: n for k, n in sent_since(sim, before).items() if not k.startswith("GET ")}
        assert writes == {}, writes  # the placement left open (and landed) is held once, not added again
        assert {t["hesa_id"]: [p["urn"] for p in t["placements"]] for t in sim.trainees()} == placements_before
