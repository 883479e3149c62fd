"""Write the tiny hostile workbooks of issue 12 (and issue 8) into this folder: regression inputs and fuzz seeds.

    python tests/data/hostile/generate.py

Each file asks the workbook reader (calamine) for far more memory than its size suggests: a cell
reference far away written in a way the old pattern-matching guard did not see (lower case,
single quotes, a tab, spaces around '=', another attribute first, a namespace prefix, a character
reference), a far dimension, rows or cells without references, a repeat count in single quotes,
through a character reference or with spaces around '=', a 'text:s' asking for a billion spaces.
``HOSTILE`` lists them with what they would ask for; tests/integration/test_hostile_limits.py
checks each is refused in bounded time and memory.
"""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
HEADER = ["provider_trainee_id", "first_names", "last_name", "date_of_birth", "sex"]


def _xlsx(path: Path, sheet: str, *, shared: str | None = None, sheet_name: str = "xl/worksheets/sheet1.xml",
          target: str = "worksheets/sheet1.xml") -> Path:
    types = ('<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
             'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
             'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override '
             'PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.'
             'sheet.main+xml"/></Types>')
    rels = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
            '2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
            'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
    workbook = (f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN}" xmlns:r="{REL}"><sheets>'
                '<sheet name="Trainees" sheetId="1" r:id="rId1"/></sheets></workbook>')
    wb_rels = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
               'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
               f'officeDocument/2006/relationships/worksheet" Target="{target}"/></Relationships>')
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", types)
        z.writestr("_rels/.rels", rels)
        z.writestr("xl/workbook.xml", workbook)
        z.writestr("xl/_rels/workbook.xml.rels", wb_rels)
        z.writestr(sheet_name, sheet)
        if shared is not None:
            z.writestr("xl/sharedStrings.xml", shared)
    return path


def _header_row(prefix: str = "") -> str:
    cells = "".join(f'<{prefix}c r="{chr(65 + i)}1" t="inlineStr"><{prefix}is><{prefix}t>{h}</{prefix}t></{prefix}is>'
                    f'</{prefix}c>' for i, h in enumerate(HEADER))
    return f'<{prefix}row r="1">{cells}</{prefix}row>'


def _sheet(rows: str, *, head: str = "", prefix: str = "", xmlns: str = "") -> str:
    ns = xmlns or f'xmlns="{MAIN}"'
    return (f'<?xml version="1.0" encoding="UTF-8"?><{prefix}worksheet {ns}>{head}<{prefix}sheetData>'
            f"{_header_row(prefix)}{rows}</{prefix}sheetData></{prefix}worksheet>")


def _far(cell: str) -> str:
    return f'<row r="1048576">{cell}</row>'


def _ods(path: Path, rows: str) -> Path:
    content = ('<?xml version="1.0" encoding="UTF-8"?><office:document-content '
               'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
               'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
               'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.3"><office:body>'
               '<office:spreadsheet><table:table table:name="Trainees"><table:table-row>'
               + "".join(f'<table:table-cell office:value-type="string"><text:p>{h}</text:p></table:table-cell>'
                         for h in HEADER)
               + f"</table:table-row>{rows}</table:table></office:spreadsheet></office:body></office:document-content>")
    manifest = ('<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
                'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.3">'
                '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.'
                'spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
                "</manifest:manifest>")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet", compress_type=zipfile.ZIP_STORED)
        z.writestr("META-INF/manifest.xml", manifest)
        z.writestr("content.xml", content)
    return path


def _cell(value: str = "1", attrs: str = "") -> str:
    return f'<table:table-cell office:value-type="float" office:value="{value}"{attrs}><text:p>{value}</text:p></table:table-cell>'


