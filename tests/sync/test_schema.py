"""The quick test central runs first never lets through a value the full check refuses."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from fieldkit.records import SCHEMA
from sync.schema import Refused

FIELDS = [f for record in SCHEMA for f in record.fields if f.passes is not None]

values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(1 << 70), max_value=1 << 70),
    st.floats(allow_nan=True),
    st.text(max_size=30),
    st.text(alphabet=st.characters(max_codepoint=0x7F), max_size=300),
    st.sampled_from(["", " ", "\t", "a\nb", "\x00", "\u202e", "\ud800", "e\u0301"]),
)


@settings(max_examples=400, deadline=None)
@given(field=st.sampled_from(FIELDS), value=values)
def test_the_quick_test_passes_only_values_the_full_check_accepts(field, value):
    if value is not None and field.passes(value):
        try:
            field.check(value)
        except Refused as refusal:  # pragma: no cover - the failure this test exists to show
            raise AssertionError(
                f"{field.name}: quick test passed {value!r}, check refused: {refusal}"
            ) from None
