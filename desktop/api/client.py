"""The Register API client (v2026.1): one ``httpx.Client`` per upload, paced, retried, typed.

After openai-python's httpx client (explicit timeouts, an injected transport for tests,
``Retry-After``-aware retries with jittered exponential backoff, typed errors). Register differs
(SPEC §7, HOUSE_STYLE §8):

* every request goes through the ``RateLimiter`` (Register counts all of them, reads included);
* a ``429`` is retried after ``Retry-After`` (it proves nothing was processed), and the limiter holds
  back every other request for that long too;
* GETs are retried on 5xx, timeouts and resets. A ``POST /trainees`` is retried here only when it
  certainly never left this computer (connection refused, connect timeout, 429). When its outcome
  is unknown (timeout, reset, 5xx) this client raises with ``maybe_sent=True`` and does not re-send:
  ``desktop.core.upload`` journals the row as "maybe created", looks it up and only then re-sends,
  because that needs the journal. (HOUSE_STYLE sketches the POST re-send inside ``_send``; it moved
  up one floor for that reason.)

The client is handed its token; it never reads the keychain, never logs headers or bodies, and no
error message carries the token.
"""

from __future__ import annotations

import email.utils
import logging
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
from pydantic import ValidationError

from desktop import __version__
from desktop.api.environments import API_VERSION, LOOPBACK, Environment
from desktop.api.errors import (
    ApiConnectionError,
    ApiResponseError,
    ApiStatusError,
    AuthenticationError,
    ForbiddenError,
    MissingTokenError,
    NotFoundError,
    RateLimitedError,
    ServerError,
)
from desktop.api.models import (
    ApiInfo,
    ApiMessage,
    ClientStats,
    CreateResult,
    Outcome,
    TraineePage,
    TraineeSummary,
    parse_errors,
)
from desktop.api.ratelimit import RateLimiter

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
_NEVER_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int = 4  # GETs after 5xx, timeouts and resets; any request that never left
    max_rate_limited: int = 12  # consecutive 429s honoured before giving up
    base_delay: float = 0.5
    max_delay: float = 30.0
    max_retry_after: float = 120.0

    def backoff(self, attempt: int, rng: Callable[[], float] = random.random) -> float:
        """Capped exponential backoff with "equal jitter": between half and all of the step."""
        step = min(self.max_delay, self.base_delay * 2.0 ** attempt)
        return step * (0.5 + rng() / 2)


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds from a ``Retry-After`` header (seconds or an HTTP date); None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def _tls_context() -> Any:
    """The operating system's trust store, so TLS-inspecting firewalls' certificates are trusted."""
    try:
        import ssl

        import truststore

        return truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    except Exception:  # noqa: BLE001 - an unsupported platform falls back to httpx's bundled roots
        logger.warning("The system trust store is not available; using the bundled certificate list")
        return True


