"""No English leaks: with a pseudo-translation that wraps every string in ⟦…⟧, every page's
visible text must be wrapped, except the data a user typed and names that are data (CLDR)."""

from __future__ import annotations

import re

import pytest
from babel import Locale

from fieldkit import create_app, places_import
from fieldkit.languages import LANGUAGES
from fieldkit.records import COUNTRIES
from tests.conftest import FormClient, issue_form
from tests.i18n_helpers import (
    ACTION_DATA,
    DATA,
    DATA_NAMES,
    MEETING_DATA,
    page_urls,
    phone_pages,
    seed_central,
    seed_records,
    sign_in_admin,
    sync_page_states,
    unwrapped,
    visible_text,
    write_pseudo_catalog,
)


def allowed_words() -> set[str]:
    """Words that may stand outside ⟦⟧: typed data, endonyms, the brand, CLDR names in French."""
    words = {"FieldKit", "KE", "KES", "Ksh"}
    # The places file's column names and kind codes: a file format, the same in every language.
    for code in (*places_import.COLUMNS, *places_import.FACILITY_KINDS):
        words.update(code.split("_"))
    for value in (*DATA.values(), *MEETING_DATA.values(), *ACTION_DATA.values(), *DATA_NAMES):
        words.update(re.findall(r"\w+", value))
    french = Locale.parse("fr")
    for language in LANGUAGES:
        words.update(re.findall(r"\w+", language.endonym))
        words.update(re.findall(r"\w+", french.languages.get(language.code.split("_")[0], "")))
    for context in ("format", "stand-alone"):
        for width in ("wide", "abbreviated"):
            words.update(
                w for name in french.months[context][width].values() for w in re.findall(r"\w+", name)
            )
            words.update(w for name in french.days[context][width].values() for w in re.findall(r"\w+", name))
    for code in COUNTRIES:
        words.update(re.findall(r"\w+", french.territories.get(code, code)))
    words.update(re.findall(r"\w+", " ".join(french.currencies.values())))
    return {w.lower() for w in words}


JS_PLACEHOLDER = re.compile(r"\{\w+\}")
UUID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b")


def leaks(html: str, allowed: set[str]) -> list[str]:
    found = []
    for text in visible_text(html):
        if re.fullmatch(r"\S*[/\\]\S*", text.strip()):
            continue  # a file path or address: data, not a sentence
        rest = UUID.sub(" ", unwrapped(text))  # record ids: data, even where a part has no digit
        rest = JS_PLACEHOLDER.sub(" ", rest)  # "{step}" in a message app.js fills in
        for word in re.findall(r"[^\W_]+", rest):
            if any(c.isdigit() for c in word):
                continue  # codes and ids (KE-4F2A-0042, a device id)
            if word.lower() not in allowed and len(word) > 1:
                found.append(f"{word!r} in {text.strip()[:80]!r}")
    return found


def pseudo_app(tmp_path, **config):
    app = create_app(
        {
            "DATA_DIR": tmp_path / "data",
            "TESTING": True,
            "COUNTRY": "KE",
            "TRANSLATIONS_DIR": tmp_path / "translations",
            **config,
        }
    )
    client = FormClient(app.test_client())
    client.set_cookie("lang", "fr")
    return app, client


@pytest.fixture
def translations(tmp_path):
    count = write_pseudo_catalog(tmp_path / "translations", "fr")
    assert count > 100


def walk(client, urls: list[str], allowed: set[str]) -> tuple[int, dict]:
    """Visit every URL; the number of HTML pages seen and the leaks found on each."""
    problems = {}
    checked = 0
    for url in urls:
        response = client.get(url)
        if response.mimetype != "text/html" or response.status_code in (301, 302, 303, 307):
            continue
        checked += 1
        found = leaks(response.get_data(as_text=True), allowed)
        if found:
            problems[url] = found[:5]
    return checked, problems


def report(problems: dict) -> str:
    return "English text outside the catalogs:\n" + "\n".join(
        f"{url}: {', '.join(words)}" for url, words in problems.items()
    )


def test_every_device_page_is_translated_no_english_leaks(translations, tmp_path):
    app, client = pseudo_app(tmp_path)
    ids = seed_records(app, client)
    issue_id = ids["issue_id"]
    urls = page_urls(app, ids)
    urls += ["/issues/?q=Kolwa", "/issues/?q=nothing-matches", "/no-such-page", "/search?q=Kolwa"]
    assert {"/", "/issues/new", f"/issues/{issue_id}", "/sync/", "/sync/conflicts", "/settings/"} <= set(urls)
    allowed = allowed_words()
    checked, problems = walk(client, urls, allowed)
    invalid = client.submit("/issues/new", issue_form(**{**DATA, "title": "", "sector": ""}))
    assert invalid.status_code == 422
    found = leaks(invalid.get_data(as_text=True), allowed)
    if found:
        problems["POST /issues/new (invalid)"] = found[:5]
    for label, page in phone_pages(app, urls, "fr").items():
        checked += 1
        found = leaks(page, allowed)
        if found:
            problems[label] = found[:5]
    assert checked >= 30
    assert "⟦Issues⟧" in client.get("/").get_data(as_text=True)  # the pseudo-locale is really in use
    assert "Wanjiru" in client.get("/sync/conflicts").get_data(as_text=True)  # the dispute is on the page
    assert not problems, report(problems)


def test_every_central_page_is_translated_no_english_leaks(translations, tmp_path):
    app, client = pseudo_app(tmp_path, ROLE="central")
    allowed = allowed_words()
    checked, problems = walk(client, ["/central/login"], allowed)
    sign_in_admin(app, client)
    ids = seed_central(app, client)
    urls = page_urls(app, ids)
    assert {"/central/", "/central/users", "/central/codes", "/sync/conflicts", "/central/audit"} <= set(urls)
    more, found = walk(client, urls, allowed)
    problems.update(found)
    assert checked + more >= 20
    assert "Wanjiru" in client.get("/sync/conflicts").get_data(as_text=True)
    assert not problems, report(problems)


def test_leak_detector_sees_an_unwrapped_string():
    html = "<p>⟦Issues⟧</p><p>Record an issue</p><img alt='a photo'><input type=submit value='Save'>"
    assert leaks(html, set()) == [
        "'Record' in 'Record an issue'",
        "'an' in 'Record an issue'",
        "'issue' in 'Record an issue'",
        "'photo' in 'a photo'",
        "'Save' in 'Save'",
    ]
    assert leaks("<p>⟦Status changed to ⟦Reported⟧⟧</p><script>var x = 'English';</script>", set()) == []


def test_the_sync_page_through_enrolment_refusals_and_failures_is_translated(translations, tmp_path):
    pages = sync_page_states(tmp_path, lambda transport: pseudo_app(tmp_path, SYNC_TRANSPORT=transport))
    allowed = allowed_words()
    problems = {}
    for label, page in pages.items():
        found = leaks(page, allowed)
        if found:
            problems[label] = found[:5]
    assert "⟦" in pages["synced with refusals"]
    assert not problems, report(problems)
