"""The practice simulator's half for the rest of the year (SPEC §11): everything after ``POST /trainees``.

``RegisterSimulator`` (``simulator.py``) owns the server, tokens, the rate limit, faults and
creation; it hands every ``/trainees/{id}…`` request to ``handle`` here. This module implements,
with SPEC §11's rules, messages and error shapes:

* ``GET|PUT|PATCH /trainees/{id}`` — PUT is partial and laid over the stored record, in Register's
  processing order (state, then the merged record validated by the app's own rule pack); three
  values are recomputed from the body alone (training initiative, education phase, diversity
  disclosure), disabilities merge by position, nationality is replaced, and a ``422`` still loses
  the stored nationality / disabilities as Register's does (§11.2 step 5);
* degrees (DG1–DG5, the duplicate-degree ``409``) and placements (PL1–PL9, no duplicate check);
* withdraw (W0–W11), defer (§11.5) and the QTS/EYTS recommendation (Q1–Q5, both paths) through
  ``desktop.validation.actions`` — the same rules the app checks offline;
* the state machine of §11.7: TRNs are granted ``trn_after`` seconds after creation (on the
  simulator's clock), and a recommendation is awarded ``award_after`` seconds after it was made.

Every stored trainee is serialised with the full object of SPEC §7.5.1 (``public_trainee``).
Schools: a six-digit URN from 100000 to 149999 that is not one of the simulator's unknown URNs
is a school Register knows (its name, town and postcode are made up from the URN); other URNs are
not schools.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import secrets
import string
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from desktop.api.payload import DEGREES, PLACEMENTS
from desktop.validation.actions import (
    DEFER,
    RECOMMEND,
    STE_MESSAGE,
    WITHDRAW,
    action_of_path,
    defer_messages,
    load_action_facts,
    read_date,
    recommend_messages,
    state_refusal,
    withdraw_messages,
)
from desktop.validation.packs.v2026_1.facts import load_facts

if TYPE_CHECKING:  # pragma: no cover
    from desktop.api.simulator import RegisterSimulator, _Reply

_ID_CHARS = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"  # base58, as Register's slugs
_MISSING = {"errors": ["Param is missing or the value is empty or invalid: data"]}
SPECIAL_URNS = frozenset({"900000", "900010", "900020", "900030"})
_SIX_DIGITS = re.compile(r"[0-9]{6}")
_POSTCODE = re.compile(r"(GIR ?0AA|[A-Z]{1,2}[0-9][0-9A-Z]? ?[0-9][A-Z]{2})", re.IGNORECASE)
_DISABILITY_KEY = re.compile(r"disability[0-9]+")
_REAL_DISABILITIES = frozenset({"51", "53", "54", "55", "56", "57", "58", "59", "96"})

# SPEC §11.2 "What each kind of field does"
_BLANK_IS_ERROR = frozenset({"first_names", "last_name", "date_of_birth", "email", "hesa_id", "itt_start_date",
                             "itt_end_date", "sex", "course_age_range", "itt_aim", "course_year", "fund_code",
                             "funding_method"})
_BLANK_KEEPS = frozenset({"training_route", "course_subject_1", "study_mode", "iqts_country"})
_BLANK_CLEARS = frozenset({"middle_names", "provider_trainee_id", "application_id", "previous_last_name",
                           "ni_number", "pg_apprenticeship_start_date", "itt_qualification_aim",
                           "additional_training_initiative"})
_SCHOOLS = ("training_partner_urn", "training_partner_ukprn", "employing_school_urn")
_OTHERS = frozenset({"trainee_start_date", "course_subject_2", "course_subject_3", "ethnicity", "nationality",
                     "training_initiative", *_SCHOOLS})
_IGNORED = frozenset({"trn", "state", "record_source", "ethnic_group", "ethnic_background",
                      "course_education_phase", "diversity_disclosure", "disability_disclosure", "course_min_age",
                      "course_max_age", DEGREES, PLACEMENTS})
#: held only in Register's HESA detail: changing them does not move ``updated_at`` (SPEC §11.1)
_HESA_DETAIL = frozenset({"course_year", "itt_aim", "itt_qualification_aim", "ni_number", "previous_last_name",
                          "pg_apprenticeship_start_date", "additional_training_initiative"})
TRAINEE_FIELDS = _BLANK_IS_ERROR | _BLANK_KEEPS | _BLANK_CLEARS | _OTHERS

_DEGREE_KEYS = ("uk_degree", "non_uk_degree", "subject", "institution", "grade", "graduation_year", "country",
                "other_grade")
#: degree attribute -> template column (the rule pack checks degrees as template rows)
DEGREE_COLUMNS = {"uk_degree": "uk_degree", "non_uk_degree": "non_uk_degree", "subject": "degree_subject",
                  "grade": "degree_grade", "graduation_year": "degree_graduation_year",
                  "institution": "awarding_institution", "country": "degree_country"}
_DUPLICATE_DEGREE_KEYS = ("subject", "graduation_year", "country", "uk_degree", "non_uk_degree", "grade")

_ETHNIC_GROUPS = ((100, 119, "asian_ethnic_group"), (120, 139, "black_ethnic_group"),
                  (140, 159, "mixed_ethnic_group"), (160, 179, "white_ethnic_group"),
                  (180, 899, "other_ethnic_group"))
_UNDERGRAD_ROUTES = frozenset({"09", "11", "14", "18"})


def _now(sim: RegisterSimulator) -> str:
    return dt.datetime.fromtimestamp(sim.clock(), dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def new_id() -> str:
    return "".join(secrets.choice(_ID_CHARS) for _ in range(24))


def text(value: Any) -> str | None:
    """A body value as Register reads it into a text attribute (numbers become text; None stays None)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dict, list)):
        return None
    return str(value)


