"""Write our own equivalents of Register's v2026.1 bulk-add test files (SPEC §9.1) into this folder.

Run ``python -m tests.data.register_fixtures.generate`` from the repository root to rewrite them
(``tests/integration/test_register_fixtures.py`` fails when they are out of date). Each file has
the name of the Register fixture whose situation it reproduces and the same shape: the 51
template headers (or the fixture's deliberate variation of them), codes and dates behind one
guard apostrophe, nationality ``GB``, fund code ``2``, funding method ``6``, ITT start
``2024-10-01``, course year ``2024``, ids like ``24/25-1``. The trainees are synthetic (our own
names, dates and HESA IDs, never Register's or real people's); codes, routes and defects follow
the situation SPEC §9.1 describes. Register's expected outcome for each is in the test module.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from pathlib import Path

from desktop.core.export import GUARDED  # the columns Register's own files write behind an apostrophe (§8.6)
from desktop.validation.template import load_template

HERE = Path(__file__).parent
TEMPLATE = load_template("v2026.1")
NAMES = TEMPLATE.names

# synthetic people: first names, last name, previous last name, date of birth, sex
PEOPLE = [
    ("Rhodri", "ap Rhys", "Pryce", "1968-11-07", "11"),
    ("Niamh", "Ní Bhriain", "O'Neill", "1982-03-11", "99"),
    ("Zoë", "Brontë", "Haworth", "2001-10-29", "12"),
    ("Pádraig", "Ó Súilleabháin", "Walsh", "1966-06-08", "99"),
    ("Gwenllian", "Featherstonehaugh-Cholmondeley", "Price", "2005-11-23", "99"),
    ("Siobhán", "MacGiolla Phádraig", "Doyle", "1971-06-09", "12"),
    ("Iolo", "Llywelyn", "Morgan", "2004-07-22", "99"),
    ("Aoife", "D'Arcy", "Byrne", "1995-02-17", "10"),
]
# secondary undergraduate courses (no degree needed): route, subject, age range, study mode, ITT aim, qualification aim
COURSES = [
    ("11", "100409", "13919", "64", "201", "004"),
    ("11", "100050", "13916", "01", "201", "020"),
    ("11", "100381", "13918", "31", "202", "021"),
    ("11", "100476", "13918", "31", "202", "001"),
    ("09", "101142", "13919", "01", "201", "028"),
]
HESA_IDS = ["2410261553101", "2410261553118", "2410261553125", "2410261553132", "2410261553149",
            "2410261553156", "2410261553163", "2410261553170"]


def trainee(i: int, course: int | None = None, **changes: str) -> dict[str, str]:
    """Trainee ``i`` on course ``course`` (default ``i``), every value as Register's fixtures write it (no
    apostrophes yet); Register accepts it in the 2024/25 cycle."""
    first, last, previous, dob, sex = PEOPLE[i]
    route, subject, ages, mode, aim, qual = COURSES[(i if course is None else course) % len(COURSES)]
    row = dict.fromkeys(NAMES, "")
    row.update({
        "provider_trainee_id": f"24/25-{3 * i + 1}", "hesa_id": HESA_IDS[i], "first_names": first, "last_name": last,
        "previous_last_name": previous, "date_of_birth": dob, "sex": sex,
        "email": f"{_ascii(first)}.{_ascii(last)}@example.com", "nationality": "GB",
        "itt_aim": aim, "training_route": route, "itt_qualification_aim": qual, "course_subject_1": subject,
        "study_mode": mode, "itt_start_date": "2024-10-01", "itt_end_date": f"202{5 + i % 2}-07-{10 + i:02d}",
        "course_age_range": ages, "course_year": "2024", "trainee_start_date": "2024-10-01",
        "pg_apprenticeship_start_date": f"2024-08-{5 + i:02d}", "fund_code": "2", "funding_method": "6",
    })
    row.update(changes)
    return row


def _ascii(name: str) -> str:
    """A name as the local part of an e-mail address (letters without accents, no spaces)."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return "".join(c for c in plain if c.isalnum() or c == "-")


def guarded(row: dict[str, str]) -> dict[str, str]:
    return {k: (f"'{v}" if v and k in GUARDED else v) for k, v in row.items()}


