"""Write the realistic messy provider exports in this folder, and what a person would map them to.

Run ``python -m tests.data.exports.generate`` from the repository root to rewrite them. Every row
starts as a synthetic trainee Register accepts (``desktop.core.synthetic``, never real people) and
is then written the way a student record system would: its own headers, labels instead of codes,
UK dates, codes that a spreadsheet turned into numbers, Windows-1252, Excel date cells.
``expected.json`` holds, per file, the column each template field should come from (decided
here, from the style tables, never by running the mapper) and what ``check`` must report.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Callable
from pathlib import Path

from desktop.core import synthetic
from desktop.validation.codelists import bundled_code_lists

HERE = Path(__file__).parent
TODAY = dt.date(2026, 11, 28)
LISTS = bundled_code_lists()

Row = dict[str, str]
Column = tuple[str, str | None, Callable[[Row], object]]  # (header, template field or None, cell)


def _rows(n: int, seed: int, *, cp1252: bool = False, uk_degrees_only: bool = False) -> list[Row]:
    rows = []
    for r in synthetic.rows(n * 3, seed=seed, defect_share=0, today=TODAY):
        if uk_degrees_only and r["non_uk_degree"]:
            continue  # HESA's one DEGTYPE field holds UK and non-UK types alike; the template splits them
        if cp1252:
            try:
                (r["first_names"] + r["last_name"] + r["previous_last_name"]).encode("cp1252")
            except UnicodeEncodeError:
                continue
        rows.append(r)
        if len(rows) == n:
            break
    return rows


def _uk(iso: str, sep: str = "/", two_digit_year: bool = False) -> str:
    if not iso:
        return ""
    y, m, d = iso.split("-")
    return f"{d}{sep}{m}{sep}{y[2:] if two_digit_year else y}"


def _mon(iso: str) -> str:
    if not iso:
        return ""
    d = dt.date.fromisoformat(iso)
    return f"{d.day:02d}-{d:%b}-{d.year}"


def _label(list_name: str, code: str) -> str:
    return LISTS[list_name].label(code) if code else ""


def _unique_label(list_name: str, code: str) -> str:
    """The list's label when it names only this code, else the code itself."""
    if not code:
        return ""
    lab = LISTS[list_name].label(code)
    same = [e.code for e in LISTS[list_name].entries if e.label.casefold() == lab.casefold()]
    return lab if same == [code] else code


SEX = {"10": "Female", "11": "Male", "12": "Other", "96": "Prefer not to say"}
AGES = {"13914": "5-11", "13918": "11 - 16", "13919": "11-19", "13920": "0-5"}
QUAL = {"020": "PGCE", "021": "PGDE", "004": "BSc (Hons)", "008": "BA (Hons)", "001": "BEd"}
FUNDING = {"6": "None", "D": "Postgraduate bursary", "4": "Scholarship", "E": "Grant", "B": "Undergraduate bursary"}
DEGREE = {"083": "BSc (Hons)", "051": "BA (Hons)", "002": "Bachelor of Education (Hons)"}
GRADE = {"01": "First", "02": "2:1", "03": "2:2"}
ETHNIC = {"160": "White - British"}


def _disability_cell(r: Row) -> str:
    d1, d2 = r["disability1"], r["disability2"]
    if d1 == "95":
        return "No known disability"
    if d1 and d2:
        return f"{d1};{d2}" if int(d1) % 2 else f"{_label('disability', d1)}, {_label('disability', d2)}"
    return _label("disability", d1)


def _number(code: str) -> str:
    """What a spreadsheet shows for a code it took for a number."""
    return str(int(code)) if code.isdigit() else code


