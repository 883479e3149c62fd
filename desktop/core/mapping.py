"""Column mapping: which source column feeds which template field, and how sure we are.

``exact_mapping`` matches template headers (any case, any order). ``suggest_mapping`` goes on,
in this order, for the columns and fields still free:

1. the template field's name or label written another way ("Last Name", "date of birth");
2. the field's HESA name from Register's field guide ("SURNAME", "BIRTHDTE", "HUSID", "DISABLE"
   — a HESA name shared by several fields fills them in column order);
3. our table of student-record-system wordings and older Register templates
   (``resources/mapping/headers.json``: "Forename(s)", "DOB", "Gender", "Lead Partner URN");
4. the same after dropping a bracketed note or words such as "student" ("Student Surname",
   "Date of birth (dd/mm/yyyy)");
5. a wording that may mean the field but may as well mean something else ("Class", "Award",
   "Programme"), taken only when the column's values agree ("2:1", "Upper second" are degree
   grades; "PGCE" is a qualification aim);
6. fuzzy matching (rapidfuzz) of the normalised header against all of the above, trusted only
   as far as the column's values fit the field;
7. the values alone, for a column whose header says nothing: 13/17-digit numbers are a HESA ID,
   e-mail addresses an e-mail, sex labels the sex, degree classes the degree grade, and so on.

Each mapped field carries a confidence (0–1) and the method that found it. A source column
feeds at most one field and a field at most one column; when two columns look like the same
field the better one is used and the other is reported (``header.ambiguous``), and a guess
below 0.8 is reported for the user to confirm (``header.uncertain``).

A column left unused is never left silent: ``column_suggestions`` names, for each one, the field
it most probably holds and why (its wording, its values), so the user can map it in one step
and ``check`` can name the column that probably holds a field it reports missing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from functools import cache
from typing import Any

import numpy as np

from desktop.core.loading import RawTable
from desktop.validation.codelists import CodeLists, bundled_code_lists
from desktop.validation.engine import Columns, parse_iso_date
from desktop.validation.findings import Finding, Severity
from desktop.validation.resources import read_json
from desktop.validation.template import Template

#: the columns Register adds to its errors file and ignores on upload (SPEC §8.2)
REGISTER_REPORT_COLUMNS = frozenset({"Validation results", "Errors"})

#: confidence at or above which a suggestion needs no confirmation
SURE = 0.8
#: below this a candidate is not suggested at all
ACCEPT = 0.55

_SCORES = {"exact": 1.0, "name": 0.97, "hesa": 0.95, "synonym": 0.9}
METHOD_TITLES = {
    "exact": "template header", "name": "template name written differently", "hesa": "HESA field name",
    "synonym": "known wording", "fuzzy": "similar wording", "values": "the column's values",
    "hint": "a wording its values confirm", "profile": "saved profile", "user": "chosen by you",
    "confirmed": "confirmed by you",
}
#: methods whose choice needs no confirmation whatever the confidence
DECIDED = frozenset({"exact", "user", "profile", "confirmed"})


_NUMBER_WORDS = {"one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7",
                 "eight": "8", "nine": "9"}


def _spaced(text: str) -> str:
    """Lower-case words separated by single spaces; number words as digits; accents kept out."""
    import unicodedata

    t = unicodedata.normalize("NFKD", text)
    t = "".join(c for c in t if not unicodedata.combining(c)).casefold().replace("&", " and ")
    words = re.sub(r"[^0-9a-z]+", " ", t).split()
    return " ".join(_NUMBER_WORDS.get(w, w) for w in words)


def _compact(text: str) -> str:
    return _spaced(text).replace(" ", "")


def _variants(header: str, noise: frozenset[str]) -> list[tuple[str, float]]:
    """(compact key, weight): the header, without a bracketed note, without noise words."""
    out = [(_compact(header), 1.0)]
    bare = re.sub(r"[(\[].*?[)\]]", " ", header)
    if bare.strip() and bare != header:
        out.append((_compact(bare), 0.97))
    for text, weight in ((header, 0.9), (bare, 0.88)):
        words = [w for w in _spaced(text).split() if w not in noise]
        if words:
            out.append(("".join(words), weight))
    seen: set[str] = set()
    unique = []
    for key, weight in out:
        if key and key not in seen:
            seen.add(key)
            unique.append((key, weight))
    return unique


@dataclass
class Mapping:
    """template field -> source header (None: not mapped), for one template version."""

    template_version: str
    columns: dict[str, str | None] = field(default_factory=dict)
    confidence: dict[str, float] = field(default_factory=dict)
    method: dict[str, str] = field(default_factory=dict)  # field -> how it was found (METHOD_TITLES)
    conflicts: dict[str, list[str]] = field(default_factory=dict)  # field -> other columns that looked like it
    alternatives: dict[str, list[tuple[str, float]]] = field(default_factory=dict)  # source -> [(field, score)]
    origin: str = "template"  # "template" | "suggested" | "profile" | "user"
    profile_name: str | None = None
    notes: list[str] = field(default_factory=list)  # things the user must know (profile problems)
    reasons: dict[str, str] = field(default_factory=dict)  # field -> why its column was chosen, in words
    profile_file: str | None = None  # the profile file given by the user (None: a saved one, or none)

    def needs_check(self, field_name: str) -> bool:
        """A suggestion below the sure threshold that nobody has confirmed."""
        return (self.columns.get(field_name) is not None and self.method.get(field_name, "exact") not in DECIDED
                and self.confidence.get(field_name, 1.0) < SURE)

    def reason(self, field_name: str) -> str:
        """Why the field has its column, in words ("" when not mapped)."""
        if self.columns.get(field_name) is None:
            return ""
        method = self.method.get(field_name, "exact")
        if method in ("exact", "user", "profile"):
            return METHOD_TITLES[method] if method != "profile" else f"profile '{self.profile_name or ''}'"
        told = self.reasons.get(field_name) or METHOD_TITLES.get(method, method)
        if method == "confirmed":
            return told
        return f"{told}; {self.confidence.get(field_name, 1.0):.0%} sure"

    def source_for(self, field_name: str) -> str | None:
        return self.columns.get(field_name)

    def as_json_mapping(self, template: Template) -> dict[str, str | None]:
        return {name: self.columns.get(name) for name in template.names}

    @property
    def sources(self) -> set[str]:
        return {s for s in self.columns.values() if s is not None}

    @property
    def is_template_exact(self) -> bool:
        """Every mapped column carries the template's own header (values are then taken literally)."""
        return all(self.method.get(f, "exact") == "exact" for f, s in self.columns.items() if s is not None)

    def field_for(self, source: str) -> str | None:
        for name, s in self.columns.items():
            if s == source:
                return name
        return None

    def with_column(self, field_name: str, source: str | None) -> Mapping:
        """The user's choice for one field: the source leaves any other field it fed."""
        columns = dict(self.columns)
        confidence = dict(self.confidence)
        method = dict(self.method)
        reasons = dict(self.reasons)
        if source is not None:
            for name, s in columns.items():
                if s == source and name != field_name:
                    columns[name] = None
                    confidence.pop(name, None)
                    method.pop(name, None)
                    reasons.pop(name, None)
        columns[field_name] = source
        reasons.pop(field_name, None)
        if source is None:
            confidence.pop(field_name, None)
            method.pop(field_name, None)
        else:
            confidence[field_name] = 1.0
            method[field_name] = "user"
        conflicts = {k: v for k, v in self.conflicts.items() if k != field_name}
        return replace(self, columns=columns, confidence=confidence, method=method, conflicts=conflicts,
                       reasons=reasons, origin="user" if self.origin != "profile" else self.origin)

    def confirmed(self, field_name: str) -> Mapping:
        """The user says a suggested column is right: no longer reported as uncertain."""
        if self.columns.get(field_name) is None or self.method.get(field_name, "exact") in DECIDED:
            return self
        method = dict(self.method)
        reasons = dict(self.reasons)
        reasons[field_name] = f"{self.reasons.get(field_name) or METHOD_TITLES.get(method[field_name], '')}, confirmed by you"
        method[field_name] = "confirmed"
        conflicts = {k: v for k, v in self.conflicts.items() if k != field_name}
        return replace(self, method=method, reasons=reasons, conflicts=conflicts)

    def details(self, template: Template) -> dict[str, Any]:
        """How the mapping was made, for the ``check`` JSON report (``mapping_details``)."""
        return {
            "origin": self.origin,
            "profile": self.profile_name,
            "profile_file": self.profile_file,
            "fields": {name: {"source": self.columns[name], "confidence": round(self.confidence.get(name, 1.0), 2),
                              "method": self.method.get(name, "exact"), "reason": self.reason(name)}
                       for name in template.names if self.columns.get(name) is not None},
            "conflicts": {k: list(v) for k, v in self.conflicts.items() if v},
        }