def is_school(sim: RegisterSimulator, urn: str | None) -> bool:
    if not urn or not _SIX_DIGITS.fullmatch(urn):
        return False
    return 100000 <= int(urn) <= 149999 and urn not in sim.unknown_urns


def school(urn: str) -> dict[str, str]:
    """A made-up but stable school for a URN Register "knows"."""
    n = int(urn)
    towns = ("Leeds", "Bristol", "Cardiff", "Norwich", "York", "Derby", "Exeter", "Preston")
    town = towns[n % len(towns)]
    postcode = f"{town[:2].upper()}{n % 9 + 1} {n % 10}{string.ascii_uppercase[n % 26]}{string.ascii_uppercase[(n // 26) % 26]}"
    return {"name": f"{town} School {urn}", "town": town, "postcode": postcode}


# ---------------------------------------------------------------------- records
def new_record(sim: RegisterSimulator, data: Mapping[str, Any], *, seq: int) -> dict[str, Any]:
    """A trainee as ``POST /trainees`` stores it (the body already validated)."""
    now = _now(sim)
    rec: dict[str, Any] = {}
    for key, value in data.items():
        if key in (DEGREES, PLACEMENTS) or key in _IGNORED:
            continue
        if key in TRAINEE_FIELDS or _DISABILITY_KEY.fullmatch(key) or key == "middle_names":
            t = text(value)
            if t is not None and t != "":
                rec[key] = t
    if not rec.get("trainee_start_date"):
        rec["trainee_start_date"] = rec.get("itt_start_date")
    rec.update({
        "trainee_id": new_id(), "state": "submitted_for_trn", "record_source": "api", "trn": None,
        "submitted_for_trn_at": now, "created_at": now, "updated_at": now, "degrees": [], "placements": [],
        "_seq": seq,
    })
    _recompute(rec, data)
    for d in data.get(DEGREES) or []:
        if isinstance(d, Mapping):
            rec["degrees"].append(_store_degree(_degree_fields(d), None, now))
    for p in data.get(PLACEMENTS) or []:
        if isinstance(p, Mapping):
            urn = text(p.get("urn")) or None
            name = text(p.get("name")) or None
            if urn in SPECIAL_URNS and not name:
                name = load_facts().not_applicable_urns.get(urn)
            rec["placements"].append(_store_placement(sim, urn, name, None, now, None))
    if sim.trn_after is not None:
        rec["_trn_due"] = sim.clock() + sim.trn_after
    return rec


