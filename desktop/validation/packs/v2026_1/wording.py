"""Register's CSV upload page words some messages differently from its API (SPEC §8.8).

The rule pack gives every finding Register's API message (``register_message``: what the upload
step receives). ``csv_wording`` turns one into what Register's bulk-add CSV page says for the same
problem (``register_csv_message``, and the ``Errors`` column of Register's errors file). Every
other message is worded the same by both, so the function returns it unchanged.
"""

from __future__ import annotations

import re
from functools import lru_cache

#: whole messages the CSV page words differently
_WHOLE = {
    "itt_end_date must be after itt_start_date": "itt_end_date must be after ITT start date",
    "degrees_attributes must be entered if specifying a postgraduate training_route":
        "UK degree type or Non-UK degree type must be entered if specifying a postgraduate training_route",
    "disabilities contain duplicate values": "Trainee disabilities attributes contain duplicate values",
    "graduation_year must be in the past, for example 2014":
        "degree_graduation_year Enter a year that is in the past, for example 2014",
    "graduation_year is invalid": "degree_graduation_year Enter a valid graduation year",
    "placements_attributes urn is invalid": "Urn is invalid",
}

#: the degree's attributes carry no prefix in the API; the CSV page names the template column
_DEGREE_ATTRIBUTES = {"subject": "degree_subject", "grade": "degree_grade", "graduation_year": "degree_graduation_year",
                      "institution": "awarding_institution", "country": "degree_country"}

_DUPLICATE_SUBJECT = re.compile(r"(course_subject_[23]) might contain duplicate values")
_EMPLOYING_SCHOOL = re.compile(r"employing_school_id is invalid\. (The URN '.*' does not match any known schools)", re.DOTALL)


@lru_cache(maxsize=4096)
def csv_wording(api_message: str) -> str:
    """What Register's CSV upload page says where its API says ``api_message``."""
    whole = _WHOLE.get(api_message)
    if whole is not None:
        return whole
    if m := _DUPLICATE_SUBJECT.fullmatch(api_message):
        return f"{m.group(1)} Course subject fields contain duplicate values"
    if m := _EMPLOYING_SCHOOL.fullmatch(api_message):
        return f"Employing school Employing School URN is invalid. {m.group(1)}"
    attribute, space, rest = api_message.partition(" ")
    column = _DEGREE_ATTRIBUTES.get(attribute)
    if column is not None and space:
        return f"{column} {rest}"
    return api_message