def exact_mapping(headers: list[str], template: Template) -> Mapping:
    """Map headers equal to a template name, ignoring case and surrounding spaces."""
    wanted = {name.lower(): name for name in template.names}
    columns: dict[str, str | None] = dict.fromkeys(template.names)
    confidence: dict[str, float] = {}
    method: dict[str, str] = {}
    for header in headers:
        name = wanted.get(header.strip().lower())
        if name is not None and columns[name] is None:
            columns[name] = header
            confidence[name] = 1.0
            method[name] = "exact"
    return Mapping(template.version, columns, confidence, method)


# ---------------------------------------------------------------------------------------------
# suggestions


@dataclass(frozen=True)
class _Key:
    fields: tuple[str, ...]  # one field, or a family filled in column order
    method: str
    score: float


@cache
def _synonyms() -> tuple[dict[str, list[str]], frozenset[str]]:
    doc = read_json("mapping", "headers.json")
    return doc["fields"], frozenset(doc.get("noise_words", ()))


@cache
def _weak_words() -> dict[str, list[str]]:
    """field -> wordings that may mean it, taken only when the column's values agree."""
    words: dict[str, list[str]] = read_json("mapping", "headers.json").get("weak", {})
    return words


def header_words(field_name: str) -> list[str]:
    """Every wording a column header may use for the field (our tables: sure and possible)."""
    synonyms, _ = _synonyms()
    return [*synonyms.get(field_name, ()), *_weak_words().get(field_name, ())]


