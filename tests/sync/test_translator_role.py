"""Central's translator role and translations through in-process sync: a translator translates and
reviews, reads no records; a country member cannot translate; every device, whatever its country,
receives the entries; a dispute over an entry shows on the Review page by its English text."""

from __future__ import annotations

import json

from fieldkit.central import queries as central_queries
from fieldkit.db import connect
from fieldkit.queries import catalog
from fieldkit.records import TRANSLATE

from .test_accounts import signed_in


def test_a_translator_lands_on_the_translate_page_translates_and_reads_no_records(central_app, hub):
    browser = signed_in(central_app, hub, "awa", "translator", "*")
    assert browser.sign_in("awa").headers["Location"].endswith("/translate/")
    assert browser.web.get("/translate/wo").status_code == 200
    saved = browser.submit("/translate/wo/save", {"msgid": "Issues", "form-0": "Jafe yi"})
    assert saved.status_code == 303
    assert browser.web.get("/issues/").status_code == 403
    assert browser.web.get("/central/exports/").status_code == 403


def test_a_country_member_cannot_translate(central_app, hub):
    browser = signed_in(central_app, hub, "amina", "member", "KE")
    assert browser.web.get("/translate/wo").status_code == 403


def test_the_admin_page_offers_the_translator_role(central_app, hub):
    browser = signed_in(central_app, hub, "root", "admin", "*")
    page = browser.web.get("/central/users").get_data(as_text=True)
    assert 'value="translator"' in page
    added = browser.submit(
        "/central/users",
        {"username": "kofi", "role": "translator", "country": "*", "password": "long password"},
    )
    assert added.status_code == 303
    assert hub.execute("SELECT role FROM central_users WHERE username = 'kofi'").fetchone()[0] == "translator"


def test_devices_of_every_country_receive_translations_and_a_dispute_is_reviewed_by_its_english(
    central_app, hub, make_device
):
    kenya, ghana = make_device("kenya"), make_device("ghana")
    for device, country in ((kenya, "KE"), (ghana, "GH")):
        code = central_queries.create_code(hub, "p", country, grants=TRANSLATE)
        device.client(server_url="http://central.test").enroll(code, "http://central.test")
    catalog.save(kenya.conn, "wo", "", "Issues", "", ["Jafe yi"], author="Awa")
    kenya.sync()
    ghana.sync()
    assert catalog.entry(ghana.conn, "wo", "", "Issues")["forms"] == ["Jafe yi"]
    catalog.save(kenya.conn, "wo", "", "Issues", "", ["Jafe-jafe yi"], author="Awa")
    catalog.save(ghana.conn, "wo", "", "Issues", "", ["Jafe ya"], author="Kofi")
    kenya.sync()
    ghana.sync()
    admin = signed_in(central_app, hub, "root", "admin", "*")
    review = admin.web.get("/sync/conflicts").get_data(as_text=True)
    assert "Issues" in review and "Jafe ya" in review and "Jafe-jafe yi" in review
    member = signed_in(central_app, hub, "amina", "member", "KE")
    assert "Jafe ya" in member.web.get("/sync/conflicts").get_data(as_text=True)
    conn = connect(central_app.config["DATABASE"])
    try:
        assert conn.execute("SELECT COUNT(*) FROM sync_conflicts").fetchone()[0] == 1
    finally:
        conn.close()


def test_an_added_language_reaches_other_devices_and_a_broken_one_is_refused(central_app, hub, make_device):
    from fieldkit import added_languages

    kenya, ghana = make_device("kenya"), make_device("ghana")
    for device, country in ((kenya, "KE"), (ghana, "GH")):
        code = central_queries.create_code(hub, "p", country, grants=TRANSLATE)
        device.client(server_url="http://central.test").enroll(code, "http://central.test")
    language = {
        "code": "dag",
        "endonym": "Dagbanli",
        "english": "Dagbani",
        "fallbacks": '["en"]',
        "plural_rule": "nplurals=2; plural=(n != 1);",
        "formatting": "en_GH",
    }
    added_languages.add(kenya.conn, language, author="Awa")
    added_languages.add(
        kenya.conn, {**language, "code": "xx", "plural_rule": "nplurals=2; plural=n;"}, author="Awa"
    )
    kenya.sync()
    ghana.sync()
    assert list(added_languages.added(ghana.conn)) == ["dag"]
    refused = hub.execute("SELECT code, field FROM sync_refused WHERE tbl = 'ui_languages'").fetchall()
    assert [tuple(r) for r in refused] == [("language", "plural_rule")]
    assert "Dagbanli — draft" in ghana.app.test_client().get("/").get_data(as_text=True)


def test_two_first_translations_of_one_text_made_offline_are_one_dispute_not_one_lost(
    central_app, hub, make_device
):
    kenya, ghana = make_device("kenya"), make_device("ghana")
    for device, country in ((kenya, "KE"), (ghana, "GH")):
        code = central_queries.create_code(hub, "p", country, grants=TRANSLATE)
        device.client(server_url="http://central.test").enroll(code, "http://central.test")
    catalog.save(kenya.conn, "wo", "", "Issues", "", ["Jafe yi"], author="Awa")
    catalog.save(ghana.conn, "wo", "", "Issues", "", ["Jafe ya"], author="Kofi")
    kenya.sync()
    ghana.sync()
    kenya.sync()
    for conn in (hub, kenya.conn, ghana.conn):
        disputes = conn.execute("SELECT field, candidates FROM sync_conflicts").fetchall()
        assert [d[0] for d in disputes] == ["msgstr"]
        assert sorted(c["value"] for c in json.loads(disputes[0][1])) == ['["Jafe ya"]', '["Jafe yi"]']