def _recompute(rec: dict[str, Any], body: Mapping[str, Any]) -> None:
    """The three values Register computes from the request body alone (SPEC §11.2), on create and PUT."""
    facts = load_facts()
    initiative = text(body.get("training_initiative")) or None
    if text(body.get("funding_method")) == facts.override_method:
        rec["_initiative_name"] = facts.override_initiative
    else:
        rec.pop("_initiative_name", None)
    rec["training_initiative"] = initiative
    route = text(body.get("training_route")) or ""
    age = text(body.get("course_age_range")) or ""
    if route in facts.early_years_routes:
        rec["_phase"] = "early_years"
    elif age in facts.primary_age_ranges:
        rec["_phase"] = "primary"
    else:
        rec["_phase"] = "secondary"
    ethnicity = text(body.get("ethnicity")) or ""
    codes = [text(v) or "" for k, v in body.items() if _DISABILITY_KEY.fullmatch(k) and _position(k) <= 9]
    disclosed = (ethnicity not in ("", "997", "998", "999")) or any(c in _REAL_DISABILITIES or c == "95" for c in codes)
    rec["_diversity"] = "diversity_disclosed" if disclosed else "diversity_not_disclosed"


def _position(key: str) -> int:
    return int(key[len("disability"):])


def _disability_codes(rec: Mapping[str, Any]) -> list[str]:
    keys = sorted((k for k in rec if _DISABILITY_KEY.fullmatch(k) and _position(k) <= 9), key=_position)
    return [str(rec[k]) for k in keys if rec[k]]


def public_trainee(sim: RegisterSimulator, rec: Mapping[str, Any] | None) -> dict[str, Any]:
    """The trainee object of SPEC §7.5.1, as every endpoint serialises it."""
    if rec is None:
        return {}
    facts = load_facts()
    lists = sim._code_lists
    out: dict[str, Any] = {}
    for key in sorted(TRAINEE_FIELDS | {"middle_names"}):
        out[key] = rec.get(key) or None
    for key in ("training_partner_urn", "employing_school_urn"):
        if out[key] in SPECIAL_URNS:
            out[key] = None
    ethnicity = rec.get("ethnicity") or ""
    out["ethnicity"] = "997" if ethnicity in ("", "998", "999") else ethnicity
    group, background = "not_provided_ethnic_group", "Not provided"
    if out["ethnicity"] != "997":
        try:
            n = int(out["ethnicity"])
        except ValueError:
            n = -1
        group = next((g for lo, hi, g in _ETHNIC_GROUPS if lo <= n <= hi), "other_ethnic_group")
        background = lists["ethnicity"].label(out["ethnicity"]) or "Not provided"
    codes = _disability_codes(rec)
    if any(c in _REAL_DISABILITIES for c in codes):
        disclosure = "disabled"
    elif "95" in codes:
        disclosure = "no_disability"
    else:
        disclosure = "disability_not_provided"
    age = facts.age_ranges.get(rec.get("course_age_range") or "")
    route = rec.get("training_route") or ""
    out.update({k: rec[k] for k in rec if _DISABILITY_KEY.fullmatch(k)})
    out.update({
        "trainee_id": rec["trainee_id"],
        "ethnic_group": group, "ethnic_background": background, "additional_ethnic_background": None,
        "diversity_disclosure": rec.get("_diversity", "diversity_not_disclosed"),
        "disability_disclosure": disclosure,
        "course_education_phase": rec.get("_phase", "secondary"),
        "course_min_age": age[0] if age else None, "course_max_age": age[1] if age else None,
        "course_qualification": facts.routes[route].award if route in facts.routes else "QTS",
        "course_level": "undergrad" if route in _UNDERGRAD_ROUTES else "postgrad",
        "course_title": None, "course_itt_start_date": rec.get("itt_start_date"),
        "ukprn": sim.provider_ukprn,
        "state": rec["state"], "trn": rec.get("trn"), "record_source": rec.get("record_source", "api"),
        "submitted_for_trn_at": rec.get("submitted_for_trn_at"), "created_at": rec["created_at"],
        "updated_at": rec["updated_at"],
    })
    for key in ("outcome_date", "awarded_at", "defer_date", "defer_reason", "reinstate_date",
                "recommended_for_award_at", "withdrawal_date", "withdrawal_reasons", "withdrawal_trigger",
                "withdrawal_future_interest", "withdrawal_another_reason", "withdrawal_safeguarding_concern_reasons"):
        out[key] = rec.get(key)
    out["degrees"] = [_public_degree(d) for d in rec.get("degrees", [])]
    out["placements"] = [_public_placement(p) for p in rec.get("placements", [])]
    return out