def _weak_keys(template: Template) -> dict[str, tuple[str, ...]]:
    out: dict[str, list[str]] = {}
    for name, words in _weak_words().items():
        if name in template:
            for w in words:
                out.setdefault(_compact(w), []).append(name)
    return {k: tuple(dict.fromkeys(v)) for k, v in out.items()}


def _discriminating(template: Template, field_name: str) -> bool:
    """Whether a column's values can say if it holds this field (free text cannot)."""
    return template.field(field_name).kind != "text" or field_name == "ni_number"


_KEYS: dict[str, dict[str, _Key]] = {}


def _keys(template: Template) -> dict[str, _Key]:
    """Every compact header key that names a field, with its method and score (once per template version)."""
    hit = _KEYS.get(template.version)
    if hit is None:
        hit = _KEYS[template.version] = _make_keys(template)
    return hit


def _make_keys(template: Template) -> dict[str, _Key]:
    found: dict[str, list[_Key]] = {}

    def add(key: str, fields: tuple[str, ...], method: str) -> None:
        if key:
            found.setdefault(key, []).append(_Key(fields, method, _SCORES[method]))

    for f in template.fields:
        add(_compact(f.name), (f.name,), "name")
        add(_compact(f.label), (f.name,), "name")
    by_hesa: dict[str, list[str]] = {}
    for f in template.fields:
        if f.hesa:
            by_hesa.setdefault(f.hesa, []).append(f.name)
    for hesa, names in by_hesa.items():
        add(_compact(hesa), tuple(names), "hesa")
        if len(names) > 1:  # DISABLE1, SBJCA2, PLMNTSCH3: a numbered column names one field
            for i, name in enumerate(names, start=1):
                add(_compact(f"{hesa}{i}"), (name,), "hesa")
    synonyms, _ = _synonyms()
    for name, words in synonyms.items():
        if name in template:
            for w in words:
                add(_compact(w), (name,), "synonym")
    keys: dict[str, _Key] = {}
    for key, options in found.items():
        best = max(o.score for o in options)
        top = {o.fields for o in options if o.score == best}
        if len(top) == 1:  # a wording listed for two different fields means neither
            keys[key] = next(o for o in options if o.score == best)
    return keys


@dataclass
class _Candidate:
    score: float
    order: int  # source column position (earlier wins ties)
    source: str
    field: str
    method: str
    family: bool = False


#: fields whose values identify a person: never quoted in a reason
_IDENTIFYING = frozenset({"first_names", "last_name", "previous_last_name", "date_of_birth", "ni_number", "email",
                          "hesa_id", "provider_trainee_id", "application_id"})
_NI = re.compile(r"[A-Za-z]{2}\s?\d{2}\s?\d{2}\s?\d{2}\s?[A-Da-d]")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_HESA = re.compile(r"\d{13}|\d{17}")


