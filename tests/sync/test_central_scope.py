"""At central every page shows only the signed-in country team's scope: a Kenya account never
sees, finds, opens, downloads the evidence of, or resolves a dispute on a Ghana issue; a ``*``
account sees both; a field device's pages are not scoped at all."""

from __future__ import annotations

import hashlib
import os
from datetime import date

import pytest

from fieldkit.central import accounts
from fieldkit.db import transaction
from fieldkit.queries import actions as action_queries
from fieldkit.queries import meetings as meeting_queries
from sync import journal, merge
from sync.blobs import BlobDir
from sync.ids import uuid7

from .replicas import edit, new_issue
from .test_pages import token


def attach(device, issue_id: str, *, org: str, country: str) -> str:
    data = os.urandom(3000)
    sha = hashlib.sha256(data).hexdigest()
    BlobDir(device.app.config["DATA_DIR"] + "/blobs").put(sha, data)
    with transaction(device.conn):
        journal.create(
            device.conn,
            "attachments",
            {
                "id": uuid7(),
                "created_at": "2026-03-01T10:00:00Z",
                "org": org,
                "country": country,
                "issue_id": issue_id,
                "sha256": sha,
                "filename": "evidence.pdf",
                "media_type": "application/pdf",
                "size": len(data),
            },
        )
    return sha


def new_meeting(conn, title: str, *, org: str, country: str) -> dict:
    meeting_id = meeting_queries.create_meeting(
        conn,
        {"title": title, "kind": "community", "held_on": "2026-03-02", "country": country},
        org=org,
    )
    meeting = meeting_queries.get_meeting(conn, meeting_id)
    action_queries.add_action(
        conn,
        meeting,
        {"what": f"Follow up {title}", "owner_kind": "partner", "due_on": date.today().isoformat()},
    )
    return meeting


def sign_in(central_app, hub, username: str, country: str):
    accounts.add_user(hub, username, "long password", country=country)
    web = central_app.test_client()
    page = web.get("/central/login")
    answer = web.post(
        "/central/login", data={"csrf_token": token(page), "username": username, "password": "long password"}
    )
    assert answer.status_code == 303
    return web


@pytest.fixture
def two_countries(make_device, central_app):
    """A Kenyan device and two Ghanaian ones; the Ghanaians disagree on an issue's title."""
    ke, gh1, gh2 = make_device("ke"), make_device("gh1"), make_device("gh2")
    ke.enroll()
    # Recorded before enrolment: the org is still "local" on the device.
    gh_issue = new_issue(gh1.conn, "Borehole dry in Tamale", org="local", country="GH", community="Tamale")
    gh1.enroll(org="accra-watch", country="GH")
    gh2.enroll(org="accra-watch", country="GH")
    ke_issue = new_issue(ke.conn, "Clinic without medicine in Kisumu", community="Kisumu")
    ke_sha = attach(ke, ke_issue, org="kolwa-youth", country="KE")
    gh_sha = attach(gh1, gh_issue, org="local", country="GH")
    ke_meeting = new_meeting(ke.conn, "Kisumu water committee", org="kolwa-youth", country="KE")
    gh_meeting = new_meeting(gh1.conn, "Tamale budget hearing", org="accra-watch", country="GH")
    for device in (ke, gh1, gh2):
        device.sync()
    edit(gh1.conn, gh_issue, title="Borehole dry since March")
    edit(gh2.conn, gh_issue, title="Borehole pump stolen")
    for device in (gh1, gh2, gh1):
        device.sync()
    return {
        "ke_issue": ke_issue,
        "gh_issue": gh_issue,
        "ke_sha": ke_sha,
        "gh_sha": gh_sha,
        "ke_meeting": ke_meeting["id"],
        "gh_meeting": gh_meeting["id"],
    }


def text(response) -> str:
    return response.get_data(as_text=True)


def status_of(web, url: str) -> int:
    response = web.get(url)
    response.close()  # a served file stays open until the response is closed
    return response.status_code


def shows_ghana(body: str) -> bool:
    """Whether a page shows the Ghanaian issue (under any of its titles) or meeting."""
    return any(t in body for t in ("Borehole dry", "Borehole pump stolen", "Tamale budget hearing"))


def test_a_kenya_account_sees_and_finds_only_kenyan_records(two_countries, central_app, hub):
    web = sign_in(central_app, hub, "amina", "KE")
    listed = text(web.get("/issues/"))
    assert "Clinic without medicine" in listed and not shows_ghana(listed)
    assert "Tamale" not in listed  # not even as a community to filter by
    assert not shows_ghana(text(web.get("/issues/?q=Borehole")))
    assert not shows_ghana(text(web.get("/issues/?community=Tamale")))
    assert not shows_ghana(text(web.get("/meetings/?q=Tamale")))
    assert not shows_ghana(text(web.get("/search?q=Borehole")))
    assert not shows_ghana(text(web.get("/search?q=Tamale")))
    assert "Kisumu water committee" in text(web.get("/search?q=Kisumu"))
    meetings = text(web.get("/meetings/"))
    assert "Kisumu water committee" in meetings and not shows_ghana(meetings)
    home = text(web.get("/"))
    assert "Clinic without medicine" in home and "Follow up Kisumu" in home
    assert not shows_ghana(home) and "Follow up Tamale" not in home


