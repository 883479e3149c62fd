"""MappingDraft: the mapping being decided for one file, as the Map step and ``map``/``check`` drive it.

Before a file is checked, someone decides which of its columns feeds each template field and
how values are converted. That decision lives here, once, for both front ends:

- where it starts: a saved profile made for these headers, else the suggested mapping; a file
  in Register's own layout is read literally (no value changes) until a column of another name
  is mapped, then values are mapped too ("template headers mean no value mapping");
- what the user can do to it, each one step of an undo history: map or unmap a column
  (``set_column``, the CLI's ``--set``/``--unset``), take the suggestion for an unused column
  (``accept``), confirm an uncertain match (``confirm``), ``accept_all``, choose the code for
  a value, turn a kind of value change on or off;
- what it tells the user: the columns each field could take (with samples and which are used),
  what every unused column probably holds and why, the values of a field and what each becomes.

The result is a ``Mapping`` and ``ValueOptions`` that ``ImportSession`` applies. No Qt: the
window listens through ``subscribe`` and shows what the draft says.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from desktop.core.errors import UserFacingError
from desktop.core.loading import RawTable
from desktop.core.mapping import (
    HINT,
    REGISTER_REPORT_COLUMNS,
    ColumnSuggester,
    ColumnSuggestion,
    Mapping,
    exact_mapping,
    hints_from,
    suggest_mapping,
)
from desktop.core.profiles import LoadedProfile, ProfileStore, choose_mapping
from desktop.core.reference import current_code_lists
from desktop.core.values import KIND_TITLES, KINDS, ValueMapper, ValueOptions, ValueRow, split_pieces
from desktop.validation.codelists import CodeLists
from desktop.validation.template import DEFAULT_VERSION, Template, load_template

if TYPE_CHECKING:
    from desktop.core.profile_model import MappingProfile


class MappingError(UserFacingError):
    title = "The mapping cannot be changed"


@dataclass(frozen=True)
class DraftState:
    """One point of the draft's history."""

    mapping: Mapping
    options: ValueOptions
    options_follow: bool  # value options still follow the headers (template layout: off; else on)
    text: str = ""  # the change that led here, for Undo's label


@dataclass(frozen=True)
class ColumnChoice:
    """A column as the drop-down for one field shows it."""

    header: str
    samples: tuple[str, ...]
    used_by: str | None  # the field it feeds now (None: unused)


def default_options(mapping: Mapping, map_values: bool | None = None) -> ValueOptions:
    """Values are mapped unless the file is in Register's own layout (then it is read as Register reads it)."""
    wanted = (not mapping.is_template_exact) if map_values is None else map_values
    return ValueOptions() if wanted else ValueOptions.off()