class _Fit:
    """How well a column's values suit a field: the share of (a sample of) its distinct values."""

    def __init__(self, template: Template, code_lists: CodeLists) -> None:
        from desktop.core.values import ValueMapper

        self.template = template
        self.mapper = ValueMapper(template, code_lists)
        self._cache: dict[tuple[str, str, bool], float | None] = {}
        self._samples: dict[str, list[str]] = {}

    def sample(self, raw: RawTable, source: str) -> list[str]:
        hit = self._samples.get(source)
        if hit is None:
            seen: dict[str, None] = {}
            for v in raw.column(source)[:5000]:
                if v and len(v) <= 200 and v not in seen:  # a cell this long is no code, date or ID
                    seen[v] = None
                    if len(seen) >= 200:
                        break
            hit = self._samples[source] = list(seen)
        return hit

    def __call__(self, raw: RawTable, source: str, field_name: str, need: float = 0.0, *,
                 strict: bool = False) -> float | None:
        """The share of the column's sampled values that suit the field; with ``need``, 0.0 as soon
        as the share is certainly below it (so hopeless columns cost little). ``strict``: a code in
        the wrong letter case does not count ("Mr" is not Mauritania's MR), for guesses made from
        the values alone."""
        key = (source, field_name, strict)
        if key in self._cache:
            return self._cache[key]
        values = self.sample(raw, source)
        if not values:
            self._cache[key] = None
            return None
        ok = self._ok(field_name, strict)
        allowed = int((1.0 - need) * len(values) + 1e-9)  # misses that still leave the share >= need
        misses = 0
        for v in values:
            if not ok(v):
                misses += 1
                if need and misses > allowed:
                    return 0.0  # certainly below ``need``; not cached, the exact share is unknown
        self._cache[key] = 1.0 - misses / len(values)
        return self._cache[key]

    def examples(self, raw: RawTable, source: str, field_name: str, limit: int = 2) -> list[str]:
        """A few of the column's values that suit the field, words before codes ("Upper second", "2:1"),
        long ones shortened (they are shown in messages); none for fields that identify a person."""
        if self.template.field(field_name).kind in ("email", "hesa_id") or field_name in _IDENTIFYING:
            return []
        ok = self._ok(field_name)
        fitting = [v for v in self.sample(raw, source) if ok(v)]
        fitting.sort(key=lambda v: (not any(c.isalpha() for c in v), not any(not c.isdigit() for c in v)))
        return [v if len(v) <= 24 else v[:22] + "…" for v in fitting[:limit]]

    def _quoted(self, raw: RawTable, source: str, field_name: str) -> str:
        shown = ", ".join(f"'{v}'" for v in self.examples(raw, source, field_name))
        return f" ({shown})" if shown else ""

    def values_reason(self, raw: RawTable, source: str, field_name: str) -> str:
        label = self.template.field(field_name).label
        return f"its values{self._quoted(raw, source, field_name)} are {label} values"

    def header_and_values(self, raw: RawTable, source: str, field_name: str) -> str:
        label = self.template.field(field_name).label
        return f"the header '{source}' can mean {label} and its values{self._quoted(raw, source, field_name)} fit it"

    def _ok(self, field_name: str, strict: bool = False) -> Callable[[str], bool]:
        f = self.template.field(field_name)
        kind = f.kind
        mapper = self.mapper
        if kind == "code":
            code_list = mapper.code_list(field_name)
            codes = code_list.codes if code_list else frozenset()

            def code_ok(v: str) -> bool:
                if v in codes:
                    return True
                c = mapper.change(field_name, v)
                if c is None or (strict and c.after.casefold() == v.casefold()):
                    return False
                return c.after in codes or c.after == "" or c.kind == "split"
            if field_name.startswith("disability"):
                return lambda v: code_ok(v) or all(code_ok(p) for p in re.split(r"\s*[;,|+]\s*|\s+", v) if p)
            return code_ok
        if kind in ("date", "year"):
            return lambda v: parse_iso_date(v) is not None or mapper.change(field_name, v) is not None or (
                kind == "year" and re.fullmatch(r"(19|20)\d{2}", v) is not None)
        if kind == "email":
            return lambda v: _EMAIL.fullmatch(v) is not None
        if kind == "hesa_id":
            return lambda v: _HESA.fullmatch(v) is not None
        if kind == "integer":
            return lambda v: re.fullmatch(r"[+-]?\d+(\.0+)?", v) is not None
        if kind in ("urn", "placement_urn"):
            return lambda v: re.fullmatch(r"\d{6}(\.0+)?", v) is not None
        if kind == "digits":
            return lambda v: re.fullmatch(r"\d{1,7}(\.0+)?", v) is not None
        if field_name == "ni_number":
            return lambda v: _NI.fullmatch(v) is not None
        if field_name in ("first_names", "last_name", "previous_last_name"):
            return lambda v: any(c.isalpha() for c in v) and "@" not in v and not any(c.isdigit() for c in v)
        return lambda v: True


def suggest_mapping(raw: RawTable, template: Template, code_lists: CodeLists | None = None) -> Mapping:
    """The best mapping we can suggest for a source table, with a confidence per field."""
    lists = code_lists or bundled_code_lists(template.version)
    keys = _keys(template)
    _, noise = _synonyms()
    fit = _Fit(template, lists)
    exact = {name.lower(): name for name in template.names}

    sources: list[tuple[int, str]] = []
    seen: set[str] = set()
    for i, h in enumerate(raw.headers):
        if h and h not in seen:
            seen.add(h)
            sources.append((i, h))

    candidates: list[_Candidate] = []
    strong: set[str] = set()
    for order, h in sources:
        name = exact.get(h.strip().lower())
        if name is not None:
            candidates.append(_Candidate(1.0, order, h, name, "exact"))
            strong.add(h)
            continue
        for key, weight in _variants(h, noise):
            k = keys.get(key)
            if k is None:
                continue
            for j, name in enumerate(k.fields):
                score = k.score * weight - 0.001 * j
                candidates.append(_Candidate(score, order, h, name, k.method, family=len(k.fields) > 1))
            if weight == 1.0:
                strong.add(h)
    candidates.extend(_hinted(raw, sources, strong, template, fit))
    candidates.extend(_fuzzy(raw, sources, strong, keys, template, fit))

    mapping = _assign(candidates, template)
    for c in candidates:
        if c.method == "hint" and mapping.columns.get(c.field) == c.source:
            mapping.reasons[c.field] = fit.header_and_values(raw, c.source, c.field)
    _by_values(raw, sources, mapping, template, fit)
    alternatives: dict[str, list[tuple[str, float]]] = {}
    for c in sorted(candidates, key=lambda c: -c.score):
        alts = alternatives.setdefault(c.source, [])
        if len(alts) < 3 and all(c.field != f for f, _ in alts):
            alts.append((c.field, round(c.score, 2)))
    mapping.alternatives = alternatives
    mapping.origin = "template" if mapping.is_template_exact else "suggested"
    return mapping


