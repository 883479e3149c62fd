"""Problems in words: a short phrase for each kind of finding, for lists, filters and counts.

A finding's ``message`` says everything about one cell; its ``code`` is the stable contract for
programs. People choosing what to look at need neither: "Sex: not a Register code (45)" says in
five words what "Rule: cell.code_list (45)" hid. Codes without a phrase here (a new rule, or
findings another part of the app adds) are read from the code itself, never shown raw.
"""

from __future__ import annotations

PHRASES: dict[str, str] = {
    # one cell
    "cell.required": "missing",
    "cell.code_list": "not a Register code",
    "cell.too_long": "too long",
    "cell.not_integer": "not a whole number",
    "cell.date_format": "not a date Register reads",
    "cell.date_in_future": "in the future",
    "cell.date_ignored": "a date Register ignores here",
    "cell.date_of_birth_too_old": "too long ago for a date of birth",
    "cell.email_format": "not an e-mail address",
    "cell.email_institutional": "a university or work e-mail",
    "cell.excel_damage": "damaged by a spreadsheet program",
    "cell.hesa_id_length": "not 13 or 17 digits long",
    "cell.hesa_id_digits": "not only digits",
    "cell.application_id_digits": "not only digits",
    "cell.ni_number_format": "not a National Insurance number",
    "cell.urn_format": "not a 6-digit URN",
    "cell.course_year_range": "not a year of the course",
    "cell.itt_start_too_far": "too far from today",
    "cell.itt_end_too_old": "too long ago",
    "cell.itt_end_too_far": "too far in the future",
    "cell.trainee_start_too_old": "too long ago",
    "cell.trainee_start_in_future": "in the future",
    "cell.route_not_accepted": "a route Register does not take here",
    "cell.longer_than_guide": "longer than Register's guidance",
    "cell.institution_unknown": "an institution Register does not know",
    "cell.institution_remapped": "a code Register replaces",
    "cell.institution_missing": "missing for a UK degree",
    "cell.graduation_year_invalid": "not a graduation year",
    "cell.graduation_year_future": "in the future",
    "cell.graduation_year_format": "not written as a year",
    "cell.grade_remapped": "a code Register replaces",
    "cell.grade_dropped": "dropped by Register",
    "cell.disability_unknown": "a disability code Register does not know",
    "cell.degree_field_ignored": "ignored by Register for this degree",
    "cell.value_mapped": "value converted",
    # one row
    "row.degree_incomplete": "missing for the degree",
    "row.degree_required": "a degree is needed",
    "row.duplicate_in_file": "the same trainee twice in this file",
    "row.duplicate_subject": "the same subject twice",
    "row.disability_mixed": "'no disability' beside a disability",
    "row.disability_duplicate": "the same disability twice",
    "row.disability_combined": "disabilities written together",
    "row.extra_cells": "more cells than columns",
    "row.itt_end_before_start": "ends before it starts",
    "row.trainee_start_from_itt": "taken from the ITT start date",
    "row.study_mode_required": "needed for this route",
    "row.qualification_aim_required": "needed for this aim",
    "row.route_before_start_year": "route not open in that year",
    "row.primary_subject": "not a primary subject",
    "row.early_years_subject": "not an early years subject",
    "row.early_years_age_range": "not an early years age range",
    "row.age_range_early_years_only": "an age range for early years only",
    "row.iqts_country_required": "needed for iQTS",
    "row.iqts_country_not_allowed": "only for iQTS",
    "row.initiative_replaced": "an initiative Register replaces",
    "row.initiative_not_available": "an initiative not open to this trainee",
    "row.fund_code_not_eligible": "not eligible for this funding",
    # the file and its columns
    "header.missing": "no column",
    "header.unmapped": "a column not used",
    "header.uncertain": "a column to confirm",
    "header.ambiguous": "two columns look like it",
    "header.duplicate": "a column that appears twice",
    "header.blank": "a column without a header",
    "header.profile": "about the mapping profile",
    "file.note": "about how the file was read",
    "file.urns_unconfirmed": "URNs only Register can confirm",
    # Register's answers
    "api.rejected": "refused by Register",
    "api.already_registered": "already in Register",
}


def problem_phrase(code: str) -> str:
    """A few words for a kind of finding ("not a Register code"); unknown codes read from their name."""
    phrase = PHRASES.get(code)
    if phrase is None:
        tail = code.split(".", 1)[-1]
        phrase = tail.replace("_", " ").strip() or "a problem"
    return phrase


def group_title(code: str, field_label: str | None, *, file_level: bool = False) -> str:
    """"Sex: not a Register code", "Whole row: the same trainee twice in this file", "This file: …"."""
    where = field_label or ("This file" if file_level or code.startswith(("file.", "header.")) else "Whole row")
    return f"{where}: {problem_phrase(code)}"
