"""Register's rules for the three actions on a trainee: withdraw, defer, recommend (SPEC §11.4–§11.7).

Each check takes the request's ``data`` (the API's own field names, as the action file's columns
are) and what Register holds about the trainee (state, ITT start date, route, placements,
degrees), and returns Register's full messages in Register's words, in the order Register
collects them. The same functions answer for the practice simulator and check the user's file
offline before anything is sent, so what the app says before sending is what Register will say.

The state rules are separate (``state_refusal``): Register answers them differently per action
(a ``StateTransitionError`` for withdraw, a ``state …`` message for defer and recommend), and the
app explains each refused state in words with what the user can do (``state_advice``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from desktop.validation.resources import read_json

WITHDRAW, DEFER, RECOMMEND = "withdraw", "defer", "recommend"
ACTIONS = (WITHDRAW, DEFER, RECOMMEND)

#: the request fields of each action, in the order of Register's documentation (SPEC §11.4–§11.6)
FIELDS: dict[str, tuple[str, ...]] = {
    WITHDRAW: ("withdrawal_date", "trigger", "reasons", "future_interest", "another_reason",
               "safeguarding_concern_reasons"),
    DEFER: ("defer_date", "defer_reason"),
    RECOMMEND: ("qts_standards_met_date",),
}

#: Register's StateTransitionError text (the apostrophe is U+2019, SPEC §11.7)
STE_MESSAGE = "It\u2019s not possible to perform this action while the trainee is in its current state"
DEFER_STATE_MESSAGE = "state is invalid must be one of [submitted_for_trn, trn_received]"
RECOMMEND_STATE_MESSAGE = "state must be selected as trn_received"

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ISO_DATE_TIME = re.compile(r"(\d{4}-\d{2}-\d{2})[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?")


@dataclass(frozen=True, slots=True)
class WithdrawalReason:
    code: str
    triggers: tuple[str, ...]  # "provider", "trainee"
    needs: str | None  # "another_reason" or "safeguarding_concern_reasons"
    label: str  # this app's wording


@dataclass(frozen=True)
class ActionFacts:
    reasons: dict[str, WithdrawalReason]
    triggers: tuple[str, ...]
    default_trigger_list: str
    future_interest: tuple[str, ...]
    withdraw_states: frozenset[str]
    defer_states: frozenset[str]
    recommend_states: frozenset[str]
    locked_states: frozenset[str]  # no PUT, degree or placement change, no withdraw (STE)
    defer_reason_max: int

    def reasons_for(self, trigger: str) -> frozenset[str]:
        """The reason codes a trigger allows; a missing or unknown trigger selects the default list (W7)."""
        chosen = trigger if trigger in self.triggers else self.default_trigger_list
        return frozenset(c for c, r in self.reasons.items() if chosen in r.triggers)


@cache
def load_action_facts(version: str = "v2026.1") -> ActionFacts:
    doc = read_json("rules", version, "actions.json")
    w = doc["withdraw"]
    reasons = {r["code"]: WithdrawalReason(r["code"], tuple(r["triggers"]), r["needs"], r["label"])
               for r in w["reasons"]}
    return ActionFacts(
        reasons=reasons, triggers=tuple(w["triggers"]), default_trigger_list=w["default_trigger_list"],
        future_interest=tuple(w["future_interest"]), withdraw_states=frozenset(w["states"]),
        defer_states=frozenset(doc["defer"]["states"]), recommend_states=frozenset(doc["recommend"]["states"]),
        locked_states=frozenset(doc["locked_states"]), defer_reason_max=int(doc["defer"]["reason_max_length"]))


# ---------------------------------------------------------------------- reading values as Register does
def read_date(value: Any) -> dt.date | bool | None:
    """An ISO 8601 date (or date-time, whose date counts): the date; blank: None; anything else: False."""
    if value is None:
        return None
    if not isinstance(value, str):
        return False
    text = value.strip()
    if not text:
        return None
    m = _ISO_DATE.fullmatch(text) or _ISO_DATE_TIME.fullmatch(text)
    if not m:
        return False
    try:
        return dt.date.fromisoformat(m.group(1) if m.re is _ISO_DATE_TIME else m.group(0))
    except ValueError:
        return False


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


# ---------------------------------------------------------------------- withdraw (SPEC §11.4)
def withdraw_messages(data: Mapping[str, Any], *, itt_start: dt.date | None,
                      facts: ActionFacts | None = None) -> list[str]:
    """W3–W11 (collected together): Register's messages for a withdraw body; [] when it would pass."""
    facts = facts or load_action_facts()
    out: list[str] = []
    when = read_date(data.get("withdrawal_date"))
    if when is None:
        out.append("withdrawal_date Choose a withdrawal date")  # W3
    elif when is False:
        out.append("withdrawal_date Choose a valid withdrawal date")  # W4
    elif isinstance(when, dt.date) and itt_start is not None and when < itt_start:
        out.append("withdrawal_date must be after itt_start_date")  # W5 (the same day is allowed)
    trigger = _text(data.get("trigger"))
    reasons = data.get("reasons")
    codes = [r for r in reasons if isinstance(r, str)] if isinstance(reasons, list) else []
    if not codes:
        out.append("reasons Choose one or more reasons why the trainee withdrew from the course")  # W6
    elif any(c not in facts.reasons_for(trigger) for c in codes):
        out.append("reasons entered not valid for selected trigger eg unacceptable_behaviour for a trainee trigger")  # W7
    if _text(data.get("future_interest")) not in facts.future_interest:
        out.append("future_interest is not included in the list")  # W9
    if trigger not in facts.triggers:
        out.append("trigger is not included in the list")  # W8
    needs = {facts.reasons[c].needs for c in codes if c in facts.reasons}
    if "another_reason" in needs and _blank(data.get("another_reason")):
        out.append("another_reason Enter another reason")  # W10
    if "safeguarding_concern_reasons" in needs and _blank(data.get("safeguarding_concern_reasons")):
        out.append("safeguarding_concern_reasons Enter the concerns")  # W11
    return out


