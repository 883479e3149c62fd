"""What Register's API returns, parsed into typed values (SPEC §7).

Only the few trainee fields the app needs are kept (id, identity for reconciliation, state and
times); everything else in a response is ignored, so no more personal data is held than needed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict


def _text(value: Any) -> Any:
    """Register returns some codes and years as numbers; keep everything as text."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (int, float)):
        return str(value)
    return value


Text = Annotated[str | None, BeforeValidator(_text)]


class TraineeSummary(BaseModel):
    """A trainee as Register serialises it (only the fields this app reads)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    trainee_id: str
    provider_trainee_id: Text = None
    hesa_id: Text = None
    first_names: Text = None
    last_name: Text = None
    date_of_birth: Text = None
    training_route: Text = None
    itt_start_date: Text = None
    trainee_start_date: Text = None
    state: Text = None
    trn: Text = None
    created_at: Text = None
    updated_at: Text = None


class ApiInfo(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    status: str
    requested: str | None = None
    latest: str | None = None


class Outcome(StrEnum):
    CREATED = "created"  # 201: a new trainee, submitted for TRN
    DUPLICATE = "duplicate"  # 409: Register already holds this trainee
    REJECTED = "rejected"  # 422 (or 400): Register's messages say why; nothing stored


@dataclass(frozen=True, slots=True)
class ApiMessage:
    """One of Register's validation messages, split into the attribute it is about and the text."""

    attribute: str  # first word of the full message (e.g. "email", "subject", "placements_attributes")
    text: str  # the rest
    full: str  # the message as Register wrote it
    detail: str | None = None  # second word for placements ("urn", "name"); section of a readiness failure

    @classmethod
    def parse(cls, full: str) -> ApiMessage:
        attribute, _, text = full.strip().partition(" ")
        detail = None
        if attribute == "placements_attributes":
            detail, _, rest = text.partition(" ")
            if not rest:  # "placements_attributes <message>" about the whole list
                detail, rest = None, text
            text = rest
        return cls(attribute=attribute, text=text, full=full, detail=detail)


READINESS_SECTIONS = frozenset({"contact_details", "diversity", "degrees", "course_details", "funding", "iqts_country"})
NESTED_PARENTS = frozenset({"degrees_attributes", "placements_attributes", "hesa_trainee_detail_attributes"})


def parse_errors(errors: Any) -> tuple[ApiMessage, ...]:
    """Flatten a 422 ``errors`` value in any of Register's shapes (SPEC §7.5.2, §7.5.4, §7.5.5)."""
    out: list[ApiMessage] = []
    if isinstance(errors, str):
        return (ApiMessage.parse(errors),)
    if isinstance(errors, list):
        for item in errors:
            if isinstance(item, str):
                out.append(ApiMessage.parse(item))
            elif isinstance(item, dict):
                text = str(item.get("message") or item.get("error") or item)
                out.append(ApiMessage(attribute="", text=text, full=text))
        return tuple(out)
    if isinstance(errors, dict):
        for key, value in errors.items():
            key = str(key)
            if isinstance(value, str):
                value = [value]
            if isinstance(value, list):  # enhanced: {"email": ["Enter an email ..."]}
                for m in value:
                    out.append(ApiMessage.parse(f"{key} {m}"))
            elif isinstance(value, dict):
                for sub, msgs in value.items():
                    for m in msgs if isinstance(msgs, list) else [msgs]:
                        if key in NESTED_PARENTS:  # enhanced nested: {"degrees_attributes": {"subject": [...]}}
                            prefix = f"placements_attributes {sub}" if key == "placements_attributes" else str(sub)
                            out.append(ApiMessage.parse(f"{prefix} {m}"))
                        else:  # readiness: {"diversity": {"disability_ids": ["Trainee has been ..."]}}
                            out.append(ApiMessage(attribute=str(sub), text=str(m), full=str(m), detail=key))
        return tuple(out)
    return ()


@dataclass(frozen=True)
class CreateResult:
    """The per-row outcome of ``POST /trainees``."""

    outcome: Outcome
    status_code: int
    trainee: TraineeSummary | None = None  # CREATED
    existing: tuple[TraineeSummary, ...] = ()  # DUPLICATE: every matching trainee
    messages: tuple[ApiMessage, ...] = ()  # REJECTED
    request_id: str | None = None
    #: True when an earlier attempt inside this call may have reached Register
    resent: bool = False

    @property
    def trainee_id(self) -> str | None:
        if self.trainee is not None:
            return self.trainee.trainee_id
        if self.existing:
            return self.existing[0].trainee_id
        return None


@dataclass(frozen=True)
class TraineePage:
    trainees: tuple[TraineeSummary, ...]
    current_page: int
    total_pages: int
    total_count: int
    per_page: int


@dataclass
class ClientStats:
    """Counts for figures and the CLI summary (never request contents)."""

    requests: int = 0
    rate_limited: int = 0
    retries: int = 0
    server_errors: int = 0
    connection_errors: int = 0
    by_status: dict[int, int] = field(default_factory=dict)
    writes: int = 0  # requests that may change Register (every method but GET), retries included
