"""The sheet-shape guard's quick look (issue 16) never hides a far reference its pattern would find."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from desktop.core.guards import _FAR_REF, _may_hold_far_refs

_COLUMNS = st.one_of(st.sampled_from(["A", "Z", "AA", "AY", "CV", "CW", "CZ", "DA", "ZZ", "WA", "AAA", "XFD", "BZ", "C"]),
                     st.text(alphabet="ABCDVWXYZ", min_size=1, max_size=3))
_ROWS = st.one_of(st.integers(1, 99_999), st.integers(100_000, 2_000_000))


@given(st.lists(st.tuples(_COLUMNS, _ROWS, st.sampled_from(["", " s=\"1\"", " t=\"s\""])), max_size=12),
       st.text(alphabet="AZ09<>\"= rc/", max_size=30))
@settings(max_examples=2000, deadline=None)
def test_the_quick_look_finds_every_far_reference(cells, noise):
    piece = (noise + "".join(f'<c r="{col}{row}"{attrs}><v>1</v></c>' for col, row, attrs in cells)).encode()
    if _FAR_REF.findall(piece):
        assert _may_hold_far_refs(piece)


def test_a_template_sized_sheet_needs_no_pattern():
    row = "".join(f'<c r="{col}7" t="s"><v>{i}</v></c>' for i, col in enumerate(
        [chr(65 + i) for i in range(26)] + ["A" + chr(65 + i) for i in range(25)]))
    assert not _may_hold_far_refs(f'<row r="7">{row}</row>'.encode())
    assert _may_hold_far_refs(b'<row r="100000"><c r="A100000"><v>1</v></c></row>')
    assert _may_hold_far_refs(b'<c r="CW2"><v>1</v></c>')
    assert _may_hold_far_refs(b'<c r="XFD1048576"><v>1</v></c>')
