"""Evidence packs (issue and meeting): what they hold, what they never hold, and scope."""

from __future__ import annotations

import pytest

from fieldkit import create_app
from fieldkit.central import accounts
from fieldkit.db import connect
from tests.export_data import INTERNAL, PRIVATE, REPORTER, seed
from tests.sync.test_exports import signed_in


@pytest.fixture
def central(central_app):
    conn = connect(central_app.config["DATABASE"])
    ids = {"KE": seed(conn, "KE"), "GH": seed(conn, "GH")}
    accounts.add_user(conn, "victor", "long enough 2", country="KE", role="viewer")
    yield central_app, ids
    conn.close()


def test_an_issue_pack_has_its_timeline_commitment_budget_and_meeting_but_no_reporter(central):
    app, ids = central
    answer = signed_in(app, "victor", "long enough 2").get(f"/issues/{ids['KE']['issue']}/evidence")
    assert answer.status_code == 200
    text = answer.get_data(as_text=True)
    for expected in (
        "borehole KE",
        "Government response",
        "We will repair it",
        "Repair by April",
        "Allocated:",
        "Budget hearing KE",
        "Officials made a commitment",
        "Write to the water board",
    ):
        assert expected in text, expected
    for never in (REPORTER, PRIVATE, INTERNAL):
        assert never not in text, never


def test_a_meeting_pack_has_decisions_action_items_and_linked_issues_but_no_internal_note(central):
    app, ids = central
    text = (
        signed_in(app, "victor", "long enough 2")
        .get(f"/meetings/{ids['KE']['meeting']}/evidence")
        .get_data(as_text=True)
    )
    for expected in (
        "Budget hearing KE",
        "Follow up in April",
        "Write to the water board",
        "borehole KE",
        "Programmeonly clinic KE",
    ):
        assert expected in text, expected
    assert INTERNAL not in text and REPORTER not in text


def test_a_kenya_account_gets_no_ghana_evidence_pack(central):
    app, ids = central
    client = signed_in(app, "victor", "long enough 2")
    assert client.get(f"/issues/{ids['GH']['issue']}/evidence").status_code == 404
    assert client.get(f"/meetings/{ids['GH']['meeting']}/evidence").status_code == 404


def test_the_pack_speaks_the_readers_language_and_the_detail_pages_link_to_it(central):
    app, ids = central
    client = signed_in(app, "victor", "long enough 2")
    french = client.get(f"/issues/{ids['KE']['issue']}/evidence", headers={"Accept-Language": "fr"})
    assert '<html lang="fr"' in french.get_data(as_text=True)
    for page, pack in (
        (f"/issues/{ids['KE']['issue']}", f"/issues/{ids['KE']['issue']}/evidence"),
        (f"/meetings/{ids['KE']['meeting']}", f"/meetings/{ids['KE']['meeting']}/evidence"),
    ):
        assert f'href="{pack}"' in client.get(page).get_data(as_text=True)


def test_on_a_device_the_pack_never_shows_the_device_only_reporter(tmp_path):
    app = create_app({"DATA_DIR": tmp_path / "device", "TESTING": True})
    conn = connect(app.config["DATABASE"])
    ids = seed(conn, "KE")
    conn.close()
    client = app.test_client()
    for issue in (ids["issue"], ids["hidden"]):
        text = client.get(f"/issues/{issue}/evidence").get_data(as_text=True)
        assert PRIVATE not in text and REPORTER not in text
    # The issue page itself still shows the device-only reporter to the device's owner.
    assert PRIVATE in client.get(f"/issues/{ids['hidden']}").get_data(as_text=True)
