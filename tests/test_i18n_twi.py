"""The Twi (ak) catalog leaves no English on any page: every page of the device and of central is
walked in Twi, every catalog lookup is recorded, and a text the catalog gives back in English (its
msgstr equal to the English, empty, or missing) that is shown on the page fails the test.

Texts that are the same in Twi are listed in SAME_IN_TWI (names, units, placeholders only).
Strings missing from the catalog are new strings the catalog has not caught up with yet: with
FIELDKIT_CHECK_STALE=0 (work in progress, see tests/test_translations_cli.py) they are reported,
not failed.
"""

from __future__ import annotations

import html
import os
import re

import pytest
from babel.messages.pofile import read_po

from fieldkit import create_app, i18n
from fieldkit.resources import TRANSLATIONS_DIR
from tests.conftest import FormClient
from tests.i18n_helpers import (
    page_urls,
    phone_pages,
    seed_central,
    seed_records,
    sign_in_admin,
    sync_page_states,
    visible_text,
    write_catalog,
)

ENFORCE_STALE = os.environ.get("FIELDKIT_CHECK_STALE", "1") != "0"

#: Words that stay as they are in a Twi sentence: the brand, names of formats and things, units.
SAME_IN_TWI = {
    "FieldKit",
    "GPS",
    "PIN",
    "QR",
    "CSV",
    "JSON",
    "XLSX",
    "ODK",
    "Open311",
    "URL",
    "ID",
    "MB",
    "KB",
    "UTC",
}
PLACEHOLDER = re.compile(r"%\(\w+\)[sdifr]|%%|\{\w+\}")
TAG = re.compile(r"<[^>]+>")


def english_words(text: str) -> list[str]:
    """The words of a message that would be English on the page (not placeholders, tags, names)."""
    bare = TAG.sub(" ", PLACEHOLDER.sub(" ", text))
    return [w for w in re.findall(r"[^\W\d_]{2,}", bare) if w not in SAME_IN_TWI]