class RegisterClient:
    """Talks to one Register environment with one token. Use as a context manager or call ``close()``."""

    def __init__(
        self,
        environment: Environment,
        token: str | None,
        *,
        transport: httpx.BaseTransport | None = None,
        limiter: RateLimiter | None = None,
        retry: RetryPolicy | None = None,
        timeout: httpx.Timeout | float | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: Callable[[], float] = random.random,
    ) -> None:
        if not environment.base_url:
            raise ValueError("the environment has no address yet (start the practice simulator first)")
        self.environment = environment
        self._token = _Secret(_clean_token(token))
        self.limiter = limiter or RateLimiter()
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        self._rng = rng
        #: called between waits; raise (e.g. ``Cancelled``) to stop waiting. Never called mid-request.
        self.checkpoint: Callable[[], None] = lambda: None
        self.stats = ClientStats()
        #: the provider the token belongs to, where ``GET /info`` names it (v2026.1 does not; None then)
        self.account: str | None = None
        self.server_clock_offset = 0.0  # Register's clock minus ours, from the Date header
        self._server_anchor: tuple[float, float] | None = None  # (Register's Date, our monotonic clock then)
        headers = {"Accept": "application/json", "User-Agent": f"register-desktop/{__version__}"}
        if self._token:
            headers["Authorization"] = f"Bearer {self._token.reveal()}"  # httpx masks it in reprs
        kwargs: dict[str, Any] = {}
        if transport is not None:
            kwargs["transport"] = transport
        elif environment.base_url.startswith("https:"):
            kwargs["verify"] = _tls_context()
        self._http = httpx.Client(
            base_url=environment.base_url + "/", headers=headers,
            timeout=timeout if timeout is not None else DEFAULT_TIMEOUT,
            # the system's proxy settings (and NO_PROXY), as university networks need; never for this computer
            trust_env=httpx.URL(environment.base_url).host not in LOOPBACK,
            follow_redirects=False, **kwargs)

    def __repr__(self) -> str:
        return f"RegisterClient({self.environment.label}, {self.environment.base_url})"

    def __enter__(self) -> RegisterClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    @property
    def has_token(self) -> bool:
        return bool(self._token)

    @property
    def read_timeout(self) -> float:
        """Seconds an answer is waited for (Register may still be working on a request after that)."""
        return float(self._http.timeout.read or DEFAULT_TIMEOUT.read or 30.0)

    # ------------------------------------------------------------------ endpoints
    def info(self) -> ApiInfo:
        """``GET /info``: checks the connection and the token (SPEC §7.6)."""
        data = self._get_json("info", auth=True)
        self.account = _account_of(data)
        version = data.get("version")
        if not isinstance(version, dict):
            version = {}
        try:
            return ApiInfo(status=str(data.get("status", "")), requested=version.get("requested"),
                           latest=version.get("latest"))
        except ValidationError:
            raise self._unreadable("GET", "info", 200) from None

    def reference_data(self, field: str | None = None) -> dict[str, Any]:
        """``GET /reference-data`` (no token needed, SPEC §7.7)."""
        return self._get_json("reference-data", params={"field": field} if field else None, auth=False)

    def create_trainee(self, payload: dict[str, Any], *,
                       before_send: Callable[[], None] | None = None) -> CreateResult:
        """``POST /trainees`` once (SPEC §7.5). ``before_send`` runs right before each transmission.

        Returns the per-row outcome (201, 409, 422, 400); raises for everything else. After a
        timeout, reset or 5xx it raises with ``maybe_sent=True`` and does not send again.
        """
        self._require_token()
        response = self._send("POST", "trainees", resend_ok=False, json=payload, before_send=before_send)
        status = response.status_code
        request_id = response.headers.get("x-request-id")
        if status == 201:
            body = self._json(response, "POST", maybe_sent=True)
            try:
                trainee = TraineeSummary.model_validate(body.get("data") if isinstance(body, dict) else None)
            except ValidationError:
                raise self._unreadable("POST", "trainees", status, maybe_sent=True) from None
            return CreateResult(Outcome.CREATED, status, trainee=trainee, request_id=request_id)
        if status == 409:
            body = self._json(response, "POST", maybe_sent=True)
            items = body.get("data") if isinstance(body, dict) else None
            existing: list[TraineeSummary] = []
            for item in items if isinstance(items, list) else []:
                try:
                    existing.append(TraineeSummary.model_validate(item))
                except ValidationError:
                    continue
            return CreateResult(Outcome.DUPLICATE, status, existing=tuple(existing), request_id=request_id)
        if status in (400, 422):
            body = self._json(response, "POST", maybe_sent=False)
            errors = body.get("errors") if isinstance(body, dict) else None
            messages = parse_errors(errors) or (ApiMessage.parse(str(body)),)
            return CreateResult(Outcome.REJECTED, status, messages=messages, request_id=request_id)
        raise self._status_error("POST", "trainees", response, maybe_sent=True)

    def list_trainees(self, *, academic_cycle: int | None = None, since: str | None = None, page: int = 1,
                      per_page: int = 100, sort_order: str | None = None,
                      status: str | None = None) -> TraineePage:
        """One page of ``GET /trainees`` (SPEC §7.8); "No trainees found" is an empty page."""
        params: dict[str, Any] = {"page": page, "per_page": per_page}
        if academic_cycle is not None:
            params["academic_cycle"] = academic_cycle
        if since:
            params["since"] = since
        if sort_order:
            params["sort_order"] = sort_order
        if status:
            params["status"] = status
        response = self._request_json("GET", "trainees", params=params, auth=True, empty_404=True)
        if response is None:
            return TraineePage((), page, page - 1, 0, per_page)
        data, meta = response.get("data"), response.get("meta") or {}
        if not isinstance(data, list) or not isinstance(meta, dict):
            raise self._unreadable("GET", "trainees", 200)
        trainees = []
        for item in data:
            try:
                trainees.append(TraineeSummary.model_validate(item))
            except ValidationError:
                raise self._unreadable("GET", "trainees", 200) from None
        try:
            return TraineePage(tuple(trainees), int(meta.get("current_page", page)),
                               int(meta.get("total_pages", page)), int(meta.get("total_count", len(trainees))),
                               int(meta.get("per_page", per_page)))
        except (TypeError, ValueError):
            raise self._unreadable("GET", "trainees", 200) from None

    def iter_trainees(self, *, academic_cycle: int | None = None, since: str | None = None,
                      per_page: int = 100) -> Iterator[TraineeSummary]:
        """Every trainee of the cycle updated since ``since``, page by page (oldest first)."""
        page = 1
        while True:
            result = self.list_trainees(academic_cycle=academic_cycle, since=since, page=page,
                                        per_page=per_page, sort_order="asc")
            yield from result.trainees
            if not result.trainees or result.current_page >= result.total_pages:
                return
            page += 1

    def get_trainee(self, trainee_id: str) -> TraineeSummary | None:
        """``GET /trainees/{id}`` (a bare object); None when Register does not know it."""
        data = self._request_json("GET", f"trainees/{trainee_id}", auth=True, empty_404=True)
        if data is None:
            return None
        try:
            return TraineeSummary.model_validate(data)
        except ValidationError:
            raise self._unreadable("GET", "trainees/{id}", 200) from None

    # ------------------------------------------------------------------ plumbing
    def _require_token(self) -> None:
        if not self._token:
            raise MissingTokenError(
                f"No API token is set for {self.environment.label}. Create one in Register (Organisation "
                "settings → Manage your tokens) and save it with 'register-desktop token set'.")

    def _get_json(self, path: str, *, params: dict[str, Any] | None = None, auth: bool) -> dict[str, Any]:
        data = self._request_json("GET", path, params=params, auth=auth, empty_404=False)
        assert data is not None
        return data

    def _request_json(self, method: str, path: str, *, params: dict[str, Any] | None = None, auth: bool,
                      empty_404: bool) -> dict[str, Any] | None:
        if auth:
            self._require_token()
        response = self._send(method, path, resend_ok=True, params=params)
        if response.status_code == 200:
            body = self._json(response, method, maybe_sent=False)
            if not isinstance(body, dict):
                raise self._unreadable(method, path, 200)
            return body
        if response.status_code == 404 and empty_404 and _not_found_message(response) in (
                "No trainees found", "Trainee(s) not found"):
            return None
        raise self._status_error(method, path, response, maybe_sent=False)

    def wait(self, seconds: float) -> None:
        """Sleep in short slices so ``checkpoint`` (cancel) is honoured within a fraction of a second."""
        end = seconds
        while end > 0:
            self.checkpoint()
            step = min(0.2, end)
            self._sleep(step)
            end -= step
        self.checkpoint()

    def _send(self, method: str, path: str, *, resend_ok: bool, before_send: Callable[[], None] | None = None,
              **kwargs: Any) -> httpx.Response:
        attempt = 0
        rate_limited = 0
        while True:
            self.checkpoint()
            self.limiter.acquire(sleep=self.wait)
            try:
                if before_send is not None:
                    before_send()
                self.stats.requests += 1
                self.stats.writes += method != "GET"
                response = self._http.request(method, path, **kwargs)
            except httpx.TransportError as exc:
                never_sent = isinstance(exc, _NEVER_SENT)
                self.stats.connection_errors += 1
                logger.info("%s %s failed: %s", method, path, type(exc).__name__)
                if attempt >= self.retry.max_retries or not (never_sent or resend_ok):
                    raise ApiConnectionError(self._connection_message(exc), maybe_sent=not never_sent) from None
                attempt += 1
                self.stats.retries += 1
                self.wait(self.retry.backoff(attempt - 1, self._rng))
                continue
            finally:
                self.limiter.release()
            status = response.status_code
            self.stats.by_status[status] = self.stats.by_status.get(status, 0) + 1
            self._note_server_clock(response)
            logger.debug("%s %s -> %s", method, path, status)
            if status == 429:
                rate_limited += 1
                self.stats.rate_limited += 1
                wait = parse_retry_after(response.headers.get("retry-after"))
                if wait is None:
                    wait = self.retry.backoff(rate_limited, self._rng)
                wait = min(wait, self.retry.max_retry_after)
                if rate_limited > self.retry.max_rate_limited:
                    raise self._status_error(method, path, response, maybe_sent=False)
                self.limiter.hold(wait)  # nobody sends until the window Register named is over
                self.stats.retries += 1
                continue
            if status >= 500:
                self.stats.server_errors += 1
                if resend_ok and attempt < self.retry.max_retries:
                    attempt += 1
                    self.stats.retries += 1
                    wait = parse_retry_after(response.headers.get("retry-after"))
                    self.wait(min(wait, self.retry.max_retry_after) if wait is not None
                                else self.retry.backoff(attempt - 1, self._rng))
                    continue
            return response

    def _note_server_clock(self, response: httpx.Response) -> None:
        date = response.headers.get("date")
        if not date:
            return
        try:
            server = email.utils.parsedate_to_datetime(date).timestamp()
        except (TypeError, ValueError):
            return
        self.server_clock_offset = server - time.time()
        self._server_anchor = (server, time.monotonic())

    @property
    def knows_server_clock(self) -> bool:
        """True once an answer from Register has said what time it is there."""
        return self._server_anchor is not None

    def server_now(self) -> float:
        """Register's clock now (seconds since the epoch), as far as its last answer tells.

        Counted from Register's last ``Date`` header on this computer's monotonic clock, so a jump
        of the wall clock (a time sync, a user changing it) does not move it. Before any answer:
        this computer's clock.
        """
        if self._server_anchor is None:
            return time.time() + self.server_clock_offset
        server, then = self._server_anchor
        return server + (time.monotonic() - then)

    def _connection_message(self, exc: httpx.TransportError) -> str:
        where = httpx.URL(self.environment.base_url).host
        text = str(exc)
        if "CERTIFICATE_VERIFY_FAILED" in text or "certificate verify failed" in text:
            why = ("the connection's security certificate is not trusted. If your organisation inspects web "
                   "traffic, ask IT to install its certificate in this computer's trust store")
        elif isinstance(exc, httpx.ProxyError):
            why = "the proxy server refused the connection. Check the proxy settings with your IT team"
        elif isinstance(exc, httpx.ConnectTimeout):
            why = "connecting timed out. Check your internet connection, proxy or firewall"
        elif isinstance(exc, httpx.ConnectError):
            why = "the connection failed. Check your internet connection, proxy or firewall"
        elif isinstance(exc, (httpx.ReadTimeout, httpx.WriteTimeout)):
            why = "Register did not answer in time"
        else:
            why = "the connection was closed before Register answered"
        return f"Cannot reach Register at {where}: {why}."

    def _json(self, response: httpx.Response, method: str, *, maybe_sent: bool) -> Any:
        try:
            return response.json()
        except ValueError:
            raise self._unreadable(method, response.request.url.path, response.status_code,
                                   maybe_sent=maybe_sent) from None

    def _unreadable(self, method: str, path: str, status: int, *, maybe_sent: bool = False) -> ApiResponseError:
        return ApiResponseError(
            f"Register's answer to {method} {path} (status {status}) could not be read. If you are behind a "
            "proxy or firewall it may have answered instead of Register; otherwise try again later.",
            status_code=status, maybe_sent=maybe_sent)

    def _status_error(self, method: str, path: str, response: httpx.Response, *, maybe_sent: bool) -> ApiStatusError:
        status = response.status_code
        rid = response.headers.get("x-request-id")
        label = self.environment.label
        if status == 401:
            return AuthenticationError(
                f"Register did not accept the API token for {label}: it may be mistyped, revoked or expired "
                "(tokens stop working on their expiry date). Create a new token in Register and save it with "
                "'register-desktop token set'.", status_code=status, request_id=rid)
        if status == 403:
            return ForbiddenError(
                "Register refused requests from this computer or network (403). Contact the Register support "
                "team.", status_code=status, request_id=rid)
        if status == 404:
            return NotFoundError(
                f"Register's API answered 'not found' at {self.environment.base_url} "
                f"({_not_found_message(response) or 'Not found'}). Check the environment, that the address ends "
                f"in /api/{API_VERSION}, and that Register's API is switched on.", status_code=status, request_id=rid)
        if status == 429:
            return RateLimitedError(
                "Register kept answering 'too many requests'. Others on your network may be using the same "
                "allowance; wait a few minutes and resume.", status_code=status, request_id=rid)
        if status >= 500:
            return ServerError(
                f"Register had a problem answering (status {status}). Wait a few minutes and try again; "
                "nothing will be sent twice.", status_code=status, request_id=rid, maybe_sent=maybe_sent)
        if 300 <= status < 400:
            return ApiStatusError(
                f"Register's address redirected elsewhere (status {status}); a proxy may require you to sign "
                "in through a web browser first.", status_code=status, request_id=rid, maybe_sent=maybe_sent)
        return ApiStatusError(f"Register answered {method} {path} with status {status}.",
                              status_code=status, request_id=rid, maybe_sent=maybe_sent)


