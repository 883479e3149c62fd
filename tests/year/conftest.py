"""Shared by the rest-of-the-year tests: a loopback Register with TRNs, trainees created through the API."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import httpx
import pytest

from desktop.api.payload import build_payload
from desktop.api.simulator import RegisterSimulator
from tests.helpers import TODAY, valid_row, write_csv

TOKEN = "practice_" + "7a" * 32
FIRST = ["Siân", "Aoife", "Dafydd", "Seán", "Zoë", "Mary-Jane", "Rhodri", "Caoimhe", "José", "Llŷr", "Bláthnaid",
         "Gwenllian"]
LAST = ["O'Brien", "Ní Bhriain", "ap Rhys", "Featherstonehaugh-Cholmondeley", "Ó Súilleabháin", "D'Arcy", "Núñez",
        "Mac Giolla Phádraig", "Llewellyn", "Brontë", "Wolfeschlegelsteinhausen", "McCarthy"]


def person(i: int, **changes: str) -> dict[str, str]:
    """A distinct trainee Register accepts (2026/27, route 12), with two school placements."""
    dob = dt.date(1975, 1, 1) + dt.timedelta(days=97 * i)
    row = valid_row(provider_trainee_id=f"26/27-{i + 1}", hesa_id=f"{2610000000000 + i}",
                    first_names=FIRST[i % len(FIRST)], last_name=LAST[i % len(LAST)], date_of_birth=dob.isoformat(),
                    email=f"trainee{i}@example.com", placement_1_urn=f"{100100 + i}", placement_2_urn=f"{110200 + i}")
    row.update(changes)
    return row


@pytest.fixture
def sim():
    s = RegisterSimulator(token=TOKEN, today=TODAY, rate_limit=10_000, duplicate_rule=False, trn_after=0.0,
                         award_after=10_000.0)
    s.start()
    yield s
    s.stop()


@pytest.fixture
def env_token(monkeypatch):
    """The token in REGISTER_API_TOKEN, named for the loopback (custom) address as a user must (``token_env``)."""
    from desktop.core.config import AppConfig, save_config

    monkeypatch.setenv("REGISTER_API_TOKEN", TOKEN)
    save_config(AppConfig(token_env="REGISTER_API_TOKEN"))
    return TOKEN


def create(sim: RegisterSimulator, rows: list[dict[str, str]]) -> list[dict]:
    """Trainees created in Register directly (as an earlier upload would have)."""
    out = []
    with httpx.Client(base_url=sim.base_url + "/", headers={"Authorization": f"Bearer {TOKEN}"}) as c:
        for row in rows:
            r = c.post("trainees", json=build_payload(row))
            assert r.status_code == 201, r.text
            out.append(r.json()["data"])
    return out


def state_of(sim: RegisterSimulator, trainee_id: str) -> dict:
    return next(t for t in sim.trainees() if t["trainee_id"] == trainee_id)


def write_rows(path: Path, headers: list[str], rows: list[dict[str, str]]) -> Path:
    return write_csv(path, rows, headers=headers)


def writes(sim: RegisterSimulator) -> int:
    return sum(n for s, n in sim.stats.by_status.items())


__all__ = ["TODAY", "TOKEN", "create", "person", "state_of", "write_rows"]


def endpoint_counts(sim: RegisterSimulator) -> dict[str, int]:
    return dict(sim.stats.by_endpoint)


def sent_since(sim: RegisterSimulator, before: dict[str, int]) -> dict[str, int]:
    """Requests per endpoint since ``before`` (a copy of ``by_endpoint``)."""
    now = sim.stats.by_endpoint
    return {k: now[k] - before.get(k, 0) for k in now if now[k] - before.get(k, 0)}
