"""The contract check: every endpoint the app calls, its requests and the practice Register's answers,
validated by Stoplight Prism against Register's OpenAPI document (SPEC §7, §11; whitelist: §11.10).

The app talks to Prism in proxy mode, which forwards to the loopback simulator and reports every
request or response that breaks the document in an ``sl-violations`` header. The document is read
from ``../shared/register/`` (never copied into the project). Prism comes from npm
(``scripts/contract.sh``, pinned). Where the document is present and ``CI`` is set, a missing Prism
fails the check instead of skipping it.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from desktop.api.client import RegisterClient
from desktop.api.environments import resolve_environment
from desktop.api.payload import build_payload
from desktop.api.ratelimit import RateLimiter
from desktop.api.simulator import RegisterSimulator
from desktop.api.updates import ENDPOINTS, TraineeApi
from desktop.core.action_files import open_action_file
from desktop.core.actions import run_actions
from desktop.core.journal import Journal
from desktop.core.session import ImportSession
from desktop.core.sync import plan_sync, run_sync
from tests.contract.whitelist import WHITELIST
from tests.helpers import TODAY, write_csv
from tests.year.conftest import TOKEN, person, write_rows

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
DOCUMENT = Path(os.environ.get("REGISTER_OPENAPI", ROOT.parent / "shared" / "register" / "openapi-v2026.1.yaml"))
PRISM = Path(os.environ.get("REGISTER_PRISM", ROOT / "tools" / "contract" / "node_modules" / ".bin" / "prism"))
REQUIRED = os.environ.get("CI", "").lower() == "true" or os.environ.get("REGISTER_CONTRACT") == "required"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def template_of(method: str, path: str) -> str:
    """``PUT /trainees/{trainee_id}`` from ``PUT /api/v2026.1/trainees/Ab…``."""
    parts = path.split("/")[3:]
    if len(parts) >= 2 and parts[0] == "trainees":
        parts[1] = "{trainee_id}"
        if len(parts) >= 4:
            parts[3] = "{degree_id}" if parts[2] == "degrees" else "{placement_id}"
    return f"{method} /{'/'.join(parts)}"


@pytest.fixture
def prism():
    if not DOCUMENT.is_file():
        pytest.skip(f"Register's OpenAPI document is not beside the project ({DOCUMENT})")
    if not PRISM.exists() or shutil.which("node") is None:
        if REQUIRED:
            pytest.fail("The contract check is required here but Prism is not installed: run sh scripts/contract.sh")
        pytest.skip("Prism is not installed (sh scripts/contract.sh installs it; needs Node.js and npm)")
    sim = RegisterSimulator(token=TOKEN, today=TODAY, rate_limit=100_000, duplicate_rule=False, trn_after=0.0,
                            award_after=10_000.0)
    sim.start()
    port = _free_port()
    proc = subprocess.Popen([str(PRISM), "proxy", str(DOCUMENT), f"http://127.0.0.1:{sim.port}", "-p", str(port),
                             "-h", "127.0.0.1", "--errors=false", "-v", "error"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"Prism did not start: {proc.stderr.read().decode() if proc.stderr else ''}")
            time.sleep(0.2)
    yield sim, f"http://127.0.0.1:{port}/api/v2026.1"
    proc.terminate()
    proc.wait(10)
    if proc.stderr:
        proc.stderr.close()
    sim.stop()


class Recorder(httpx.HTTPTransport):
    """Every exchange through Prism: the endpoint and the violations Prism found."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[str, int, list[dict]]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        raw = response.headers.get("sl-violations")
        violations = json.loads(raw) if raw else []
        self.calls.append((template_of(request.method, request.url.path), response.status_code, violations))
        return response


