"""Where Register's OpenAPI document is wrong, and the contract check accepts the app and Register's real behaviour.

Each entry names the endpoint, the violation Prism reports (its location and a piece of its message)
and the SPEC section that says what Register really does. Only SPEC §11.10 (and, for the endpoints
that predate §11, §7.7/§7.8/§7.11, which record the same kind of disagreement) may justify an entry.
An entry that matches nothing in a run fails the check, so the list cannot outlive the mismatch it
excuses.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Allowed:
    endpoint: str  # "PUT /trainees/{trainee_id}"
    location: str  # prefix of Prism's location, e.g. "response.body"
    text: str  # a piece of Prism's message
    why: str  # the SPEC section and what the code does instead

    def matches(self, endpoint: str, location: str, message: str) -> bool:
        return endpoint == self.endpoint and location.startswith(self.location) and self.text in message


WHITELIST: tuple[Allowed, ...] = (
    Allowed("GET /reference-data", "response.body", "must have required property",
            "§7.7: without ?field= Register answers an object keyed by list name; the document describes only the "
            "one-list answer (the app reads all lists in one request, as the rate limit asks)"),
    Allowed("GET /trainees", "request.query.academic_cycle", "must match exactly one schema in oneOf",
            "§7.8: academic_cycle is a start year; the document types it oneOf integer|string, which a number in a "
            "query string always matches twice, so no value can ever pass"),
    Allowed("PUT /trainees/{trainee_id}", "response.body.errors", "must be object",
            "§11.10: PUT trainee 422 — the document shows errors keyed by field (the Enhanced-Errors form); by "
            "default Register answers an array: full messages for validation, objects for a state refusal"),
    Allowed("PUT /trainees/{trainee_id}", "response.body.errors", "must be string",
            "§11.10: state refusals — the document shows a StateTransitionError only for DELETE degree/placement "
            "and withdraw; the code also refuses a PUT of a recommended, withdrawn or awarded trainee with one"),
    Allowed("POST /trainees/{trainee_id}/degrees", "request.body.data", "must have required property 'country'",
            "§11.10: POST degree — country matters only for non-UK degrees; a UK degree is sent without one"),
    Allowed("POST /trainees/{trainee_id}/update-qts-or-eyts-status", "response", "",
            "§11.10: update-qts-or-eyts-status — only 202 is listed; the code answers the same 422s as "
            "recommend-for-qts (Q1–Q5)"),
)