#: file name -> (what it holds, how to write it)
HOSTILE = {
    "xlsx-lowercase-far-ref.xlsx": ("a value at xfd1048576, in lower case", lambda p: _xlsx(p, _sheet(_far(
        '<c r="xfd1048576"><v>1</v></c>')))),
    "xlsx-single-quoted-far-ref.xlsx": ("a value at XFD1048576, the reference in single quotes", lambda p: _xlsx(p, _sheet(
        _far("<c r='XFD1048576'><v>1</v></c>")))),
    "xlsx-tab-before-far-ref.xlsx": ("a value at XFD1048576, a tab before r=", lambda p: _xlsx(p, _sheet(_far(
        '<c\tr="XFD1048576"><v>1</v></c>')))),
    "xlsx-spaced-far-ref.xlsx": ("a value at XFD1048576, written r = \"...\" across lines", lambda p: _xlsx(p, _sheet(_far(
        '<c\nr\n=\n"XFD1048576"><v>1</v></c>')))),
    "xlsx-far-ref-after-type.xlsx": ("a value at XFD1048576, r= after t=", lambda p: _xlsx(p, _sheet(_far(
        '<c t="n" r="XFD1048576"><v>1</v></c>')))),
    "xlsx-prefixed-far-ref.xlsx": ("a value at XFD1048576 in a namespace-prefixed sheet", lambda p: _xlsx(p, _sheet(
        '<x:row r="1048576"><x:c r="XFD1048576"><x:v>1</x:v></x:c></x:row>', prefix="x:",
        xmlns=f'xmlns:x="{MAIN}"'))),
    "xlsx-char-ref-far-ref.xlsx": ("a reference spelt with a character reference (&#88;FD1048576)", lambda p: _xlsx(
        p, _sheet(_far('<c r="&#88;FD1048576"><v>1</v></c>')))),
    "xlsx-far-dimension.xlsx": ("a dimension claiming A1:XFD1048576", lambda p: _xlsx(p, _sheet(
        "", head='<dimension ref="A1:XFD1048576"/>'))),
    "xlsx-far-row-without-refs.xlsx": ("a row at 1,048,576 whose cell has no reference", lambda p: _xlsx(p, _sheet(
        '<row r="1048576"><c><v>1</v></c></row>'))),
    "xlsx-wide-row-without-refs.xlsx": ("one row of 17,000 cells without references", lambda p: _xlsx(p, _sheet(
        "<row>" + "<c><v>1</v></c>" * 17_000 + "</row>"))),
    "xlsx-odd-sheet-name.xlsx": ("XFD1048576 in a sheet stored as xl/WORKSHEETS/Data.XML", lambda p: _xlsx(
        p, _sheet(_far("<c r='XFD1048576'><v>1</v></c>")), sheet_name="xl/WORKSHEETS/Data.XML",
        target="worksheets/data.xml")),
    "xlsx-shared-strings-count.xlsx": ("shared strings claiming 4,000,000,000 entries", lambda p: _xlsx(
        p, _sheet('<row r="2"><c r="A2" t="s"><v>0</v></c></row>'),
        shared=f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN}" count="4000000000" '
               'uniqueCount="4000000000"><si><t>x</t></si></sst>')),
    "ods-single-quoted-repeated-rows.ods": ("a row repeated '2000000' times (single quotes)", lambda p: _ods(
        p, "<table:table-row table:number-rows-repeated='2000000'>" + _cell() + "</table:table-row>")),
    "ods-single-quoted-repeated-columns.ods": ("a cell repeated '30000' times in rows repeated '1000' times", lambda p: _ods(
        p, "<table:table-row table:number-rows-repeated='1000'>" + _cell(attrs=" table:number-columns-repeated='30000'")
        + "</table:table-row>")),
    "ods-char-ref-repeated-rows.ods": ("a row repeated &#50;000000 times (a character reference)", lambda p: _ods(
        p, '<table:table-row table:number-rows-repeated="&#50;000000">' + _cell() + "</table:table-row>")),
    "ods-spaced-repeated-rows.ods": ("a row repeated = \"2000000\" times, spaces and a tab around '='", lambda p: _ods(
        p, '<table:table-row table:number-rows-repeated \t= "2000000">' + _cell() + "</table:table-row>")),
    "ods-empty-rows-between.ods": ("2,000,000 empty rows between two rows with values", lambda p: _ods(
        p, "<table:table-row>" + _cell() + "</table:table-row>"
        + '<table:table-row table:number-rows-repeated="2000000"><table:table-cell/></table:table-row>'
        + "<table:table-row>" + _cell() + "</table:table-row>")),
    "ods-text-spaces.ods": ("a cell asking for 1,000,000,000 spaces (text:s text:c)", lambda p: _ods(
        p, '<table:table-row><table:table-cell office:value-type="string"><text:p>a<text:s text:c="1000000000"/>b'
           "</text:p></table:table-cell></table:table-row>")),
}


def main() -> int:
    for name, (_, make) in HOSTILE.items():
        path = make(HERE / name)
        print(f"{path.name:42} {path.stat().st_size:>7,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
