"""Seeded generator of realistic synthetic provider files (never real people).

Rows are valid for Register v2026.1 in the academic cycle of ``today`` (names with accents and
apostrophes, Welsh and Irish names, long surnames; valid route/subject/age-range/funding
combinations), and a controlled share of rows carry one typical defect each. Used by the bundled
sample, the tests and the benchmarks.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from desktop.validation.template import load_template

FIRST = [
    "Siân", "Aoife", "Niamh", "Dafydd", "Rhodri", "Gwenllian", "Seán", "Siobhán", "Zoë", "Chloé", "José",
    "Mary-Jane", "Olu", "Priya", "Mohammed", "Aisha", "Wiktoria", "Tomasz", "Oliver", "Amelia", "Isla",
    "Harry", "Freya", "Callum", "Eilidh", "Ffion", "Llŷr", "Caoimhe", "Pádraig", "Rónán", "Bláthnaid",
    "Anne Marie", "Jean-Luc", "Łucja", "Søren", "Noémie", "Kwame", "Mei", "Dónal", "Ruaidhrí",
]
LAST = [
    "O'Brien", "O'Sullivan", "McCarthy", "Ní Bhriain", "Mac Giolla Phádraig", "Jones", "Llewellyn", "ap Rhys",
    "Ffransis", "Smith", "Nowak", "Kowalczyk", "Okafor", "Patel", "Khan", "Brontë", "Doyle", "D'Arcy",
    "Featherstonehaugh-Cholmondeley", "Wolfeschlegelsteinhausen", "Núñez", "García", "Müller", "Ó Súilleabháin",
    "Taylor", "Evans", "Williams", "Brown", "Wilson", "Campbell", "MacDonald", "Quinn", "Ó Conchúir",
]
DOMAINS = ["example.com", "example.org", "example.net", "mail.example.co.uk"]


@dataclass(frozen=True)
class Course:
    route: str
    subject: str
    age_range: str
    qual_aim: str
    degree: bool
    funding: tuple[tuple[str, str], ...]  # allowed (fund_code, funding_method) pairs in 2026/27


COURSES = [
    Course("12", "100403", "13918", "020", True, (("2", "6"), ("7", "D"), ("7", "6"))),  # maths PGCE, bursary
    Course("12", "100425", "13919", "020", True, (("2", "6"), ("7", "4"), ("7", "D"))),  # physics, scholarship
    Course("12", "100346", "13918", "020", True, (("2", "6"), ("7", "D"))),  # biology £5k bursary
    Course("12", "100302", "13918", "020", True, (("2", "6"), ("7", "6"))),  # history, no award
    Course("03", "100417", "13918", "021", True, (("7", "E"), ("2", "6"))),  # chemistry salaried, grant
    Course("03", "100511", "13914", "021", True, (("2", "6"),)),  # primary salaried
    Course("11", "100511", "13914", "004", False, (("2", "6"), ("7", "6"))),  # primary undergrad
    Course("11", "100320", "13918", "008", False, (("7", "B"), ("2", "6"))),  # English undergrad bursary
    Course("10", "100366", "13919", "020", True, (("7", "E"), ("2", "6"))),  # computing apprenticeship
    Course("14", "100403", "13918", "004", False, (("2", "6"),)),  # TDA maths
    Course("18", "100510", "13920", "001", False, (("2", "6"),)),  # early years undergrad
    Course("19", "100510", "13920", "020", True, (("7", "E"), ("2", "6"))),  # early years postgrad grant
]

DEGREE_SUBJECTS = ["100425", "100403", "100346", "100302", "100417", "100320", "100485", "100366", "100497", "100321"]
INSTITUTIONS = ["0117", "0149", "0003", "0165", "0309", "0403", "0154", "0116"]
ETHNICITIES = ["160", "166", "103", "120", "142", "179", "899", "997", "101", "163"]
NATIONALITIES = ["GB", "GB", "GB", "IE", "PL", "NG", "IN", "FR", "ES", "GB"]

DEFECTS = [
    "blank_first_names", "bad_email", "uk_dob", "sex_label", "short_hesa", "study_mode_no_zero",
    "end_before_start", "subject2_dup", "disability_dup", "bad_route", "qual_aim_missing", "long_surname",
]


def cycle_start(today: dt.date) -> int:
    """The academic cycle of ``today`` (``desktop.validation.cycles``: the one place a date becomes a cycle)."""
    from desktop.validation.cycles import cycle_of

    return cycle_of(today) or today.year


def rows(n: int, *, seed: int = 1, defect_share: float = 0.1, today: dt.date | None = None,
         unique: bool = False) -> Iterator[dict[str, str]]:
    """``n`` template-shaped rows; ``defect_share`` of them carry one defect. ``unique``: no two rows
    share date of birth, surname and route, so none is a duplicate by Register's rule (by chance a
    few dozen in 50,000 would be)."""
    rng = random.Random(seed)
    today = today or dt.date(2026, 11, 28)
    year = cycle_start(today)
    seen: set[tuple[str, str, str]] = set()
    for i in range(n):
        row = _valid_row(rng, i, year)
        if unique:
            key = (row["date_of_birth"], row["last_name"].lower(), row["training_route"])
            while key in seen:
                born = dt.date.fromisoformat(row["date_of_birth"]) - dt.timedelta(days=1)
                row["date_of_birth"] = born.isoformat()
                key = (row["date_of_birth"], key[1], key[2])
            seen.add(key)
        if rng.random() < defect_share:
            _defect(rng, row, rng.choice(DEFECTS))
        yield row


def _valid_row(rng: random.Random, i: int, year: int) -> dict[str, str]:
    course = rng.choice(COURSES)
    first, last = rng.choice(FIRST), rng.choice(LAST)
    dob = dt.date(rng.randint(1968, 2004), rng.randint(1, 12), rng.randint(1, 28))
    start = dt.date(year, 9, rng.randint(1, 20))
    end = dt.date(year + (1 if course.degree else rng.randint(1, 3)), 7, rng.randint(1, 20))
    fund, method = rng.choice(course.funding)
    local = "".join(c for c in f"{first}.{last}".lower() if c.isascii() and (c.isalnum() or c == "."))
    row = dict.fromkeys(load_template().names, "")
    row.update({
        "provider_trainee_id": f"{str(year)[2:]}/{str(year + 1)[2:]}-{i + 1}",
        "application_id": str(rng.randint(100000, 9999999)) if rng.random() < 0.7 else "",
        "hesa_id": f"{str(year)[2:]}{rng.randint(10**14, 10**15 - 1)}",
        "first_names": first,
        "last_name": last,
        "previous_last_name": rng.choice(LAST) if rng.random() < 0.1 else "",
        "date_of_birth": dob.isoformat(),
        "ni_number": f"{rng.choice('ABCEGHJ')}{rng.choice('ABCEGHJ')}{rng.randint(100000, 999999)}{rng.choice('ABCD')}"
        if rng.random() < 0.8 else "",
        "sex": rng.choice(["10", "11", "10", "11", "12", "96"]),
        "email": f"{local.strip('.')}{rng.randint(1, 999)}@{rng.choice(DOMAINS)}",
        "nationality": rng.choice(NATIONALITIES),
        "ethnicity": rng.choice(ETHNICITIES),
        "itt_aim": "202",
        "training_route": course.route,
        "itt_qualification_aim": course.qual_aim,
        "course_subject_1": course.subject,
        "study_mode": rng.choice(["01", "01", "01", "31"]),
        "itt_start_date": start.isoformat(),
        "itt_end_date": end.isoformat(),
        "course_age_range": course.age_range,
        "course_year": "1",
        "trainee_start_date": start.isoformat() if rng.random() < 0.5 else "",
        "fund_code": fund,
        "funding_method": method,
    })
    if rng.random() < 0.15:
        row["disability1"] = rng.choice(["51", "53", "54", "55", "56", "57", "58", "59", "96"])
        if rng.random() < 0.3:
            row["disability2"] = "57" if row["disability1"] != "57" else "58"
    elif rng.random() < 0.5:
        row["disability1"] = "95"
    if rng.random() < 0.4:
        row["placement_1_urn"] = str(rng.randint(100000, 150000))
    if course.degree:
        if rng.random() < 0.9:
            row.update({"uk_degree": rng.choice(["083", "051", "002"]), "degree_subject": rng.choice(DEGREE_SUBJECTS),
                        "degree_grade": rng.choice(["01", "02", "02", "03"]),
                        "degree_graduation_year": str(rng.randint(year - 20, year)),
                        "awarding_institution": rng.choice(INSTITUTIONS)})
        else:
            row.update({"non_uk_degree": "083", "degree_subject": rng.choice(DEGREE_SUBJECTS),
                        "degree_graduation_year": str(rng.randint(year - 20, year)), "degree_country": rng.choice(["MX", "IN", "NG", "FR"])})
    return row


def _defect(rng: random.Random, row: dict[str, str], kind: str) -> None:
    if kind == "blank_first_names":
        row["first_names"] = ""
    elif kind == "bad_email":
        row["email"] = row["email"].replace("@", " at ")
    elif kind == "uk_dob":
        y, m, d = row["date_of_birth"].split("-")
        row["date_of_birth"] = f"{d}/{m}/{y}"
    elif kind == "sex_label":
        row["sex"] = rng.choice(["Female", "Male"])
    elif kind == "short_hesa":
        row["hesa_id"] = row["hesa_id"][:12]
    elif kind == "study_mode_no_zero":
        row["study_mode"] = "1"
    elif kind == "end_before_start":
        row["itt_end_date"] = row["itt_start_date"][:4] + "-08-01"
    elif kind == "subject2_dup":
        row["course_subject_2"] = row["course_subject_1"]
    elif kind == "disability_dup":
        row["disability1"] = row["disability2"] = "58"
    elif kind == "bad_route":
        row["training_route"] = "13"
    elif kind == "qual_aim_missing":
        row["itt_qualification_aim"] = ""
    elif kind == "long_surname":
        row["last_name"] = ("Featherstonehaugh-" * 4).strip("-")


def write_csv(path: Path, data: Iterator[dict[str, str]] | list[dict[str, str]], *, encoding: str = "utf-8") -> Path:
    names = load_template().names
    with path.open("w", encoding=encoding, newline="") as fh:
        w = csv.DictWriter(fh, names, lineterminator="\r\n")
        w.writeheader()
        w.writerows(data)
    return path


def write_xlsx(path: Path, data: Iterator[dict[str, str]] | list[dict[str, str]]) -> Path:
    """Write as text cells (as a careful export would), in write-only mode for speed."""
    from openpyxl import Workbook

    names = load_template().names
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Trainees")
    ws.append(names)
    for r in data:
        ws.append([r[n] for n in names])
    wb.save(path)
    return path