SITS: list[Column] = [
    ("Student Number", "provider_trainee_id", lambda r: r["provider_trainee_id"]),
    ("Application Number", "application_id", lambda r: r["application_id"]),
    ("HUSID", "hesa_id", lambda r: r["hesa_id"]),
    ("Forename(s)", "first_names", lambda r: r["first_names"]),
    ("Surname", "last_name", lambda r: r["last_name"]),
    ("Previous Surname", "previous_last_name", lambda r: r["previous_last_name"]),
    ("DOB", "date_of_birth", lambda r: _uk(r["date_of_birth"])),
    ("NI Number", "ni_number", lambda r: r["ni_number"]),
    ("Gender", "sex", lambda r: SEX[r["sex"]]),
    ("Personal Email", "email", lambda r: r["email"]),
    ("Nationality", "nationality", lambda r: _label("nationality", r["nationality"])),
    ("Ethnicity", "ethnicity", lambda r: ETHNIC.get(r["ethnicity"]) or _label("ethnicity", r["ethnicity"])),
    ("Disability", "disability1", _disability_cell),
    ("ITT Aim", "itt_aim", lambda r: _label("itt_aim", r["itt_aim"])),
    ("Route", "training_route", lambda r: _label("training_route", r["training_route"])),
    ("Qualification Aim", "itt_qualification_aim", lambda r: QUAL[r["itt_qualification_aim"]]),
    ("Subject", "course_subject_1", lambda r: _label("course_subject", r["course_subject_1"])),
    ("Mode of Study", "study_mode", lambda r: "Full time" if r["study_mode"] == "01" else "Part time"),
    ("Course Start Date", "itt_start_date", lambda r: _uk(r["itt_start_date"])),
    ("Expected End Date", "itt_end_date", lambda r: _uk(r["itt_end_date"])),
    ("Age Range", "course_age_range", lambda r: AGES[r["course_age_range"]]),
    ("Year of Course", "course_year", lambda r: r["course_year"]),
    ("Trainee Start Date", "trainee_start_date", lambda r: _uk(r["trainee_start_date"])),
    ("Student Finance Eligible", "fund_code", lambda r: "Yes" if r["fund_code"] == "7" else "No"),
    ("Bursary", "funding_method", lambda r: FUNDING[r["funding_method"]]),
    ("Placement School 1 URN", "placement_1_urn", lambda r: r["placement_1_urn"]),
    ("Degree Type", "uk_degree", lambda r: DEGREE.get(r["uk_degree"], r["uk_degree"])),
    ("Overseas Degree Type", "non_uk_degree", lambda r: _label("degree_type", r["non_uk_degree"])),
    ("Degree Subject", "degree_subject", lambda r: _unique_label("degree_subject", r["degree_subject"])),
    ("Degree Class", "degree_grade", lambda r: GRADE.get(r["degree_grade"], r["degree_grade"])),
    ("Graduation Year", "degree_graduation_year", lambda r: r["degree_graduation_year"]),
    ("Awarding Institution", "awarding_institution", lambda r: _unique_label("institution", r["awarding_institution"])),
    ("Degree Country", "degree_country", lambda r: _label("country", r["degree_country"])),
    ("Notes", None, lambda r: "Deferred from 2025/26" if r["provider_trainee_id"].endswith("7") else ""),
]

