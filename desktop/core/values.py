"""Value mapping: turn what a provider's system wrote into the text Register expects, visibly.

Runs after the column mapping, field by field, on distinct values (so 100 000 rows cost as many
look-ups as there are distinct values). Each kind of change can be turned off, and every change
becomes an ``info`` finding (code ``cell.value_mapped``) whose message says before → after and
whose ``value`` is the original text. Values that are already valid are never touched, and a
value is only changed when exactly one target is possible; anything else is left for the rules
to report.

Kinds of change:

``user``
    The profile's own value map for the field (source value → code), applied first.
``labels``
    Code-list labels, names and aliases, and our own alias data
    (``resources/mapping/values.json``): "Female" → ``10``, "Full time" → ``01``, "British" →
    ``GB``, "gb" → ``GB``, "10 - Female" → ``10``, "11-16" → ``13918``.
``yes_no``
    Yes/no answers where the list is a yes/no question: fund code ("Eligible for student
    finance?" Yes → ``7``, No → ``2``) and disability (No → ``95``).
``numbers``
    Codes a spreadsheet turned into numbers: ``1.0`` → ``1``; a leading zero restored only when
    exactly one code of the list fits (``1`` → ``01`` study mode, ``7`` → ``007`` qualification aim).
``dates``
    Dates in common UK forms to ISO ``YYYY-MM-DD``, always day first: ``13/02/1985``,
    ``13-02-1985``, ``13.02.1985``, ``13 Feb 1985``, ``13-Feb-85``, ``13 February 1985``,
    ``1985/02/13``, ``19850213``, ``1985-02-13 00:00:00``. A value that only makes sense
    month first (``02/13/1985``) is not converted.
    **Two-digit years**: for a date of birth, ``yy`` is read as ``20yy`` when that makes the
    trainee at least 16 on the day of the check, otherwise ``19yy``; for every other date,
    ``20yy`` unless that is more than ten years after the current year, then ``19yy``.
    (On 2026-11-28: DOB ``13.02.85`` → 1985-02-13, ``01.03.05`` → 2005-03-01; start
    ``01.09.26`` → 2026-09-01.)
``excel_serials``
    Excel day numbers left in date columns (``31091`` → 1985-02-13); five-digit numbers only,
    counted from 1899-12-30 as Excel does for dates after February 1900.
``split``
    Several disabilities in one cell (``51;53``, ``51, 53``, ``Dyslexia; Deaf``, ``51 53``)
    spread over ``disability1``…``disability9`` in order — only when every part is a known
    disability code or label (a long label with commas is never cut up).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from typing import Any

import numpy as np

from desktop.validation.codelists import CodeList, CodeLists
from desktop.validation.engine import Columns, factorize, parse_iso_date, utc_today
from desktop.validation.findings import Findings, Severity
from desktop.validation.resources import read_json
from desktop.validation.template import Template

#: every kind of change, in the order they are tried
KINDS = ("user", "labels", "yes_no", "numbers", "dates", "excel_serials", "split")

KIND_TITLES = {
    "user": "your value map",
    "labels": "labels and abbreviations to codes",
    "yes_no": "yes/no answers to codes",
    "numbers": "codes a spreadsheet turned into numbers",
    "dates": "UK dates to YYYY-MM-DD",
    "excel_serials": "Excel day numbers to dates",
    "split": "several disabilities in one cell",
}

CODE = "cell.value_mapped"

_DATE_KINDS = ("date",)
_NUMBER_KINDS = ("digits", "integer", "urn", "placement_urn", "year")


def norm_label(text: str) -> str:
    """Compare labels ignoring case, accents, punctuation and spacing ("Full-time" == "full time")."""
    t = unicodedata.normalize("NFKD", text)
    t = "".join(c for c in t if not unicodedata.combining(c)).casefold().replace("&", " and ")
    return re.sub(r"[^0-9a-z]+", " ", t).strip()


@dataclass(frozen=True)
class ValueOptions:
    """Which kinds of change are made, and the user's own value maps (field → source → code)."""

    disabled: frozenset[str] = frozenset()
    user_maps: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def enabled(self, kind: str) -> bool:
        return kind not in self.disabled

    @property
    def any_enabled(self) -> bool:
        return any(k not in self.disabled for k in KINDS)

    @classmethod
    def off(cls) -> ValueOptions:
        """No value mapping at all: cells are checked exactly as read."""
        return cls(disabled=frozenset(KINDS))

    def without(self, *kinds: str) -> ValueOptions:
        unknown = set(kinds) - set(KINDS)
        if unknown:
            raise ValueError(f"unknown kind(s) of value change: {', '.join(sorted(unknown))}")
        return replace(self, disabled=self.disabled | frozenset(kinds))

    def with_user_value(self, field_name: str, source: str, target: str | None) -> ValueOptions:
        """Add (or with ``None`` remove) one entry of the user's value map."""
        maps = {f: dict(m) for f, m in self.user_maps.items()}
        entry = maps.setdefault(field_name, {})
        if target is None:
            entry.pop(source, None)
        else:
            entry[source] = target
        return replace(self, user_maps={f: m for f, m in maps.items() if m})


