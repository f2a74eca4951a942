"""A double tap (or a phone's retry) of one form never saves twice, even when both requests race.

The form token is checked before the form is read, and again inside the write transaction: the
second request of a double tap may pass the first check while the first is still saving.
"""

from __future__ import annotations

import io
import re
import threading

import httpx

from fieldkit import server
from fieldkit.queries import tokens

from .conftest import CSRF, FormClient, issue_form
from .photos import jpeg_with_metadata

TOKEN = "0192f1c4-5a6b-7c8d-9e0f-112233445566"


def _count(db, sql: str) -> int:
    return db.execute(sql).fetchone()[0]


def _first_check_misses(monkeypatch):
    """Make the view's first token check miss once, as when both taps arrive together."""
    real = tokens.seen
    calls = {"n": 0}

    def seen(conn, token):
        calls["n"] += 1
        return None if calls["n"] == 1 else real(conn, token)

    monkeypatch.setattr(tokens, "seen", seen)


def _photo():
    return (io.BytesIO(jpeg_with_metadata()), "pump.jpg")


def test_a_new_issue_tapped_twice_in_a_race_is_saved_once_with_its_photo_once(client, db, monkeypatch):
    web = FormClient(client)
    first = web.submit("/issues/new", {**issue_form(form_token=TOKEN), "files": _photo()})
    assert first.status_code == 303
    _first_check_misses(monkeypatch)
    second = web.submit("/issues/new", {**issue_form(form_token=TOKEN), "files": _photo()})
    assert second.status_code == 303
    assert second.headers["Location"] == first.headers["Location"]
    assert _count(db, "SELECT COUNT(*) FROM issues") == 1
    assert _count(db, "SELECT COUNT(*) FROM attachments") == 1


def test_a_visit_with_a_photo_tapped_twice_in_a_race_is_saved_once(client, db, monkeypatch):
    web = FormClient(client)
    issue = web.submit("/issues/new", issue_form()).headers["Location"].rsplit("/", 1)[1]
    visit = {
        "kind": "visit",
        "occurred_on": "2026-11-01",
        "still_broken": "1",
        "note": "Dry",
        "form_token": TOKEN,
    }
    assert web.submit(f"/issues/{issue}/events", {**visit, "files": _photo()}).status_code == 303
    _first_check_misses(monkeypatch)
    assert web.submit(f"/issues/{issue}/events", {**visit, "files": _photo()}).status_code == 303
    assert _count(db, "SELECT COUNT(*) FROM issue_events WHERE kind = 'visit'") == 1
    assert _count(db, "SELECT COUNT(*) FROM attachments") == 1


def test_an_issue_raised_in_a_meeting_tapped_twice_in_a_race_is_one_issue(client, db, monkeypatch):
    web = FormClient(client)
    meeting = web.submit(
        "/meetings/new",
        {"title": "Ward meeting", "kind": "community", "held_on": "2026-11-02", "country": "KE"},
    )
    assert meeting.status_code == 303, meeting.get_data(as_text=True)[:2000]
    meeting_id = meeting.headers["Location"].rsplit("/", 1)[1]
    form = issue_form(form_token=TOKEN)
    assert web.submit(f"/meetings/{meeting_id}/issues/new", form).status_code == 303
    _first_check_misses(monkeypatch)
    assert web.submit(f"/meetings/{meeting_id}/issues/new", form).status_code == 303
    assert _count(db, "SELECT COUNT(*) FROM issues") == 1
    assert _count(db, "SELECT COUNT(*) FROM meeting_issues") == 1


def test_eight_identical_posts_at_once_to_a_real_server_save_one_issue_and_no_5xx(app, db):
    made = server.make_server(app, threads=8)
    thread = threading.Thread(target=made.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{made.effective_port}"
    try:
        session = httpx.Client(timeout=60)
        csrf = CSRF.search(session.get(f"{base}/issues/new").text).group(1)
        photo = jpeg_with_metadata()
        start = threading.Barrier(8)
        statuses = []

        def tap():
            start.wait(timeout=30)
            answer = session.post(
                f"{base}/issues/new",
                data={**issue_form(form_token=TOKEN), "csrf_token": csrf},
                files={"files": ("pump.jpg", photo, "image/jpeg")},
            )
            statuses.append(answer.status_code)

        taps = [threading.Thread(target=tap) for _ in range(8)]
        for t in taps:
            t.start()
        for t in taps:
            t.join(timeout=120)
        session.close()
    finally:
        made.close()
    assert statuses == [303] * 8
    assert _count(db, "SELECT COUNT(*) FROM issues") == 1
    assert _count(db, "SELECT COUNT(*) FROM attachments") == 1
    assert re.fullmatch(r"[0-9a-f-]{36}", db.execute("SELECT id FROM issues").fetchone()[0])
