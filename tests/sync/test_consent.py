"""Withdrawing consent holds: the reporter's name and contact leave central and every device,
journals included, and each form shows what is true. A device, central and a second device
talk over the sync API in one process (WSGI transport)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fieldkit.db import transaction
from sync import journal, merge
from sync.ids import uuid7

from ..conftest import CSRF, FormClient, create_issue
from . import replicas

NAME, CONTACT = "Zawadi Otieno", "+254 700 111222"
SHARED = {"anonymous": "0", "reporter_name": NAME, "reporter_contact": CONTACT, "reporter_consent": "1"}


def dump(conn) -> str:
    """Every byte of a database a person could read back with SQL, as text."""
    return "\n".join(conn.iterdump())


def save(client, issue_id, **reporter):
    form = client.get(f"/issues/{issue_id}/edit").get_data(as_text=True)
    data = {
        "csrf_token": CSRF.search(form).group(1),
        "form_token": re.search(r'name="form_token" value="([^"]+)"', form).group(1),
        "title": "Borehole broken since March",
        "sector": "water",
        "country": "KE",
        "severity": "3",
        **reporter,
    }
    response = client.post(f"/issues/{issue_id}/edit", data=data)
    assert response.status_code == 303, response.get_data(as_text=True)[:1000]


@pytest.fixture
def shared_everywhere(make_device, hub):
    """An issue whose reporter consented, recorded on ``first`` and synced to central and ``second``."""
    first, second = make_device("first"), make_device("second")
    first.enroll()
    second.enroll()
    client = FormClient(first.app.test_client())
    issue_id = create_issue(client, **SHARED)
    first.sync()
    second.sync()
    for conn in (hub, second.conn):
        assert NAME in dump(conn)
    return first, second, client, issue_id


def test_unticking_consent_removes_the_name_from_central_and_the_other_device(shared_everywhere, hub):
    first, second, client, issue_id = shared_everywhere
    save(client, issue_id, anonymous="0", reporter_name=NAME, reporter_contact=CONTACT)
    first.sync()
    second.sync()
    for conn in (hub, second.conn):
        text = dump(conn)
        assert NAME not in text and CONTACT not in text  # rows and every op of the journal
    # The recording device keeps them, on the device only: never in its journal.
    assert NAME not in "\n".join(r[0] for r in first.conn.execute("SELECT fields FROM sync_ops"))
    kept = first.conn.execute("SELECT name, contact FROM private_reporters").fetchall()
    assert [tuple(r) for r in kept] == [(NAME, CONTACT)]
    # The form says the truth: named, consent not given.
    form = client.get(f"/issues/{issue_id}/edit").get_data(as_text=True)
    assert re.search(r'id="f-anon-no"[^>]*checked', form)
    assert not re.search(r'id="f-consent"[^>]*checked', form)
    assert NAME in form
    other = second.app.test_client().get(f"/issues/{issue_id}").get_data(as_text=True)
    assert "Recorded, and kept on one device only: not shown here." in other
    flags = hub.execute("SELECT anonymous, consent FROM issues WHERE id = ?", (issue_id,)).fetchone()
    assert tuple(flags) == (0, 0)


def test_marking_the_reporter_anonymous_removes_them_everywhere(shared_everywhere, hub):
    first, second, client, issue_id = shared_everywhere
    save(client, issue_id, anonymous="1")
    first.sync()
    second.sync()
    for conn in (hub, second.conn, first.conn):
        text = dump(conn)
        assert NAME not in text and CONTACT not in text
    form = client.get(f"/issues/{issue_id}/edit").get_data(as_text=True)
    assert re.search(r'id="f-anon-yes"[^>]*checked', form)
    assert not re.search(r'id="f-consent"[^>]*checked', form)
    page = second.app.test_client().get(f"/issues/{issue_id}").get_data(as_text=True)
    assert "Anonymous" in page
    flags = hub.execute("SELECT anonymous, consent FROM issues WHERE id = ?", (issue_id,)).fetchone()
    assert tuple(flags) == (1, 0)


def test_an_edit_made_before_hearing_of_the_withdrawal_is_erased_too(shared_everywhere, hub):
    first, second, client, issue_id = shared_everywhere
    save(client, issue_id, anonymous="1")
    # The second device, not yet synced, corrects the contact.
    save(FormClient(second.app.test_client()), issue_id, **{**SHARED, "reporter_contact": "+254 799 000999"})
    first.sync()
    second.sync()
    first.sync()
    for conn in (hub, second.conn, first.conn):
        text = dump(conn)
        assert NAME not in text and "000999" not in text


def test_consent_given_again_shares_the_name_again(shared_everywhere, hub):
    first, second, client, issue_id = shared_everywhere
    save(client, issue_id, anonymous="1")
    save(client, issue_id, **SHARED)
    first.sync()
    second.sync()
    names = second.conn.execute("SELECT name FROM reporters WHERE consent = 1").fetchall()
    assert [r[0] for r in names] == [NAME]
    assert NAME in second.app.test_client().get(f"/issues/{issue_id}").get_data(as_text=True)


# --- the rule itself: any order, same journal ----------------------------------------------


def _reporter_ops():
    """A device's ops for one reporter row: create, two edits, a withdrawal."""
    device = replicas.fresh()
    issue_id = replicas.new_issue(device)
    row_id = uuid7()
    with transaction(device):
        journal.create(
            device,
            "reporters",
            {"id": row_id, "created_at": "2026-03-01T10:00:00Z", "org": replicas.ORG}
            | {"country": replicas.COUNTRY, "issue_id": issue_id}
            | {"name": NAME, "contact": CONTACT, "consent": 1},
        )
    edits = [{"contact": "+254 711 000001"}, {"name": "Z. Otieno"}]
    others = replicas.fresh()
    for changes in edits:  # written on another replica, so the withdrawal does not see them
        with transaction(others):
            if not journal.field_dots(others, "reporters", row_id):
                for op in replicas.own_ops(device):
                    merge.apply_remote(others, op)
            journal.update(others, "reporters", row_id, changes)
    with transaction(device):
        journal.update(device, "reporters", row_id, {"name": "", "contact": "", "consent": 0})
    return replicas.own_ops(device) + replicas.own_ops(others)


OPS = _reporter_ops()


#: The issue and the reporter's create reach every replica first (their edits name them);
#: the withdrawal and the edits that did not see it may arrive in any order.
FIRST, RACING = OPS[:2], OPS[2:]


@settings(max_examples=30, deadline=None)
@given(st.permutations(RACING))
def test_erasure_is_the_same_whatever_order_the_ops_arrive_in(order):
    conn = replicas.fresh()
    with transaction(conn):
        for op in FIRST + order:
            merge.apply_remote(conn, op)
    state = replicas.snapshot(conn)
    journal_text = sorted(r[0] for r in conn.execute("SELECT fields FROM sync_ops WHERE tbl = 'reporters'"))
    assert NAME not in dump(conn) and "Otieno" not in dump(conn)
    assert state == _reference_state() and journal_text == _reference_journal()


def _apply_in_order():
    conn = replicas.fresh()
    with transaction(conn):
        for op in OPS:
            merge.apply_remote(conn, op)
    return conn


_REFERENCE = _apply_in_order()


def _reference_state():
    return replicas.snapshot(_REFERENCE)


def _reference_journal():
    return sorted(r[0] for r in _REFERENCE.execute("SELECT fields FROM sync_ops WHERE tbl = 'reporters'"))