# ---------------------------------------------------------------------- time: TRNs and awards
def advance(sim: RegisterSimulator) -> None:
    """Grant TRNs and awards that are due by now (call under the simulator's lock)."""
    now = sim.clock()
    changed = False
    for rec in sim._records.values():
        due = rec.get("_trn_due")
        if due is not None and due <= now:
            del rec["_trn_due"]
            rec["trn"] = "".join(secrets.choice(string.digits) for _ in range(7))
            if rec["state"] == "submitted_for_trn":  # deferred / withdrawn trainees keep their state
                rec["state"] = "trn_received"
            rec["updated_at"] = _now(sim)
            changed = True
        due = rec.get("_award_due")
        if due is not None and due <= now:
            del rec["_award_due"]
            if rec["state"] == "recommended_for_award":
                rec["state"] = "awarded"
                rec["awarded_at"] = rec.get("outcome_date")
                rec["updated_at"] = _now(sim)
                changed = True
    if changed:
        sim._save()


def matches_status(rec: Mapping[str, Any], status: str, today: dt.date) -> bool:
    """``GET /trainees?status=`` (SPEC §11.1): a filter over state and ITT start, not the state itself."""
    state = rec.get("state")
    start = read_date(rec.get("itt_start_date"))
    started = not isinstance(start, dt.date) or start <= today
    if status == "course_not_yet_started":
        return not started and state not in ("draft", "deferred", "withdrawn")
    if status == "in_training":
        return started and state in ("submitted_for_trn", "trn_received", "recommended_for_award")
    return state == status


# ---------------------------------------------------------------------- requests
def endpoint_of(method: str, rest: list[str]) -> str:
    """``"PUT /trainees/{id}"``: the endpoint a request reached, ids replaced by their names."""
    names = ("{id}", "{child_id}")
    parts = list(rest)
    if len(parts) >= 2 and parts[0] == "trainees":
        parts[1] = names[0]
        if len(parts) >= 4:
            parts[3] = names[1]
    return f"{method} /{'/'.join(parts)}"


def handle(sim: RegisterSimulator, method: str, rest: list[str], headers: Mapping[str, str],
           body: bytes) -> _Reply:
    """Every ``/trainees/{trainee_id}[/…]`` request (``rest`` starts with ``trainees``, id)."""
    from desktop.api.simulator import _not_found, _Reply

    trainee_id, tail = rest[1], rest[2:]
    is_write = method in ("POST", "PUT", "PATCH", "DELETE")
    doc: Any = None
    if is_write and method != "DELETE":
        if "application/json" not in headers.get("content-type", ""):
            doc = None
        else:
            try:
                doc = json.loads(body.decode("utf-8") or "null")
            except (UnicodeDecodeError, ValueError) as exc:
                return _Reply.json(400, {"errors": [str(exc).capitalize()]})
    data = doc.get("data") if isinstance(doc, dict) else None
    if not isinstance(data, dict) or not data:
        data = None

    action = action_of_path(tail[0]) if len(tail) == 1 and method == "POST" else None
    if action in (DEFER, RECOMMEND) and data is None:  # the body is read before the trainee (SPEC §11.5)
        return sim._rejected(_MISSING)
    with sim._lock:
        rec = sim._records.get(trainee_id)
        if rec is None:
            return _not_found("Trainee(s) not found")
        if not tail:
            if method == "GET":
                return _Reply.json(200, public_trainee(sim, rec))
            if method in ("PUT", "PATCH"):
                return _update(sim, rec, data, enhanced=headers.get("enhanced-errors", "").lower() == "true")
        elif action is not None:
            return _action(sim, rec, action, data)
        elif tail[0] in ("degrees", "placements") and len(tail) <= 2:
            return _children(sim, rec, tail, method, data)
    return _not_found("Not found")


def _objects(messages: list[str], error: str = "UnprocessableEntity") -> dict[str, Any]:
    return {"errors": [{"error": error, "message": m} for m in messages]}


