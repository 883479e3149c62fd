"""sync against the loopback Register: five kinds of change, exact requests, untouched values kept, no repeats."""

from __future__ import annotations

import json

import pytest

from desktop.cli import main
from tests.helpers import write_csv
from tests.year.conftest import TODAY, person, sent_since

pytestmark = pytest.mark.integration


def cli(*args: str) -> int:
    return main([*args, "--yes", "--no-progress", "--today", TODAY.isoformat()])


def by_hesa(sim) -> dict[str, dict]:
    return {t["hesa_id"]: t for t in sim.trainees()}


def test_five_kinds_of_change_then_nothing(tmp_path, sim, env_token, capsys):
    rows = [person(i) for i in range(8)]
    rows[3].update(disability1="57", disability2="58")  # Deaf and blind
    rows[5].update(training_initiative="026")  # an initiative §11.2 warns a careless PUT would reset
    rows[4]["placement_2_urn"] = ""
    path = write_csv(tmp_path / "trainees.csv", rows)
    assert cli("upload", str(path), "--env", sim.base_url) == 0, capsys.readouterr().err
    held_before = by_hesa(sim)

    rows[0]["last_name"] = "Ní Bhriain-Jones"  # surname
    rows[1]["email"] = "new.address@example.com"  # e-mail
    rows[2]["study_mode"] = "02"  # study mode
    rows[3]["disability2"] = ""  # a disability removed
    rows[4]["placement_2_urn"] = "120004"  # a placement added
    write_csv(path, rows)
    before = dict(sim.stats.by_endpoint)
    assert cli("sync", str(path), "--env", sim.base_url) == 0, capsys.readouterr().err
    sent = sent_since(sim, before)
    writes = {k: n for k, n in sent.items() if not k.startswith("GET ")}
    assert writes == {"PUT /trainees/{id}": 5, "POST /trainees/{id}/placements": 1}, sent
    out = capsys.readouterr().err
    assert "0 new, 5 changed, 3 unchanged" in out
    assert f"last_name: {person(0)['last_name']} → Ní Bhriain-Jones" in out
    assert "disability2: 58 → (blank)" in out

    held = by_hesa(sim)
    assert held[rows[0]["hesa_id"]]["last_name"] == "Ní Bhriain-Jones"
    assert held[rows[1]["hesa_id"]]["email"] == "new.address@example.com"
    assert held[rows[2]["hesa_id"]]["study_mode"] == "02"
    three = held[rows[3]["hesa_id"]]
    assert three["disability1"] == "57" and not three.get("disability2")
    assert sorted(p["urn"] for p in held[rows[4]["hesa_id"]]["placements"]) == ["100104", "120004"]
    # untouched values are still there, including what a partial PUT would have lost (SPEC §11.2)
    for i in range(5):
        t, b = held[rows[i]["hesa_id"]], held_before[rows[i]["hesa_id"]]
        for key in ("first_names", "date_of_birth", "course_subject_1", "itt_start_date", "nationality", "ethnicity",
                    "training_initiative", "_phase", "_diversity"):
            assert t.get(key) == b.get(key), (i, key)
    assert held[rows[5]["hesa_id"]]["training_initiative"] == "026"
    assert held[rows[0]["hesa_id"]]["_diversity"] == "diversity_disclosed"
    assert held[rows[3]["hesa_id"]]["disability1"] == "57"

    # the receipt and history: before -> after per field, the request and its outcome
    from desktop.core.year_receipts import read_receipt

    receipt = next((tmp_path / "data" / "receipts").glob("sync-*.csv"))
    header, lines = read_receipt(receipt)
    assert header["Requests"].endswith("6 changes")
    surname = next(x for x in lines if x["field"] == "last_name")
    assert (surname["before"], surname["after"], surname["request"], surname["outcome"]) == (
        person(0)["last_name"], "Ní Bhriain-Jones", "update", "done")
    placement = next(x for x in lines if x["field"] == "placement_2_urn")
    assert (placement["after"], placement["request"], placement["outcome"]) == ("120004", "add_placement", "done")
    assert main(["history", "--runs", "--format", "json"]) == 0
    runs = json.loads(capsys.readouterr().out)
    assert runs[-1]["kind"] == "sync" and runs[-1]["counts"] == {"update:done": 5, "add_placement:done": 1}
    assert main(["history", "--run", str(runs[-1]["run"])]) == 0
    shown = capsys.readouterr().out
    assert "add_placement" in shown and "last_name" in shown and "Ní Bhriain" not in shown  # no values in the journal

    before = dict(sim.stats.by_endpoint)
    assert cli("sync", str(path), "--env", sim.base_url) == 0
    again = sent_since(sim, before)
    assert all(k.startswith("GET ") for k in again), again  # reads only: nothing sent
    assert "Register already matches the file" in capsys.readouterr().err