def test_a_kenya_account_cannot_open_a_ghana_record_or_its_evidence(two_countries, central_app, hub):
    web = sign_in(central_app, hub, "amina", "KE")
    gh, gh_meeting = two_countries["gh_issue"], two_countries["gh_meeting"]
    for url in (
        f"/issues/{gh}",
        f"/issues/{gh}/history",
        f"/issues/{gh}/edit",
        f"/meetings/{gh_meeting}",
        f"/meetings/{gh_meeting}/history",
        f"/files/{two_countries['gh_sha']}",
        f"/files/{two_countries['gh_sha']}/display.jpg",
    ):
        assert status_of(web, url) == 404, url  # as if it did not exist: nothing leaks
    page = web.get(f"/issues/{two_countries['ke_issue']}")
    assert page.status_code == 200
    assert status_of(web, f"/files/{two_countries['ke_sha']}") == 200
    deleted = web.post(f"/issues/{gh}/delete", data={"csrf_token": token(page)})
    assert deleted.status_code == 404
    assert hub.execute("SELECT deleted FROM issues WHERE id = ?", (gh,)).fetchone()[0] == 0


def test_a_kenya_account_cannot_see_or_resolve_a_ghana_dispute(two_countries, central_app, hub):
    web = sign_in(central_app, hub, "amina", "KE")
    gh = two_countries["gh_issue"]
    page = web.get("/sync/conflicts")
    assert not shows_ghana(text(page))
    assert "0 disputed fields to review" in text(web.get("/sync/"))
    (conflict,) = merge.open_conflicts(hub)
    answer = web.post(
        "/sync/conflicts/resolve",
        data={
            "csrf_token": token(page),
            "tbl": "issues",
            "row_id": gh,
            "field": "title",
            "choice": conflict["candidates"][0]["dot"],
        },
    )
    assert answer.status_code == 404
    assert merge.count_conflicts(hub) == 1


def test_a_kenya_account_records_only_in_kenya(two_countries, central_app, hub):
    web = sign_in(central_app, hub, "amina", "KE")
    form = web.get("/issues/new")
    assert 'value="KE" selected' in text(form) or 'value="KE"' in text(form)
    answer = web.post(
        "/issues/new",
        data={
            "csrf_token": token(form),
            "form_token": "0190a3c2-1111-7000-8000-000000000001",
            "title": "Road washed away",
            "sector": "roads",
            "country": "GH",
            "severity": "2",
            "status": "reported",
            "language": "en",
            "visibility": "programme",
        },
    )
    assert answer.status_code == 422 and "countries you manage" in text(answer)
    assert hub.execute("SELECT COUNT(*) FROM issues WHERE title = 'Road washed away'").fetchone()[0] == 0


def test_an_all_countries_account_sees_both_and_resolves_any_dispute(two_countries, central_app, hub):
    web = sign_in(central_app, hub, "kofi", "*")
    listed = text(web.get("/issues/"))
    assert "Clinic without medicine" in listed and shows_ghana(listed)
    assert shows_ghana(text(web.get("/search?q=Borehole")))
    assert web.get(f"/issues/{two_countries['gh_issue']}").status_code == 200
    assert web.get(f"/meetings/{two_countries['gh_meeting']}").status_code == 200
    assert status_of(web, f"/files/{two_countries['gh_sha']}") == 200
    page = web.get("/sync/conflicts")
    assert "Borehole pump stolen" in text(page)
    (conflict,) = merge.open_conflicts(hub)
    answer = web.post(
        "/sync/conflicts/resolve",
        data={
            "csrf_token": token(page),
            "tbl": "issues",
            "row_id": two_countries["gh_issue"],
            "field": "title",
            "choice": conflict["candidates"][0]["dot"],
        },
    )
    assert answer.status_code == 303 and merge.count_conflicts(hub) == 0


def test_a_ghana_account_sees_the_issue_recorded_before_its_device_enrolled(two_countries, central_app, hub):
    web = sign_in(central_app, hub, "kwame", "GH")
    assert shows_ghana(text(web.get("/issues/")))
    # Central keeps the row as the device wrote it (replicas stay identical) and scopes it to
    # the enrolled organisation for every device's pull.
    assert (
        hub.execute(
            "SELECT org FROM sync_scope WHERE tbl = 'issues' AND row_id = ?", (two_countries["gh_issue"],)
        ).fetchone()[0]
        == "accra-watch"
    )


def test_a_field_device_pages_are_not_scoped(make_device):
    device = make_device("unenrolled")
    ke = new_issue(device.conn, "Clinic without medicine", country="KE")
    gh = new_issue(device.conn, "Borehole dry", country="GH")
    web = device.app.test_client()
    listed = text(web.get("/issues/"))
    assert "Clinic without medicine" in listed and "Borehole dry" in listed
    assert web.get(f"/issues/{ke}").status_code == 200 and web.get(f"/issues/{gh}").status_code == 200
    assert "Borehole dry" in text(web.get("/search?q=Borehole"))


def test_a_kenya_account_cannot_link_a_ghana_issue_to_its_meeting(two_countries, central_app, hub):
    web = sign_in(central_app, hub, "amina", "KE")
    meeting = two_countries["ke_meeting"]
    page = web.get(f"/meetings/{meeting}?find=Borehole")
    assert not shows_ghana(text(page))  # search-as-you-type finds nothing outside Kenya
    answer = web.post(
        f"/meetings/{meeting}/links",
        data={"csrf_token": token(page), "issue_id": two_countries["gh_issue"], "outcome": "discussed"},
    )
    assert answer.status_code == 422
    assert hub.execute("SELECT COUNT(*) FROM meeting_issues").fetchone()[0] == 0


def test_central_asks_for_an_account_not_the_hub_pin_from_another_machine(central_app, make_device):
    away = {"environ_base": {"REMOTE_ADDR": "10.0.0.7"}, "base_url": "http://10.0.0.1/"}
    answer = central_app.test_client().get("/issues/", **away)
    assert answer.status_code == 302 and "/central/login" in answer.headers["Location"]
    device = make_device("laptop")
    assert device.app.test_client().get("/issues/", **away).status_code == 403  # hub mode off