def withdraw_allowed(state: str | None, itt_start: dt.date | None, today: dt.date,
                     facts: ActionFacts | None = None) -> bool:
    """W2: the state allows a withdrawal and the ITT has started (else a StateTransitionError)."""
    facts = facts or load_action_facts()
    return state in facts.withdraw_states and not (itt_start is not None and itt_start > today)


# ---------------------------------------------------------------------- defer (SPEC §11.5)
def defer_messages(data: Mapping[str, Any], facts: ActionFacts | None = None) -> list[str]:
    """Register's messages for a defer body, without the state rule (checked only when these pass)."""
    facts = facts or load_action_facts()
    out: list[str] = []
    when = read_date(data.get("defer_date"))
    if when is None:
        out.append("defer_date can't be blank")
    elif when is False:
        out.append("defer_date is invalid")
    reason = data.get("defer_reason")
    if isinstance(reason, str) and len(reason) > facts.defer_reason_max:
        out.append(f"defer_reason is too long (maximum is {facts.defer_reason_max} characters)")
    return out


# ---------------------------------------------------------------------- recommend (SPEC §11.6)
def recommend_messages(data: Mapping[str, Any], *, today: dt.date, itt_start: dt.date | None,
                       route: str | None, placements: int, degrees: int, routes: Mapping[str, Any],
                       state: str | None = None, facts: ActionFacts | None = None) -> list[str]:
    """Q1–Q5, every failing check. ``routes`` maps route codes to the pack's ``Route`` facts.

    ``state`` None leaves Q5 out (the offline check before the trainee's state is known).
    """
    facts = facts or load_action_facts()
    out: list[str] = []
    when = read_date(data.get("qts_standards_met_date"))
    if when is None:
        out.append("qts_standards_met_date can't be blank. Enter a date the trainee met the QTS or EYTS requirements.")
    elif when is False:
        out.append("qts_standards_met_date is invalid")
    elif isinstance(when, dt.date):
        if when > today:
            out.append("qts_standards_met_date must not be in the future")
        if itt_start is not None and when < itt_start:
            out.append("qts_standards_met_date must be after itt_start_date")
    r = routes.get(route or "")
    if r is not None:
        minimum = r.min_placements_for_award
        if minimum is not None and placements < minimum:
            out.append(f"placements must be at least {minimum} for the {r.name} training route")
        if r.needs_degree and degrees == 0:
            out.append("degree_id must be completed before qts_standards_met_date")
    if state is not None and state not in facts.recommend_states:
        out.append(RECOMMEND_STATE_MESSAGE)
    return out


# ---------------------------------------------------------------------- state rules in words
def state_refusal(action: str, state: str | None, *, itt_start: dt.date | None, today: dt.date,
                  facts: ActionFacts | None = None) -> str | None:
    """Register's own answer when the trainee's state forbids ``action`` (None when it allows it).

    ``action`` is one of ACTIONS or ``"change"`` (PUT, degrees, placements).
    """
    facts = facts or load_action_facts()
    if action == WITHDRAW:
        return None if withdraw_allowed(state, itt_start, today, facts) else STE_MESSAGE
    if action == DEFER:
        return None if state in facts.defer_states else DEFER_STATE_MESSAGE
    if action == RECOMMEND:
        return None if state in facts.recommend_states else RECOMMEND_STATE_MESSAGE
    return STE_MESSAGE if state in facts.locked_states else None


