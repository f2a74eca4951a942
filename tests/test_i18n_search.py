"""Multilingual records: language tags on text, translations beside the original, search
across scripts (Hindi, Tamil, French) and by part of a name."""

from __future__ import annotations

import re
import unicodedata

import pytest

from tests.conftest import create_issue, issue_form


def found(client, query: str) -> str:
    return client.get("/issues/", query_string={"q": query}).get_data(as_text=True)


def form_token(page: str, action_end: str) -> str:
    match = re.search(
        rf'action="[^"]*{re.escape(action_end)}".*?name="form_token" value="([^"]+)"', page, re.S
    )
    return match.group(1)


def add_translation(client, issue_id, **fields):
    page = client.get(f"/issues/{issue_id}").get_data(as_text=True)
    data = {"form_token": form_token(page, "/translations"), **fields}
    return client.submit(f"/issues/{issue_id}/translations", data)


# --- search across scripts ------------------------------------------------------------------------


def test_hindi_words_are_found_whole(client):
    water = create_issue(
        client, title="हैंडपंप खराब है", description="गाँव में पानी नहीं है", language="hi", community="रामपुर"
    )
    paan = create_issue(client, title="पान की दुकान", description="", language="hi", community="सीतापुर")
    assert water in found(client, "पानी")
    assert paan not in found(client, "पानी")
    assert water in found(client, "खराब")
    # A vowel sign is part of the word: the end of a word is not a word of its own.
    assert water not in found(client, "नी")
    assert water in found(client, "रामपुर")


def test_tamil_words_are_found_whole_and_in_any_unicode_form(client):
    issue = create_issue(
        client, title="பொது குழாயில் தண்ணீர் இல்லை", description="", language="ta", community="மதுரை"
    )
    assert issue in found(client, "தண்ணீர்")
    assert issue not in found(client, "ணீர்")
    # The same word typed decomposed (NFD) by another keyboard still matches.
    assert unicodedata.normalize("NFD", "பொது") != "பொது"
    assert issue in found(client, unicodedata.normalize("NFD", "பொது"))


def test_french_search_folds_accents_and_case(client):
    issue = create_issue(
        client,
        title="Pompe cassée à l'école",
        description="Les élèves n'ont pas d'eau",
        language="fr",
        community="Thiès",
    )
    for query in ("ecole", "ÉCOLE", "cassee", "eleves", "thies", "Thiès"):
        assert issue in found(client, query), query


def test_names_are_found_by_any_part(client):
    issue = create_issue(
        client,
        community="Kolwa Central",
        facility="Nyamasaria Dispensary",
        responsible_official="Dr Achieng Otieno",
    )
    other = create_issue(client, community="Manyatta", facility="", responsible_official="")
    for query in ("olwa", "amasar", "chieng", "tieno"):
        page = found(client, query)
        assert issue in page and other not in page, query
    assert issue not in found(client, "xyz")


def test_search_syntax_in_a_query_is_harmless(client):
    create_issue(client)
    for query in ('"', "AND", "a OR b", "NEAR(", "*", "-x", "title:pump", "'"):
        assert client.get("/issues/", query_string={"q": query}).status_code == 200


# --- language tags on text -------------------------------------------------------------------------


@pytest.mark.parametrize(("typed", "stored"), [("dag", "dag"), ("EN-ke", "en-KE"), ("in", "id")])
def test_text_language_is_a_checked_bcp47_tag(client, db, typed, stored):
    issue_id = create_issue(client, language=typed)
    assert db.execute("SELECT language FROM issues WHERE id = ?", (issue_id,)).fetchone()[0] == stored


def test_a_malformed_language_tag_is_refused_beside_the_field(client):
    response = client.submit("/issues/new", issue_form(language="english please"))
    assert response.status_code == 422
    assert "Enter a language code such as en, fr, sw or hi." in response.get_data(as_text=True)


def test_text_inputs_carry_the_language_and_auto_direction(client):
    issue_id = create_issue(client, language="wo")
    page = client.get(f"/issues/{issue_id}/edit").get_data(as_text=True)
    title = re.search(r"<input id=\"f-title\"[^>]*>", page).group(0)
    assert 'lang="wo"' in title and 'dir="auto"' in title
    shown = client.get(f"/issues/{issue_id}").get_data(as_text=True)
    assert re.search(r'<h1 dir="auto" lang="wo">', shown)


# --- translations of record text ------------------------------------------------------------------


def test_a_translation_is_kept_beside_the_untouched_original(client, db):
    issue_id = create_issue(
        client,
        title="Ndox mi dafa tàmbali",
        description="Pompe bi dafa yàqu",
        language="wo",
        community="Ndiarème",
    )
    response = add_translation(
        client, issue_id, field="description", language="fr", text="La pompe est en panne"
    )
    assert response.status_code == 303
    assert tuple(
        db.execute("SELECT description, language FROM issues WHERE id = ?", (issue_id,)).fetchone()
    ) == ("Pompe bi dafa yàqu", "wo")
    page = client.get(f"/issues/{issue_id}?lang=en").get_data(as_text=True)
    section = page[page.index('id="translations"') :]
    assert re.search(r">Original</span>\s*Wolof", section)
    assert re.search(r">Translation</span>\s*French", section)
    assert '<p class="prose" lang="fr" dir="auto">La pompe est en panne</p>' in section
    assert '<p class="prose" lang="wo" dir="auto">Pompe bi dafa yàqu</p>' in section


