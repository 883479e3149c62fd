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
5. fuzzy matching (rapidfuzz) of the normalised header against all of the above, trusted only
   as far as the column's values fit the field;
6. the values alone, for a column whose header says nothing: 13/17-digit numbers are a HESA ID,
   e-mail addresses an e-mail, sex labels the sex, and so on.

Each mapped field carries a confidence (0–1) and the method that found it. A source column
feeds at most one field and a field at most one column; when two columns look like the same
field the better one is used and the other is reported (``header.ambiguous``), and a guess
below 0.8 is reported for the user to confirm (``header.uncertain``).
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
    "profile": "saved profile", "user": "chosen by you",
}


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
        if source is not None:
            for name, s in columns.items():
                if s == source and name != field_name:
                    columns[name] = None
                    confidence.pop(name, None)
                    method.pop(name, None)
        columns[field_name] = source
        if source is None:
            confidence.pop(field_name, None)
            method.pop(field_name, None)
        else:
            confidence[field_name] = 1.0
            method[field_name] = "user"
        conflicts = {k: v for k, v in self.conflicts.items() if k != field_name}
        return replace(self, columns=columns, confidence=confidence, method=method, conflicts=conflicts,
                       origin="user" if self.origin != "profile" else self.origin)

    def details(self, template: Template) -> dict[str, Any]:
        """How the mapping was made, for the ``check`` JSON report (``mapping_details``)."""
        return {
            "origin": self.origin,
            "profile": self.profile_name,
            "fields": {name: {"source": self.columns[name], "confidence": round(self.confidence.get(name, 1.0), 2),
                              "method": self.method.get(name, "exact")}
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


def _keys(template: Template) -> dict[str, _Key]:
    """Every compact header key that names a field, with its method and score."""
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


_NI = re.compile(r"[A-Za-z]{2}\s?\d{2}\s?\d{2}\s?\d{2}\s?[A-Da-d]")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_HESA = re.compile(r"\d{13}|\d{17}")


class _Fit:
    """How well a column's values suit a field: the share of (a sample of) its distinct values."""

    def __init__(self, template: Template, code_lists: CodeLists) -> None:
        from desktop.core.values import ValueMapper

        self.template = template
        self.mapper = ValueMapper(template, code_lists)
        self._cache: dict[tuple[str, str], float | None] = {}
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

    def __call__(self, raw: RawTable, source: str, field_name: str, need: float = 0.0) -> float | None:
        """The share of the column's sampled values that suit the field; with ``need``, 0.0 as soon
        as the share is certainly below it (so hopeless columns cost little)."""
        key = (source, field_name)
        if key in self._cache:
            return self._cache[key]
        values = self.sample(raw, source)
        if not values:
            self._cache[key] = None
            return None
        ok = self._ok(field_name)
        allowed = int((1.0 - need) * len(values) + 1e-9)  # misses that still leave the share >= need
        misses = 0
        for v in values:
            if not ok(v):
                misses += 1
                if need and misses > allowed:
                    return 0.0  # certainly below ``need``; not cached, the exact share is unknown
        self._cache[key] = 1.0 - misses / len(values)
        return self._cache[key]

    def _ok(self, field_name: str) -> Callable[[str], bool]:
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
                return c is not None and (c.after in codes or c.after == "" or c.kind == "split")
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
    candidates.extend(_fuzzy(raw, sources, strong, keys, template, fit))

    mapping = _assign(candidates, template)
    _by_values(raw, sources, mapping, template, fit)
    alternatives: dict[str, list[tuple[str, float]]] = {}
    for c in sorted(candidates, key=lambda c: -c.score):
        alts = alternatives.setdefault(c.source, [])
        if len(alts) < 3 and all(c.field != f for f, _ in alts):
            alts.append((c.field, round(c.score, 2)))
    mapping.alternatives = alternatives
    mapping.origin = "template" if mapping.is_template_exact else "suggested"
    return mapping


def _fuzzy(raw: RawTable, sources: list[tuple[int, str]], strong: set[str], keys: dict[str, _Key],
           template: Template, fit: _Fit) -> list[_Candidate]:
    from rapidfuzz import fuzz, process

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
        words = _mostly_words(values)
        for name in free_fields:
            if template.field(name).kind == "code" and not words:
                continue  # bare numbers fit many code lists: only labels say which
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
        if len(claimants) > 1:
            mapping.conflicts.setdefault(name, []).extend(s for s, _ in claimants[1:])


def _mostly_words(values: list[str]) -> bool:
    return sum(any(c.isalpha() for c in v) for v in values) >= 0.5 * len(values)


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
# findings and applying


def header_findings(raw: RawTable, mapping: Mapping, template: Template) -> list[Finding]:
    """File-level findings about the columns: missing, duplicated, unmapped, ambiguous and uncertain."""
    out: list[Finding] = []
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
            # an optional column the file lacks is normal (the export writes all 51 headers): info, not warning
            sev = Severity.ERROR if f.mandatory else Severity.INFO
            what = "Register needs it for every trainee" if f.mandatory else "its cells will be sent empty"
            out.append(Finding(code="header.missing", severity=sev, field=f.name, value=None,
                               message=f"No column is mapped to {f.name} ({f.label}): {what}.",
                               register_message=f"Your file is missing the following columns: '{f.name}'"))
            continue
        others = mapping.conflicts.get(f.name)
        if others:
            listed = ", ".join(f"'{o}'" for o in others)
            out.append(Finding(code="header.ambiguous", severity=Severity.WARNING, field=f.name, value=source,
                               message=f"Both '{source}' and {listed} look like {f.name} ({f.label}); '{source}' is used. "
                                       "Check the mapping and choose the right column."))
        conf = mapping.confidence.get(f.name, 1.0)
        if conf < SURE and mapping.method.get(f.name) not in ("user", "profile", "exact"):
            how = METHOD_TITLES.get(mapping.method.get(f.name, ""), "a guess")
            out.append(Finding(code="header.uncertain", severity=Severity.WARNING, field=f.name, value=source,
                               message=f"The column '{source}' was mapped to {f.name} ({f.label}) from {how} "
                                       f"(confidence {conf:.0%}). Check it is right."))
    for h in raw.headers:
        if h and h not in mapped_sources and h not in REGISTER_REPORT_COLUMNS:
            out.append(Finding(code="header.unmapped", severity=Severity.WARNING, value=h,
                               message=f"The column '{h}' is not mapped to any template field; it will not be sent."))
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