def _hinted(raw: RawTable, sources: list[tuple[int, str]], strong: set[str], template: Template,
            fit: _Fit) -> list[_Candidate]:
    """Wordings that may mean a field ("Class", "Award"), scored by how well the values fit it."""
    weak = _weak_keys(template)
    _, noise = _synonyms()
    out: list[_Candidate] = []
    for order, h in sources:
        if h in strong:
            continue
        for key, weight in _variants(h, noise):
            names = weak.get(key)
            if not names:
                continue
            for name in names:
                if not _discriminating(template, name):
                    continue
                share = fit(raw, h, name, need=0.6)
                if share is None or share < 0.6:
                    continue
                out.append(_Candidate((0.62 + 0.28 * share) * weight, order, h, name, "hint"))
            break  # the closest wording decides
    return out


_FUZZY_CHOICES: dict[tuple[str, tuple[str, ...]], dict[str, _Key]] = {}


def _fuzzy_choices(template: Template, keys: dict[str, _Key]) -> dict[str, _Key]:
    """Every wording fuzzy matching compares a header with, once per template (its version and fields:
    the action templates of withdraw/defer/recommend share the version of the bulk-add template)."""
    cache_key = (template.version, tuple(template.names))
    hit = _FUZZY_CHOICES.get(cache_key)
    if hit is not None:
        return hit
    spaced_keys: dict[str, _Key] = {}
    for f in template.fields:
        spaced_keys.setdefault(_spaced(f.name), keys.get(_compact(f.name)) or _Key((f.name,), "name", 0.97))
        spaced_keys.setdefault(_spaced(f.label), _Key((f.name,), "name", 0.97))
    synonyms, _ = _synonyms()
    for name, words in synonyms.items():
        if name in template:
            for w in words:
                k = keys.get(_compact(w))
                if k is not None and len(_compact(w)) > 3:
                    spaced_keys.setdefault(_spaced(w), k)
    _FUZZY_CHOICES[cache_key] = spaced_keys
    return spaced_keys


def _fuzzy(raw: RawTable, sources: list[tuple[int, str]], strong: set[str], keys: dict[str, _Key],
           template: Template, fit: _Fit) -> list[_Candidate]:
    from rapidfuzz import fuzz, process

    spaced_keys = _fuzzy_choices(template, keys)
    choices = list(spaced_keys)
    out: list[_Candidate] = []
    for order, h in sources:
        if h in strong:
            continue
        query = _spaced(re.sub(r"[(\[].*?[)\]]", " ", h)) or _spaced(h)
        if len(query) < 3:
            continue
        for choice, ratio, _ in process.extract(query, choices, scorer=fuzz.token_sort_ratio, limit=6, score_cutoff=80):
            k = spaced_keys[choice]
            for j, name in enumerate(k.fields):
                base = 0.55 + (ratio - 80) / 20 * 0.25  # 80 -> 0.55, 100 -> 0.8
                share = fit(raw, h, name)
                if share is not None:
                    if share < 0.5:
                        continue
                    base *= 0.85 + 0.15 * share
                out.append(_Candidate(base - 0.001 * j, order, h, name, "fuzzy", family=len(k.fields) > 1))
    return out


def _assign(candidates: list[_Candidate], template: Template) -> Mapping:
    columns: dict[str, str | None] = dict.fromkeys(template.names)
    confidence: dict[str, float] = {}
    method: dict[str, str] = {}
    used: set[str] = set()
    best_field: dict[str, _Candidate] = {}
    for c in sorted(candidates, key=lambda c: (-c.score, c.order)):
        if c.score < ACCEPT:
            continue
        if c.source not in best_field:
            best_field[c.source] = c
        if c.source in used or columns[c.field] is not None:
            continue
        columns[c.field] = c.source
        confidence[c.field] = round(min(c.score, 1.0), 3)
        method[c.field] = c.method
        used.add(c.source)
    conflicts: dict[str, list[str]] = {}
    for source, c in best_field.items():
        winner = columns[c.field]
        # a rival is worth reporting only if it looked like the field with confidence of its own
        if winner is not None and winner != source and not c.family and c.score >= SURE:
            conflicts.setdefault(c.field, []).append(source)
    return Mapping(template.version, columns, confidence, method, conflicts)


