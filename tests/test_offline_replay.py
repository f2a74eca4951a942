"""A phone's outbox sends a record again until the hub confirms it: the record's one-time form_token
(made by the page, or by the service worker for a kept form) is its idempotency key, so every
resend of the same record, photos included, saves it once, authored by the phone's user."""

from __future__ import annotations

import io
import re
import uuid

import pytest

from fieldkit import hub

from .conftest import CSRF, issue_form
from .photos import jpeg_with_metadata as phone_jpeg
from .test_hub import Phone
from .test_meetings import meeting_form


@pytest.fixture
def joined(app):
    state = hub.of(app)
    state.serve_on("127.0.0.2", 8080)
    phone = Phone(app)
    assert phone.join(state.pin, name="Njeri Kamau").status_code == 303
    return phone


def send(phone, path, form, photo=None):
    """What the outbox sends: the kept form, its CSRF token and any photo, as multipart."""
    data = dict(form, csrf_token=CSRF.search(phone.get("/issues/new").get_data(as_text=True)).group(1))
    if photo is not None:
        data["files"] = [(io.BytesIO(photo), "IMG_0007.jpg", "image/jpeg")]
    return phone.post(path, data, content_type="multipart/form-data", headers={"X-FieldKit-Draft": "1"})


def test_a_new_issue_sent_three_times_with_its_photo_is_saved_once_by_its_author(joined, db):
    token = str(uuid.uuid4())  # as the service worker makes one for a kept form
    answers = [send(joined, "/issues/new", issue_form(form_token=token), phone_jpeg()) for _ in range(3)]
    assert {a.status_code for a in answers} == {303}
    assert len({a.headers["Location"] for a in answers}) == 1
    assert db.execute("SELECT COUNT(*) FROM issues").fetchone()[0] == 1
    assert db.execute("SELECT COUNT(*) FROM attachments").fetchone()[0] == 1
    authors = db.execute(
        "SELECT DISTINCT author FROM sync_ops WHERE tbl IN ('issues', 'attachments')"
    ).fetchall()
    assert [tuple(a) for a in authors] == [("Njeri Kamau",)]


def test_two_records_from_one_kept_form_with_fresh_tokens_are_two_records(joined, db):
    for title in ("Borehole 1 broken", "Borehole 2 broken"):
        assert (
            send(joined, "/issues/new", issue_form(title=title, form_token=str(uuid.uuid4()))).status_code
            == 303
        )
    assert db.execute("SELECT COUNT(*) FROM issues").fetchone()[0] == 2


def test_a_follow_up_visit_sent_twice_with_its_photo_is_saved_once(joined, db):
    created = send(joined, "/issues/new", issue_form(form_token=str(uuid.uuid4())))
    path = created.headers["Location"] + "/events"
    visit = {"kind": "visit", "occurred_on": "2026-03-05", "still_broken": "1", "language": "en"}
    visit["form_token"] = str(uuid.uuid4())
    for _ in range(2):
        assert send(joined, path, visit, phone_jpeg()).status_code == 303
    assert db.execute("SELECT COUNT(*) FROM issue_events WHERE kind = 'visit'").fetchone()[0] == 1
    assert db.execute("SELECT COUNT(*) FROM attachments WHERE event_id IS NOT NULL").fetchone()[0] == 1


def test_a_meeting_sent_twice_is_saved_once(joined, db):
    form = meeting_form(form_token=str(uuid.uuid4()))
    first, second = send(joined, "/meetings/new", form), send(joined, "/meetings/new", form)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert db.execute("SELECT COUNT(*) FROM meetings").fetchone()[0] == 1


def test_the_service_worker_is_served_for_scope_root_with_the_strict_policy(app, joined):
    response = joined.get("/hub/sw.js")
    assert response.status_code == 200 and response.mimetype == "text/javascript"
    assert response.headers["Service-Worker-Allowed"] == "/"
    assert "no-cache" in response.headers["Cache-Control"]
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert b'addEventListener("fetch"' in response.data


def test_the_offline_notice_says_records_are_kept_and_sent_later(joined):
    page = joined.get("/hub/offline").get_data(as_text=True)
    assert "You are offline" in page and "sent when the hub is back" in page


def form_token_of(page: str, kind: str | None = None) -> str:
    """The form_token of the issue form on a page, or of the timeline form of ``kind``."""
    if kind:
        page = page.split(f'name="kind" value="{kind}"')[0].rsplit("<form", 1)[1]
    return re.search(r'name="form_token" value="([^"]*)"', page).group(1)


def test_a_record_the_hub_refuses_keeps_its_token_so_its_correction_saves_once(joined, db):
    """The outbox's "Open and correct" sends a refused record as a form: the page with the errors
    keeps the record's token, so the corrected form and any resend of the old one are one record."""
    token = str(uuid.uuid4())
    refused = send(
        joined, "/issues/new", issue_form(form_token=token, observed_on="2099-01-01"), phone_jpeg()
    )
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert "This date is in the future." in page and form_token_of(page) == token
    assert db.execute("SELECT COUNT(*) FROM issues").fetchone()[0] == 0
    corrected = issue_form(form_token=token, observed_on="2026-11-20")
    assert [send(joined, "/issues/new", corrected).status_code for _ in range(2)] == [303, 303]
    assert [tuple(r) for r in db.execute("SELECT observed_on FROM issues")] == [("2026-11-20",)]


def test_only_the_refused_timeline_form_keeps_its_token_and_a_forged_token_is_not_echoed(joined):
    created = send(joined, "/issues/new", issue_form(form_token=str(uuid.uuid4())))
    path = created.headers["Location"] + "/events"
    token = str(uuid.uuid4())
    visit = {"kind": "visit", "occurred_on": "2099-01-01", "still_broken": "1", "form_token": token}
    page = send(joined, path, visit).get_data(as_text=True)
    assert form_token_of(page, "visit") == token
    others = {form_token_of(page, kind) for kind in ("response", "status", "note")}
    assert token not in others and len(others) == 3  # fresh, and one each
    forged = send(joined, path, dict(visit, form_token='"><b>x</b>')).get_data(as_text=True)
    assert "<b>x</b>" not in forged and re.fullmatch(r"[0-9a-f-]{36}", form_token_of(forged, "visit"))


def test_a_record_kept_under_another_sessions_csrf_token_is_sent_with_the_token_from_ping(app, joined, db):
    """Cookies cleared, or another session: the outbox's record carries a CSRF token the hub no
    longer takes (400). /hub/ping gives the current one, and the record is then saved."""
    stranger = Phone(app, address="127.0.0.9")
    old_token = stranger.csrf()
    form = issue_form(form_token=str(uuid.uuid4()), csrf_token=old_token)
    post = {"content_type": "multipart/form-data", "headers": {"X-FieldKit-Draft": "1"}}
    assert joined.post("/issues/new", form, **post).status_code == 400
    fresh = joined.get("/hub/ping").get_json()["csrf"]
    assert joined.post("/issues/new", dict(form, csrf_token=fresh), **post).status_code == 303
    assert db.execute("SELECT COUNT(*) FROM issues").fetchone()[0] == 1


def test_hub_mode_turned_off_tells_the_outbox_to_wait_not_that_the_record_is_refused(app, joined, db):
    hub.of(app).stop()
    answer = send(joined, "/issues/new", issue_form(form_token=str(uuid.uuid4())))
    assert answer.status_code == 403 and answer.headers["X-FieldKit-Hub"] == "off"
    assert db.execute("SELECT COUNT(*) FROM issues").fetchone()[0] == 0