HESA: list[Column] = [
    ("OWNSTU", "provider_trainee_id", lambda r: r["provider_trainee_id"]),
    ("HUSID", "hesa_id", lambda r: r["hesa_id"]),
    ("FNAMES", "first_names", lambda r: r["first_names"]),
    ("SURNAME", "last_name", lambda r: r["last_name"]),
    ("PSURNAME", "previous_last_name", lambda r: r["previous_last_name"]),
    ("BIRTHDTE", "date_of_birth", lambda r: _mon(r["date_of_birth"])),
    ("NIN", "ni_number", lambda r: r["ni_number"]),
    ("SEXID", "sex", lambda r: r["sex"]),
    ("NQTEMAIL", "email", lambda r: r["email"]),
    ("NATION", "nationality", lambda r: r["nationality"].lower()),
    ("ETHNIC", "ethnicity", lambda r: r["ethnicity"]),
    ("DISABLE1", "disability1", lambda r: r["disability1"]),
    ("DISABLE2", "disability2", lambda r: r["disability2"]),
    ("ITTAIM", "itt_aim", lambda r: r["itt_aim"]),
    ("ENTRYRTE", "training_route", lambda r: _number(r["training_route"])),
    ("QLAIM", "itt_qualification_aim", lambda r: _number(r["itt_qualification_aim"])),
    ("SBJCA1", "course_subject_1", lambda r: r["course_subject_1"]),
    ("SBJCA2", "course_subject_2", lambda r: r["course_subject_2"]),
    ("MODE", "study_mode", lambda r: _number(r["study_mode"])),
    ("ITTSTARTDATE", "itt_start_date", lambda r: _uk(r["itt_start_date"], ".", two_digit_year=True)),
    ("EXPECTEDENDDATE", "itt_end_date", lambda r: _uk(r["itt_end_date"], ".", two_digit_year=True)),
    ("TRAINEESTARTDATE", "trainee_start_date", lambda r: _uk(r["trainee_start_date"], ".", two_digit_year=True)),
    ("ITTPHSC", "course_age_range", lambda r: r["course_age_range"]),
    ("YEARPRG", "course_year", lambda r: r["course_year"]),
    ("FUNDCODE", "fund_code", lambda r: r["fund_code"]),
    ("BURSLEV", "funding_method", lambda r: r["funding_method"]),
    ("PLMNTSCH", "placement_1_urn", lambda r: r["placement_1_urn"]),
    ("DEGTYPE", "uk_degree", lambda r: _number(r["uk_degree"])),
    ("DEGSBJ", "degree_subject", lambda r: r["degree_subject"]),
    ("DEGCLSS", "degree_grade", lambda r: _number(r["degree_grade"])),
    ("DEGENDDT", "degree_graduation_year", lambda r: r["degree_graduation_year"]),
    ("DEGEST", "awarding_institution", lambda r: _number(r["awarding_institution"])),
    ("DEGCTRY", "degree_country", lambda r: r["degree_country"]),
]

# a careful export to XLSX: real date cells, codes stored as numbers, IDs as text
XLSX: list[Column] = [
    ("Provider trainee ID", "provider_trainee_id", lambda r: r["provider_trainee_id"]),
    ("Application ID", "application_id", lambda r: int(r["application_id"]) if r["application_id"] else None),
    ("HESA ID", "hesa_id", lambda r: r["hesa_id"]),
    ("First Name", "first_names", lambda r: r["first_names"]),
    ("Last Name", "last_name", lambda r: r["last_name"]),
    ("Date of Birth", "date_of_birth", lambda r: dt.datetime.fromisoformat(r["date_of_birth"])),
    ("NI number", "ni_number", lambda r: r["ni_number"]),
    ("Sex", "sex", lambda r: int(r["sex"])),
    ("E-mail address", "email", lambda r: r["email"]),
    ("Nationality", "nationality", lambda r: r["nationality"]),
    ("Ethnicity", "ethnicity", lambda r: int(r["ethnicity"])),
    ("Disability 1", "disability1", lambda r: int(r["disability1"]) if r["disability1"] else None),
    ("Disability 2", "disability2", lambda r: int(r["disability2"]) if r["disability2"] else None),
    ("ITT aim", "itt_aim", lambda r: int(r["itt_aim"])),
    ("Training route", "training_route", lambda r: int(r["training_route"])),
    ("ITT qualification aim", "itt_qualification_aim", lambda r: int(r["itt_qualification_aim"])),
    ("Course subject 1", "course_subject_1", lambda r: int(r["course_subject_1"])),
    ("Study mode", "study_mode", lambda r: int(r["study_mode"])),
    ("ITT start date", "itt_start_date", lambda r: dt.datetime.fromisoformat(r["itt_start_date"])),
    ("ITT end date", "itt_end_date", lambda r: dt.datetime.fromisoformat(r["itt_end_date"])),
    ("Trainee start date", "trainee_start_date",
     lambda r: dt.datetime.fromisoformat(r["trainee_start_date"]) if r["trainee_start_date"] else None),
    ("Course age range", "course_age_range", lambda r: int(r["course_age_range"])),
    ("Course year", "course_year", lambda r: float(r["course_year"])),
    ("Fund code", "fund_code", lambda r: int(r["fund_code"])),
    ("Funding method", "funding_method", lambda r: int(r["funding_method"]) if r["funding_method"].isdigit() else r["funding_method"]),
    ("Placement 1 URN", "placement_1_urn", lambda r: int(r["placement_1_urn"]) if r["placement_1_urn"] else None),
    ("UK degree type", "uk_degree", lambda r: int(r["uk_degree"]) if r["uk_degree"] else None),
    ("Non-UK degree type", "non_uk_degree", lambda r: int(r["non_uk_degree"]) if r["non_uk_degree"] else None),
    ("Degree subject", "degree_subject", lambda r: int(r["degree_subject"]) if r["degree_subject"] else None),
    ("Degree grade", "degree_grade", lambda r: int(r["degree_grade"]) if r["degree_grade"] else None),
    ("Degree graduation year", "degree_graduation_year",
     lambda r: int(r["degree_graduation_year"]) if r["degree_graduation_year"] else None),
    ("Awarding institution", "awarding_institution",
     lambda r: int(r["awarding_institution"]) if r["awarding_institution"] else None),
    ("Degree country", "degree_country", lambda r: r["degree_country"]),
]

