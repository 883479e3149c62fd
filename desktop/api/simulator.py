"""A local Register (v2026.1) for rehearsals and tests: a real HTTP server on this computer only.

Same paths and response shapes as SPEC §7: bearer-token auth, the per-IP rate limit in fixed
windows aligned to the clock (429 + ``Retry-After``), validation by this app's own rule pack
(messages in Register's words, in the standard or ``Enhanced-Errors`` shape, plus the rare
record-level readiness shape), Register's duplicate rule (409, SPEC §5.12), ``GET /trainees`` with
paging, ``since`` and cycles, ``GET /info`` and ``GET /reference-data``.

Switchable faults for rehearsing bad days: ``5xx`` (fail before doing anything), ``5xx-after``
(create, then fail), ``drop`` / ``drop-after`` (close the connection without answering, before or
after creating), ``slow`` (answer late), ``slow-create`` (only ``POST /trainees`` is slow: it waits
``slow-seconds``, then creates the trainee and answers, as a slow Register commits last — the client
may have given up or died meanwhile), ``429`` (spurious rate limiting) and ``revoke-after=N``
(the token is revoked once N trainees have been created: every later request gets ``401`` until
``issue_token()`` makes a new one; ``revoke()`` does it at once). With a state file its trainees
survive restarts. Register's duplicate rule (§5.12) is on by default; ``duplicate_rule=False``
(``register-desktop simulator --no-duplicate-rule``) switches it off, so only the app stands between
a user and a duplicate. Academic cycles come from ``desktop.validation.cycles``, like the app's.
It listens on loopback only. Its ``Date`` header follows its own ``clock``, so
tests can move the client's clock without moving Register's.
"""

from __future__ import annotations

import datetime as dt
import hmac
import json
import logging
import math
import random
import re
import secrets
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

from desktop.api import sim_year
from desktop.api.environments import API_VERSION, LOOPBACK
from desktop.api.payload import DEGREES, PLACEMENTS, row_from_body
from desktop.base.writer import write_file
from desktop.validation.codelists import CodeLists, bundled_code_lists
from desktop.validation.cycles import cycle_of
from desktop.validation.engine import Columns, utc_today
from desktop.validation.findings import Severity
from desktop.validation.packs import get_pack
from desktop.validation.template import load_template

logger = logging.getLogger(__name__)

_VERSION = re.compile(r"v[0-9.]+(?:-pre|-rc)?")
_STATUSES = ("course_not_yet_started", "in_training", "deferred", "awarded", "withdrawn")


@dataclass
class Faults:
    """Probabilities (0–1) of each fault per request; ``seed`` makes a run repeatable."""

    server_error: float = 0.0  # 500 before doing anything
    server_error_after: float = 0.0  # POST: create the trainee, then answer 500
    drop: float = 0.0  # close the connection before doing anything
    drop_after: float = 0.0  # POST: create the trainee, then close without answering
    slow: float = 0.0  # answer after ``slow_seconds``
    slow_seconds: float = 2.0
    slow_create: float = 0.0  # POST /trainees only: wait slow_seconds, then create and answer
    rate_limited: float = 0.0  # a spurious 429 (as when others share the IP)
    revoke_after: int = 0  # revoke the token once this many trainees were created (0: never)
    seed: int | None = None

    _NAMES: ClassVar[dict[str, str]] = {"5xx": "server_error", "5xx-after": "server_error_after", "drop": "drop",
              "drop-after": "drop_after", "slow": "slow", "slow-seconds": "slow_seconds", "slow-create": "slow_create",
              "429": "rate_limited", "revoke-after": "revoke_after", "seed": "seed"}
    _COUNTS: ClassVar[frozenset[str]] = frozenset({"seed", "revoke_after"})  # whole numbers, not probabilities

    @classmethod
    def parse(cls, spec: str | None) -> Faults:
        """``"5xx=0.1,drop-after=0.05,slow=0.2,slow-seconds=3,seed=7"`` (names as in the module docstring)."""
        faults = cls()
        for part in (spec or "").replace(";", ",").split(","):
            part = part.strip()
            if not part:
                continue
            name, sep, value = part.partition("=")
            attr = cls._NAMES.get(name.strip().lower())
            if attr is None or not sep:
                raise ValueError(f"unknown fault '{part}'; use {', '.join(k + '=N' for k in cls._NAMES)}")
            try:
                number = int(value) if attr in cls._COUNTS else float(value)
            except ValueError:
                raise ValueError(f"fault '{name}' needs a number, not '{value}'") from None
            if attr == "revoke_after" and number < 0:
                raise ValueError(f"fault '{name}' is a number of trainees, not {value}")
            if attr not in cls._COUNTS and attr != "slow_seconds" and not 0 <= number <= 1:
                raise ValueError(f"fault '{name}' is a probability between 0 and 1, not {value}")
            setattr(faults, attr, number)
        return faults

    def describe(self) -> str:
        parts = [f"{k}={getattr(self, v)}" for k, v in self._NAMES.items()
                 if v not in ("seed", "slow_seconds") and getattr(self, v)]
        return ", ".join(parts) or "none"


