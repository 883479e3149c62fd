"""Warnings where Register accepts a value it publishes rules for, or silently changes it
(SPEC §5.14, §10.2). None of these block an upload.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from desktop.validation.engine import Columns, RuleContext
from desktop.validation.findings import FindingSink, Severity

W = Severity.WARNING
_NI_NUMBER = re.compile(r"[A-Za-z]{2}\d{6}[A-Da-d]")
_INTEGER = re.compile(r"[+-]?\d+")
_SECOND_LEVEL = frozenset({"ac", "edu", "sch"})


def institutional(email: str) -> bool:
    """An address at a university, college or school (``.ac.uk``, ``.sch.uk``, ``.edu``, ``.edu.au``, ...)."""
    at = email.rfind("@")
    if at < 0:
        return False
    labels = email[at + 1:].lower().split(".")
    return labels[-1] == "edu" or (len(labels) >= 3 and labels[-2] in _SECOND_LEVEL and len(labels[-1]) == 2)


# an address can only be institutional if it holds one of these (no other character lower-cases
# to e, d, u, a, c, s or h): a search in C per address, ``institutional`` only on those found
_MAYBE_INSTITUTIONAL = re.compile(r"[Ee][Dd][Uu]|[Aa][Cc]|[Ss][Cc][Hh]")
_ASCII_DIGITS = re.compile(r"[0-9]+")  # str.isascii() and str.isdigit()


def looks_institutional(emails: np.ndarray) -> np.ndarray:
    """``institutional`` of each address, calling it only where it can be true."""
    values = emails.tolist()
    out = np.fromiter(map(_MAYBE_INSTITUTIONAL.search, values), bool, len(values))
    hits = np.flatnonzero(out)
    if len(hits):
        out[hits] = np.fromiter((institutional(values[i]) for i in hits.tolist()), bool, len(hits))
    return out


@dataclass(frozen=True)
class PublishedFormats:
    """Formats and lengths Register's guide publishes but its server does not enforce."""

    name: str = "published_formats"

    def check(self, cols: Columns, ctx: RuleContext, sink: FindingSink) -> None:
        f = "ni_number"
        sink.add(cols.present(f) & ~cols.matches(f, _NI_NUMBER), cols[f], field=f, code="cell.ni_number_format",
                 severity=W,
                 message=lambda v: f"'{v}' does not look like a National Insurance number (two letters, six digits, "
                                   "then A, B, C or D, with no spaces, for example QQ123456C). Register stores it as given.")

        f = "course_year"
        year = cols.per_value(f, "course_year_int", lambda v: int(v) if _INTEGER.fullmatch(v) else 0, np.int64)
        odd = cols.matches(f, _INTEGER) & ((year < 0) | (year > 3))
        sink.add(odd, cols[f], field=f, code="cell.course_year_range", severity=W,
                 message=lambda v: f"Course year {v} is unusual: Register's guide expects 0 (foundation year), 1, 2 or 3 "
                                   "(the trainee's year of the course, not a calendar year). Register accepts it.")

        f = "email"
        long_email = (cols.lengths(f) > 80) & (cols.lengths(f) <= 255)
        sink.add(long_email, cols[f], field=f, code="cell.longer_than_guide", severity=W,
                 message=lambda v: f"The e-mail address is {len(v)} characters long; Register's guide allows 80 "
                                   "(its server accepts up to 255). Check it is a single address.")
        sink.add(looks_institutional(cols[f]), cols[f], field=f, code="cell.email_institutional", severity=W,
                 message=lambda v: f"'{v}' looks like a university, college or school address. Register asks for the "
                                   "trainee's personal e-mail, which stays valid after the course.")

        f = "previous_last_name"
        sink.add(cols.lengths(f) > 60, cols[f], field=f, code="cell.longer_than_guide", severity=W,
                 message=lambda v: f"The previous last name is {len(v)} characters long; Register's guide allows 60. "
                                   "Register stores it as given.")

        f = "application_id"
        sink.add(cols.present(f) & ~cols.matches(f, _ASCII_DIGITS), cols[f], field=f,
                 code="cell.application_id_digits",
                 severity=W,
                 message=lambda v: f"Apply application ID '{v}' should be digits only (the number from Apply). Register "
                                   "stores it as a number, so other characters are lost or change it.")

        f = "hesa_id"
        sink.add(cols.present(f) & ~cols.matches(f, _ASCII_DIGITS), cols[f], field=f,
                 code="cell.hesa_id_digits",
                 severity=W,
                 message=lambda v: f"HESA ID '{v}' contains characters other than digits. A HUSID is 13 or 17 digits; "
                                   "Register only checks the length.")

        f = "pg_apprenticeship_start_date"
        sink.add(cols.present(f) & (cols.dates(f) == 0), cols[f], field=f, code="cell.date_ignored", severity=W,
                 message=lambda v: f"'{v}' is not a date in the form YYYY-MM-DD. Register does not reject it but "
                                   "silently stores no apprenticeship start date.")