def _ste() -> _Reply:
    from desktop.api.simulator import _Reply

    return _Reply.json(422, _objects([STE_MESSAGE], "StateTransitionError"))


def _today(sim: RegisterSimulator) -> dt.date:
    return sim._today()


def _itt_start(rec: Mapping[str, Any]) -> dt.date | None:
    d = read_date(rec.get("itt_start_date"))
    return d if isinstance(d, dt.date) else None


# -- PUT|PATCH /trainees/{id} -------------------------------------------------------------
def _update(sim: RegisterSimulator, rec: dict[str, Any], data: dict[str, Any] | None, *, enhanced: bool) -> _Reply:
    from desktop.api.simulator import _enhanced, _Reply

    if state_refusal("change", rec["state"], itt_start=None, today=_today(sim)):
        return _ste()
    if data is None or not any(k in TRAINEE_FIELDS or _DISABILITY_KEY.fullmatch(k) for k in data):
        return _Reply.json(422, _MISSING)
    merged = dict(rec.items())
    for key, raw in data.items():
        value = text(raw)
        if key in _BLANK_IS_ERROR:
            if value is not None:
                merged[key] = value
        elif key in _BLANK_KEEPS:
            if value:
                merged[key] = value
        elif key in _BLANK_CLEARS or key == "trainee_start_date":
            if value is not None:
                merged[key] = value
        elif key in ("course_subject_2", "course_subject_3"):
            merged[key] = value or None
        elif key == "ethnicity":
            merged[key] = value or "997"
        elif key == "nationality":
            if value:
                merged[key] = value
        elif key in _SCHOOLS:
            merged[key] = value or ""
        elif key == "middle_names" and value is not None:
            merged[key] = value
    if "trainee_start_date" in data and not text(data["trainee_start_date"]):
        merged["trainee_start_date"] = merged.get("itt_start_date")
    # disabilities: merged by position; all blank -> none
    keys = [k for k in data if _DISABILITY_KEY.fullmatch(k)]
    if keys:
        if all(not text(data[k]) for k in keys):
            for k in [k for k in merged if _DISABILITY_KEY.fullmatch(k)]:
                del merged[k]
        for k in keys:
            merged[k] = text(data[k]) or ""
    # the route decides iqts_country
    route = merged.get("training_route") or ""
    if text(data.get("training_route")) and route not in load_facts().iqts_routes and "iqts_country" not in data:
        merged.pop("iqts_country", None)  # moved away from iQTS: the country goes
    _recompute(merged, data)

    # SPEC §11.2 step 5: deleted before validation, not put back by a 422
    lose_nationality = text(data.get("nationality")) is not None and "nationality" in data
    lose_disabilities = bool(_disability_codes(merged))
    messages = sim._validate_row(trainee_row(merged))
    if messages:
        if lose_nationality:
            rec.pop("nationality", None)
        if lose_disabilities:
            for k in [k for k in rec if _DISABILITY_KEY.fullmatch(k)]:
                del rec[k]
        sim._save()
        sim.stats.rejected += 1
        n = len(messages)
        return _Reply.json(422, {
            "message": f"Validation failed: {n} error{'s' if n != 1 else ''} prohibited this trainee from being saved",
            "errors": _enhanced(messages) if enhanced else messages})
    moved = any(merged.get(k) != rec.get(k) for k in set(merged) | set(rec)
                if k not in _HESA_DETAIL and not k.startswith("_") and k != "updated_at")
    rec.clear()
    rec.update(merged)
    if moved:
        rec["updated_at"] = _now(sim)
    sim._save()
    return _Reply.json(200, {"data": public_trainee(sim, rec)})


def trainee_row(rec: Mapping[str, Any], degree: Mapping[str, Any] | None = None) -> dict[str, str]:
    """The template row Register's rules see for a stored trainee (first degree, no placements)."""
    from desktop.validation.template import load_template

    row: dict[str, str] = {}
    for f in load_template().fields:
        if f.json.startswith((DEGREES, PLACEMENTS)):
            row[f.name] = ""
        else:
            row[f.name] = str(rec.get(f.json) or "")
    degrees = rec.get("degrees") or []
    degree = degree if degree is not None else (degrees[0] if degrees else None)
    if degree:
        for key, column in DEGREE_COLUMNS.items():
            row[column] = str(degree.get(key) if degree.get(key) is not None else "")
    return row