@dataclass
class SimulatorStats:
    requests: int = 0
    rate_limited: int = 0  # 429s from the real limit (not the spurious fault)
    created: int = 0
    duplicates: int = 0
    rejected: int = 0
    faults: int = 0
    by_status: dict[int, int] = field(default_factory=dict)
    #: requests per endpoint, e.g. "PUT /trainees/{id}" (sim_year.endpoint_of), for tests and figures
    by_endpoint: dict[str, int] = field(default_factory=dict)


class RegisterSimulator:
    """Start with ``start()`` (or ``with``); ``base_url`` and ``token`` are then what a client needs."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        token: str | None = None,
        rate_limit: int = 100,
        window: float = 60.0,
        state_file: str | Path | None = None,
        faults: Faults | None = None,
        today: dt.date | None = None,
        duplicate_rule: bool = True,
        unknown_urns: frozenset[str] = frozenset({"123456"}),
        clock: Callable[[], float] = time.time,
        trn_after: float | None = None,
        award_after: float | None = None,
        provider_ukprn: str = "10000001",
    ) -> None:
        if host not in LOOPBACK:
            raise ValueError("the simulator listens on this computer only (127.0.0.1, localhost or ::1)")
        self.host, self.port = host, port
        self.token: str | None = token or f"practice_{secrets.token_hex(32)}"
        self.revoked: list[str] = []  # tokens that worked once and no longer do
        self.rate_limit, self.window = rate_limit, window
        self.state_file = Path(state_file) if state_file else None
        self.faults = faults or Faults()
        self.today = today
        self.duplicate_rule = duplicate_rule
        self.unknown_urns = unknown_urns
        self.clock = clock
        #: seconds (on ``clock``) until a created trainee gets its TRN; None: never (SPEC §11.7)
        self.trn_after = trn_after
        #: seconds until a recommendation is awarded (TRS's answer); None: the same as ``trn_after``
        self.award_after = trn_after if award_after is None else award_after
        self.provider_ukprn = provider_ukprn
        self.stats = SimulatorStats()
        self._rng = random.Random(self.faults.seed)
        self._lock = threading.Lock()  # trainees, stats, rate counters
        self._records: dict[str, dict[str, Any]] = {}
        self._seq = 0
        self._bucket = -1
        self._bucket_count = 0
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._code_lists: CodeLists = bundled_code_lists()
        self._load()

    # ------------------------------------------------------------------ lifecycle
    @property
    def base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/api/{API_VERSION}"

    def start(self) -> str:
        handler = _make_handler(self)
        server_cls = _V6Server if ":" in self.host else _Server
        self._server = server_cls((self.host, self.port), handler)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="register-simulator", daemon=True)
        self._thread.start()
        logger.info("Register simulator listening on %s", self.base_url)
        return self.base_url

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def __enter__(self) -> RegisterSimulator:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ tokens
    def revoke(self) -> None:
        """Revoke the current token (as a provider user can in Register): every request now gets 401."""
        with self._lock:
            self._revoke()

    def _revoke(self) -> None:  # under the lock
        if self.token:
            self.revoked.append(self.token)
        self.token = None
        logger.info("Register simulator: the token was revoked")

    def issue_token(self, token: str | None = None) -> str:
        """A new token that works from now on (the previous one, if any, is revoked)."""
        with self._lock:
            self._revoke()
            self.token = token or f"practice_{secrets.token_hex(32)}"
            return self.token

    # ------------------------------------------------------------------ records
    def trainees(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(r) for r in sorted(self._records.values(), key=lambda r: r["_seq"])]

    def _load(self) -> None:
        if self.state_file is None or not self.state_file.exists():
            return
        try:
            doc = json.loads(self.state_file.read_text("utf-8"))
            for rec in doc.get("trainees", []):
                self._records[str(rec["trainee_id"])] = rec
                rec.setdefault("_seq", len(self._records))
            self._seq = int(doc.get("seq", len(self._records)))
        except (ValueError, KeyError, TypeError, AttributeError):
            raise ValueError(f"{self.state_file} is not a simulator state file") from None

    def _save(self) -> None:
        """Write the state atomically and user-only (call under the lock)."""
        if self.state_file is None:
            return
        doc = {"version": 1, "seq": self._seq, "trainees": list(self._records.values())}
        # user-only and atomic; a crash or a full disk leaves the previous state (desktop.base.writer)
        write_file(self.state_file, json.dumps(doc, ensure_ascii=False), private=True)

    def _today(self) -> dt.date:
        return self.today or utc_today()

    # ------------------------------------------------------------------ rate limit
    def _admit(self) -> float | None:
        """Count a request in its fixed window; seconds until the window ends when over the limit."""
        now = self.clock()
        bucket = math.floor(now / self.window)
        with self._lock:
            if bucket != self._bucket:
                self._bucket, self._bucket_count = bucket, 0
            self._bucket_count += 1
            if self._bucket_count <= self.rate_limit:
                return None
            self.stats.rate_limited += 1
        return (bucket + 1) * self.window - now

    def _chance(self, p: float) -> bool:
        if p <= 0:
            return False
        with self._lock:
            return self._rng.random() < p

    # ------------------------------------------------------------------ endpoints
    def handle(self, method: str, raw_path: str, headers: Mapping[str, str], body: bytes) -> _Reply:
        parts = urlsplit(raw_path)
        path = parts.path
        query = parse_qs(parts.query, keep_blank_values=True)
        with self._lock:
            self.stats.requests += 1
        if path.startswith("/api"):
            wait = self._admit()
            if wait is not None:
                return _Reply.text(429, "Retry later\n", {"Retry-After": str(max(1, math.ceil(wait)))})
        if self._chance(self.faults.rate_limited):
            self._count_fault()
            return _Reply.text(429, "Retry later\n", {"Retry-After": "1"})
        if self._chance(self.faults.drop):
            self._count_fault()
            return _Reply.dropped()
        if self._chance(self.faults.server_error):
            self._count_fault()
            return _Reply.text(500, "We're sorry, but something went wrong.\n")
        if self._chance(self.faults.slow):
            self._count_fault()
            time.sleep(self.faults.slow_seconds)

        segments = [s for s in path.split("/") if s]
        if len(segments) < 2 or segments[0] != "api" or not _VERSION.fullmatch(segments[1]):
            return _not_found("Not found")
        version, rest = segments[1], segments[2:]
        with self._lock:
            sim_year.advance(self)  # TRNs and awards that are due by now
            endpoint = sim_year.endpoint_of(method, rest)
            self.stats.by_endpoint[endpoint] = self.stats.by_endpoint.get(endpoint, 0) + 1
        if rest == ["reference-data"] and method == "GET":
            if version != API_VERSION:
                return _not_found("Not found")
            return self._reference_data(query)
        if not self._authorised(headers):
            return _Reply.json(401, {"error": "Unauthorized"})
        if version != API_VERSION:
            return _not_found("Not found")
        if rest == ["info"] and method == "GET":
            return _Reply.json(200, {"status": "ok", "version": {"requested": version, "latest": API_VERSION}})
        if rest == ["trainees"] and method == "POST":
            return self._create(headers, body)
        if rest == ["trainees"] and method == "GET":
            return self._list(query)
        if len(rest) >= 2 and rest[0] == "trainees":
            return sim_year.handle(self, method, rest, headers, body)  # SPEC §11
        return _not_found("Not found")

    def _count_fault(self) -> None:
        with self._lock:
            self._count_fault_locked()

    def _count_fault_locked(self) -> None:
        self.stats.faults += 1

    def _authorised(self, headers: Mapping[str, str]) -> bool:
        given = headers.get("authorization", "").strip()
        if given.lower().startswith("bearer "):
            given = given[7:].strip()
        with self._lock:
            token = self.token
        return bool(given) and token is not None and hmac.compare_digest(given.encode(), token.encode())

    def _reference_data(self, query: dict[str, list[str]]) -> _Reply:
        doc: dict[str, Any] = {}
        for name, cl in self._code_lists.lists.items():
            doc[name] = {"metadata": {"name": name, "display_name": cl.title},
                         "entries": [{"code": e.code, "display_name": e.label or cl.title,
                                      "start_year": e.start_year, "end_year": e.end_year}
                                     for e in sorted(cl.entries, key=lambda e: e.code)]}
        doc["withdrawal_reasons"] = sim_year.withdrawal_reasons_reference()
        wanted = (query.get("field") or [""])[0]
        if not wanted:
            return _Reply.json(200, doc)
        if wanted not in doc:
            return _not_found(f"Reference data field '{wanted}' not found")
        return _Reply.json(200, doc[wanted])

    # -- POST /trainees ------------------------------------------------------------
    def _create(self, headers: Mapping[str, str], body: bytes) -> _Reply:
        missing = {"errors": ["Param is missing or the value is empty or invalid: data"]}
        if "application/json" not in headers.get("content-type", ""):
            return self._rejected(missing)
        try:
            doc = json.loads(body.decode("utf-8") or "null")
        except (UnicodeDecodeError, ValueError) as exc:
            return _Reply.json(400, {"errors": [str(exc).capitalize()]})
        data = doc.get("data") if isinstance(doc, dict) else None
        if not isinstance(data, dict) or not data:
            return self._rejected(missing)
        messages = self._validate(data)
        if messages:
            enhanced = headers.get("enhanced-errors", "").lower() == "true"
            n = len(messages)
            return self._rejected({
                "message": f"Validation failed: {n} error{'s' if n != 1 else ''} prohibited this trainee from being saved",
                "errors": _enhanced(messages) if enhanced else messages})
        row = row_from_body(data)
        if self._chance(self.faults.slow_create):
            self._count_fault()
            time.sleep(self.faults.slow_seconds)  # Register is still working on it; the trainee appears at the end
        with self._lock:  # duplicate check and insert together, so a re-sent row cannot slip in twice
            matches = self._duplicates(row) if self.duplicate_rule else []
            if matches:
                self.stats.duplicates += 1
                return _Reply.json(409, {"errors": [{"error": "Conflict", "message": "This trainee is already in Register"}],
                                         "data": [self._public(m) for m in matches]})
            if _disabled_without_disabilities(row, self._code_lists):
                self.stats.rejected += 1
                return _Reply.json(422, {
                    "message": "Validation failed: 1 error prohibited this trainee from being saved",
                    "errors": {"diversity": {"disability_ids": ["Trainee has been disclosed as disabled but no disabilities exist"]}}})
            self._seq += 1
            record = sim_year.new_record(self, data, seq=self._seq)
            self._records[record["trainee_id"]] = record
            self.stats.created += 1
            self._save()
            if self.faults.revoke_after and self.stats.created == self.faults.revoke_after:
                self._count_fault_locked()
                self._revoke()
        if self._chance(self.faults.drop_after):
            self._count_fault()
            return _Reply.dropped()
        if self._chance(self.faults.server_error_after):
            self._count_fault()
            return _Reply.text(500, "We're sorry, but something went wrong.\n")
        return _Reply.json(201, {"data": self._public(record)})

    def _public(self, rec: dict[str, Any] | None) -> dict[str, Any]:
        return sim_year.public_trainee(self, rec)

    def _rejected(self, doc: dict[str, Any]) -> _Reply:
        with self._lock:
            self.stats.rejected += 1
        return _Reply.json(422, doc)

    def _validate(self, data: dict[str, Any]) -> list[str]:
        """Register's full messages for this body: the app's rule pack, read as Register would."""
        return self._validate_row(row_from_body(data))

    def _validate_row(self, row: dict[str, str], only: tuple[str, ...] | None = None) -> list[str]:
        """Register's full messages for a template row (``only``: about these fields alone)."""
        pack = get_pack()
        template = load_template()
        ctx = pack.context(template, self._code_lists, self._today())
        findings = pack.validate(Columns.from_rows([row], template.names), ctx).frame
        errors = findings[(findings["severity"] == str(Severity.ERROR)) & findings["register_message"].notna()]
        if only is not None:
            return list(dict.fromkeys(str(m) for m in errors[errors["field"].isin(only)]["register_message"] if m))
        messages: list[str] = []
        for m in errors["register_message"]:
            if m and m not in messages:
                messages.append(str(m))
        for name, label in (("training_partner_urn", "training partners"), ("employing_school_urn", "schools")):
            urn = row.get(name, "")
            if urn and urn in self.unknown_urns:
                attr = "employing_school_id" if name == "employing_school_urn" else name
                messages.append(f"{attr} is invalid. The URN '{urn}' does not match any known {label}")
        return messages

    def _duplicates(self, row: dict[str, str]) -> list[dict[str, Any]]:
        """SPEC §5.12: same DOB, surname (any case), route and start cycle; and first name or e-mail."""
        cycle = _cycle_of(row.get("itt_start_date", ""))
        out = []
        for rec in self._records.values():
            if (rec.get("date_of_birth") != row["date_of_birth"]
                    or str(rec.get("last_name") or "").lower() != row["last_name"].lower()
                    or rec.get("training_route") != row["training_route"]
                    or _cycle_of(rec.get("trainee_start_date") or rec.get("itt_start_date") or "") != cycle):
                continue
            same_name = _first_name_key(str(rec.get("first_names") or "")) == _first_name_key(row["first_names"])
            same_email = bool(row["email"]) and str(rec.get("email") or "").strip().lower() == row["email"].strip().lower()
            if same_name or same_email:
                out.append(rec)
        return out

    # -- GET /trainees -------------------------------------------------------------
    def _list(self, query: dict[str, list[str]]) -> _Reply:
        def one(name: str, default: str = "") -> str:
            return (query.get(name) or query.get(f"{name}[]") or [default])[0]

        errors: dict[str, list[str]] = {}
        today = self._today()
        cycle_text = one("academic_cycle")
        cycle = cycle_of(today) or today.year
        if cycle_text:
            if cycle_text.isdigit():
                cycle = int(cycle_text)
            else:
                errors["academic_cycle"] = [f"{cycle_text} is not a valid academic cycle year"]
        since_text = one("since")
        since = None
        if since_text:
            try:
                since = dt.datetime.fromisoformat(since_text.replace("Z", "+00:00"))
                if since.tzinfo is None:
                    since = since.replace(tzinfo=dt.UTC)
            except ValueError:
                errors["since"] = [f"{since_text} is not a valid date"]
        statuses = query.get("status", []) + query.get("status[]", [])
        for s in statuses:
            if s not in _STATUSES:
                errors.setdefault("status", []).append(f"{s} is not a valid status")
        order = one("sort_order", "desc")
        if order not in ("asc", "desc"):
            errors["sort_order"] = ["is not included in the list"]
        if errors:
            n = len(errors)
            return _Reply.json(422, {"message": f"Validation failed: {n} error{'s' if n != 1 else ''} prohibited this request being run",
                                     "errors": errors})
        try:
            page = max(1, int(one("page", "1")))
            per_page = max(1, int(one("per_page", "50")))
        except ValueError:
            page, per_page = 1, 50
        with self._lock:
            records = list(self._records.values())
        chosen = []
        for rec in records:
            if _cycle_of(rec.get("trainee_start_date") or rec.get("itt_start_date") or "") != cycle:
                continue
            if since is not None and dt.datetime.fromisoformat(rec["updated_at"].replace("Z", "+00:00")) < since:
                continue
            if statuses and not any(sim_year.matches_status(rec, st, today) for st in statuses):
                continue
            chosen.append(rec)
        # by updated_at, ties by internal id descending in both orders
        if order == "desc":
            chosen.sort(key=lambda r: (r["updated_at"], r["_seq"]), reverse=True)
        else:
            chosen.sort(key=lambda r: (r["updated_at"], -r["_seq"]))
        total = len(chosen)
        pages = max(1, math.ceil(total / per_page))
        items = chosen[(page - 1) * per_page: page * per_page]
        if not items:
            return _not_found("No trainees found")
        return _Reply.json(200, {"data": [self._public(r) for r in items],
                                 "meta": {"current_page": page, "total_pages": pages, "total_count": total,
                                          "per_page": per_page}})