# Register's own earlier (v2026.0) template headers, filled the way Register's sample files are
OLD_TEMPLATE_HEADERS = [
    ("Provider Trainee ID", "provider_trainee_id"), ("Application ID", "application_id"), ("HESA ID", "hesa_id"),
    ("First Names", "first_names"), ("Last Name", "last_name"), ("Previous Last Name", "previous_last_name"),
    ("Date of Birth", "date_of_birth"), ("NI Number", "ni_number"), ("Sex", "sex"), ("Email", "email"),
    ("Nationality", "nationality"), ("Ethnicity", "ethnicity"),
    *((f"Disability {i}", f"disability{i}") for i in range(1, 10)),
    ("ITT Aim", "itt_aim"), ("Training Route", "training_route"), ("Qualification Aim", "itt_qualification_aim"),
    ("Course Subject One", "course_subject_1"), ("Course Subject Two", "course_subject_2"),
    ("Course Subject Three", "course_subject_3"), ("Study Mode", "study_mode"), ("ITT Start Date", "itt_start_date"),
    ("ITT End Date", "itt_end_date"), ("Course Age Range", "course_age_range"), ("Course Year", "course_year"),
    ("Lead Partner URN", "training_partner_urn"), ("Employing School URN", "employing_school_urn"),
    ("Trainee Start Date", "trainee_start_date"), ("PG Apprenticeship Start Date", "pg_apprenticeship_start_date"),
    ("Fund Code", "fund_code"), ("Funding Method", "funding_method"), ("Training Initiative", "training_initiative"),
    ("Additional Training Initiative", "additional_training_initiative"),
    ("Placement 1 URN", "placement_1_urn"), ("Placement 2 URN", "placement_2_urn"), ("Placement 3 URN", "placement_3_urn"),
    ("UK Degree Type", "uk_degree"), ("Non-UK Degree Type", "non_uk_degree"), ("Degree Subject", "degree_subject"),
    ("Degree Grade", "degree_grade"), ("Degree Graduation Year", "degree_graduation_year"),
    ("Awarding Institution", "awarding_institution"), ("Degree Country", "degree_country"),
]
_GUARDED = {"hesa_id", "date_of_birth", "sex", "ethnicity", "itt_aim", "training_route", "itt_qualification_aim",
            "course_subject_1", "study_mode", "itt_start_date", "itt_end_date", "course_age_range", "fund_code",
            "funding_method", "uk_degree", "degree_subject", "degree_grade", "awarding_institution"}