@dataclass(frozen=True, slots=True)
class Change:
    after: str
    kind: str
    reason: str


@dataclass(frozen=True, slots=True)
class ValueRow:
    """One distinct source value of a field, for the value-mapping view."""

    source: str
    count: int
    target: str  # what it becomes (the source itself when unchanged)
    kind: str | None  # kind of change, None when unchanged
    reason: str
    valid: bool  # the target is acceptable as it stands (a list code, or blank)
    label: str  # the target code's label, when it is a code


# ----------------------------------------------------------------------------------------- data


@cache
def _alias_data() -> dict[str, Any]:
    data: dict[str, Any] = read_json("mapping", "values.json")["lists"]
    return data


_WORD_NUMBERS = {"zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
                 "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
                 "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19}
_AGE_PAIR = re.compile(r"(?:^|\D)(\d{1,2})\s*(?:-|–|—|to|/)\s*(\d{1,2})(?:\D|$)")


def _age_pair(label: str) -> tuple[int, int] | None:
    words = norm_label(label).split()
    nums = [_WORD_NUMBERS[w] for w in words if w in _WORD_NUMBERS]
    if len(nums) == 2 and "to" in words:
        return nums[0], nums[1]
    return None


class _ListIndex:
    """Everything that can stand for a code of one list, with how it was recognised."""

    def __init__(self, code_list: CodeList) -> None:
        self.codes = code_list.codes
        self.title = code_list.title
        data = _alias_data().get(code_list.name, {})
        self.prefer = frozenset(data.get("prefer_codes", ()))
        self.aliases = {norm_label(k): v for k, v in data.get("labels", {}).items()}
        self.yes_no = {norm_label(k): v for k, v in data.get("yes_no", {}).items()}
        labels: dict[str, set[str]] = {}
        names: dict[str, set[str]] = {}
        for e in code_list.entries:
            labels.setdefault(norm_label(e.label), set()).add(e.code)
            for other in (e.name, *e.aliases):
                if other:
                    names.setdefault(norm_label(other), set()).add(e.code)
        self.labels = labels
        self.names = names
        self.upper = {c.casefold(): c for c in self.codes}
        self.ages: dict[tuple[int, int], str] = {}
        for e in code_list.entries:
            pair = _age_pair(e.label)
            if pair:
                self.ages[pair] = e.code
        self.digit_codes = sorted(c for c in self.codes if c.isdigit())

    def _one(self, codes: set[str] | None) -> str | None:
        if not codes:
            return None
        if len(codes) == 1:
            return next(iter(codes))
        preferred = codes & self.prefer
        return next(iter(preferred)) if len(preferred) == 1 else None

    def number(self, value: str) -> str | None:
        """A code a spreadsheet turned into a number: drop ``.0``, restore zeros if one code fits."""
        m = _NUMBER.fullmatch(value)
        if not m:
            return None
        digits = m.group(1)
        if digits in self.codes and digits != value:
            return digits
        fits = [c for c in self.digit_codes if len(c) > len(digits) and c == digits.zfill(len(c))]
        return fits[0] if len(fits) == 1 else None

    def label(self, value: str) -> tuple[str, str] | None:
        """(code, how) for a label, name, alias or 'code - label' text; None if not exactly one."""
        folded = self.upper.get(value.casefold())
        if folded is not None and folded != value:
            return folded, "the code in the list's letter case"
        key = norm_label(value)
        if not key:
            return None
        if key in self.aliases:
            return self.aliases[key], f"a common name for it in the {self.title} list"
        code = self._one(self.labels.get(key))
        if code is not None:
            return code, f"its label in the {self.title} list"
        code = self._one(self.names.get(key))
        if code is not None:
            return code, f"its name in the {self.title} list"
        m = _CODE_DASH_LABEL.fullmatch(value) or _LABEL_PAREN_CODE.fullmatch(value)
        if m:
            code_part, label_part = m.group("code"), m.group("label")
            code = code_part if code_part in self.codes else (self.upper.get(code_part.casefold()) or self.number(code_part))
            if code is not None:
                other = self.label(label_part)
                if other is None or other[0] == code:
                    return code, "the code written before or after its label"
        if self.ages:
            pair = _AGE_PAIR.search(value)
            if pair:
                code = self.ages.get((int(pair.group(1)), int(pair.group(2))))
                if code is not None:
                    return code, "the age range it names"
        return None


_NUMBER = re.compile(r"(\d+)(?:\.0+)?")
# the label part must hold words, so "2-2" (a degree class) is never read as code 2
_CODE_DASH_LABEL = re.compile(r"(?P<code>[0-9A-Za-z]{1,6})\s*(?:-|–|:|=)\s*(?P<label>.*[A-Za-z]{2}.*)")
_LABEL_PAREN_CODE = re.compile(r"(?P<label>.*[A-Za-z]{2}.*?)\s*[(\[](?P<code>[0-9A-Za-z]{1,6})[)\]]")

# ----------------------------------------------------------------------------------------- dates

_MONTHS = {m: i for i, names in enumerate(
    [("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",), ("jun", "june"),
     ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
     ("dec", "december")], start=1) for m in names}
_DMY = re.compile(r"(\d{1,2})([/.\-\s])(\d{1,2})\2(\d{4}|\d{2})")
_DMONY = re.compile(r"(\d{1,2})(?:st|nd|rd|th)?[\s\-/.]*([A-Za-z]{3,9})\.?[\s\-/.,]*(\d{4}|\d{2})")
_YMD = re.compile(r"(\d{4})[/.](\d{1,2})[/.](\d{1,2})")
_BASIC = re.compile(r"(19\d{2}|20\d{2})(\d{2})(\d{2})")
_ISO_TIME = re.compile(r"(\d{4}-\d{2}-\d{2})[ T]00:00(?::00(?:\.0+)?)?(?:Z|[+-]00:?00)?")
_SERIAL = re.compile(r"(\d{5})(?:\.0+)?")
_EXCEL_EPOCH = dt.date(1899, 12, 30)


def _make(y: int, m: int, d: int) -> str | None:
    try:
        return dt.date(y, m, d).isoformat()
    except ValueError:
        return None


def century(yy: int, *, birth: bool, today: dt.date) -> int:
    """The documented two-digit-year rule (see the module docstring)."""
    recent = 2000 + yy
    if birth:
        try:
            sixteenth = dt.date(recent + 16, 1, 1)
        except ValueError:  # pragma: no cover - years here are < 2100
            return 1900 + yy
        return recent if sixteenth <= dt.date(today.year, 1, 1) else 1900 + yy
    return recent if recent <= today.year + 10 else 1900 + yy


def parse_date(value: str, *, birth: bool = False, today: dt.date | None = None,
               serials: bool = True, forms: bool = True) -> tuple[str, str, str] | None:
    """(ISO date, kind, reason) for a date Register would not accept as written; None otherwise."""
    today = today or utc_today()
    if parse_iso_date(value) is not None:
        return None
    if forms:
        m = _ISO_TIME.fullmatch(value)
        if m and parse_iso_date(m.group(1)):
            return m.group(1), "dates", "the time of day removed"
        m = _DMY.fullmatch(value)
        if m:
            d, mo, y = int(m.group(1)), int(m.group(3)), m.group(4)
            year = int(y) if len(y) == 4 else century(int(y), birth=birth, today=today)
            iso = _make(year, mo, d)
            if iso:
                how = "read day first" + ("" if len(y) == 4 else f", two-digit year as {year}")
                return iso, "dates", how
            return None
        m = _DMONY.fullmatch(value)
        if m and m.group(2).casefold() in _MONTHS:
            y = m.group(3)
            year = int(y) if len(y) == 4 else century(int(y), birth=birth, today=today)
            iso = _make(year, _MONTHS[m.group(2).casefold()], int(m.group(1)))
            if iso:
                return iso, "dates", "month name read" + ("" if len(y) == 4 else f", two-digit year as {year}")
            return None
        m = _YMD.fullmatch(value) or _BASIC.fullmatch(value)
        if m:
            iso = _make(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            if iso:
                return iso, "dates", "written as year, month, day"
            return None
    if serials:
        m = _SERIAL.fullmatch(value)
        if m:
            n = int(m.group(1))
            if 10_000 <= n <= 80_000:  # 1927-05-18 .. 2119-01-12
                return (_EXCEL_EPOCH + dt.timedelta(days=n)).isoformat(), "excel_serials", "an Excel day number"
    return None


# ----------------------------------------------------------------------------------------- mapper

_SPLIT = re.compile(r"\s*[;,|+\n]\s*")
_SPACED_CODES = re.compile(r"\d{2}(?:\s+\d{2})+")


def split_pieces(value: str) -> list[str]:
    """The separate codes or labels of a multi-valued cell ("51;53", "51, 53", "51 53")."""
    return value.split() if _SPACED_CODES.fullmatch(value) else [p for p in _SPLIT.split(value) if p]


class ValueMapper:
    """Applies the value mapping of one template to columns of text."""

    def __init__(self, template: Template, code_lists: CodeLists, options: ValueOptions | None = None,
                 today: dt.date | None = None) -> None:
        self.template = template
        self.code_lists = code_lists
        self.options = options or ValueOptions()
        self.today = today or utc_today()
        self._index: dict[str, _ListIndex] = {}
        self._cache: dict[tuple[str, str], Change | None] = {}
        self.disability_fields = [f.name for f in template.fields if f.code_list == "disability"]
        self._fields = {f.name: f for f in template.fields}

    def _list_index(self, list_name: str) -> _ListIndex:
        idx = self._index.get(list_name)
        if idx is None:
            idx = self._index[list_name] = _ListIndex(self.code_lists[list_name])
        return idx

    def code_list(self, field_name: str) -> CodeList | None:
        f = self.template.field(field_name)
        return self.code_lists[f.code_list] if f.kind == "code" and f.code_list else None

    def change(self, field_name: str, value: str) -> Change | None:
        """What ``value`` becomes in ``field_name`` (None: left as it is)."""
        key = (field_name, value)
        if key in self._cache:
            return self._cache[key]
        result = self._change(field_name, value)
        self._cache[key] = result
        return result

    def _change(self, field_name: str, value: str) -> Change | None:
        opts = self.options
        if not value:
            return None
        if opts.enabled("user"):
            user = opts.user_maps.get(field_name)
            if user:
                target = user.get(value)
                if target is None:
                    folded = {k.casefold(): v for k, v in user.items()}
                    target = folded.get(value.casefold())
                if target is not None and target != value:
                    return Change(target, "user", "your value map")
        f = self._fields[field_name]
        if f.kind == "code" and f.code_list:
            idx = self._list_index(f.code_list)
            if value in idx.codes:
                return None
            if opts.enabled("numbers"):
                code = idx.number(value)
                if code is not None:
                    how = "leading zero restored" if len(code) > len(value.split(".")[0]) else "decimal point removed"
                    return Change(code, "numbers", f"{how}: a spreadsheet had turned the code into a number")
            if opts.enabled("labels"):
                found = idx.label(value)
                if found is not None:
                    return Change(found[0], "labels", found[1])
            if opts.enabled("yes_no"):
                target = idx.yes_no.get(norm_label(value))
                if target is not None:
                    return Change(target, "yes_no", "a yes/no answer")
            return None
        if f.kind in _DATE_KINDS or f.kind == "year":
            if f.kind == "year" and re.fullmatch(r"\d{4}", value):
                return None
            parsed = parse_date(value, birth=f.name == "date_of_birth", today=self.today,
                                serials=opts.enabled("excel_serials") and f.kind == "date", forms=opts.enabled("dates"))
            if parsed is not None:
                return Change(parsed[0], parsed[1], parsed[2])
        if f.kind in _NUMBER_KINDS and opts.enabled("numbers"):
            m = _NUMBER.fullmatch(value)
            if m and m.group(1) != value:
                return Change(m.group(1), "numbers", "decimal point removed: a spreadsheet had turned it into a number")
        return None

    # -------------------------------------------------------------------------------- columns
    def apply(self, columns: Columns) -> tuple[Columns, Findings]:
        """The mapped columns (changed arrays are copies) and one info finding per changed cell."""
        if not self.options.any_enabled:
            return columns, Findings.empty()
        data = {name: columns[name] for name in self.template.names}
        parts: list[Findings] = []
        if self.options.enabled("split"):
            self._split_disabilities(data, columns.n, parts)
        for f in self.template.fields:
            if f.kind in ("text", "email", "hesa_id"):
                continue
            arr = data[f.name]
            # one look-up per distinct value, then numpy takes: no Python work per cell
            index, uniques = factorize(arr)
            after = np.empty(len(uniques), dtype=object)
            messages = np.empty(len(uniques), dtype=object)
            hit = np.zeros(len(uniques), dtype=bool)
            for i, v in enumerate(uniques.tolist()):
                c = self.change(f.name, v) if v else None
                if c is not None:
                    after[i], messages[i], hit[i] = c.after, _message(f.label, v, c), True
            if not hit.any():
                continue
            mask = hit[index]
            new = arr.copy()
            new[mask] = after[index[mask]]
            data[f.name] = new
            parts.append(_info(np.flatnonzero(mask), f.name, arr[mask], messages[index[mask]]))
        return Columns(data, columns.n), Findings.concat(parts)

    def _split_disabilities(self, data: dict[str, np.ndarray], n: int, extra: list[Findings]) -> None:
        fields = self.disability_fields
        if not fields:
            return
        needs: dict[str, bool] = {}

        def must_split(field_name: str, v: str) -> bool:
            key = f"{field_name}\x00{v}"
            hit = needs.get(key)
            if hit is None:
                hit = bool(v) and (_SPLIT.search(v) is not None or _SPACED_CODES.fullmatch(v) is not None) \
                    and v not in self.code_lists["disability"].codes and self.change(field_name, v) is None
                needs[key] = hit
            return hit

        rows = np.zeros(n, dtype=bool)
        for name in fields:
            index, uniques = factorize(data[name])
            flags = np.fromiter((must_split(name, v) for v in uniques.tolist()), bool, len(uniques))
            if flags.any():
                rows |= flags[index]
        if not rows.any():
            return
        codes = self.code_lists["disability"].codes
        for name in fields:
            data[name] = data[name].copy()
        out_rows: list[int] = []
        out_fields: list[str] = []
        out_values: list[str] = []
        out_messages: list[str] = []
        for r in np.flatnonzero(rows):
            before = [data[name][r] for name in fields]
            pieces: list[str] = []
            first_split = None
            for name, v in zip(fields, before, strict=True):
                if not v:
                    continue
                if must_split(name, v):
                    first_split = first_split or name
                    parts = split_pieces(v)
                    for p in parts:
                        c = self.change(name, p)
                        pieces.append(c.after if c is not None else p)
                else:
                    pieces.append(v)
            pieces = [p for p in pieces if p]
            if len(pieces) > len(fields) or first_split is None or any(p not in codes for p in pieces):
                continue  # only a split into known codes is certain; anything else is left for the rules
            after = pieces + [""] * (len(fields) - len(pieces))
            for name, v in zip(fields, after, strict=True):
                data[name][r] = v
            spread = ", ".join(f"{name} '{v}'" for name, v in zip(fields, after, strict=True) if v)
            original = before[fields.index(first_split)]
            shown = "', '".join(v for v in before if v)
            out_rows.append(int(r))
            out_fields.append(first_split)
            out_values.append(original)
            out_messages.append(f"Disabilities '{shown}' were split over {spread} (several disabilities in one cell).")
        for name in set(out_fields):
            picked = [i for i, f in enumerate(out_fields) if f == name]
            extra.append(_info(np.asarray([out_rows[i] for i in picked], dtype=np.int64), name,
                               [out_values[i] for i in picked], [out_messages[i] for i in picked]))

    # -------------------------------------------------------------------------------- view
    def value_rows(self, field_name: str, values: Iterable[str]) -> list[ValueRow]:
        """Distinct values of a source column with counts and what each becomes, most frequent first."""
        counts: dict[str, int] = {}
        for v in values:
            counts[v] = counts.get(v, 0) + 1
        code_list = self.code_list(field_name)
        out = []
        for v, count in counts.items():
            c = self.change(field_name, v)
            target = c.after if c else v
            if code_list is not None:
                valid = target == "" or target in code_list.codes
                label = code_list.label(target)
            else:
                valid = True
                label = ""
            out.append(ValueRow(v, count, target, c.kind if c else None, c.reason if c else "", valid, label))
        out.sort(key=lambda r: (-r.count, r.source))
        return out

    def code_choices(self, field_name: str) -> list[tuple[str, str]]:
        """(code, label) pairs a value of this field can be mapped to, sorted by code."""
        code_list = self.code_list(field_name)
        if code_list is None:
            return []
        return [(e.code, e.label) for e in sorted(code_list.entries, key=lambda e: e.code)]


def _info(rows: np.ndarray, field_name: str, values: Any, messages: Any) -> Findings:
    """Info findings for changed cells, built as columns (one per cell, no objects per cell)."""
    vals = np.empty(len(rows), dtype=object)
    vals[:] = list(values)
    msgs = np.empty(len(rows), dtype=object)
    msgs[:] = list(messages)
    return Findings({"row": rows.astype(np.int64), "field": field_name, "severity": str(Severity.INFO),
                     "code": CODE, "message": msgs, "register_message": None, "value": vals})


def _message(label: str, before: str, change: Change) -> str:
    after = f"'{change.after}'" if change.after else "blank"
    return f"{label} '{before}' → {after} ({change.reason})."