def csv_text(rows: list[dict[str, str]], headers: list[str] | None = None, *, rename: dict[str, str] | None = None,
             blank_between: bool = False, blank_after: int = 0) -> str:
    headers = headers or NAMES
    rename = rename or {}
    out = io.StringIO(newline="")
    w = csv.writer(out, lineterminator="\n")
    w.writerow([rename.get(h, h) for h in headers])
    blank = [""] * len(headers)
    for r in rows:
        w.writerow([guarded(r).get(h, "") for h in headers])
        if blank_between:
            w.writerow(blank)
    for _ in range(blank_after):
        w.writerow(blank)
    return out.getvalue()


def five() -> list[dict[str, str]]:
    return [trainee(i) for i in range(5)]


# -------------------------------------------------------------------- the files
def failed_rows() -> list[dict[str, str]]:
    """The 2nd, 4th and 5th rows broken as in ``five_trainees_with_failed.csv``."""
    rows = [trainee(i, course=2) for i in range(5)]
    rows[1].update(first_names="", disability1="58", disability2="58", training_route="13", itt_aim="201",
                   itt_qualification_aim="001", degree_graduation_year="2004-01-01", degree_country="MX")
    rows[3].update(training_route="13", itt_aim="202", itt_qualification_aim="", itt_end_date="2023-07-03",
                   degree_subject="100184")
    rows[4].update(training_route="12")
    return rows


#: Register's CSV-page messages for the broken rows above (SPEC §9.1 ``failed_with_failed.csv``)
ROUTE_13 = ("training_route has invalid reference data value of '13'. Example values include '03', '09', '10', '11', "
            "'12', '14', '15', '16', '17', '18'...")
FAILED_MESSAGES = {
    1: ["first_names can't be blank",
        "degree_subject must be entered if specifying a previous UK degree or non-UK degree",
        "non_uk_degree must be entered if specifying a previous non-UK degree", ROUTE_13,
        "Trainee disabilities attributes contain duplicate values"],
    3: ["itt_end_date must be after ITT start date",
        "degree_graduation_year must be entered if specifying a previous UK degree or non-UK degree",
        "uk_degree must be entered if specifying a previous UK degree",
        "degree_grade must be entered if specifying a previous UK degree or non-UK degree",
        "itt_qualification_aim must be entered if 202 selected for itt_aim", ROUTE_13],
    4: ["UK degree type or Non-UK degree type must be entered if specifying a postgraduate training_route"],
}


def errors_file_text() -> str:
    """Register's errors file for ``failed_rows``: 51 columns (``iqts_country`` where Register puts it),
    then ``Validation results`` and ``Errors`` (SPEC §8.6)."""
    order = [n for n in NAMES if n != "iqts_country"]
    order.insert(order.index("additional_training_initiative") + 1, "iqts_country")
    out = io.StringIO(newline="")
    w = csv.writer(out, lineterminator="\n")
    w.writerow([*order, "Validation results", "Errors"])
    for i, r in enumerate(failed_rows()):
        messages = FAILED_MESSAGES.get(i, [])
        result = "Validation passed" if not messages else f"{len(messages)} error{'s' if len(messages) > 1 else ''} found"
        w.writerow([*(guarded(r)[h] for h in order), result, ";\n".join(messages)])
    return out.getvalue()


def three_errors_rows() -> list[dict[str, str]]:
    rows = [trainee(i) for i in range(5)]
    rows[0].update(date_of_birth="", itt_start_date="", course_subject_1="", itt_aim="203", itt_qualification_aim="21",
                   uk_degree="069", degree_subject="100184", degree_grade="999", degree_graduation_year="2030-10-10",
                   awarding_institution="0309")
    for i, qual in zip(range(1, 5), ["8", "32", "20", "21"], strict=True):
        rows[i].update(itt_qualification_aim=qual, study_mode="1")
    return rows


