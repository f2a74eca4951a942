"""The Translate page: local catalog entries checked, shown over the shipped catalog, reviewed, exchanged as .po."""

from __future__ import annotations

import io
import json

from babel.messages.pofile import read_po

from fieldkit import local_catalog
from fieldkit.catalog_rules import check_entry, plural_examples
from fieldkit.records import catalog_entry_id

PLURAL = (
    "%(num)s problem found; nothing was imported from %(file)s.",
    "%(num)s problems found; nothing was imported from %(file)s.",
)


def save(client, code, msgid, *forms, msgctxt=""):
    data = {"msgid": msgid, "msgctxt": msgctxt, **{f"form-{i}": text for i, text in enumerate(forms)}}
    return client.submit(f"/translate/{code}/save", data)


def test_a_saved_entry_shows_on_every_page_over_the_shipped_catalog(client):
    assert ">Jafe-jafe</a>" in client.get("/?lang=wo").get_data(as_text=True)
    assert save(client, "wo", "Issues", "Jafe yi").status_code == 303
    page = client.get("/?lang=wo").get_data(as_text=True)
    assert ">Jafe yi</a>" in page and ">Jafe-jafe</a>" not in page


def test_a_renamed_placeholder_is_refused_beside_the_field_and_nothing_is_stored(client, db):
    response = save(client, "fr", "Photo: %(name)s", "Photo : %(nom)s")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "%(name)s" in page and 'aria-invalid="true"' in page
    assert db.execute("SELECT COUNT(*) FROM catalog_entries").fetchone()[0] == 0


def test_each_rule_of_an_entry():
    assert check_entry("fr", "Photo: %(name)s", "", ["Photo : %(name)s"]) == {}
    assert check_entry("fr", "Wait %s seconds", "", ["Attendez secondes"])  # positional dropped
    assert check_entry("fr", "<strong>Hi</strong>", "", ["<strong>Salut"])  # tag missing
    assert check_entry(
        "fr", "<strong>Hi</strong>", "", ["<strong onclick='x'>Salut</strong>"]
    )  # attribute added
    assert check_entry(
        "fr", "<em>a</em><strong>b</strong>", "", ["<em>a<strong></em>b</strong>"]
    )  # not nested
    assert check_entry(
        "fr", *PLURAL, ["%(num)s problème ; %(file)s", "%(num)s problèmes ; %(file)s"]
    )  # 2 of 3
    assert check_entry("wo", *PLURAL, ["%(num)s jafe ci %(file)s"]) == {}  # Wolof has one form


def test_plural_forms_come_with_example_numbers_from_cldr(client):
    assert plural_examples("fr")[0][:2] == [0, 1] and 2 in plural_examples("fr")[2]
    page = client.get("/translate/fr", query_string={"msgid": PLURAL[0]}).get_data(as_text=True)
    assert page.count('name="form-') == 3
    assert "1000000" in page


def test_a_plural_entry_missing_a_form_is_refused(client):
    response = save(client, "fr", PLURAL[0], "%(num)s problème dans %(file)s", "%(num)s problèmes", "")
    assert response.status_code == 422


def test_filters_and_search_find_entries(client):
    save(client, "wo", "Issues", "Jafe yi")
    drafts = client.get("/translate/wo", query_string={"filter": "draft", "q": "Jafe yi"}).get_data(
        as_text=True
    )
    assert ">Jafe yi</textarea>" in drafts
    reviewed = client.get("/translate/wo", query_string={"filter": "reviewed", "q": "Jafe yi"})
    assert ">Jafe yi</textarea>" not in reviewed.get_data(as_text=True)
    one = client.get("/translate/wo", query_string={"msgid": "Issues"}).get_data(as_text=True)
    assert one.count("<textarea") == 1


