"""Register's API for the rest of the year (SPEC §11): read, change, withdraw, defer, recommend.

``TraineeApi(client)`` adds the §11 endpoints to a ``RegisterClient`` and shares its pacing,
retries, token and error handling (every request goes through the client's ``_send``). Reads are
retried like any GET. A write is sent once: when its answer is lost (timeout, reset, 5xx) this
raises with ``maybe_sent=True`` and the caller — which journalled the request first — reads the
trainee back to learn whether it happened (SPEC §11.8: a repeated placement POST makes a second
placement, a repeated withdraw answers a state error).

Every answer that is about the trainee (validation messages, a state refusal, a duplicate degree,
an unknown trainee/degree/placement) is a ``Result``, not an exception, so it can be mapped back
onto the row it came from. The full trainee object is kept only in memory (``TraineeRecord``), for
comparing with the user's file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from desktop.api.client import RegisterClient
from desktop.api.models import ApiMessage

#: every endpoint this app calls, as (method, path template) under /api/{version}/ — the contract
#: check (tests/contract) proves each against Register's OpenAPI document
ENDPOINTS: dict[str, tuple[str, str]] = {
    "info": ("GET", "info"),
    "reference_data": ("GET", "reference-data"),
    "create": ("POST", "trainees"),
    "list": ("GET", "trainees"),
    "get": ("GET", "trainees/{trainee_id}"),
    "update": ("PUT", "trainees/{trainee_id}"),
    "degrees": ("GET", "trainees/{trainee_id}/degrees"),
    "add_degree": ("POST", "trainees/{trainee_id}/degrees"),
    "change_degree": ("PUT", "trainees/{trainee_id}/degrees/{degree_id}"),
    "placements": ("GET", "trainees/{trainee_id}/placements"),
    "add_placement": ("POST", "trainees/{trainee_id}/placements"),
    "withdraw": ("POST", "trainees/{trainee_id}/withdraw"),
    "defer": ("POST", "trainees/{trainee_id}/defer"),
    "recommend": ("POST", "trainees/{trainee_id}/update-qts-or-eyts-status"),
}

_NOT_FOUND = frozenset({"Trainee(s) not found", "Degree(s) not found", "Placement(s) not found"})


class ResultKind(StrEnum):
    DONE = "done"  # 200 / 201 / 202
    REJECTED = "rejected"  # 422 validation (or 400): Register's messages say why; nothing changed
    STATE = "state"  # refused by the trainee's state (StateTransitionError or the state messages)
    DUPLICATE = "duplicate"  # 409 duplicate degree: ``data`` holds the matching degrees
    NOT_FOUND = "not_found"  # the trainee (or degree/placement) is not this provider's in Register


#: Register's own state messages of defer and recommend (they are ordinary 422 objects)
STATE_MESSAGES = frozenset({"state is invalid must be one of [submitted_for_trn, trn_received]",
                            "state must be selected as trn_received"})


@dataclass(frozen=True)
class Result:
    kind: ResultKind
    status_code: int
    data: Any = None  # the trainee / degree / placement, or the matching degrees of a 409
    messages: tuple[ApiMessage, ...] = ()
    request_id: str | None = None

    @property
    def ok(self) -> bool:
        return self.kind == ResultKind.DONE

    @property
    def texts(self) -> tuple[str, ...]:
        return tuple(m.full for m in self.messages)


@dataclass(frozen=True)
class TraineeRecord:
    """A trainee as Register returns it (in memory only: it holds personal data)."""

    data: Mapping[str, Any] = field(repr=False)

    @property
    def trainee_id(self) -> str:
        return str(self.data.get("trainee_id") or "")

    @property
    def state(self) -> str:
        return str(self.data.get("state") or "")

    def get(self, key: str) -> Any:
        return self.data.get(key)

    def text(self, key: str) -> str:
        """A value as text, the way this app compares it with a cell ("" for null)."""
        value = self.data.get(key)
        if value is None:
            return ""
        if isinstance(value, bool):
            return str(value).lower()
        return str(value)

    @property
    def degrees(self) -> list[dict[str, Any]]:
        return [d for d in self.data.get("degrees") or [] if isinstance(d, dict)]

    @property
    def placements(self) -> list[dict[str, Any]]:
        return [p for p in self.data.get("placements") or [] if isinstance(p, dict)]

    def __repr__(self) -> str:
        return f"TraineeRecord({self.trainee_id}, {self.state})"


def path_of(name: str, **ids: str) -> str:
    return ENDPOINTS[name][1].format(**ids)


class TraineeApi:
    """The §11 endpoints over one ``RegisterClient`` (its limiter, retries, token and stats)."""

    def __init__(self, client: RegisterClient) -> None:
        self.client = client

    # ------------------------------------------------------------------ reads
    def get(self, trainee_id: str) -> TraineeRecord | None:
        """``GET /trainees/{id}`` (a bare object, SPEC §7.9); None when Register does not know it."""
        data = self.client._request_json("GET", path_of("get", trainee_id=trainee_id), auth=True, empty_404=True)
        return TraineeRecord(data) if data is not None else None

    def list_cycle(self, academic_cycle: int | None, *, per_page: int = 100) -> Iterator[TraineeRecord]:
        """Every trainee of a start cycle, full objects, page by page (SPEC §7.8)."""
        page = 1
        while True:
            params = {"page": page, "per_page": per_page, "sort_order": "asc"}
            if academic_cycle is not None:
                params["academic_cycle"] = academic_cycle
            body = self.client._request_json("GET", path_of("list"), params=params, auth=True, empty_404=True)
            if body is None:
                return
            items = body.get("data")
            raw_meta = body.get("meta")
            meta: dict[str, Any] = raw_meta if isinstance(raw_meta, dict) else {}
            if not isinstance(items, list):
                raise self.client._unreadable("GET", "trainees", 200)
            for item in items:
                if isinstance(item, dict) and item.get("trainee_id"):
                    yield TraineeRecord(item)
            try:
                last = int(meta.get("total_pages", page)) <= page
            except (TypeError, ValueError):
                last = True
            if not items or last:
                return
            page += 1

    def degrees(self, trainee_id: str) -> list[dict[str, Any]] | None:
        return self._list("degrees", trainee_id)

    def placements(self, trainee_id: str) -> list[dict[str, Any]] | None:
        return self._list("placements", trainee_id)

    def _list(self, name: str, trainee_id: str) -> list[dict[str, Any]] | None:
        body = self.client._request_json("GET", path_of(name, trainee_id=trainee_id), auth=True, empty_404=True)
        if body is None:
            return None
        items = body.get("data")
        if not isinstance(items, list):
            raise self.client._unreadable("GET", f"trainees/{{id}}/{name}", 200)
        return [i for i in items if isinstance(i, dict)]

    # ------------------------------------------------------------------ writes (sent once)
    def update(self, trainee_id: str, data: Mapping[str, Any], *, before_send: Callable[[], None] | None = None) -> Result:
        """``PUT /trainees/{id}`` with ``{"data": …}`` (send the complete trainee-level body, SPEC §11.2)."""
        return self._write("update", data, before_send, trainee_id=trainee_id)

    def add_degree(self, trainee_id: str, degree: Mapping[str, Any], *,
                   before_send: Callable[[], None] | None = None) -> Result:
        return self._write("add_degree", degree, before_send, trainee_id=trainee_id)

    def change_degree(self, trainee_id: str, degree_id: str, degree: Mapping[str, Any], *,
                      before_send: Callable[[], None] | None = None) -> Result:
        return self._write("change_degree", degree, before_send, trainee_id=trainee_id, degree_id=degree_id)

    def add_placement(self, trainee_id: str, placement: Mapping[str, Any], *,
                      before_send: Callable[[], None] | None = None) -> Result:
        return self._write("add_placement", placement, before_send, trainee_id=trainee_id)

    def withdraw(self, trainee_id: str, data: Mapping[str, Any], *,
                 before_send: Callable[[], None] | None = None) -> Result:
        return self._write("withdraw", data, before_send, trainee_id=trainee_id)

    def defer(self, trainee_id: str, data: Mapping[str, Any], *,
              before_send: Callable[[], None] | None = None) -> Result:
        return self._write("defer", data, before_send, trainee_id=trainee_id)

    def recommend(self, trainee_id: str, data: Mapping[str, Any], *,
                  before_send: Callable[[], None] | None = None) -> Result:
        return self._write("recommend", data, before_send, trainee_id=trainee_id)

    def action(self, action: str, trainee_id: str, data: Mapping[str, Any], *,
               before_send: Callable[[], None] | None = None) -> Result:
        """``withdraw``, ``defer`` or ``recommend`` by name."""
        return self._write(action, data, before_send, trainee_id=trainee_id)

    def _write(self, name: str, data: Mapping[str, Any], before_send: Callable[[], None] | None, **ids: str) -> Result:
        client = self.client
        client._require_token()
        method, _ = ENDPOINTS[name]
        path = path_of(name, **ids)
        response = client._send(method, path, resend_ok=False, json={"data": dict(data)}, before_send=before_send)
        status = response.status_code
        rid = response.headers.get("x-request-id")
        if status in (200, 201, 202):
            body = client._json(response, method, maybe_sent=True)
            return Result(ResultKind.DONE, status, data=body.get("data") if isinstance(body, dict) else None,
                          request_id=rid)
        if status in (404, 409, 422, 400):
            try:
                body = response.json()
            except ValueError:
                body = None
            errors = body.get("errors") if isinstance(body, dict) else None
            if status == 404:
                messages = read_errors(errors)
                if not any(m.full in _NOT_FOUND for m in messages):  # the API is off, or a wrong address
                    raise client._status_error(method, path, response, maybe_sent=False)
                return Result(ResultKind.NOT_FOUND, status, messages=messages, request_id=rid)
            if status == 409:
                return Result(ResultKind.DUPLICATE, status, data=body.get("data") if isinstance(body, dict) else None,
                              messages=read_errors(errors), request_id=rid)
            if body is None:
                raise client._unreadable(method, path, status, maybe_sent=False)
            messages = read_errors(errors)
            state = _is_state_refusal(errors) or any(m.full in STATE_MESSAGES for m in messages)
            return Result(ResultKind.STATE if state else ResultKind.REJECTED, status, messages=messages, request_id=rid)
        raise client._status_error(method, path, response, maybe_sent=True)


def _is_state_refusal(errors: Any) -> bool:
    return isinstance(errors, list) and any(isinstance(e, dict) and e.get("error") == "StateTransitionError"
                                            for e in errors)


def read_errors(errors: Any) -> tuple[ApiMessage, ...]:
    """Register's §11 ``errors`` in all three shapes (SPEC §11.8): strings, ``{error, message}``
    objects (the message is a full message: its first word is the attribute) and an object keyed
    by field (``Enhanced-Errors``, or a save that failed outside validation)."""
    from desktop.api.models import parse_errors

    if isinstance(errors, list):
        out = []
        for item in errors:
            if isinstance(item, dict):
                message = str(item.get("message") or item.get("error") or "")
                if item.get("error") == "StateTransitionError":
                    out.append(ApiMessage(attribute="", text=message, full=message))
                else:
                    out.append(ApiMessage.parse(message))
            elif isinstance(item, str):
                out.append(ApiMessage.parse(item))
        return tuple(out)
    return parse_errors(errors)