# fields recognisable from their values alone, when no header says what a column is
_VALUE_FIELDS = ("hesa_id", "email", "ni_number", "date_of_birth", "sex", "nationality", "ethnicity", "study_mode",
                 "training_route", "itt_aim", "course_age_range", "degree_grade", "funding_method")


def _by_values(raw: RawTable, sources: list[tuple[int, str]], mapping: Mapping, template: Template, fit: _Fit) -> None:
    free_fields = [f for f in _VALUE_FIELDS if f in template and mapping.columns.get(f) is None]
    used = mapping.sources
    claims: dict[str, list[tuple[str, float]]] = {}
    for _, h in sources:
        if h in used:
            continue
        values = fit.sample(raw, h)
        if len(values) < 2:
            continue
        hits = []
        words = _mostly_labels(values)
        for name in free_fields:
            if template.field(name).kind == "code" and not words:
                continue  # bare numbers fit many code lists: only labels ("Female", "2:1") say which
            share = fit(raw, h, name, need=0.9)
            if share is None or share < 0.9:
                continue
            if name == "date_of_birth" and not _birth_dates(values, fit):
                continue
            hits.append((name, share))
        if len(hits) == 1:
            claims.setdefault(hits[0][0], []).append((h, hits[0][1]))
    for name, claimants in claims.items():
        claimants.sort(key=lambda c: -c[1])
        source, share = claimants[0]
        mapping.columns[name] = source
        mapping.confidence[name] = round(0.6 + 0.1 * (share - 0.9) / 0.1, 3)
        mapping.method[name] = "values"
        mapping.reasons[name] = fit.values_reason(raw, source, name)
        if len(claimants) > 1:
            mapping.conflicts.setdefault(name, []).extend(s for s, _ in claimants[1:])


_BARE_NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?")


def _mostly_labels(values: list[str]) -> bool:
    """At least half the values are more than a bare number ("Female", "2:1", "11 - 16")."""
    return sum(_BARE_NUMBER.fullmatch(v) is None for v in values) >= 0.5 * len(values)


def _birth_dates(values: list[str], fit: _Fit) -> bool:
    today = fit.mapper.today
    years = []
    for v in values:
        d = parse_iso_date(v)
        if d is None:
            c = fit.mapper.change("date_of_birth", v)
            d = parse_iso_date(c.after) if c else None
        if d is not None:
            years.append((today - d).days / 365.25)
    return bool(years) and all(16 <= y <= 100 for y in years)


# ---------------------------------------------------------------------------------------------
# columns left unused: what each one probably holds

#: below this a column is said to look like nothing
HINT = 0.45
_HOW = {"exact": "is the template's header for", "name": "is a way of writing", "hesa": "is the HESA name of",
        "synonym": "is a usual wording for"}


@dataclass(frozen=True)
class ColumnSuggestion:
    """What an unused column probably holds, and why, in words the user can check."""

    column: str
    field: str | None  # None: nothing in the template looks like it
    score: float
    reason: str
    taken_by: str | None = None  # the column that feeds the field now, if any
    examples: tuple[str, ...] = ()  # a few of the column's values