def test_the_translator_cannot_review_their_own_text_a_second_person_can(app, client, db):
    app.config["AUTHOR"] = "Awa"
    save(client, "wo", "Issues", "Jafe yi")
    assert client.submit("/translate/wo/review", {"msgid": "Issues", "msgctxt": ""}).status_code == 422
    app.config["AUTHOR"] = "Moussa"
    assert client.submit("/translate/wo/review", {"msgid": "Issues", "msgctxt": ""}).status_code == 303
    row = db.execute("SELECT status, reviewed_by, reviewed_on FROM catalog_entries").fetchone()
    assert row["status"] == "reviewed" and row["reviewed_by"] == "Moussa" and row["reviewed_on"]
    app.config["AUTHOR"] = "Awa"
    save(client, "wo", "Issues", "Jafe-jafe yi")
    changed = client.get("/translate/wo", query_string={"filter": "changed"}).get_data(as_text=True)
    assert ">Jafe-jafe yi</textarea>" in changed


def test_a_language_is_reviewed_in_the_picker_once_every_text_is_reviewed(app, client, db):
    assert "Wolof — draft" in client.get("/").get_data(as_text=True)
    rows = [(catalog_entry_id("wo", ctx, msgid), ctx, msgid) for ctx, msgid in local_catalog.template_keys()]
    db.executemany(
        "INSERT INTO catalog_entries (id, language, msgctxt, msgid, msgstr, status, reviewed_by, reviewed_on) "
        "VALUES (?, 'wo', ?, ?, '[\"x\"]', 'reviewed', 'Moussa', '2026-11-29')",
        rows,
    )
    db.commit()
    page = client.get("/").get_data(as_text=True)
    assert "Wolof — draft" not in page and "Twi (Akan) — draft" in page


def test_a_po_file_round_trip_loses_nothing(client):
    save(client, "wo", "Issues", "Jafe yi")
    first = client.get("/translate/wo/messages.po")
    assert first.status_code == 200
    catalog = read_po(io.BytesIO(first.data))
    issues = catalog.get("Issues")
    assert issues.string == "Jafe yi" and len([m for m in catalog if m.id]) == len(
        local_catalog.template_keys()
    )
    response = client.submit("/translate/wo/upload", {"file": (io.BytesIO(first.data), "wo.po")})
    assert response.status_code == 200
    second = read_po(io.BytesIO(client.get("/translate/wo/messages.po").data))
    assert [(m.id, m.string, m.context, m.auto_comments) for m in catalog] == [
        (m.id, m.string, m.context, m.auto_comments) for m in second
    ]


def test_an_upload_saves_good_entries_and_lists_broken_ones_with_their_reason(client, db):
    po = (
        b'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        b'msgid "Issues"\nmsgstr "Jafe yi"\n\n'
        b'msgid "Photo: %(name)s"\nmsgstr "Nataal: %(tur)s"\n'
    )
    response = client.submit("/translate/wo/upload", {"file": (io.BytesIO(po), "wo.po")})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Photo: %(name)s" in page and "%(tur)s" in page
    stored = [json.loads(r[0]) for r in db.execute("SELECT msgstr FROM catalog_entries")]
    assert stored == [["Jafe yi"]]


def test_an_upload_that_is_not_a_po_file_is_refused(client):
    response = client.submit("/translate/wo/upload", {"file": (io.BytesIO(b"\x00\x01"), "wo.exe")})
    assert response.status_code == 422


def test_the_glossary_is_shown_beside_texts_that_use_its_terms(client):
    client.submit("/translate/wo/glossary", {"term-issue": "jafe", "note-issue": ""})
    page = client.get("/translate/wo", query_string={"msgid": "Issues"}).get_data(as_text=True)
    assert "issue → jafe" in page


def _copy_of_translations(tmp_path):
    import shutil

    from fieldkit.resources import TRANSLATIONS_DIR

    folder = tmp_path / "translations"
    shutil.copytree(TRANSLATIONS_DIR, folder)
    return folder