# -- degrees and placements -------------------------------------------------------------
def _children(sim: RegisterSimulator, rec: dict[str, Any], tail: list[str], method: str,
              data: dict[str, Any] | None) -> _Reply:
    from desktop.api.simulator import _not_found, _Reply

    kind = tail[0]
    items: list[dict[str, Any]] = rec.setdefault(kind, [])
    id_key = "degree_id" if kind == "degrees" else "placement_id"
    missing = "Degree(s) not found" if kind == "degrees" else "Placement(s) not found"
    show = _public_degree if kind == "degrees" else _public_placement
    if method == "GET":
        if len(tail) == 1:
            listed = sorted(items, key=lambda d: (d.get("graduation_year") or 0)) if kind == "degrees" else items
            return _Reply.json(200, {"data": [show(d) for d in listed]})
        item = next((d for d in items if d[id_key] == tail[1]), None)
        return _Reply.json(200, {"data": show(item)}) if item else _not_found(missing)
    if method not in ("POST", "PUT", "PATCH", "DELETE") or (method == "POST") != (len(tail) == 1):
        return _not_found("Not found")
    if state_refusal("change", rec["state"], itt_start=None, today=_today(sim)):
        return _ste()
    item = None
    if len(tail) == 2:
        item = next((d for d in items if d[id_key] == tail[1]), None)
        if item is None:
            return _not_found(missing)
    if method == "DELETE":
        items.remove(item)  # type: ignore[arg-type]
        if kind == "degrees":
            rec["updated_at"] = _now(sim)
        sim._save()
        return _Reply.json(200, {"data": public_trainee(sim, rec)})
    if data is None:
        return _Reply.json(422, _MISSING)
    if kind == "degrees":
        return _degree(sim, rec, items, item, data)
    return _placement(sim, rec, items, item, data)


def _degree_fields(d: Mapping[str, Any]) -> dict[str, str | None]:
    return {k: text(d.get(k)) for k in _DEGREE_KEYS if k in d}


def _uk(fields: Mapping[str, Any], decided: str | None = None) -> bool:
    if decided is not None:
        return decided == "uk"
    facts = load_facts()
    country = fields.get("country") or ""
    return bool(fields.get("institution")) or not country or country in facts.uk_degree_countries


def _store_degree(fields: Mapping[str, Any], old: dict[str, Any] | None, now: str,
                  decided: str | None = None) -> dict[str, Any]:
    """A degree as Register keeps it: UK or non-UK decided, remaps applied, year a number."""
    from desktop.validation.codelists import bundled_code_lists
    from desktop.validation.packs.v2026_1.degrees import graduation_year

    facts = load_facts()
    lists = bundled_code_lists()
    uk = _uk(fields, decided)
    out: dict[str, Any] = {k: fields.get(k) or None for k in _DEGREE_KEYS}
    if uk:
        out["non_uk_degree"] = None
        out["country"] = None
        inst = out.get("institution")
        inst = facts.institution_remaps.get(inst or "", inst)
        out["institution"] = inst if inst in lists["institution"].codes else None
    else:
        out["uk_degree"] = None
        out["institution"] = None
    if out.get("grade"):
        out["grade"] = facts.grade_remaps.get(out["grade"], out["grade"])
    year = graduation_year(str(out.get("graduation_year") or ""))
    out["graduation_year"] = year or None
    for key in ("subject", "institution", "grade"):
        out[f"{key}_uuid"] = str(uuid.uuid5(uuid.NAMESPACE_URL, f"register/{key}/{out[key]}")) if out[key] else None
    code = out["uk_degree"] or out["non_uk_degree"]
    out["uk_degree_uuid"] = str(uuid.uuid5(uuid.NAMESPACE_URL, f"register/degree_type/{code}")) if code else None
    out["degree_id"] = old["degree_id"] if old else new_id()
    out["created_at"] = old["created_at"] if old else now
    out["updated_at"] = now
    return out


def _public_degree(d: Mapping[str, Any] | None) -> dict[str, Any]:
    return {k: v for k, v in (d or {}).items() if not k.startswith("_")}