class MappingDraft:
    """The mapping and value options being decided for one source table, with undo and redo."""

    def __init__(self, raw: RawTable, mapping: Mapping, options: ValueOptions, *, template: Template | None = None,
                 code_lists: CodeLists | None = None, today: dt.date | None = None,
                 profile: MappingProfile | None = None, options_follow: bool = False) -> None:
        self.raw = raw
        self.template = template or load_template(mapping.template_version)
        self.code_lists = code_lists or current_code_lists(self.template.version)
        self.today = today
        self.profile = profile  # the saved profile the draft started from, if any
        self._history = [DraftState(mapping, options, options_follow)]
        self._at = 0
        self._listeners: list[Callable[[], None]] = []
        self._suggester: ColumnSuggester | None = None
        self._suggestions: tuple[Mapping, list[ColumnSuggestion]] | None = None
        self._samples: dict[str, tuple[str, ...]] = {}
        self._headers = [h for h in raw.headers if h]

    # ------------------------------------------------------------------ where it starts
    @classmethod
    def start(cls, raw: RawTable, *, template_version: str = DEFAULT_VERSION, code_lists: CodeLists | None = None,
              today: dt.date | None = None, profile: MappingProfile | LoadedProfile | None = None,
              profiles: ProfileStore | None = None, auto_profile: bool = True, map_values: bool | None = None,
              value_options: ValueOptions | None = None) -> MappingDraft:
        """``profile`` if given, else a saved profile made for exactly these headers, else the suggestion.

        Values are mapped when ``map_values`` is True, or, when None, whenever the headers are not
        the template's own (and from the moment the user maps a column of another name).
        """
        template = load_template(template_version)
        lists = code_lists or current_code_lists(template_version)
        exact = exact_mapping(raw.headers, template)
        if all(exact.columns.values()):  # every template column present: nothing to suggest
            suggest: Callable[[], Mapping] = lambda: exact  # noqa: E731
        else:
            suggest = lambda: suggest_mapping(raw, template, lists)  # noqa: E731
        choice = choose_mapping(raw.headers, suggest, template, profile=profile, store=profiles,
                                auto_profile=auto_profile)
        if isinstance(profile, LoadedProfile) and profile.path is not None and choice.mapping.origin == "profile":
            choice.mapping.profile_file = str(profile.path)
        options = value_options
        if options is None and choice.value_options is not None and map_values is not False:
            options = choice.value_options
        follow = options is None and map_values is None and choice.mapping.is_template_exact
        if options is None:
            options = default_options(choice.mapping, map_values)
        return cls(raw, choice.mapping, options, template=template, code_lists=lists, today=today,
                   profile=choice.profile, options_follow=follow)

    # ------------------------------------------------------------------ state
    @property
    def mapping(self) -> Mapping:
        return self._history[self._at].mapping

    @property
    def options(self) -> ValueOptions:
        return self._history[self._at].options

    @property
    def state(self) -> DraftState:
        return self._history[self._at]

    def subscribe(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` after every change, undo and redo."""
        self._listeners.append(listener)

    def unsubscribe(self, listener: Callable[[], None]) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def _notify(self) -> None:
        for listener in list(self._listeners):
            listener()

    def _push(self, mapping: Mapping, options: ValueOptions | None = None, *, text: str,
              options_follow: bool | None = None) -> bool:
        now = self.state
        options = now.options if options is None else options
        follow = now.options_follow if options_follow is None else options_follow
        if follow and not mapping.is_template_exact:  # a column of another name: values are mapped from now on
            follow = False
            options = ValueOptions(user_maps=options.user_maps)
        if mapping == now.mapping and options == now.options:
            return False
        del self._history[self._at + 1:]
        self._history.append(DraftState(mapping, options, follow, text))
        self._at += 1
        self._notify()
        return True

    # ------------------------------------------------------------------ history
    @property
    def can_undo(self) -> bool:
        return self._at > 0

    @property
    def can_redo(self) -> bool:
        return self._at < len(self._history) - 1

    @property
    def undo_text(self) -> str:
        return self._history[self._at].text if self.can_undo else ""

    @property
    def redo_text(self) -> str:
        return self._history[self._at + 1].text if self.can_redo else ""

    def undo(self) -> bool:
        if not self.can_undo:
            return False
        self._at -= 1
        self._notify()
        return True

    def redo(self) -> bool:
        if not self.can_redo:
            return False
        self._at += 1
        self._notify()
        return True

    def history(self) -> tuple[list[DraftState], int]:
        """Every state and where the draft stands (for autosave)."""
        return list(self._history), self._at

    def restore_history(self, states: list[DraftState], at: int) -> None:
        """Put back a history saved with ``history`` (recovery after a crash)."""
        if not states or not 0 <= at < len(states):
            return
        self._history = list(states)
        self._at = at
        self._notify()

    # ------------------------------------------------------------------ what the user sees
    def label(self, field_name: str) -> str:
        return self.template.field(field_name).label

    def source_for(self, field_name: str) -> str | None:
        return self.mapping.columns.get(field_name)

    def field_for(self, column: str) -> str | None:
        return self.mapping.field_for(column)

    @property
    def headers(self) -> list[str]:
        return list(self._headers)

    def samples(self, column: str, limit: int = 3) -> tuple[str, ...]:
        """The first few different values of a column (what it holds, at a glance)."""
        hit = self._samples.get(column)
        if hit is None:
            seen: list[str] = []
            if column in self.raw.headers:
                for value in self.raw.column(column)[:2000]:
                    if value and value not in seen:
                        seen.append(str(value))
                        if len(seen) == 5:
                            break
            hit = self._samples[column] = tuple(seen)
        return hit[:limit]

    def column_choices(self) -> list[ColumnChoice]:
        """Every column of the file with samples and the field it feeds now, in file order."""
        by_source = {s: f for f, s in self.mapping.columns.items() if s is not None}
        seen: set[str] = set()
        out = []
        for h in self._headers:
            if h not in seen:
                seen.add(h)
                out.append(ColumnChoice(h, self.samples(h), by_source.get(h)))
        return out

    def missing_required(self) -> list[str]:
        return [f.name for f in self.template.fields if f.mandatory and not self.mapping.columns.get(f.name)]

    def unused_columns(self) -> list[str]:
        used = self.mapping.sources
        seen: set[str] = set()
        out = []
        for h in self._headers:
            if h not in used and h not in seen and h not in REGISTER_REPORT_COLUMNS:
                seen.add(h)
                out.append(h)
        return out

    def uncertain(self) -> list[str]:
        """Fields whose suggested column nobody has confirmed yet, in template order."""
        return [f.name for f in self.template.fields if self.mapping.needs_check(f.name)]

    def counts(self) -> tuple[int, int]:
        """(fields with a column, matches to confirm)."""
        return sum(1 for v in self.mapping.columns.values() if v), len(self.uncertain())

    @property
    def suggester(self) -> ColumnSuggester:
        if self._suggester is None:
            self._suggester = ColumnSuggester(self.raw, self.template, self.code_lists)
        return self._suggester

    def suggestions(self) -> list[ColumnSuggestion]:
        """What each unused column probably holds (``field`` None: nothing in the template)."""
        cached = self._suggestions
        if cached is not None and cached[0] is self.mapping:
            return cached[1]
        found = self.suggester.suggest(self.mapping)
        self._suggestions = (self.mapping, found)
        return found

    def suggestion_for(self, column: str) -> ColumnSuggestion | None:
        return next((s for s in self.suggestions() if s.column == column), None)

    def hints(self) -> dict[str, ColumnSuggestion]:
        """Field -> the unused column that probably holds it (fields with no column only)."""
        return hints_from(self.suggestions())

    def pending(self) -> int:
        """How many suggestions ``accept_all`` would take (uncertain matches and mappable unused columns)."""
        return len(self.uncertain()) + sum(1 for s in self.suggestions() if s.field and s.taken_by is None)

    # ------------------------------------------------------------------ values
    def value_mapper(self, options: ValueOptions | None = None) -> ValueMapper:
        return ValueMapper(self.template, self.code_lists, options or self.options, self.today)

    def value_rows(self, field_name: str) -> list[ValueRow]:
        """Distinct values of the column mapped to ``field_name``, with counts and what each becomes."""
        source = self.mapping.columns.get(field_name)
        if source is None or source not in self.raw.headers:
            return []
        return self.value_mapper().value_rows(field_name, self.raw.column(source).tolist())

    # ------------------------------------------------------------------ operations (each one undo step)
    def _check_field(self, field_name: str) -> None:
        if field_name not in self.template:
            close = [n for n in self.template.names if field_name.casefold() in n or n in field_name.casefold()]
            hint = f" Did you mean {', '.join(close[:3])}?" if close else " 'register-desktop template' lists them."
            raise MappingError(f"'{field_name}' is not a field of Register's {self.template.version} template.{hint}")

    def _find_column(self, column: str) -> str:
        if column in self._headers:
            return column
        folded = [h for h in self._headers if " ".join(h.split()).casefold() == " ".join(column.split()).casefold()]
        if len(folded) == 1:
            return folded[0]
        shown = ", ".join(f"'{h}'" for h in self._headers[:12]) + (" …" if len(self._headers) > 12 else "")
        raise MappingError(f"The file has no column '{column}'. Its columns: {shown}")

    def set_column(self, field_name: str, column: str | None) -> bool:
        """Map ``column`` to the field (None: no column). The column leaves any field it fed."""
        return self.apply([(field_name, column)])

    def unset(self, field_name: str) -> bool:
        return self.apply([(field_name, None)])

    def apply(self, changes: Iterable[tuple[str, str | None]], text: str | None = None) -> bool:
        """Several ``set_column`` as one step (the CLI's ``--set``/``--unset``); raises ``MappingError``
        naming a field or column that does not exist."""
        mapping = self.mapping
        said = []
        for field_name, column in changes:
            self._check_field(field_name)
            header = None if column is None or column == "" else self._find_column(column)
            if mapping.columns.get(field_name) == header:
                continue
            mapping = mapping.with_column(field_name, header)
            label = self.label(field_name)
            said.append(f"map '{header}' to {label}" if header else f"unmap {label}")
        if not said:
            return False
        summary = text or (said[0][:1].upper() + said[0][1:] if len(said) == 1 else f"{len(said)} mapping changes")
        return self._push(mapping, text=summary)

    def _take(self, mapping: Mapping, s: ColumnSuggestion) -> Mapping:
        assert s.field is not None
        taken = mapping.with_column(s.field, s.column)
        method = dict(taken.method)
        method[s.field] = "confirmed"
        confidence = dict(taken.confidence)
        confidence[s.field] = s.score
        reasons = dict(taken.reasons)
        reasons[s.field] = f"{s.reason}, taken by you"
        return replace(taken, method=method, confidence=confidence, reasons=reasons)

    def accept(self, column: str) -> bool:
        """Map an unused column to the field it was suggested for (the one click)."""
        s = self.suggestion_for(column)
        if s is None or s.field is None:
            return False
        return self._push(self._take(self.mapping, s), text=f"Map '{column}' to {self.label(s.field)}")

    def confirm(self, field_name: str) -> bool:
        """The suggested column of an uncertain match is right."""
        self._check_field(field_name)
        source = self.mapping.columns.get(field_name)
        return self._push(self.mapping.confirmed(field_name), text=f"Confirm '{source}' for {self.label(field_name)}")

    def accept_all(self) -> int:
        """Every suggestion at once, as one step: uncertain matches confirmed, unused columns mapped
        to the free field each one looks like (the likelier first). Returns how many were taken."""
        mapping = self.mapping
        taken = 0
        for name in self.uncertain():
            mapping = mapping.confirmed(name)
            taken += 1
        for s in sorted(self.suggestions(), key=lambda s: -s.score):
            if s.field is None or s.taken_by is not None or s.score < HINT or mapping.columns.get(s.field) is not None:
                continue
            mapping = self._take(mapping, s)
            taken += 1
        if taken and self._push(mapping, text=f"Accept all suggestions ({taken})"):
            return taken
        return 0

    def set_user_value(self, field_name: str, source_value: str, code: str | None) -> bool:
        """The user's code for one value of a field (None: back to automatic)."""
        self._check_field(field_name)
        options = self.options.with_user_value(field_name, source_value, code)
        if code is not None and "user" in options.disabled:
            options = replace(options, disabled=options.disabled - {"user"})
        what = f"'{source_value}' → {code}" if code is not None else f"'{source_value}' back to automatic"
        return self._push(self.mapping, options, text=f"{self.label(field_name)}: {what}", options_follow=False)

    def set_kind_enabled(self, kind: str, on: bool) -> bool:
        if kind not in KINDS:
            raise MappingError(f"'{kind}' is not a kind of value change ({', '.join(KINDS)}).")
        disabled = set(self.options.disabled)
        (disabled.discard if on else disabled.add)(kind)
        options = replace(self.options, disabled=frozenset(disabled))
        verb = "Turn on" if on else "Turn off"
        return self._push(self.mapping, options, text=f"{verb} {KIND_TITLES[kind]}", options_follow=False)

    def set_options(self, options: ValueOptions, text: str = "Change the value mapping") -> bool:
        return self._push(self.mapping, options, text=text, options_follow=False)

    # ------------------------------------------------------------------ results
    def to_profile(self, name: str, description: str = "") -> MappingProfile:
        """The mapping and value map in force, as a profile to save or share."""
        from desktop.core.profile_model import MappingProfile

        return MappingProfile.from_mapping(name, self.mapping, self.raw.headers, options=self.options,
                                           description=description)

    def suggested_profile(self, name: str, description: str = "", limit: int = 500) -> MappingProfile:
        """A profile to review: the mapping, plus for every code field each distinct source value that
        is not a code with the code it would become (``None`` where we cannot tell: fill it in)."""
        from desktop.core.profile_model import MappingProfile

        mapper = ValueMapper(self.template, self.code_lists,
                             ValueOptions(user_maps=self.options.user_maps, disabled=frozenset({"split"})), self.today)
        values: dict[str, dict[str, str | None]] = {}
        for f in self.template.fields:
            source = self.mapping.columns.get(f.name)
            code_list = mapper.code_list(f.name)
            if source is None or code_list is None or source not in self.raw.headers:
                continue
            distinct: dict[str, None] = {}
            for v in self.raw.column(source).tolist():
                if f.code_list == "disability" and v and v not in code_list.codes and mapper.change(f.name, v) is None:
                    for piece in split_pieces(v):
                        distinct.setdefault(piece)
                else:
                    distinct.setdefault(v)
            entries: dict[str, str | None] = {}
            for v in distinct:
                if not v or v in code_list.codes:
                    continue
                change = mapper.change(f.name, v)
                entries[v] = change.after if change is not None else None
                if len(entries) >= limit:
                    break
            if entries:
                values[f.name] = entries
        return MappingProfile.from_mapping(name, self.mapping, self.raw.headers, options=self.options,
                                           values=values, description=description)

    def describe(self) -> dict[str, Any]:
        """What the draft would tell a user, as plain data (the ``suggestions`` of reports)."""
        return {"suggestions": [suggestion_record(s) for s in self.suggestions() if s.field is not None],
                "to_confirm": self.uncertain()}


def suggestion_record(s: ColumnSuggestion) -> dict[str, Any]:
    """One suggestion as the JSON report writes it."""
    return {"column": s.column, "field": s.field, "confidence": round(s.score, 2), "reason": s.reason,
            "taken_by": s.taken_by}
