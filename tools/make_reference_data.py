"""Regenerate the project's reference data from Register's published files.

A developer tool, not shipped and not run by CI: it reads Register's YAML code lists and
field guide (``../shared/register``) and writes the project's own format under
``desktop/resources/``: one CSV per code list (``code,label,name,start_year,end_year``) plus an
``index.json`` with the version, date and which template fields each list serves; and the
template JSON (51 fields with kinds, lengths, requirements and HESA alignment).

Usage: python tools/make_reference_data.py ../shared/register
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import yaml

VERSION = "v2026.1"
ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "desktop" / "resources" / "reference" / VERSION

# list name (ours) -> (source file, template fields it serves)
LISTS: dict[str, tuple[str, list[str]]] = {
    "sex": ("sex.yml", ["sex"]),
    "nationality": ("nationality.yml", ["nationality"]),
    "ethnicity": ("ethnicities.yml", ["ethnicity"]),
    "disability": ("disability.yml", [f"disability{i}" for i in range(1, 10)]),
    "itt_aim": ("itt_aim.yml", ["itt_aim"]),
    "training_route": ("training_route.yml", ["training_route"]),
    "itt_qualification_aim": ("itt_qualification_aim.yml", ["itt_qualification_aim"]),
    "course_subject": ("course_subject.yml", ["course_subject_1", "course_subject_2", "course_subject_3"]),
    "study_mode": ("study_mode.yml", ["study_mode"]),
    "course_age_range": ("course_age_range.yml", ["course_age_range"]),
    "fund_code": ("fund_code.yml", ["fund_code"]),
    "funding_method": ("funding_method.yml", ["funding_method"]),
    "training_initiative": ("training_initiative.yml", ["training_initiative", "additional_training_initiative"]),
    "country": ("country.yml", ["iqts_country", "degree_country"]),
    "degree_type": ("degree_type.yml", ["uk_degree", "non_uk_degree"]),
    "degree_subject": ("degree_subject.yml", ["degree_subject"]),
    "degree_grade": ("degree_grade.yml", ["degree_grade"]),
    "institution": ("institution.yml", ["awarding_institution"]),
}


def write_lists(src: Path) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    index: dict[str, object] = {"version": VERSION, "source": "bundled", "lists": {}}
    newest = ""
    for name, (filename, fields) in LISTS.items():
        doc = yaml.safe_load((src / "reference_data" / filename).read_text("utf-8"))
        meta = doc["metadata"]
        dates = [c["date"] for c in meta.get("change_log", [])]
        newest = max([newest, *dates])
        rows = []
        for entry in doc["data"]:
            label = entry.get("display_name") or entry.get("name") or ""
            aliases = entry.get("aliases") or []
            for code in entry.get("hesa_codes") or []:
                rows.append({
                    "code": str(code),
                    "label": str(label),
                    "name": str(entry.get("name") or ""),
                    "aliases": "|".join(str(a) for a in aliases),
                    "start_year": entry.get("start_year") or "",
                    "end_year": entry.get("end_year") or "",
                })
        rows.sort(key=lambda r: r["code"])
        with (OUT / f"{name}.csv").open("w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, ["code", "label", "name", "aliases", "start_year", "end_year"], lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
        index["lists"][name] = {  # type: ignore[index]
            "title": meta.get("display_name") or name,
            "fields": fields,
            "updated": dates[-1] if dates else "",
        }
    index["date"] = newest
    (OUT / "index.json").write_text(json.dumps(index, indent=2) + "\n", "utf-8")


def main() -> None:
    src = Path(sys.argv[1] if len(sys.argv) > 1 else ROOT.parent / "shared" / "register")
    write_lists(src)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