def _degree(sim: RegisterSimulator, rec: dict[str, Any], items: list[dict[str, Any]], old: dict[str, Any] | None,
            data: dict[str, Any]) -> _Reply:
    from desktop.api.simulator import _Reply

    sent = _degree_fields(data)
    decided = None
    if old is not None:
        merged: dict[str, Any] = {k: (str(old[k]) if old.get(k) is not None else None) for k in _DEGREE_KEYS}
        if "uk_degree" in sent or "non_uk_degree" in sent:  # DG3: re-decided, country and types reset
            for k in ("uk_degree", "non_uk_degree", "country"):
                merged[k] = None
            decided = "non_uk" if sent.get("non_uk_degree") and not sent.get("uk_degree") else "uk"
        merged.update(sent)
    else:
        merged = dict(sent)
    if decided == "non_uk":
        merged["institution"] = None
    check = dict(merged)
    if decided == "uk" and not check.get("institution") and check.get("country") and \
            check["country"] not in load_facts().uk_degree_countries:
        check["country"] = None
    row = trainee_row(rec, {k: v for k, v in check.items() if v is not None})
    messages = list(sim._validate_row(row, only=tuple(DEGREE_COLUMNS.values())))
    if messages:
        return _Reply.json(422, _objects(messages))
    now = _now(sim)
    stored = _store_degree(merged, old, now, decided)
    others = [d for d in items if old is None or d["degree_id"] != old["degree_id"]]
    same = [d for d in others if _same_degree(stored, d)]
    if same:
        return _Reply.json(409, {"errors": [{"error": "Conflict", "message": "This is a duplicate degree"}],
                                 "data": [_public_degree(d) for d in same]})
    if old is None:
        items.append(stored)
    else:
        items[items.index(old)] = stored
    rec["updated_at"] = now  # degrees touch the trainee
    sim._save()
    return _Reply.json(201 if old is None else 200, {"data": _public_degree(stored)})


def _same_degree(new: Mapping[str, Any], other: Mapping[str, Any]) -> bool:
    """DG2: equal on every non-blank one of subject, year, country, types and grade (not institution)."""
    keys = [k for k in _DUPLICATE_DEGREE_KEYS if new.get(k) not in (None, "")]
    return bool(keys) and all(str(new.get(k)) == str(other.get(k)) for k in keys)


def _store_placement(sim: RegisterSimulator, urn: str | None, name: str | None, postcode: str | None, now: str,
                     old: dict[str, Any] | None) -> dict[str, Any]:
    address: str | None
    if urn and is_school(sim, urn):
        s = school(urn)
        name, postcode = s["name"], s["postcode"]
        address = f"URN {urn}, {s['town']}, {postcode}"
    else:
        address = ", ".join(p for p in (f"URN {urn}" if urn else "", postcode or "") if p) or None
    return {"placement_id": old["placement_id"] if old else new_id(), "urn": urn, "name": name,
            "postcode": postcode, "address": address,
            "created_at": old["created_at"] if old else now, "updated_at": now}


def _public_placement(p: Mapping[str, Any] | None) -> dict[str, Any]:
    return {k: v for k, v in (p or {}).items() if not k.startswith("_")}


def _placement(sim: RegisterSimulator, rec: dict[str, Any], items: list[dict[str, Any]],
               old: dict[str, Any] | None, data: dict[str, Any]) -> _Reply:
    from desktop.api.simulator import _Reply

    if old is not None:  # PL8: merged; a school-linked placement without a URN is unlinked
        linked = is_school(sim, old.get("urn"))
        urn = text(data["urn"]) if "urn" in data else (None if linked else old.get("urn"))
        name = text(data["name"]) if "name" in data else (None if linked else old.get("name"))
        postcode = text(data["postcode"]) if "postcode" in data else (None if linked else old.get("postcode"))
    else:
        urn, name, postcode = text(data.get("urn")), text(data.get("name")), text(data.get("postcode"))
    urn, name, postcode = urn or None, name or None, postcode or None
    messages = []
    if urn and not _SIX_DIGITS.fullmatch(urn):
        messages.append("urn is invalid")  # PL1
    if not name and not (urn and is_school(sim, urn)):
        messages.append("name can't be blank")  # PL2 (special URNs get no name here: PL5)
    if postcode and not _POSTCODE.fullmatch(postcode.strip()):
        messages.append("postcode Enter a valid postcode (for example, BN1 1AA)")  # PL3
    if messages:
        return _Reply.json(422, _objects(messages))
    now = _now(sim)
    stored = _store_placement(sim, urn, name, postcode, now, old)
    if old is None:
        if not items and not rec.get("_had_placement"):
            rec["updated_at"] = now  # only the first placement ever added touches the trainee
        rec["_had_placement"] = True
        items.append(stored)  # PL7: no duplicate check
    else:
        items[items.index(old)] = stored
    sim._save()
    return _Reply.json(201 if old is None else 200, {"data": _public_placement(stored)})