OLD: list[Column] = [
    (h, f, (lambda r, f=f: ("'" + r[f]) if r[f] and (f in _GUARDED or f.startswith("disability")) else r[f]))
    for h, f in OLD_TEMPLATE_HEADERS
]

# a student record system whose report calls the degree class "Class" and writes grades as people
# do ("2:1", "Upper second", "First"), among columns Register does not want (issue 15)
CLASS_GRADES = {"01": ("First", "1st", "First class honours"), "02": ("2:1", "Upper second", "2.1"),
                "03": ("2:2", "Lower second", "2:2")}


def _class_cell(r: Row) -> str:
    options = CLASS_GRADES.get(r["degree_grade"])
    if not options:
        return r["degree_grade"]
    return options[int(r["hesa_id"][-1]) % len(options)]


RECORDS: list[Column] = [
    ("Student ID", "provider_trainee_id", lambda r: r["provider_trainee_id"]),
    ("HESA Unique Student ID", "hesa_id", lambda r: r["hesa_id"]),
    ("Title", None, lambda r: "Mx" if r["sex"] == "12" else ("Ms" if r["sex"] == "10" else "Mr")),
    ("Forename", "first_names", lambda r: r["first_names"]),
    ("Family Name", "last_name", lambda r: r["last_name"]),
    ("Preferred Name", None, lambda r: r["first_names"].split()[0]),
    ("Date of Birth", "date_of_birth", lambda r: _uk(r["date_of_birth"])),
    ("Legal Sex", "sex", lambda r: SEX[r["sex"]]),
    ("Email", "email", lambda r: r["email"]),
    ("Term-time Postcode", None, lambda r: "CF10 3AT"),
    ("Nationality", "nationality", lambda r: _label("nationality", r["nationality"])),
    ("Ethnic Origin", "ethnicity", lambda r: ETHNIC.get(r["ethnicity"]) or _label("ethnicity", r["ethnicity"])),
    ("Disability", "disability1", _disability_cell),
    ("Fee Status", None, lambda r: "Home"),
    ("Programme Code", None, lambda r: "PGCE-" + r["course_subject_1"][-3:]),
    ("Programme", "training_route", lambda r: _label("training_route", r["training_route"])),
    ("Award", "itt_qualification_aim", lambda r: QUAL[r["itt_qualification_aim"]]),
    ("ITT Aim", "itt_aim", lambda r: _label("itt_aim", r["itt_aim"])),
    ("Subject", "course_subject_1", lambda r: _label("course_subject", r["course_subject_1"])),
    ("Mode", "study_mode", lambda r: "Full time" if r["study_mode"] == "01" else "Part time"),
    ("Start Date", "itt_start_date", lambda r: _uk(r["itt_start_date"])),
    ("Expected End Date", "itt_end_date", lambda r: _uk(r["itt_end_date"])),
    ("Age Range", "course_age_range", lambda r: AGES[r["course_age_range"]]),
    ("Year of Programme", "course_year", lambda r: r["course_year"]),
    ("Enrolment Status", None, lambda r: "Enrolled"),
    ("Personal Tutor", None, lambda r: "Dr Gwen Pryce"),
    ("Campus", None, lambda r: "Cathays"),
    ("Student Finance Eligible", "fund_code", lambda r: "Yes" if r["fund_code"] == "7" else "No"),
    ("Bursary", "funding_method", lambda r: FUNDING[r["funding_method"]]),
    ("Placement School URN", "placement_1_urn", lambda r: r["placement_1_urn"]),
    ("Degree", "uk_degree", lambda r: DEGREE.get(r["uk_degree"], r["uk_degree"])),
    ("Degree Subject", "degree_subject", lambda r: _unique_label("degree_subject", r["degree_subject"])),
    ("Class", "degree_grade", _class_cell),
    ("Graduation Year", "degree_graduation_year", lambda r: r["degree_graduation_year"]),
    ("University", "awarding_institution", lambda r: _unique_label("institution", r["awarding_institution"])),
    ("Entry Qualifications Checked", None, lambda r: "Yes"),
    ("DBS Status", None, lambda r: "Clear"),
    ("Interview Date", None, lambda r: "14/03/2026"),
    ("Offer Made", None, lambda r: "Yes"),
    ("Last Updated", None, lambda r: "27/11/2026 16:42"),
    ("Notes", None, lambda r: ""),
]