def catalog() -> dict:
    """The shipped Twi catalog: msgid (singular) → its msgstr forms."""
    with (TRANSLATIONS_DIR / "ak" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        read = read_po(handle, locale="ak")
    entries = {}
    for message in read:
        if not message.id:
            continue
        msgid = message.id[0] if isinstance(message.id, tuple) else message.id
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        entries[(message.context, msgid)] = () if message.fuzzy else forms
    return entries


class Recording:
    """A catalog that notes every lookup whose answer is the English text it was asked for."""

    def __init__(self, real, english: list):
        self.real, self.english = real, english

    def _note(self, context, msgid, result, *originals):
        if result in originals:
            self.english.append((context, msgid, result))
        return result

    def ugettext(self, message):
        return self._note(None, message, self.real.ugettext(message), message)

    def ungettext(self, singular, plural, num):
        return self._note(None, singular, self.real.ungettext(singular, plural, num), singular, plural)

    def upgettext(self, context, message):
        return self._note(context, message, self.real.upgettext(context, message), message)

    def unpgettext(self, context, singular, plural, num):
        result = self.real.unpgettext(context, singular, plural, num)
        return self._note(context, singular, result, singular, plural)


@pytest.fixture
def english(monkeypatch):
    """Every lookup answered in English during the test: (context, msgid, text shown)."""
    found: list = []
    real = i18n._translations
    monkeypatch.setattr(i18n, "_translations", lambda: Recording(real(), found))
    return found


def shown(text: str, page: str) -> bool:
    """Whether a message's own words appear in the page's visible text."""
    pieces = [p.strip() for p in PLACEHOLDER.split(TAG.sub("\n", text)) if english_words(p)]
    return any(piece in page for piece in pieces)


def walk_in_twi(client, urls, english: list, entries: dict) -> tuple[dict, dict]:
    """Visit every URL in Twi: (untranslated entries shown per page, strings missing from the catalog)."""
    untranslated, missing = {}, {}
    for url in urls:
        english.clear()
        response = client.get(url)
        if response.mimetype != "text/html" or response.status_code in (301, 302, 303, 307):
            continue
        page = "\n".join(html.unescape(t) for t in visible_text(response.get_data(as_text=True)))
        for context, msgid, text in english:
            if not english_words(text) or not shown(text, page):
                continue
            target = untranslated if (context, msgid) in entries else missing
            target.setdefault(url, set()).add(msgid)
    return untranslated, missing


def report(found: dict) -> str:
    return "\n".join(f"{url}: {sorted(msgids)[:8]}" for url, msgids in found.items())


def twi_app(tmp_path, **config):
    app = create_app({"DATA_DIR": tmp_path / "data", "TESTING": True, "COUNTRY": "GH", **config})
    client = FormClient(app.test_client())
    client.set_cookie("lang", "ak")
    return app, client


def check(untranslated: dict, missing: dict) -> None:
    assert not untranslated, "Twi entries left in English:\n" + report(untranslated)
    if ENFORCE_STALE:
        assert not missing, "English strings not in the Twi catalog yet:\n" + report(missing)


def test_every_device_page_in_twi_has_no_english_from_the_catalog(tmp_path, english):
    app, client = twi_app(tmp_path)
    ids = seed_records(app, client)
    urls = page_urls(app, ids) + ["/issues/?q=nothing-matches", "/no-such-page"]
    assert "/sync/" in urls and "/sync/conflicts" in urls
    entries = catalog()
    untranslated, missing = walk_in_twi(client, urls, english, entries)
    assert 'lang="ak"' in client.get("/").get_data(as_text=True)
    english.clear()
    pages = phone_pages(app, urls, "ak")
    assert all('lang="ak"' in page for page in pages.values() if "<html" in page)
    seen = "\n".join(html.unescape(t) for page in pages.values() for t in visible_text(page))
    for context, msgid, text in english:
        if english_words(text) and shown(text, seen):
            target = untranslated if (context, msgid) in entries else missing
            target.setdefault("a phone on the hub", set()).add(msgid)
    check(untranslated, missing)


def test_the_sync_page_in_twi_through_enrolment_refusals_and_failures_has_no_english(tmp_path, english):
    found = []
    pages = sync_page_states(tmp_path, lambda transport: twi_app(tmp_path, SYNC_TRANSPORT=transport))
    found = list(english)
    entries = catalog()
    seen = "\n".join(html.unescape(t) for page in pages.values() for t in visible_text(page))
    untranslated, missing = {}, {}
    for context, msgid, text in found:
        if english_words(text) and shown(text, seen):
            target = untranslated if (context, msgid) in entries else missing
            target.setdefault("the Sync page", set()).add(msgid)
    assert all('lang="ak"' in page for page in pages.values())
    check(untranslated, missing)


def test_every_central_page_in_twi_has_no_english_from_the_catalog(tmp_path, english):
    app, client = twi_app(tmp_path, ROLE="central")
    entries = catalog()
    untranslated, missing = walk_in_twi(client, ["/central/login"], english, entries)
    sign_in_admin(app, client)
    ids = seed_central(app, client)
    more, more_missing = walk_in_twi(client, page_urls(app, ids), english, entries)
    check({**untranslated, **more}, {**missing, **more_missing})


def test_an_entry_left_in_english_and_a_missing_one_are_both_caught(tmp_path, english):
    write_catalog(tmp_path / "translations", "ak", {"Home": "Fie", "Meetings": "Meetings"})
    app, client = twi_app(tmp_path, TRANSLATIONS_DIR=tmp_path / "translations")
    entries = {(None, "Home"): ("Fie",), (None, "Meetings"): ("Meetings",)}
    untranslated, missing = walk_in_twi(client, ["/"], english, entries)
    assert untranslated["/"] == {"Meetings"}
    assert "Issues" in missing["/"] and "Home" not in missing["/"]
    assert english_words("%(num)s MB") == [] and english_words("Sync now") == ["Sync", "now"]
