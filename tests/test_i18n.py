"""UI languages: choosing one, the picker, plural forms, formatting, fallback, broken catalogs."""

from __future__ import annotations

from datetime import date

import pytest

from fieldkit import catalogs, create_app
from fieldkit.i18n import (
    _formatting_locale,
    format_currency,
    format_date,
    format_number,
    format_percent,
    gettext,
    ngettext,
)
from fieldkit.languages import BY_CODE, CODES, LANGUAGES, canonical_tag
from tests.conftest import FormClient, create_issue, issue_form
from tests.i18n_helpers import write_catalog


class Total(int):
    """A list's count as the issue list gives it (``more``: a lower bound)."""

    more = False


SHIPPED = [language.code for language in LANGUAGES]


def lang_of(response) -> str:
    text = response.get_data(as_text=True)
    return text.split('<html lang="', 1)[1].split('"', 1)[0]


def test_registry_has_the_eight_languages_with_akan_not_tw():
    assert CODES == ("en", "fr", "sw", "hi", "id", "wo", "zu", "ak")
    assert BY_CODE["wo"].fallbacks == ("fr", "en")
    assert all(BY_CODE[c].fallbacks == ("en",) for c in CODES if c not in {"en", "wo"})
    assert all(language.direction == "ltr" for language in LANGUAGES)
    assert BY_CODE["en"].status == "reviewed"
    assert {language.status for language in LANGUAGES} <= {"reviewed", "draft"}


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("wo, fr;q=0.9", "wo"),
        ("de-DE, hi;q=0.5, fr;q=0.5", "hi"),  # equal quality: the user's own order
        ("de-DE, fr;q=0.5, hi;q=0.5", "fr"),
        ("in", "id"),  # legacy code for Indonesian
        ("tw-GH", "ak"),  # Twi is Akan
        ("sw-KE, en;q=0.8", "sw"),  # a regional variant matches its language
        ("zu-ZA", "zu"),
        ("pt-BR, de", "en"),  # nothing we ship: the default
        ("", "en"),
    ],
)
def test_first_visit_guesses_from_browser_languages(client, header, expected):
    assert lang_of(client.get("/", headers={"Accept-Language": header})) == expected


def test_lang_parameter_wins_and_is_remembered_on_this_device(client):
    response = client.get("/?lang=zu", headers={"Accept-Language": "fr"})
    assert lang_of(response) == "zu"
    assert "lang=zu" in response.headers["Set-Cookie"]
    assert lang_of(client.get("/issues/", headers={"Accept-Language": "fr"})) == "zu"


def test_unknown_lang_parameter_is_ignored(client):
    assert lang_of(client.get("/?lang=xx", headers={"Accept-Language": "hi"})) == "hi"
    assert lang_of(client.get("/?lang=<script>")) == "en"


def test_picker_on_every_page_shows_endonyms_and_draft_status(client, app):
    issue_id = create_issue(client)
    for url in ("/", "/issues/", "/issues/new", f"/issues/{issue_id}", "/no-such-page"):
        page = client.get(url).get_data(as_text=True)
        assert 'id="language-picker"' in page, url
        assert ">Wolof — draft<" in page
        assert ">हिन्दी — draft<" in page
        assert ">English<" in page
        assert "flag" not in page.lower()