# headers that say little, and two columns that both look like the surname
AMBIGUOUS: list[Column] = [
    ("Ref", "hesa_id", lambda r: r["hesa_id"]),
    ("Surname", "last_name", lambda r: r["last_name"]),
    ("Family name", None, lambda r: r["last_name"].upper()),
    ("Forenames", "first_names", lambda r: r["first_names"]),
    ("Birth", "date_of_birth", lambda r: _uk(r["date_of_birth"])),
    ("Contact", "email", lambda r: r["email"]),
    ("Sx", "sex", lambda r: SEX[r["sex"]]),
]


def _csv_text(columns: list[Column], rows: list[Row], delimiter: str = ",") -> str:
    out = io.StringIO()
    w = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    w.writerow([h for h, _, _ in columns])
    for r in rows:
        w.writerow(["" if (v := cell(r)) is None else str(v) for _, _, cell in columns])
    return out.getvalue()


def _xlsx(path: Path, columns: list[Column], rows: list[Row]) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Trainees 2026-27"
    ws.append([h for h, _, _ in columns])
    for r in rows:
        ws.append([cell(r) for _, _, cell in columns])
    for col in ws.iter_cols(min_row=2):
        for c in col:
            if isinstance(c.value, dt.datetime):
                c.number_format = "DD/MM/YYYY"
    fixed = dt.datetime(2026, 11, 1, 9, 0, 0)
    wb.properties.created = fixed
    wb.properties.modified = fixed
    wb.properties.creator = "Register Desktop test data"
    wb.save(path)


FILES: dict[str, dict[str, object]] = {
    "sits-labels.csv": {"columns": SITS, "seed": 11, "rows": 24, "encoding": "utf-8-sig"},
    "hesa-fields-cp1252.csv": {"columns": HESA, "seed": 12, "rows": 24, "encoding": "cp1252", "delimiter": ";"},
    "student-records.xlsx": {"columns": XLSX, "seed": 13, "rows": 24},
    "old-register-template.csv": {"columns": OLD, "seed": 14, "rows": 12, "encoding": "utf-8"},
    "ambiguous-headers.csv": {"columns": AMBIGUOUS, "seed": 15, "rows": 10, "encoding": "utf-8"},
    "class-column.csv": {"columns": RECORDS, "seed": 16, "rows": 20, "encoding": "utf-8", "uk_degrees_only": True},
}


def write_all(folder: Path = HERE) -> dict[str, dict[str, object]]:
    expected: dict[str, dict[str, object]] = {}
    for name, spec in FILES.items():
        columns = spec["columns"]
        assert isinstance(columns, list)
        rows = _rows(int(spec["rows"]), int(spec["seed"]), cp1252=spec.get("encoding") == "cp1252",  # type: ignore[call-overload]
                     uk_degrees_only=columns is HESA or bool(spec.get("uk_degrees_only")))
        path = folder / name
        if name.endswith(".xlsx"):
            _xlsx(path, columns, rows)
        else:
            text = _csv_text(columns, rows, str(spec.get("delimiter", ",")))
            path.write_bytes(text.encode(str(spec["encoding"])))
        expected[name] = {
            "rows": len(rows),
            "mapping": {f: h for h, f, _ in columns if f is not None},
            "unmapped": [h for h, f, _ in columns if f is None],
        }
    (folder / "expected.json").write_text(json.dumps(expected, indent=1) + "\n", "utf-8")
    return expected


if __name__ == "__main__":
    write_all()