# ---------------------------------------------------------------------- helpers
def _cycle_of(date_text: str) -> int | None:
    return cycle_of(date_text)


def _first_name_key(name: str) -> str:
    cleaned = re.sub(r"[^a-z ]", "", name.strip().lower())
    return cleaned.split(" ")[0] if cleaned else ""


def _disabled_without_disabilities(row: dict[str, str], lists: CodeLists) -> bool:
    """SPEC §5.9: known codes only among the answers that are not disabilities (95, 98, 99), and
    not a single one of them → record-level 422."""
    not_a_disability = frozenset(get_pack().facts["diversity"]["not_a_disability"])
    disabilities = lists["disability"].codes - not_a_disability  # the codes Register keeps records of
    codes = [row.get(f"disability{i}", "") for i in range(1, 10)]
    known = [c for c in codes if c in disabilities or c in not_a_disability]
    if not known or any(c in disabilities for c in known):
        return False
    return len(known) > 1


def _enhanced(messages: list[str]) -> dict[str, Any]:
    """SPEC §7.5.5: group full messages by their first word; nested degree/placement fields under the parent."""
    degree_fields = {"uk_degree", "non_uk_degree", "subject", "grade", "graduation_year", "institution", "country"}
    out: dict[str, Any] = {}
    for m in messages:
        attr, _, text = m.partition(" ")
        if attr in degree_fields:
            out.setdefault(DEGREES, {}).setdefault(attr, []).append(text)
        elif attr == PLACEMENTS:
            sub, _, rest = text.partition(" ")
            out.setdefault(PLACEMENTS, {}).setdefault(sub, []).append(rest)
        else:
            out.setdefault(attr, []).append(text)
    return out