def test_picker_remembers_choice_and_returns_to_the_same_page(client):
    response = client.submit("/language", {"lang": "hi", "next": "/issues/?q=pump"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/issues/?q=pump")
    assert "lang=hi" in response.headers["Set-Cookie"]
    page = client.get("/issues/?q=pump&lang=hi").get_data(as_text=True)
    assert 'name="next" value="/issues/?q=pump"' in page  # ?lang= is not carried back


def test_picker_refuses_an_unknown_language(client):
    response = client.submit("/language", {"lang": "xx", "next": "/"})
    assert response.status_code == 303
    assert "lang=xx" not in response.headers.get("Set-Cookie", "")


def test_html_lang_and_dir_follow_the_language(client):
    page = client.get("/?lang=sw").get_data(as_text=True)
    assert '<html lang="sw" dir="ltr">' in page


def test_draft_language_says_so(client):
    assert 'class="draft-language"' in client.get("/?lang=wo").get_data(as_text=True)
    assert 'class="draft-language"' not in client.get("/?lang=en").get_data(as_text=True)


# --- formatting: language + the device's country -------------------------------------------


def _norm(text: str) -> str:
    return text.replace("\u202f", " ").replace("\xa0", " ")


@pytest.mark.parametrize(
    ("lang", "country", "day", "number", "money"),
    [
        ("en", "KE", "12 Nov 2026", "1,234,567.5", "Ksh 1,500,000.00"),
        ("fr", "SN", "12 nov. 2026", "1 234 567,5", "1 500 000 F CFA"),
        ("hi", "IN", "12 नव॰ 2026", "12,34,567.5", "₹15,00,000.00"),
        ("en", "ZA", "12 Nov 2026", "1 234 567,5", "R1 500 000,00"),
    ],
)
def test_dates_numbers_and_money_follow_language_and_country(tmp_path, lang, country, day, number, money):
    app = create_app({"DATA_DIR": tmp_path, "TESTING": True, "COUNTRY": country})
    currency = {"KE": "KES", "SN": "XOF", "IN": "INR", "ZA": "ZAR"}[country]
    with app.test_request_context(f"/?lang={lang}"):
        assert _norm(format_date(date(2026, 11, 12))) == day
        assert _norm(format_number(1234567.5)) == number
        assert _norm(format_currency("1500000", currency)).replace("Ksh", "Ksh ").replace("  ", " ") == money
        assert "25" in format_percent(0.25) and "%" in format_percent(0.25)


def test_dates_are_never_ambiguous(tmp_path):
    app = create_app({"DATA_DIR": tmp_path, "TESTING": True, "COUNTRY": "GH"})
    for code in SHIPPED:
        with app.test_request_context(f"/?lang={code}"):
            shown = format_date("2026-11-12")
            assert "2026" in shown and "11/12" not in shown and "12/11" not in shown, (code, shown)


def test_language_without_cldr_data_formats_sensibly():
    assert str(_formatting_locale("dag", "GH")) == "en_GH"
    assert str(_formatting_locale("wo", "SN")) == "wo_SN"
    assert str(_formatting_locale("hi", "KE")) == "hi_IN"  # no hi_KE in CLDR: India's Hindi
    assert str(_formatting_locale("fr", "KE")) == "fr"
    assert str(_formatting_locale("xx", "")) == "en"


# --- plural forms -----------------------------------------------------------------------------

COUNTS = (0, 1, 2, 1_000_000)

#: The plural form each count takes, per language (CLDR): French has three, Wolof and Indonesian one.
EXPECTED_FORM = {
    "fr": (0, 0, 2, 1),
    "wo": (0, 0, 0, 0),
    "id": (0, 0, 0, 0),
    "sw": (1, 0, 1, 1),
    "hi": (0, 0, 1, 1),
    "zu": (0, 0, 1, 1),
    "ak": (0, 0, 1, 1),
}


def _plural_forms(code: str) -> str:
    return catalogs.read(catalogs.po_path(code)).plural_forms


@pytest.mark.parametrize("code", [c for c in SHIPPED if c != "en"])
def test_counts_use_the_shipped_catalogs_plural_forms(tmp_path, code):
    forms = _plural_forms(code)
    nplurals = int(forms.split("nplurals=")[1].split(";")[0])
    assert nplurals == max(EXPECTED_FORM[code]) + 1
    write_catalog(
        tmp_path,
        code,
        {("%(num)s issue", "%(num)s issues"): tuple(f"[{i}] %(num)s" for i in range(nplurals))},
        plural_forms=forms,
    )
    app = create_app({"DATA_DIR": tmp_path / "data", "TESTING": True, "TRANSLATIONS_DIR": tmp_path})
    with app.test_request_context(f"/?lang={code}"):
        shown = [ngettext("%(num)s issue", "%(num)s issues", n) for n in COUNTS]
    assert [int(s[1]) for s in shown] == list(EXPECTED_FORM[code])
    assert shown[3].replace("\u202f", " ").replace("\xa0", " ").split("] ")[1] in {
        "1,000,000",
        "1 000 000",
        "10,00,000",
        "1.000.000",
    }


@pytest.mark.parametrize("code", SHIPPED)
def test_every_page_renders_in_every_language_with_counts(tmp_path, code):
    app = create_app({"DATA_DIR": tmp_path, "TESTING": True})
    client = FormClient(app.test_client())
    issue_id = create_issue(client, people_affected="1000000")
    client.set_cookie("lang", code)
    for url in (
        "/",
        "/issues/",
        "/issues/?q=borehole",
        "/issues/?q=zzz",
        "/issues/new",
        f"/issues/{issue_id}",
        f"/issues/{issue_id}/edit",
        f"/issues/{issue_id}/history",
    ):
        response = client.get(url)
        assert response.status_code == 200, (code, url)
        assert lang_of(response) == code
    for count in COUNTS[:3] + (36_500,):  # days: a million days is before year 1
        app.config["NO_RESPONSE_DAYS"] = count
        home = client.get("/").get_data(as_text=True)
        with app.test_request_context(f"/?lang={code}"):
            assert format_number(count) in home, (code, count)
    one = client.submit("/issues/new", issue_form(title=""))
    two = client.submit("/issues/new", issue_form(title="", sector=""))
    assert one.status_code == two.status_code == 422
    with app.test_request_context(f"/issues/?lang={code}"):
        from flask import render_template

        for count in COUNTS:
            html = render_template("issues/_results.html", rows=[], total=Total(count), page=1, pages=1)
            assert format_number(count) in html, (code, count)


def test_python_ngettext_fills_num_with_a_formatted_number(app):
    with app.test_request_context("/?lang=en"):
        assert ngettext("%(num)s issue", "%(num)s issues", 1_000_000) == "1,000,000 issues"
        assert ngettext("%(num)s issue", "%(num)s issues", 1) == "1 issue"


# --- fallback and broken catalogs ---------------------------------------------------------------


def test_wolof_falls_back_to_french_then_english(tmp_path):
    write_catalog(tmp_path, "fr", {"Issues": "Problèmes", "Home": "Accueil"})
    write_catalog(tmp_path, "wo", {"Home": "Kër gi"})
    app = create_app({"DATA_DIR": tmp_path / "data", "TESTING": True, "TRANSLATIONS_DIR": tmp_path})
    page = app.test_client().get("/?lang=wo").get_data(as_text=True)
    assert ">Kër gi<" in page  # Wolof where translated
    assert ">Problèmes<" in page  # French where Wolof is missing
    assert "Record an issue" in page  # English where both are missing
    assert "you see it in Français" in page


def test_other_languages_fall_back_to_english_not_french(tmp_path):
    write_catalog(tmp_path, "fr", {"Issues": "Problèmes"})
    app = create_app({"DATA_DIR": tmp_path / "data", "TESTING": True, "TRANSLATIONS_DIR": tmp_path})
    page = app.test_client().get("/?lang=sw").get_data(as_text=True)
    assert ">Issues<" in page and "Problèmes" not in page


BROKEN = {
    "FieldKit %(version)s — works without internet; your records stay on this device until you sync.": "FieldKit %(versoin)s — marche sans internet.",
    "Issues": "Problèmes",
    ("%(num)s field needs attention.", "%(num)s fields need attention."): (
        "%(num)s champ à revoir.",
        "%(nombre)s champs à revoir.",
        "%(num)s champs à revoir.",
    ),
    "Keep this under %(limit)s characters (it has %(count)s).": "Moins de %(limite)s caractères.",
}


def test_broken_placeholder_falls_back_to_english_without_breaking_the_page(tmp_path):
    write_catalog(tmp_path, "fr", BROKEN, plural_forms=_plural_forms("fr"))
    app = create_app({"DATA_DIR": tmp_path / "data", "TESTING": True, "TRANSLATIONS_DIR": tmp_path})
    client = FormClient(app.test_client())
    client.set_cookie("lang", "fr")
    page = client.get("/").get_data(as_text=True)
    assert ">Problèmes<" in page  # the good entries still work
    assert "works without internet" in page and "versoin" not in page
    response = client.submit("/issues/new", issue_form(title="x" * 201, sector=""))
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "2 fields need attention." in text
    assert "Keep this under 200 characters (it has 201)." in text
    with app.test_request_context("/?lang=fr"):
        assert gettext("Keep this under %(limit)s characters (it has %(count)s).", limit=5, count=6) == (
            "Keep this under 5 characters (it has 6)."
        )


def test_unreadable_catalog_falls_back_to_english(tmp_path):
    path = catalogs.po_path("fr", tmp_path)
    path.parent.mkdir(parents=True)
    path.write_bytes(b'\xff\xfemsgid "Issues"\nmsgstr[7] "Probl\xe8mes\n\x00')
    app = create_app({"DATA_DIR": tmp_path / "data", "TESTING": True, "TRANSLATIONS_DIR": tmp_path})
    response = app.test_client().get("/?lang=fr")
    assert response.status_code == 200 and "Record an issue" in response.get_data(as_text=True)


def test_translated_html_is_trusted_but_values_are_escaped(tmp_path):
    write_catalog(tmp_path, "fr", {"Photo: %(name)s": "Photo : %(name)s"})
    app = create_app({"DATA_DIR": tmp_path / "data", "TESTING": True, "TRANSLATIONS_DIR": tmp_path})
    with app.test_request_context("/?lang=fr"):
        from flask import render_template_string

        shown = render_template_string("{{ _('Photo: %(name)s', name='<b>x</b>') }}")
    assert shown == "Photo : &lt;b&gt;x&lt;/b&gt;"


# --- language tags on record text ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("wo", "wo"), ("dag", "dag"), ("EN-ke", "en-KE"), ("in", "id"), ("tw", "ak"), ("sr-latn", "sr-Latn")],
)
def test_language_tags_are_checked_and_canonical(typed, stored):
    assert canonical_tag(typed) == stored


@pytest.mark.parametrize("typed", ["english", "e", "12", "en-", "fr_", "en--ke", "x" * 40])
def test_malformed_language_tags_are_refused(typed):
    assert canonical_tag(typed) is None


# --- right-to-left readiness ------------------------------------------------------------------------


def test_a_right_to_left_language_added_later_sets_dir_rtl(client, monkeypatch):
    from fieldkit import i18n, languages

    arabic = languages.Language("ar", "العربية", "Arabic", "ar", direction="rtl")
    monkeypatch.setitem(languages.BY_CODE, "ar", arabic)
    monkeypatch.setattr(i18n, "CODES", (*languages.CODES, "ar"))
    page = client.get("/?lang=ar").get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in page


def test_stylesheets_use_logical_properties_only():
    import re
    from pathlib import Path

    static = Path(__file__).resolve().parent.parent / "static"
    physical = re.compile(
        r"(?<![\w-])(margin|padding|border)-(left|right|top|bottom)\b|(?<![\w-])(left|right)\s*:"
        r"|text-align\s*:\s*(left|right)|float\s*:\s*(left|right)"
    )
    for sheet in static.glob("*.css"):
        found = [
            line.strip() for line in sheet.read_text(encoding="utf-8").splitlines() if physical.search(line)
        ]
        assert not found, f"{sheet.name} uses physical properties (use inline/block ones): {found}"


def test_a_phone_can_choose_its_language_before_joining_the_hub(app):
    from fieldkit import hub
    from tests.test_hub import Phone

    hub.of(app).serve_on("127.0.0.2", 8080)
    phone = Phone(app)
    join = phone.get("/hub/join?next=/issues/")
    assert join.status_code == 200 and 'id="language-picker"' in join.get_data(as_text=True)
    chosen = phone.post(
        "/language", {"csrf_token": phone.csrf(), "lang": "sw", "next": "/hub/join?next=/issues/"}
    )
    assert chosen.status_code == 303 and "lang=sw" in chosen.headers["Set-Cookie"]
    assert lang_of(phone.get("/hub/join?next=/issues/")) == "sw"


def test_a_translation_that_adds_html_falls_back_to_english(tmp_path):
    write_catalog(tmp_path, "fr", {"Issues": "Problèmes", "Home": "<script>alert(1)</script>Accueil"})
    app = create_app({"DATA_DIR": tmp_path / "data", "TESTING": True, "TRANSLATIONS_DIR": tmp_path})
    page = app.test_client().get("/?lang=fr").get_data(as_text=True)
    assert ">Problèmes<" in page and ">Home<" in page and "alert(1)" not in page