class ColumnSuggester:
    """Ranks the template fields for a source column, by header wording and by values.

    Built once per file (the value checks are cached); ``suggest`` is then cheap enough to
    call after every change of the mapping.
    """

    def __init__(self, raw: RawTable, template: Template, code_lists: CodeLists | None = None) -> None:
        self.raw = raw
        self.template = template
        self.fit = _Fit(template, code_lists or bundled_code_lists(template.version))
        self._keys = _keys(template)
        self._weak = _weak_keys(template)
        self._ranked: dict[str, list[tuple[float, str, str]]] = {}  # column -> [(score, field, reason)]

    def ranked(self, column: str) -> list[tuple[float, str, str]]:
        """(score, field, reason) for every field the column may hold, best first."""
        hit = self._ranked.get(column)
        if hit is None:
            hit = self._ranked[column] = self._rank(column)
        return hit

    def _rank(self, h: str) -> list[tuple[float, str, str]]:
        template, raw, fit = self.template, self.raw, self.fit
        _, noise = _synonyms()
        best: dict[str, tuple[float, str]] = {}

        def offer(name: str, score: float, reason: str) -> None:
            if name in template and score > best.get(name, (0.0, ""))[0]:
                best[name] = (score, reason)

        exact = {n.lower(): n for n in template.names}
        if h.strip().lower() in exact:
            offer(exact[h.strip().lower()], 1.0, f"'{h}' is the template's header for it")
        for key, weight in _variants(h, noise):
            k = self._keys.get(key)
            if k is not None:
                for j, name in enumerate(k.fields):
                    offer(name, k.score * weight - 0.001 * j,
                          f"the header '{h}' {_HOW.get(k.method, 'names')} {template.field(name).label}")
            for name in self._weak.get(key, ()):
                if not _discriminating(template, name):
                    continue
                share = fit(raw, h, name, need=0.5)
                if share is not None and share >= 0.5:
                    offer(name, (0.62 + 0.28 * share) * weight, fit.header_and_values(raw, h, name))
        for c in _fuzzy(raw, [(0, h)], set(), self._keys, template, fit):
            offer(c.field, c.score, f"the header '{h}' is worded like {template.field(c.field).label}")
        values = fit.sample(raw, h)
        if len(values) >= 2:
            labels = _mostly_labels(values)
            fits: list[tuple[str, float]] = []
            for f in template.fields:
                if not _discriminating(template, f.name) or f.kind in ("integer", "digits", "year"):
                    continue  # small numbers fit counts, years and codes alike: they say nothing
                if f.kind == "code" and not labels:
                    continue
                share = fit(raw, h, f.name, need=0.8, strict=True)
                if share is None or share < 0.8:
                    continue
                if f.name == "date_of_birth" and not _birth_dates(values, fit):
                    continue
                fits.append((f.name, share))
            alone = len(fits) == 1
            for name, share in fits:
                offer(name, 0.3 + 0.3 * share + (0.1 if alone else 0.0), fit.values_reason(raw, h, name))
        ranked = sorted(((score, name, reason) for name, (score, reason) in best.items()), key=lambda t: (-t[0], t[1]))
        return ranked

    def suggest(self, mapping: Mapping, columns: Iterable[str] | None = None) -> list[ColumnSuggestion]:
        """For each unused column (or each of ``columns``): the free field it most probably holds,
        else the taken field it looks like (a rival of the column in use), else nothing."""
        used = mapping.sources
        if columns is None:
            seen: set[str] = set()
            columns = []
            for h in self.raw.headers:
                if h and h not in used and h not in seen and h not in REGISTER_REPORT_COLUMNS:
                    seen.add(h)
                    columns.append(h)
        disability_taken = _disability_mapped(mapping, self.template)
        out: list[ColumnSuggestion] = []
        for h in columns:
            examples = tuple(self.fit.sample(self.raw, h)[:3])
            choice: ColumnSuggestion | None = None
            for score, name, reason in self.ranked(h):
                if score < HINT:
                    break
                holder = mapping.columns.get(name)
                if holder is None and self.template.field(name).code_list == "disability" and disability_taken \
                        and name != self._next_free_disability(mapping):
                    continue  # a second disability column goes to the next free disability field
                if holder is None or holder == h:
                    choice = ColumnSuggestion(h, name, round(score, 3), reason, None, examples)
                    break
                if choice is None and score >= SURE:
                    choice = ColumnSuggestion(h, name, round(score, 3), reason, holder, examples)
            if choice is None:
                free = self._next_free_disability(mapping) if any(
                    self.template.field(n).code_list == "disability" for _, n, _ in self.ranked(h)[:1]) else None
                top = self.ranked(h)[:1]
                if free and top and top[0][0] >= HINT:
                    choice = ColumnSuggestion(h, free, round(top[0][0], 3), top[0][2], None, examples)
            out.append(choice or ColumnSuggestion(h, None, 0.0, "", None, examples))
        return out

    def _next_free_disability(self, mapping: Mapping) -> str | None:
        for f in self.template.fields:
            if f.code_list == "disability" and mapping.columns.get(f.name) is None:
                return f.name
        return None

    def hints(self, mapping: Mapping) -> dict[str, ColumnSuggestion]:
        """Field -> the unused column that probably holds it, for every field left without a column."""
        return hints_from(self.suggest(mapping))


def hints_from(suggestions: Iterable[ColumnSuggestion]) -> dict[str, ColumnSuggestion]:
    """Field -> the likeliest unused column for it, from suggestions (fields with no column only)."""
    out: dict[str, ColumnSuggestion] = {}
    for s in suggestions:
        if s.field is not None and s.taken_by is None and (s.field not in out or s.score > out[s.field].score):
            out[s.field] = s
    return out


def column_suggestions(raw: RawTable, mapping: Mapping, template: Template,
                       code_lists: CodeLists | None = None) -> list[ColumnSuggestion]:
    """What each column the mapping leaves unused probably holds (see ``ColumnSuggester``)."""
    return ColumnSuggester(raw, template, code_lists).suggest(mapping)


# ---------------------------------------------------------------------------------------------
# findings and applying