def test_a_release_that_changes_the_shipped_text_keeps_the_local_one_which_wins(tmp_path):
    from fieldkit import create_app, i18n, translate_page

    from .conftest import FormClient

    folder = _copy_of_translations(tmp_path)
    app = create_app({"DATA_DIR": tmp_path / "data", "TESTING": True, "TRANSLATIONS_DIR": folder})
    client = FormClient(app.test_client())
    save(client, "wo", "Issues", "Jafe yi")
    po = folder / "wo" / "LC_MESSAGES" / "messages.po"
    po.write_text(po.read_text().replace('msgstr "Jafe-jafe"\n', 'msgstr "Jafe-jafe bees"\n', 1))
    i18n.clear_caches()
    translate_page.shipped.cache_clear()
    assert ">Jafe yi</a>" in client.get("/?lang=wo").get_data(as_text=True)
    page = client.get("/translate/wo", query_string={"msgid": "Issues"}).get_data(as_text=True)
    assert ">Jafe yi</textarea>" in page and "Jafe-jafe bees" in page


def test_merge_local_folds_local_entries_into_the_shipped_po_and_keeps_them(
    tmp_path, app, client, runner, db
):
    folder = _copy_of_translations(tmp_path)
    save(client, "wo", "Issues", "Jafe yi")
    out = runner("translations", "merge-local", "wo", "--dir", str(folder)).output
    assert "1 local translation merged" in out
    catalog = read_po(io.BytesIO((folder / "wo" / "LC_MESSAGES" / "messages.po").read_bytes()))
    assert catalog.get("Issues").string == "Jafe yi"
    assert db.execute("SELECT COUNT(*) FROM catalog_entries").fetchone()[0] == 1


def add_language(client, **fields):
    form = {"code": "", "endonym": "", "english": "", "fallbacks": "en", "plural_rule": "", "formatting": ""}
    return client.submit("/translate/languages", {**form, **fields})


def test_a_language_cldr_lacks_is_added_with_a_stated_rule_and_shows_in_the_picker_as_draft(client):
    added = add_language(
        client,
        code="dag",
        endonym="Dagbanli",
        english="Dagbani",
        plural_rule="nplurals=2; plural=(n != 1);",
        formatting="en_GH",
    )
    assert added.status_code == 303 and added.headers["Location"].endswith("/translate/dag")
    assert "Dagbanli — draft" in client.get("/").get_data(as_text=True)
    assert save(client, "dag", "Issues", "Nyɛla").status_code == 303
    assert ">Nyɛla</a>" in client.get("/?lang=dag").get_data(as_text=True)
    assert save(client, "dag", PLURAL[0], "%(num)s %(file)s").status_code == 422  # two forms needed
    assert save(client, "dag", PLURAL[0], "%(num)s %(file)s", "%(num)s %(file)s").status_code == 303


def test_a_language_cldr_knows_takes_cldrs_plural_rule(client):
    assert (
        add_language(client, code="ta", endonym="தமிழ்", plural_rule="nplurals=5; plural=n;").status_code
        == 303
    )
    page = client.get("/translate/ta", query_string={"msgid": PLURAL[0]}).get_data(as_text=True)
    assert page.count('name="form-') == 2  # CLDR: one, other


def test_a_new_language_is_refused_beside_its_fields_when_wrong(client):
    for fields, field in (
        ({"code": "tw", "endonym": "Twi"}, "code"),  # an alias of Akan, which FieldKit has
        ({"code": "wo", "endonym": "Wolof"}, "code"),
        ({"code": "not a code", "endonym": "x"}, "code"),
        ({"code": "dag", "endonym": "Dagbanli", "plural_rule": "nplurals=2; plural=n;"}, "plural_rule"),
        (
            {
                "code": "dag",
                "endonym": "Dagbanli",
                "plural_rule": "nplurals=1; plural=0;",
                "formatting": "xx_YY",
            },
            "formatting",
        ),
        ({"code": "dag", "endonym": "", "plural_rule": "nplurals=1; plural=0;"}, "endonym"),
    ):
        response = add_language(client, **fields)
        assert response.status_code == 422, fields
        assert f'id="f-{field}-error"' in response.get_data(as_text=True), fields