def test_a_translation_is_journaled_for_sync(client, db):
    issue_id = create_issue(client, language="wo")
    add_translation(client, issue_id, field="title", language="fr", text="Forage en panne")
    op = db.execute("SELECT kind, fields FROM sync_ops WHERE tbl = 'text_translations'").fetchone()
    assert op is not None and "Forage en panne" in op["fields"]


def test_translations_are_searchable(client):
    issue_id = create_issue(client, title="Ndox mi dafa tàmbali", description="", language="wo")
    assert issue_id not in found(client, "forage")
    add_translation(client, issue_id, field="title", language="fr", text="Le forage est en panne")
    assert issue_id in found(client, "forage")


def test_a_removed_translation_is_no_longer_found(client, db):
    issue_id = create_issue(client, title="Ndox mi", description="", language="wo")
    add_translation(client, issue_id, field="title", language="fr", text="Forage en panne")
    translation_id = db.execute("SELECT id FROM text_translations").fetchone()[0]
    response = client.submit(f"/issues/{issue_id}/translations/{translation_id}/delete")
    assert response.status_code == 303
    assert issue_id not in found(client, "forage")
    assert "Forage en panne" not in client.get(f"/issues/{issue_id}").get_data(as_text=True)


def test_a_double_submit_stores_one_translation(client, db):
    issue_id = create_issue(client, language="wo")
    page = client.get(f"/issues/{issue_id}").get_data(as_text=True)
    data = {
        "form_token": form_token(page, "/translations"),
        "field": "title",
        "language": "fr",
        "text": "Forage",
    }
    assert client.submit(f"/issues/{issue_id}/translations", data).status_code == 303
    assert client.submit(f"/issues/{issue_id}/translations", data).status_code == 303
    assert db.execute("SELECT COUNT(*) FROM text_translations").fetchone()[0] == 1


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"field": "title", "language": "fr", "text": ""}, "This field is required."),
        ({"field": "title", "language": "wo", "text": "x"}, "This is already the language of the original."),
        ({"field": "title", "language": "not a tag", "text": "x"}, "Enter a language code such as en"),
        ({"field": "ward", "language": "fr", "text": "x"}, "Choose one of the options."),
    ],
)
def test_a_bad_translation_is_refused_and_what_was_typed_is_kept(client, db, fields, message):
    issue_id = create_issue(client, language="wo")
    response = add_translation(client, issue_id, **fields)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page
    if fields["text"]:
        assert f">{fields['text']}</textarea>" in page
    assert db.execute("SELECT COUNT(*) FROM text_translations").fetchone()[0] == 0


def test_translating_a_missing_issue_is_not_found(client):
    assert (
        client.submit(
            "/issues/nope/translations", {"field": "title", "language": "fr", "text": "x"}
        ).status_code
        == 404
    )


def test_timeline_text_defaults_to_the_ui_language_of_the_person_typing(client, db):
    # The person adding a note most likely types in the language they use FieldKit in, whatever
    # the issue's own language; the text areas carry no lang of their own (the page's applies).
    issue_id = create_issue(client, language="wo")
    page = client.get(f"/issues/{issue_id}", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert '<html lang="fr"' in page
    note = re.search(r'<textarea id="n-note"[^>]*>', page).group(0)
    assert "lang=" not in note and 'dir="auto"' in note
    token = re.findall(r'name="form_token" value="([^"]+)"', page)[-1]
    data = {"form_token": token, "kind": "note", "occurred_on": "2026-03-02", "note": "Le puits est sec"}
    response = client.submit(f"/issues/{issue_id}/events", data, headers={"Accept-Language": "fr"})
    assert response.status_code == 303
    assert (
        db.execute("SELECT language FROM issue_events WHERE issue_id = ?", (issue_id,)).fetchone()[0] == "fr"
    )


def test_meeting_search_also_matches_any_unicode_form(client):
    from tests.test_meetings import create_meeting

    meeting_id = create_meeting(client, title="பொது கூட்டம்", notes="தண்ணீர் இல்லை", language="ta")
    page = client.get("/meetings/", query_string={"q": unicodedata.normalize("NFD", "பொது")})
    assert meeting_id in page.get_data(as_text=True)


def test_a_meetings_notes_can_be_translated_and_found(client, db):
    from tests.test_meetings import create_meeting

    meeting_id = create_meeting(client, notes="Ndox mi dafa tàmbali", language="wo")
    page = client.get(f"/meetings/{meeting_id}").get_data(as_text=True)
    assert 'id="translations"' in page
    data = {
        "form_token": form_token(page, "/translations"),
        "field": "notes",
        "language": "fr",
        "text": "Le forage est en panne depuis mars",
    }
    assert client.submit(f"/meetings/{meeting_id}/translations", data).status_code == 303
    shown = client.get(f"/meetings/{meeting_id}?lang=en").get_data(as_text=True)
    assert re.search(r">Translation</span>\s*French", shown)
    assert "Ndox mi dafa tàmbali" in shown
    assert meeting_id in client.get("/meetings/", query_string={"q": "forage"}).get_data(as_text=True)
    refused = client.submit(
        f"/meetings/{meeting_id}/translations", {"field": "notes", "language": "wo", "text": "x"}
    )
    assert refused.status_code == 422 and "already the language of the original" in refused.get_data(
        as_text=True
    )
