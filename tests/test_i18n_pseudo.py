"""No English leaks: with a pseudo-translation that wraps every string in ⟦…⟧, every page's
visible text must be wrapped, except the data a user typed and names that are data (CLDR)."""

from __future__ import annotations

import re

import pytest
from babel import Locale

from fieldkit import create_app
from fieldkit.languages import LANGUAGES
from fieldkit.records import COUNTRIES
from tests.conftest import FormClient, create_issue, issue_form
from tests.i18n_helpers import unwrapped, visible_text, write_pseudo_catalog

#: Routes the test cannot fill in or that are not pages (files, JSON, downloads).
SKIPPED_ENDPOINTS = {"static"}
SKIPPED_PREFIXES = ("/static", "/blobs", "/api", "/sync", "/hub/qr")

DATA = {
    "title": "Kolwa borehole",
    "description": "Pump handle snapped",
    "district": "Kisumu",
    "community": "Kolwa",
    "facility": "Nyamasaria",
    "responsible_official": "Otieno",
    "budget_code": "WSB",
    "tags": "pump",
}


def allowed_words() -> set[str]:
    """Words that may stand outside ⟦⟧: typed data, endonyms, the brand, CLDR names in French."""
    words = {"FieldKit", "KE", "KES", "Ksh"}
    for value in DATA.values():
        words.update(re.findall(r"\w+", value))
    for language in LANGUAGES:
        words.update(re.findall(r"\w+", language.endonym))
    french = Locale.parse("fr")
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


def leaks(html: str, allowed: set[str]) -> list[str]:
    found = []
    for text in visible_text(html):
        if re.fullmatch(r"\S*[/\\]\S*", text.strip()):
            continue  # a file path or address: data, not a sentence
        rest = unwrapped(text)
        for word in re.findall(r"[^\W_]+", rest):
            if any(c.isdigit() for c in word):
                continue  # codes and ids (KE-4F2A-0042, a device id)
            if word.lower() not in allowed and len(word) > 1:
                found.append(f"{word!r} in {text.strip()[:80]!r}")
    return found


@pytest.fixture
def pseudo(tmp_path):
    count = write_pseudo_catalog(tmp_path / "translations", "fr")
    assert count > 100
    app = create_app(
        {
            "DATA_DIR": tmp_path / "data",
            "TESTING": True,
            "COUNTRY": "KE",
            "TRANSLATIONS_DIR": tmp_path / "translations",
        }
    )
    client = FormClient(app.test_client())
    client.set_cookie("lang", "fr")
    return app, client


def page_urls(app, ids: dict) -> list[str]:
    """Every GET page the app has, with the ids of the records the test made filled in."""
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in SKIPPED_ENDPOINTS:
            continue
        if rule.rule.startswith(SKIPPED_PREFIXES):
            continue
        if not set(rule.arguments) <= set(ids):
            continue
        with app.test_request_context():
            from flask import url_for

            urls.append(url_for(rule.endpoint, **{k: ids[k] for k in rule.arguments}))
    return sorted(set(urls))


def test_every_page_is_translated_no_english_leaks(pseudo):
    app, client = pseudo
    issue_id = create_issue(client, **DATA, budget_allocated="1500000", budget_currency="KES")
    client.submit(
        f"/issues/{issue_id}/events",
        {
            "kind": "note",
            "occurred_on": "2026-03-02",
            "note": DATA["description"],
        },
    )
    ids = {"issue_id": issue_id}
    if "meetings.new" in app.view_functions:
        from tests.test_meetings import meeting_form

        words = {
            "title": DATA["title"],
            "place": DATA["community"],
            "facilitator": DATA["responsible_official"],
            "officials": DATA["responsible_official"],
            "agenda": DATA["title"],
            "notes": DATA["description"],
            "decisions": DATA["description"],
        }
        created = client.submit("/meetings/new", meeting_form(**words))
        assert created.status_code == 303, created.get_data(as_text=True)[:500]
        ids["meeting_id"] = created.headers["Location"].rsplit("/", 1)[1]
    urls = page_urls(app, ids)
    urls += ["/issues/?q=Kolwa", "/issues/?q=nothing-matches", "/no-such-page", f"/issues/{issue_id}#x"]
    assert "/" in urls and "/issues/new" in urls and f"/issues/{issue_id}" in urls
    allowed = allowed_words()
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
    invalid = client.submit("/issues/new", issue_form(**{**DATA, "title": "", "sector": ""}))
    assert invalid.status_code == 422
    found = leaks(invalid.get_data(as_text=True), allowed)
    if found:
        problems["POST /issues/new (invalid)"] = found[:5]
    assert checked >= 6
    assert "⟦Issues⟧" in client.get("/").get_data(as_text=True)  # the pseudo-locale is really in use
    assert not problems, "English text outside the catalogs:\n" + "\n".join(
        f"{url}: {', '.join(words)}" for url, words in problems.items()
    )


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