def degree_rows() -> list[dict[str, str]]:
    degrees = [
        {"uk_degree": "069", "degree_subject": "100184", "degree_grade": "05", "degree_graduation_year": "2010-08-01",
         "awarding_institution": "0309"},
        {"uk_degree": "216", "degree_subject": "100307", "degree_grade": "01", "degree_graduation_year": "2014-08-01",
         "awarding_institution": "0165"},
        {"uk_degree": "091", "degree_subject": "100425", "degree_grade": "02", "degree_graduation_year": "2019-07-15",
         "awarding_institution": "0003"},
        {"uk_degree": "097", "degree_subject": "100346", "degree_grade": "14", "degree_graduation_year": "2020-07-01",
         "awarding_institution": "0403"},
        {"non_uk_degree": "210", "degree_subject": "100152", "degree_grade": "05", "degree_graduation_year": "2001-07-01",
         "degree_country": "MX"},
    ]
    return [trainee(i, training_route="03", itt_aim="202", itt_qualification_aim="004", **degrees[i]) for i in range(5)]


def placement_rows(disabilities: bool = False) -> list[dict[str, str]]:
    rows = [trainee(i, placement_1_urn=urn) for i, urn in enumerate(["609384", "322601", "144873", "702215", "511190"])]
    rows[0].update(placement_2_urn="325900", placement_3_urn="894261")
    if disabilities:
        codes = ["57", "58", "59", "51", "54", "55", "56", "53", "96"]
        rows[0].update({f"disability{i}": c for i, c in enumerate(codes, start=1)})
    return rows


def unparseable_row() -> dict[str, str]:
    """One row whose values slid into the wrong columns (``five_trainees_with_unparseable_date.csv``)."""
    row = dict.fromkeys(NAMES, "")
    row.update(course_subject_1="64", course_subject_2="2024-10-01", course_subject_3="2025-07-30", study_mode="13917",
               itt_start_date="2024", course_year="2024-10-01", training_partner_urn="45535", employing_school_urn="2",
               trainee_start_date="6", funding_method="452210", training_initiative="059", placement_1_urn="101491",
               uk_degree="01", non_uk_degree="200", degree_subject="203")
    return row


def files() -> dict[str, bytes]:
    """Every file, by name, as bytes (Register's ``mixed_*`` files are not UTF-8)."""
    utf8 = {
        "empty_file_with_headers.csv": csv_text([]),
        "five_trainees.csv": csv_text(five()),
        "five_trainees_with_failed.csv": csv_text(failed_rows()),
        "failed_with_failed.csv": errors_file_text(),
        "five_trainees_with_three_errors.csv": csv_text(three_errors_rows()),
        "five_trainees_with_degree.csv": csv_text(degree_rows()),
        "five_trainees_with_placement.csv": csv_text(placement_rows()),
        "five_trainees_with_disability.csv": csv_text(placement_rows(disabilities=True)),
        "five_trainees_with_missing_column.csv": csv_text(five(), [n for n in NAMES if n not in ("hesa_id", "sex")]),
        "five_trainees_with_mixed_case_headers.csv": csv_text(five(), rename={"last_name": "LAST_NAME"}),
        "three_trainees_with_blank_rows.csv": csv_text([trainee(i) for i in range(3)], blank_between=True),
        "file_with_headers_and_blank_entries.csv": csv_text([], blank_after=5),
        "three_trainees_with_training_partners.csv": csv_text(
            [trainee(i, training_partner_urn=u) for i, u in enumerate(["133795", "135398", "133838"])]),
        "three_trainees_with_lead_partners.csv": csv_text(
            [trainee(i, training_partner_urn=u) for i, u in enumerate(["133795", "135398", "133838"])],
            rename={"training_partner_urn": "Lead Partner URN"}),
        "five_trainees_with_unparseable_date.csv": csv_text([unparseable_row()]),
    }
    out = {name: text.encode("utf-8") for name, text in utf8.items()}
    # the header "Ápplication ID" written in ISO-8859-1
    out["mixed_headers_encoding.csv"] = csv_text(five(), rename={"application_id": "Ápplication ID"}).encode("latin-1")
    # a surname with an ISO-8859-1 "é" in an otherwise ASCII file, and CR CR LF line ends
    rows = five()
    rows[1]["last_name"] = "Koélpin-Brontë"
    out["mixed_rows_encoding.csv"] = csv_text(rows).replace("\n", "\r\r\n").encode("latin-1")
    return out


def main() -> None:
    for name, data in files().items():
        (HERE / name).write_bytes(data)
    print(f"wrote {len(files())} files to {HERE}")


if __name__ == "__main__":
    main()