# -- withdraw, defer, recommend ----------------------------------------------------------
def _action(sim: RegisterSimulator, rec: dict[str, Any], action: str, data: dict[str, Any] | None) -> _Reply:
    from desktop.api.simulator import _Reply

    today = _today(sim)
    itt_start = _itt_start(rec)
    facts = load_action_facts()
    if action == WITHDRAW:
        if data is None:
            return _Reply.json(422, _MISSING)  # W1
        if state_refusal(WITHDRAW, rec["state"], itt_start=itt_start, today=today, facts=facts):
            return _ste()  # W2
        if "withdraw_date" in data:  # the controller lets it through; the attribute class does not know it
            return _Reply.text(500, "We're sorry, but something went wrong.\n")
        messages = withdraw_messages(data, itt_start=itt_start, facts=facts)
        if messages:
            return _Reply.json(422, _objects(messages))
        when = read_date(data["withdrawal_date"])
        assert isinstance(when, dt.date)
        rec.update({
            "state": "withdrawn", "withdrawal_date": when.isoformat(),
            "withdrawal_reasons": [r for r in data["reasons"] if isinstance(r, str)],
            "withdrawal_trigger": data["trigger"], "withdrawal_future_interest": data["future_interest"],
            "withdrawal_another_reason": text(data.get("another_reason")) or None,
            "withdrawal_safeguarding_concern_reasons": text(data.get("safeguarding_concern_reasons")) or None,
        })
        status = 200
    elif action == DEFER:
        assert data is not None
        messages = defer_messages(data, facts)
        if not messages:
            refusal = state_refusal(DEFER, rec["state"], itt_start=itt_start, today=today, facts=facts)
            messages = [refusal] if refusal else []
        if messages:
            return _Reply.json(422, _objects(messages))
        when = read_date(data["defer_date"])
        assert isinstance(when, dt.date)
        rec.update({"state": "deferred", "defer_date": when.isoformat(),
                    "defer_reason": text(data.get("defer_reason")) or None})
        status = 200
    else:
        assert data is not None
        messages = recommend_messages(
            data, today=today, itt_start=itt_start, route=rec.get("training_route"),
            placements=len(rec.get("placements") or []), degrees=len(rec.get("degrees") or []),
            routes=load_facts().routes, state=rec["state"], facts=facts)
        if messages:
            return _Reply.json(422, _objects(messages))
        when = read_date(data["qts_standards_met_date"])
        assert isinstance(when, dt.date)
        rec.update({"state": "recommended_for_award", "outcome_date": when.isoformat(),
                    "recommended_for_award_at": _now(sim)})
        if sim.award_after is not None:
            rec["_award_due"] = sim.clock() + sim.award_after
        status = 202
    rec["updated_at"] = _now(sim)
    sim._save()
    return _Reply.json(status, {"data": public_trainee(sim, rec)})


def withdrawal_reasons_reference() -> dict[str, Any]:
    """``GET /reference-data?field=withdrawal_reasons`` (SPEC §7.7)."""
    facts = load_action_facts()
    return {"metadata": {"name": "withdrawal_reasons", "display_name": "Withdrawal reasons"},
            "triggers": list(facts.triggers), "future_interest": list(facts.future_interest),
            "entries": [{"code": r.code, "display_name": r.label, "trigger": t,
                         "requires_another_reason": r.needs == "another_reason",
                         "requires_safeguarding_concern_reasons": r.needs == "safeguarding_concern_reasons"}
                        for r in facts.reasons.values() for t in r.triggers]}