_STATE_WORDS = {
    "draft": "is still a draft in Register",
    "submitted_for_trn": "is waiting for its TRN",
    "trn_received": "has its TRN",
    "deferred": "is deferred",
    "withdrawn": "is withdrawn",
    "recommended_for_award": "has been recommended for QTS or EYTS",
    "awarded": "has been awarded QTS or EYTS",
}
_WEB = "Register's web service (www.register-trainee-teachers.service.gov.uk)"


def state_advice(action: str, state: str | None, *, itt_start: dt.date | None = None,
                 today: dt.date | None = None) -> str:
    """Why Register refuses ``action`` in ``state``, in words, and what the user can do instead."""
    is_now = _STATE_WORDS.get(state or "", f"is in the state '{state}'") if state else "has no known state"
    if action == WITHDRAW:
        if state in ("submitted_for_trn", "trn_received", "deferred") and itt_start and today and itt_start > today:
            return (f"This trainee's course has not started yet (ITT start {itt_start.isoformat()}), and Register "
                    "only withdraws trainees whose course has started. If the trainee will not start, delete or "
                    f"withdraw the record in {_WEB}.")
        if state == "withdrawn":
            return "This trainee is already withdrawn in Register; nothing more to do."
        if state in ("recommended_for_award", "awarded"):
            return (f"This trainee {is_now}, so it can no longer be withdrawn through the API. If the "
                    f"recommendation was a mistake, contact the Register support team through {_WEB}.")
        return (f"This trainee {is_now}; Register withdraws only trainees waiting for or holding a TRN, or "
                f"deferred. Do it in {_WEB}.")
    if action == DEFER:
        if state == "deferred":
            return "This trainee is already deferred in Register; nothing more to do."
        if state == "withdrawn":
            return (f"This trainee is withdrawn, so it cannot be deferred. To undo the withdrawal, use {_WEB}.")
        return (f"This trainee {is_now}; Register defers only trainees waiting for or holding a TRN. "
                f"Do it in {_WEB} if it still applies.")
    if action == RECOMMEND:
        if state == "submitted_for_trn":
            return ("This trainee is still waiting for its TRN; Register recommends only trainees who have one. "
                    "Run the recommendation again once the TRN has arrived (history shows the state).")
        if state == "deferred":
            return (f"This trainee is deferred; reinstate the trainee in {_WEB} first (the API cannot "
                    "reinstate), then recommend again.")
        if state in ("recommended_for_award", "awarded"):
            return "This trainee has already been recommended in Register; nothing more to do."
        return f"This trainee {is_now}, so Register will not recommend it. Do it in {_WEB} if it still applies."
    # a change (PUT, degrees, placements)
    return (f"This trainee {is_now}, so Register no longer accepts changes to it through the API. Make the "
            f"change in {_WEB}, or contact the Register support team.")


def reasons_from_text(value: str, facts: ActionFacts | None = None) -> tuple[list[str], list[str]]:
    """Reason codes from a cell: codes or our labels (any case), several separated by ``;``.

    Returns (codes, pieces that match no reason) — the latter are kept as written, so Register's
    own message (W7) tells the user, and the offline check shows them on the cell.
    """
    facts = facts or load_action_facts()
    by_word: dict[str, str] = {}
    for r in facts.reasons.values():
        by_word[_word(r.code)] = r.code
        by_word[_word(r.label)] = r.code
    codes: list[str] = []
    unknown: list[str] = []
    for piece in re.split(r"[;\n]", value):
        piece = piece.strip()
        if not piece:
            continue
        code = by_word.get(_word(piece))
        if code is None:
            unknown.append(piece)
            codes.append(piece)
        elif code not in codes:
            codes.append(code)
    return codes, unknown


def _word(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", text.casefold()).strip()


def action_of_path(segment: str) -> str | None:
    """The action a path's last segment names (both QTS paths are the recommendation)."""
    return {"withdraw": WITHDRAW, "defer": DEFER, "update-qts-or-eyts-status": RECOMMEND,
            "recommend-for-qts": RECOMMEND}.get(segment)


def as_reason_list(value: Any) -> Sequence[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []
