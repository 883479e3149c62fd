"""RegisterClient against httpx.MockTransport: every response of SPEC §7, retries, pacing, no token leaks."""

import json

import httpx
import pytest

from desktop.api.client import RegisterClient, RetryPolicy, parse_retry_after
from desktop.api.environments import PRODUCTION, SANDBOX, resolve_environment
from desktop.api.errors import (
    ApiConnectionError,
    ApiResponseError,
    AuthenticationError,
    InvalidEnvironmentError,
    MissingTokenError,
    NotFoundError,
    RateLimitedError,
    ServerError,
)
from desktop.api.models import Outcome
from desktop.api.payload import build_payload
from desktop.api.ratelimit import RateLimiter
from tests.helpers import valid_row

TOKEN = "sandbox_" + "ab12" * 16
TRAINEE = {"trainee_id": "t" * 24, "provider_trainee_id": "26/27-1", "hesa_id": "0310261553101",
           "first_names": "Siân", "last_name": "O'Brien", "date_of_birth": "1990-04-13", "state": "submitted_for_trn",
           "created_at": "2026-11-28T10:00:00.000Z", "degrees": [{"graduation_year": 2012}], "sex": "10"}


class Recorder:
    """A MockTransport handler answering from a script; remembers what was sent."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer


class Sleeps(list):
    """A fake clock: sleeping records the wait and moves time on."""

    now = 0.0

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.append(seconds)
        self.now += seconds


def client(handler, *, token=TOKEN, sleeps=None, retry=None):
    sleeps = sleeps if sleeps is not None else Sleeps()
    return RegisterClient(SANDBOX, token, transport=httpx.MockTransport(handler),
                          limiter=RateLimiter(1000, 1.0, clock=sleeps.clock, sleep=sleeps.sleep),
                          retry=retry or RetryPolicy(), sleep=sleeps.sleep, rng=lambda: 0.5)


def post(c):
    return c.create_trainee(build_payload(valid_row()))


def test_created_201_gives_the_trainee_id():
    rec = Recorder(httpx.Response(201, json={"data": TRAINEE}))
    res = post(client(rec))
    assert res.outcome == Outcome.CREATED and res.trainee_id == "t" * 24
    assert res.trainee.state == "submitted_for_trn"
    req = rec.requests[0]
    assert req.method == "POST" and req.url.path == "/api/v2026.1/trainees"
    assert req.headers["authorization"] == f"Bearer {TOKEN}"
    assert req.headers["content-type"] == "application/json"
    assert "enhanced-errors" not in req.headers  # SPEC §7.5.5: don't
    assert json.loads(req.content)["data"]["sex"] == "10"


def test_duplicate_409_lists_the_matching_trainees():
    other = dict(TRAINEE, trainee_id="u" * 24)
    rec = Recorder(httpx.Response(409, json={"errors": [{"error": "Conflict", "message": "This trainee is already in Register"}],
                                             "data": [TRAINEE, other]}))
    res = post(client(rec))
    assert res.outcome == Outcome.DUPLICATE
    assert [t.trainee_id for t in res.existing] == ["t" * 24, "u" * 24]


def test_422_standard_array():
    rec = Recorder(httpx.Response(422, json={
        "message": "Validation failed: 2 errors prohibited this trainee from being saved",
        "errors": ["first_names is too long (maximum is 60 characters)",
                   "placements_attributes urn is invalid"]}))
    res = post(client(rec))
    assert res.outcome == Outcome.REJECTED
    assert [(m.attribute, m.detail) for m in res.messages] == [("first_names", None), ("placements_attributes", "urn")]
    assert res.messages[0].text == "is too long (maximum is 60 characters)"


def test_422_enhanced_object_is_flattened_to_full_messages():
    rec = Recorder(httpx.Response(422, json={"message": "Validation failed: 3 errors prohibited this trainee from being saved",
                                             "errors": {"email": ["Enter an email address in the correct format, like name@example.com"],
                                                        "degrees_attributes": {"graduation_year": ["is invalid"]},
                                                        "disabilities": ["contain duplicate values"]}}))
    fulls = [m.full for m in post(client(rec)).messages]
    assert fulls == ["email Enter an email address in the correct format, like name@example.com",
                     "graduation_year is invalid", "disabilities contain duplicate values"]


def test_422_readiness_shape_keyed_by_section():
    rec = Recorder(httpx.Response(422, json={"message": "Validation failed: 1 error prohibited this trainee from being saved",
                                             "errors": {"diversity": {"disability_ids": ["Trainee has been disclosed as disabled but no disabilities exist"]}}}))
    (m,) = post(client(rec)).messages
    assert (m.attribute, m.detail) == ("disability_ids", "diversity")
    assert m.full == "Trainee has been disclosed as disabled but no disabilities exist"


def test_400_bad_json_is_a_rejection_not_a_crash():
    rec = Recorder(httpx.Response(400, json={"errors": ["Unexpected token at '{'"]}))
    res = post(client(rec))
    assert res.outcome == Outcome.REJECTED and res.status_code == 400


def test_401_raises_without_the_token_in_the_message():
    rec = Recorder(httpx.Response(401, json={"error": "Unauthorized"}))
    with pytest.raises(AuthenticationError) as exc:
        post(client(rec))
    assert TOKEN not in str(exc.value) and TOKEN not in repr(exc.value)
    assert exc.value.status_code == 401 and "token" in exc.value.message


def test_404_names_the_environment():
    rec = Recorder(httpx.Response(404, json={"errors": [{"error": "NotFound", "message": "Not found"}]}))
    with pytest.raises(NotFoundError, match=r"api/v2026\.1"):
        client(rec).info()


def test_429_waits_retry_after_then_succeeds():
    sleeps = Sleeps()
    rec = Recorder(httpx.Response(429, text="Retry later\n", headers={"Retry-After": "7"}),
                   httpx.Response(201, json={"data": TRAINEE}))
    c = client(rec, sleeps=sleeps)
    assert post(c).outcome == Outcome.CREATED
    assert sum(sleeps) >= 7 and c.stats.rate_limited == 1
    assert len(rec.requests) == 2


def test_429_storm_gives_up_eventually():
    rec = Recorder(httpx.Response(429, text="Retry later\n", headers={"Retry-After": "1"}))
    with pytest.raises(RateLimitedError):
        post(client(rec, retry=RetryPolicy(max_rate_limited=3)))
    assert len(rec.requests) == 4


def test_post_5xx_is_maybe_sent_and_not_resent_here():
    rec = Recorder(httpx.Response(500, text="boom"))
    with pytest.raises(ServerError) as exc:
        post(client(rec))
    assert exc.value.maybe_sent is True and len(rec.requests) == 1


def test_post_read_timeout_is_maybe_sent():
    rec = Recorder(httpx.ReadTimeout("timed out"))
    with pytest.raises(ApiConnectionError) as exc:
        post(client(rec))
    assert exc.value.maybe_sent is True and len(rec.requests) == 1
    assert "did not answer in time" in exc.value.message


def test_post_reset_before_an_answer_is_maybe_sent():
    rec = Recorder(httpx.RemoteProtocolError("Server disconnected without sending a response."))
    with pytest.raises(ApiConnectionError) as exc:
        post(client(rec))
    assert exc.value.maybe_sent is True


def test_post_connect_error_is_retried_because_it_never_left():
    rec = Recorder(httpx.ConnectError("refused"), httpx.ConnectError("refused"), httpx.Response(201, json={"data": TRAINEE}))
    sleeps = Sleeps()
    assert post(client(rec, sleeps=sleeps)).outcome == Outcome.CREATED
    assert len(rec.requests) == 3 and len(sleeps) >= 2


def test_connect_error_after_retries_is_not_maybe_sent():
    rec = Recorder(httpx.ConnectError("refused"))
    with pytest.raises(ApiConnectionError) as exc:
        post(client(rec, retry=RetryPolicy(max_retries=2)))
    assert exc.value.maybe_sent is False and len(rec.requests) == 3


def test_untrusted_certificate_says_what_to_do():
    rec = Recorder(httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed"))
    with pytest.raises(ApiConnectionError, match="trust store"):
        post(client(rec, retry=RetryPolicy(max_retries=0)))


def test_get_is_retried_on_5xx_with_backoff():
    rec = Recorder(httpx.Response(503, text="down"), httpx.Response(502, text="down"),
                   httpx.Response(200, json={"status": "ok", "version": {"requested": "v2026.1", "latest": "v2026.1"}}))
    sleeps = Sleeps()
    info = client(rec, sleeps=sleeps).info()
    assert info.status == "ok" and info.latest == "v2026.1"
    assert len(rec.requests) == 3 and sum(sleeps) > 0


def test_before_send_runs_before_each_transmission():
    calls = []
    rec = Recorder(httpx.Response(429, text="", headers={"Retry-After": "1"}), httpx.Response(201, json={"data": TRAINEE}))
    c = client(rec)
    c.create_trainee(build_payload(valid_row()), before_send=lambda: calls.append(len(rec.requests)))
    assert calls == [0, 1]


def test_unreadable_201_is_maybe_sent():
    rec = Recorder(httpx.Response(201, text="<html>proxy</html>"))
    with pytest.raises(ApiResponseError) as exc:
        post(client(rec))
    assert exc.value.maybe_sent is True


def test_list_trainees_pages_and_treats_404_as_the_end():
    page1 = {"data": [TRAINEE], "meta": {"current_page": 1, "total_pages": 2, "total_count": 2, "per_page": 1}}
    page2 = {"data": [dict(TRAINEE, trainee_id="u" * 24)], "meta": {"current_page": 2, "total_pages": 2, "total_count": 2, "per_page": 1}}
    rec = Recorder(httpx.Response(200, json=page1), httpx.Response(200, json=page2))
    ids = [t.trainee_id for t in client(rec).iter_trainees(academic_cycle=2026, since="2026-11-28T00:00:00Z", per_page=1)]
    assert ids == ["t" * 24, "u" * 24]
    q = rec.requests[0].url.params
    assert (q["academic_cycle"], q["since"], q["sort_order"], q["page"]) == ("2026", "2026-11-28T00:00:00Z", "asc", "1")
    empty = Recorder(httpx.Response(404, json={"errors": [{"error": "NotFound", "message": "No trainees found"}]}))
    assert list(client(empty).iter_trainees()) == []


def test_reference_data_needs_no_token():
    rec = Recorder(httpx.Response(200, json={"sex": {"metadata": {"name": "sex"}, "entries": []}}))
    c = client(rec, token=None)
    assert "sex" in c.reference_data()
    assert "authorization" not in rec.requests[0].headers
    with pytest.raises(MissingTokenError):
        c.info()


def test_bearer_prefix_and_spaces_are_tolerated_but_junk_is_refused():
    rec = Recorder(httpx.Response(200, json={"status": "ok"}))
    client(rec, token=f"  Bearer {TOKEN}\n").info()
    assert rec.requests[0].headers["authorization"] == f"Bearer {TOKEN}"
    with pytest.raises(MissingTokenError) as exc:
        client(rec, token="abc def")
    assert "abc def" not in exc.value.message


def test_repr_never_shows_the_token():
    c = client(Recorder(httpx.Response(200, json={})))
    assert TOKEN not in repr(c) and TOKEN not in repr(vars(c))


def test_retry_after_in_seconds_or_as_a_date():
    assert parse_retry_after("12") == 12
    assert parse_retry_after("Sat, 28 Nov 2026 12:00:30 GMT", now=1795867200.0) == pytest.approx(30)
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None


@pytest.mark.parametrize(("text", "base"), [
    ("production", PRODUCTION.base_url),
    ("Sandbox", SANDBOX.base_url),
    ("http://127.0.0.1:8080", "http://127.0.0.1:8080/api/v2026.1"),
    ("http://localhost:9000/api/v2026.1/", "http://localhost:9000/api/v2026.1"),
    ("https://register.example/api/v2026.1", "https://register.example/api/v2026.1"),
])
def test_environments(text, base):
    assert resolve_environment(text).base_url == base


@pytest.mark.parametrize(("text", "why"), [
    ("http://register.example/api/v2026.1", "unencrypted"),
    ("https://register.example/api/v2025.0", "v2025.0"),
    ("https://register.example/something", "API path"),
    ("staging", "not an environment"),
])
def test_bad_environments_are_explained(text, why):
    with pytest.raises(InvalidEnvironmentError, match=why):
        resolve_environment(text)


def test_production_and_sandbox_hosts():
    assert PRODUCTION.base_url == "https://www.register-trainee-teachers.service.gov.uk/api/v2026.1"
    assert SANDBOX.base_url == "https://sandbox.register-trainee-teachers.service.gov.uk/api/v2026.1"
    assert PRODUCTION.is_live and not SANDBOX.is_live


def test_system_proxy_is_used_for_register_but_never_for_this_computer(monkeypatch):
    """trust_env: university proxies apply to Register's hosts; the local simulator is reached directly."""
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    remote = RegisterClient(SANDBOX, TOKEN)
    local = RegisterClient(resolve_environment("http://127.0.0.1:8080"), TOKEN)
    try:
        assert remote._http.trust_env and not local._http.trust_env
    finally:
        remote.close()
        local.close()