def header_findings(raw: RawTable, mapping: Mapping, template: Template,
                    suggestions: Iterable[ColumnSuggestion] = ()) -> list[Finding]:
    """File-level findings about the columns: missing, duplicated, unmapped, ambiguous and uncertain.

    With ``suggestions`` (``ColumnSuggester.suggest``), a field without a column names the unused
    column that probably holds it, and an unused column says what it looks like.
    """
    out: list[Finding] = []
    by_column = {s.column: s for s in suggestions}
    hints = hints_from(by_column.values())
    seen: dict[str, int] = {}
    for h in raw.headers:
        seen[h.strip().lower()] = seen.get(h.strip().lower(), 0) + 1
    for h, count in seen.items():
        if count > 1 and h:
            out.append(Finding(code="header.duplicate", severity=Severity.ERROR, value=h,
                               message=f"The column '{h}' appears {count} times. Only the first is used: "
                                       "delete or rename the others so no data is lost by mistake."))
    if any(not h for h in raw.headers):
        out.append(Finding(code="header.blank", severity=Severity.WARNING, value="",
                           message="A column has no header; its cells are ignored. Give it a header if it holds data."))
    for note in mapping.notes:
        out.append(Finding(code="header.profile", severity=Severity.WARNING, value=mapping.profile_name, message=note))
    mapped_sources = mapping.sources
    disability_mapped = _disability_mapped(mapping, template)
    for f in template.fields:
        source = mapping.columns.get(f.name)
        if source is None:
            if disability_mapped and f.code_list == "disability":
                continue  # systems keep one to three disability columns (one may hold several codes)
            # an optional column the file lacks is normal (the export writes all 51 headers): info, not warning;
            # but not when one of the file's unused columns probably holds it
            hint = hints.get(f.name)
            sev = Severity.ERROR if f.mandatory else (Severity.WARNING if hint else Severity.INFO)
            what = "Register needs it for every trainee" if f.mandatory else "its cells will be sent empty"
            message = f"No column is mapped to {f.name} ({f.label}): {what}."
            if hint is not None:
                message += f" The column '{hint.column}' probably holds it ({hint.reason}): map it to send its values."
            out.append(Finding(code="header.missing", severity=sev, field=f.name, value=hint.column if hint else None,
                               message=message,
                               register_message=f"Your file is missing the following columns: '{f.name}'"))
            continue
        others = mapping.conflicts.get(f.name)
        if others:
            listed = ", ".join(f"'{o}'" for o in others)
            out.append(Finding(code="header.ambiguous", severity=Severity.WARNING, field=f.name, value=source,
                               message=f"Both '{source}' and {listed} look like {f.name} ({f.label}); '{source}' is used. "
                                       "Check the mapping and choose the right column."))
        conf = mapping.confidence.get(f.name, 1.0)
        if mapping.needs_check(f.name):
            how = METHOD_TITLES.get(mapping.method.get(f.name, ""), "a guess")
            out.append(Finding(code="header.uncertain", severity=Severity.WARNING, field=f.name, value=source,
                               message=f"The column '{source}' was mapped to {f.name} ({f.label}) from {how} "
                                       f"(confidence {conf:.0%}). Check it is right."))
    for h in raw.headers:
        if h and h not in mapped_sources and h not in REGISTER_REPORT_COLUMNS:
            message = f"The column '{h}' is not mapped to any template field; it will not be sent."
            s = by_column.get(h)
            if s is not None and s.field is not None:
                label = template.field(s.field).label
                if s.taken_by is None:
                    message += f" It looks like {label}: {s.reason}."
                else:
                    message += f" It looks like {label} ({s.reason}), which the column '{s.taken_by}' feeds now."
            out.append(Finding(code="header.unmapped", severity=Severity.WARNING, value=h,
                               field=s.field if s is not None and s.taken_by is None else None, message=message))
    return out


def _disability_mapped(mapping: Mapping, template: Template) -> bool:
    names = [f.name for f in template.fields if f.code_list == "disability"]
    return bool(names) and mapping.columns.get(names[0]) is not None


def apply_mapping(raw: RawTable, mapping: Mapping, template: Template) -> Columns:
    """One column per template field, every cell a str ("" where nothing is mapped)."""
    index: dict[str, int] = {}
    for i, h in enumerate(raw.headers):
        index.setdefault(h, i)
    data = {}
    for name in template.names:
        source = mapping.columns.get(name)
        if source is not None and source in index:
            data[name] = raw.columns[index[source]].copy()
        else:
            data[name] = np.full(raw.n_rows, "", dtype=object)
    return Columns(data, raw.n_rows)


def match_headers(headers: Iterable[str], wanted: Iterable[str]) -> dict[str, str]:
    """Map each wanted header to the file's header that equals it ignoring case and spaces."""
    have = {h.strip().casefold(): h for h in headers if h}
    return {w: have[w.strip().casefold()] for w in wanted if w and w.strip().casefold() in have}