class _Secret:
    """Holds the token so that reprs, debuggers' variable dumps and error reports show no secret."""

    __slots__ = ("_value",)

    def __init__(self, value: str | None) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value or ""

    def __bool__(self) -> bool:
        return bool(self._value)

    def __repr__(self) -> str:
        return "<token hidden>" if self._value else "<no token>"

    __str__ = __repr__


#: fields of ``GET /info`` that would name the token's provider (none in v2026.1; additions are non-breaking)
_ACCOUNT_FIELDS = ("provider_code", "ukprn", "accredited_provider_code", "provider_id", "provider")


def _account_of(data: dict[str, Any]) -> str | None:
    """The token's provider as ``GET /info`` names it, if it does (the upload ledger keys trainees by it)."""
    for name in _ACCOUNT_FIELDS:
        value = data.get(name)
        if isinstance(value, dict):
            value = value.get("code") or value.get("ukprn") or value.get("id")
        if isinstance(value, (str, int)) and str(value).strip():
            return f"{name}:{str(value).strip()}"
    return None


def _not_found_message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    errors = body.get("errors") if isinstance(body, dict) else None
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        return str(errors[0].get("message", ""))
    return ""


def _clean_token(token: str | None) -> str | None:
    if token is None:
        return None
    token = token.strip()
    if token.lower().startswith("bearer "):
        token = token[7:].strip()
    if not token:
        return None
    if any(c.isspace() or ord(c) < 32 or ord(c) > 126 for c in token):
        raise MissingTokenError("The API token contains spaces or characters a token never has. "
                                "Copy it again from Register and save it with 'register-desktop token set'.")
    return token