def _not_found(message: str) -> _Reply:
    return _Reply.json(404, {"errors": [{"error": "NotFound", "message": message}]})


@dataclass
class _Reply:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False

    @classmethod
    def json(cls, status: int, doc: Any, headers: dict[str, str] | None = None) -> _Reply:
        return cls(status, json.dumps(doc, ensure_ascii=False).encode("utf-8"),
                   {"Content-Type": "application/json; charset=utf-8", **(headers or {})})

    @classmethod
    def text(cls, status: int, text: str, headers: dict[str, str] | None = None) -> _Reply:
        return cls(status, text.encode("utf-8"), {"Content-Type": "text/plain", **(headers or {})})

    @classmethod
    def dropped(cls) -> _Reply:
        return cls(0, drop=True)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that vanished mid-request (killed, timed out) is normal here: no traceback on screen."""
        logger.debug("simulator: connection from %s ended abruptly (%s)", client_address, sys.exc_info()[0])


class _V6Server(_Server):
    import socket as _socket

    address_family = _socket.AF_INET6


def _make_handler(sim: RegisterSimulator) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "RegisterSimulator"
        disable_nagle_algorithm = True  # headers and body go out in separate writes: no 40 ms delayed-ACK stall

        def log_message(self, format: str, *args: Any) -> None:
            logger.debug("simulator: " + format, *args)

        def date_time_string(self, timestamp: float | None = None) -> str:
            """Register's clock (the simulator's), not whatever ``time.time`` says in this process."""
            return super().date_time_string(sim.clock() if timestamp is None else timestamp)

        def _serve(self, method: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length > 0 else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            try:
                reply = sim.handle(method, self.path, headers, body)
            except Exception:  # a bug in the simulator answers 500, as Rails would
                logger.exception("simulator failed on %s %s", method, urlsplit(self.path).path)
                reply = _Reply.text(500, "We're sorry, but something went wrong.\n")
            if reply.drop:
                self.close_connection = True
                try:
                    self.connection.shutdown(2)
                except OSError:
                    pass
                return
            with sim._lock:
                sim.stats.by_status[reply.status] = sim.stats.by_status.get(reply.status, 0) + 1
            self.send_response(reply.status, HTTPStatus(reply.status).phrase)
            for k, v in reply.headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            self.wfile.write(reply.body)

        def do_GET(self) -> None:
            self._serve("GET")

        def do_POST(self) -> None:
            self._serve("POST")

        def do_PUT(self) -> None:
            self._serve("PUT")

        def do_DELETE(self) -> None:
            self._serve("DELETE")

    return Handler


__all__ = ["Faults", "RegisterSimulator", "SimulatorStats"]
