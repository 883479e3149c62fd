"""What Register accepts but the app warns about (SPEC §5.14, §10.2), and URNs only Register can confirm (§5.8)."""

import numpy as np
import pytest

from desktop.validation.codelists import bundled_code_lists
from desktop.validation.findings import NO_ROW
from desktop.validation.packs import get_pack
from tests.helpers import TEMPLATE, TODAY, check_rows, columns, register_messages, valid_row


def only(findings, field):
    f = findings.frame
    return f[f["field"] == field]


@pytest.mark.parametrize(("field", "ok", "bad", "code"), [
    ("ni_number", "QQ123456C", "QQ 12 34 56 C", "cell.ni_number_format"),
    ("ni_number", "qq123456c", "QQ123456E", "cell.ni_number_format"),
    ("course_year", "3", "2024", "cell.course_year_range"),
    ("course_year", "0", "-1", "cell.course_year_range"),
    ("email", "a" * 68 + "@example.com", "a" * 69 + "@example.com", "cell.longer_than_guide"),
    ("email", "sian@example.com", "s.obrien@student.example.ac.uk", "cell.email_institutional"),
    ("email", "sian@example.com", "sian@college.edu", "cell.email_institutional"),
    ("previous_last_name", "a" * 60, "a" * 61, "cell.longer_than_guide"),
    ("application_id", "1234567", "A12345", "cell.application_id_digits"),
    ("hesa_id", "0310261553101", "031026155310X", "cell.hesa_id_digits"),
    ("pg_apprenticeship_start_date", "2026-09-01", "01/09/2026", "cell.date_ignored"),
])
def test_published_formats_are_warnings(field, ok, bad, code):
    assert only(check_rows(valid_row(**{field: ok})), field).empty
    f = check_rows(valid_row(**{field: bad}))
    found = only(f, field)
    assert list(found["code"]) == [code] and list(found["severity"]) == ["warning"]
    assert f.error_count == 0


@pytest.mark.parametrize("field", ["training_partner_urn", "employing_school_urn"])
@pytest.mark.parametrize("value", ["900000", "900010", "900020", "900030", ""])
def test_special_or_blank_urns_are_fine_and_need_no_lookup(field, value):
    f = check_rows(valid_row(**{field: value}))
    assert len(f) == 0


@pytest.mark.parametrize(("field", "message"), [
    ("training_partner_urn", "training_partner_urn is invalid. The URN '{}' does not match any known training partners"),
    ("employing_school_urn", "employing_school_id is invalid. The URN '{}' does not match any known schools"),
])
@pytest.mark.parametrize("value", ["45535", "1337950", "URN133795", "13379S"])
def test_urn_that_cannot_be_a_urn_is_an_error(field, message, value):
    f = check_rows(valid_row(**{field: value}))
    cell = only(f, field)
    assert list(cell["code"]) == ["cell.urn_format"] and list(cell["severity"]) == ["error"]
    assert message.format(value) in register_messages(f)


def test_wellformed_urns_get_one_file_level_info_per_field():
    rows = [valid_row(training_partner_urn="133795", employing_school_urn="115795",
                      first_names=n, email=f"{i}@example.com") for i, n in enumerate(["Aoife", "Dafydd", "Zoë"])]
    rows.append(valid_row(training_partner_urn="135398", first_names="Olu", email="olu@example.com"))
    f = check_rows(*rows).frame
    infos = f[f["code"] == "file.urns_unconfirmed"]
    assert len(infos) == 2 and set(infos["row"]) == {NO_ROW} and set(infos["severity"]) == {"info"}
    partner = infos[infos["field"] == "training_partner_urn"].iloc[0]
    assert partner["message"].startswith("4 rows name a training partner by URN (2 different URNs)")
    school = infos[infos["field"] == "employing_school_urn"].iloc[0]
    assert school["message"].startswith("3 rows name an employing school by URN (1 different URN)")


def test_urn_summary_follows_edits_without_rescanning():
    pack = get_pack()
    ctx = pack.context(TEMPLATE, bundled_code_lists(), TODAY)
    rows = [valid_row(first_names=n, email=f"{n}@example.com") for n in ["Aoife", "Dafydd", "Zoë"]]
    cols = columns(*rows)
    findings = pack.validate(cols, ctx)
    assert "file.urns_unconfirmed" not in set(findings.frame["code"])
    for i, value in enumerate(["133795", "133795"]):
        cols["training_partner_urn"][i] = value
        cols.invalidate()
        findings = pack.revalidate_rows(findings, cols, ctx, np.array([i]))
    infos = findings.frame[findings.frame["code"] == "file.urns_unconfirmed"]
    assert len(infos) == 1 and infos.iloc[0]["message"].startswith("2 rows name a training partner by URN (1 different URN)")
    cols["training_partner_urn"][0] = ""
    cols["training_partner_urn"][1] = "900010"
    cols.invalidate()
    findings = pack.revalidate_rows(findings, cols, ctx, np.array([0, 1]))
    assert "file.urns_unconfirmed" not in set(findings.frame["code"])
