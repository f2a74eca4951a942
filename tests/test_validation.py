"""Numbers are read the way each language writes them, and never silently misread."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fieldkit import validation as v


@pytest.fixture
def in_locale(app):
    def enter(lang, country):
        app.config["COUNTRY"] = country
        return app.test_request_context(f"/?lang={lang}")

    return enter


@pytest.mark.parametrize(
    ("lang", "country", "typed", "expected"),
    [
        ("en", "KE", "1,500", "1500"),
        ("en", "KE", "1500000.50", "1500000.50"),
        ("en", "KE", "1 500 000", "1500000"),
        ("fr", "SN", "12,5", "12.5"),
        ("fr", "SN", "1 500,50", "1500.50"),
        ("fr", "SN", "1\u202f500,50", "1500.50"),
        ("fr", "SN", "12.5", "12.5"),
        ("id", "ID", "1.500", "1500"),
        ("id", "ID", "2.500.000,50", "2500000.50"),
        ("id", "ID", "2,5", "2.5"),
        ("hi", "IN", "15,00,000", "1500000"),
        ("hi", "IN", "1,500,000", "1500000"),
        ("en", "ZA", "1 500,50", "1500.50"),
        ("sw", "KE", "2,500", "2500"),
    ],
)
def test_amounts_in_each_language(in_locale, lang, country, typed, expected):
    with in_locale(lang, country):
        assert v.amount(typed) == expected


@pytest.mark.parametrize(
    ("lang", "country", "typed"), [("en", "KE", "12,5"), ("en", "KE", "1,50"), ("hi", "IN", "1,5")]
)
def test_ambiguous_numbers_are_refused_with_an_example_not_misread(in_locale, lang, country, typed):
    with in_locale(lang, country), pytest.raises(v.Invalid) as refused:
        v.amount(typed)
    assert "like" in str(refused.value) or lang != "en"


def test_counts_refuse_fractions_and_accept_grouping(in_locale):
    with in_locale("fr", "SN"):
        assert v.integer("1 200") == 1200
        with pytest.raises(v.Invalid):
            v.integer("12,5")


def test_coordinates_accept_a_comma_but_never_grouping(in_locale):
    with in_locale("fr", "SN"):
        assert v.coordinate("-1,2921", minimum=-90, maximum=90) == -1.2921
        assert v.coordinate("14.7167", minimum=-90, maximum=90) == 14.7167
        with pytest.raises(v.Invalid):
            v.coordinate("1,234,5", minimum=-90, maximum=90)


@pytest.fixture(scope="module")
def shared_app(tmp_path_factory):
    from fieldkit import create_app

    return create_app({"DATA_DIR": tmp_path_factory.mktemp("data"), "TESTING": True})


@given(value=st.decimals(min_value=0, max_value=10**12, places=2))
def test_what_the_page_shows_reads_back_as_the_same_amount(shared_app, value):
    from babel.numbers import format_decimal

    from fieldkit.i18n import formatting_locale

    for lang, country in (("en", "KE"), ("fr", "SN"), ("id", "ID"), ("hi", "IN"), ("en", "ZA")):
        shared_app.config["COUNTRY"] = country
        with shared_app.test_request_context(f"/?lang={lang}"):
            shown = format_decimal(value, locale=formatting_locale(), decimal_quantization=False)
            assert v.number(shown, example=lambda: "x") == value, (lang, shown)