def test_every_endpoint_the_app_calls_meets_registers_document(prism, tmp_path):
    _sim, base = prism
    recorder = Recorder()
    env = resolve_environment(base)
    client = RegisterClient(env, TOKEN, transport=recorder, limiter=RateLimiter(100_000, 60))
    api = TraineeApi(client)

    # the reads and the creation (an upload's requests)
    client.info()
    client.reference_data()
    rows = [person(i) for i in range(6)]
    rows[5]["placement_2_urn"] = ""
    ids = [client.create_trainee(build_payload(r)).trainee_id for r in rows]
    assert all(ids)
    client.list_trainees(academic_cycle=2026)
    client.get_trainee(ids[0])
    assert api.get("no-such-trainee") is None

    # sync: a surname, a disability removed, a placement added, a degree changed, one invalid e-mail
    rows[0]["last_name"] = "Ó Súilleabháin-Evans"
    rows[1]["placement_3_urn"] = "130301"
    rows[2]["degree_grade"] = "01"
    rows[3]["email"] = "not an address"
    path = write_csv(tmp_path / "trainees.csv", rows)
    session = ImportSession.open(path, today=TODAY)
    with Journal() as journal:
        plan = plan_sync(session, client, journal)
        run_sync(session, plan, client, journal, write_receipts=False)
        assert api.degrees(ids[2]) and api.placements(ids[1])
        # a degree Register holds already (409) and one it does not (201)
        held = api.degrees(ids[2])[0]
        api.add_degree(ids[2], {k: held[k] for k in ("uk_degree", "subject", "grade", "institution")}
                       | {"graduation_year": str(held["graduation_year"])})
        api.add_degree(ids[4], {"uk_degree": "083", "subject": "100425", "grade": "02", "graduation_year": "2015",
                                "institution": "0117"})
        # the actions, with refusals
        def act(kind: str, headers: list[str], data: list[dict[str, str]]) -> None:
            f = write_rows(tmp_path / f"{kind}.csv", headers, data)
            run_actions(open_action_file(f, kind, today=TODAY), client, journal, write_receipts=False)

        act("withdraw", ["trainee_id", "withdrawal_date", "trigger", "reasons", "future_interest"],
            [{"trainee_id": ids[0], "withdrawal_date": "2026-10-01", "trigger": "provider",
              "reasons": "mandatory_reasons", "future_interest": "no"}])
        act("defer", ["trainee_id", "defer_date"], [{"trainee_id": ids[1], "defer_date": "2026-10-02"}])
        act("recommend", ["trainee_id", "qts_standards_met_date"],
            [{"trainee_id": ids[3], "qts_standards_met_date": "2026-11-01"}])
        # Register's own refusals, sent on purpose (the app would not send them): their shapes too
        api.withdraw(ids[0], {"withdrawal_date": "2026-10-01", "trigger": "provider", "reasons": ["mandatory_reasons"],
                              "future_interest": "no"})
        api.defer(ids[0], {"defer_date": "2026-10-02"})
        api.update(ids[4], {"email": "not an address"})  # a 422 of validation messages
        api.update(ids[3], {"email": "new@example.com"})  # recommended now: a StateTransitionError
        api.recommend(ids[5], {"qts_standards_met_date": "2026-11-01"})
        api.change_degree(ids[4], api.degrees(ids[4])[0]["degree_id"], {"grade": "03"})
    client.close()

    called = {c[0] for c in recorder.calls}
    wanted = {f"{m} /{p}" for m, p in ENDPOINTS.values()}
    assert wanted <= called, f"not exercised: {sorted(wanted - called)}"
    unexplained = []
    used = set()
    for endpoint, status, violations in recorder.calls:
        for v in violations:
            location = ".".join(str(x) for x in v.get("location", []))
            message = str(v.get("message", ""))
            hit = next((w for w in WHITELIST if w.matches(endpoint, location, message)), None)
            if hit is None:
                unexplained.append(f"{endpoint} ({status}) {location}: {message}")
            else:
                used.add(hit)
    assert not unexplained, "\n".join(unexplained)
    assert set(WHITELIST) == used, f"whitelist entries that matched nothing: {set(WHITELIST) - used}"
