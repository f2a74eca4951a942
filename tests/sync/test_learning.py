"""What changed and why at central: the changes with what came before them, reflections in their
language and translations, filters, findings (mark, unmark, list, CSV) and scope."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest

from fieldkit.central import accounts
from fieldkit.db import connect
from fieldkit.queries import events, issues, learning, meetings, text_translations
from tests.export_data import seed
from tests.sync.test_exports import signed_in

CSRF = 'name="csrf_token" value="'


def csrf(page) -> str:
    return page.get_data(as_text=True).split(CSRF)[1].split('"')[0]


def learned(conn, country: str, ids: dict) -> dict:
    """On top of ``seed``: the issue resolved after a visit, a budget released on the hidden
    issue, and a reflection session (in French, translated into English) that discussed it."""
    issue = issues.get_issue(conn, ids["issue"])
    events.add_event(
        conn, issue, {"kind": "visit", "occurred_on": "2026-04-20", "still_broken": 0, "note": "Pump works"}
    )
    ids["resolved"] = events.add_event(
        conn, issue, {"kind": "status", "occurred_on": "2026-05-02", "status": "resolved"}
    )
    issues.update_issue(conn, ids["hidden"], {"budget_released": "250000", "budget_currency": "KES"})
    reflection = meetings.create_meeting(
        conn,
        {
            "country": country,
            "title": f"Session de réflexion {country}",
            "kind": "reflection",
            "held_on": "2026-04-25",
            "language": "fr",
            "what_changed": f"La pompe marche à nouveau {country}",
            "what_learned": "Une audience budgétaire a convaincu le district",
        },
        org="kolwa-youth",
    )
    meeting = meetings.get_meeting(conn, reflection)
    meetings.link_issue(conn, meeting, {"issue_id": ids["issue"], "outcome": "progress"})
    text_translations.add_translation(
        conn, "meetings", meeting, "what_learned", "en", "A budget hearing convinced the district"
    )
    ids["reflection"] = reflection
    return ids


@pytest.fixture
def central(central_app):
    conn = connect(central_app.config["DATABASE"])
    ids = {c: learned(conn, c, seed(conn, c)) for c in ("KE", "GH")}
    accounts.add_user(conn, "amina", "long enough 1", country="KE", role="member")
    accounts.add_user(conn, "victor", "long enough 2", country="KE", role="viewer")
    accounts.add_user(conn, "ada", "long enough 3", country="*", role="admin")
    yield central_app, conn, ids
    conn.close()


def test_each_change_comes_with_what_came_before_it(central):
    app, _conn, ids = central
    page = signed_in(app, "victor", "long enough 2").get("/central/learning/")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    # The resolution, the commitment and the budget release are entries; so is the reflection.
    assert "Resolved" in text and "Repair by April" in text and "Budget released" in text
    assert "Session de réflexion KE" in text
    # Before the resolution: the budget hearing and the reflection that discussed it, the response, the visit.
    assert "Budget hearing KE" in text and "We will repair it" in text and "Fixed at this visit" in text
    # The reflection in the language written, and its stored translation.
    assert 'lang="fr"' in text and "Une audience budgétaire a convaincu le district" in text
    assert "A budget hearing convinced the district" in text
    # A viewer reads, but has no form to mark a finding.
    assert "Mark as a finding" not in text


def test_entries_are_newest_first_and_paginated(central):
    _app, conn, ids = central
    found, more = learning.entries(conn, {}, country="KE", page_size=2)
    # The budget release was recorded today; the resolution on the day it happened.
    assert [e["day"] for e in found] == [date.today().isoformat(), "2026-05-02"] and more
    rest, more = learning.entries(conn, {}, country="KE", page=2, page_size=2)
    assert not more and {e["source"] for e in found + rest} == {"event", "budget", "meeting"}
    assert len(found + rest) == 4  # resolved, reflection, committed (response), budget released
    assert all(e["country"] == "KE" for e in found + rest)


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"sector": "health"}, {"budget"}),
        ({"since": "2026-04-21", "until": "2026-04-30"}, {"meeting"}),
        ({"since": "2026-05-01"}, {"event", "budget"}),
        ({"q": "audience"}, {"meeting"}),  # words of the reflection
        ({"q": "borehole"}, {"event"}),  # words of the issue
        ({"q": "clinic"}, {"budget"}),
        ({"org": "another-org"}, set()),
        ({"country": "GH"}, set()),  # outside a Kenya account's scope
    ],
)
def test_filters_narrow_the_entries(central, filters, expected):
    _app, conn, _ids = central
    found, _more = learning.entries(conn, filters, country="KE")
    assert {e["source"] for e in found} == expected


def test_every_country_account_sees_both_and_filters_by_country(central):
    app, _conn, _ids = central
    client = signed_in(app, "ada", "long enough 3")
    both = client.get("/central/learning/").get_data(as_text=True)
    assert "Session de réflexion KE" in both and "Session de réflexion GH" in both
    ghana = client.get("/central/learning/?country=GH").get_data(as_text=True)
    assert "Session de réflexion GH" in ghana and "Session de réflexion KE" not in ghana


def test_bad_filters_are_told_beside_the_field_not_a_500(central):
    app, _conn, _ids = central
    answer = signed_in(app, "amina", "long enough 1").get(
        "/central/learning/?since=yesterday&sector=mining&org=a%20b&until=2026-01-01"
    )
    assert answer.status_code == 422
    text = answer.get_data(as_text=True)
    assert "Enter a date as YYYY-MM-DD" in text and "Choose one of the sectors." in text
    assert 'id="f-org-error"' in text


def test_the_learning_queries_read_their_partial_indexes(central):
    _app, conn, _ids = central
    plan = " ".join(
        str(row[-1])
        for row in conn.execute(
            "EXPLAIN QUERY PLAN SELECT e.id FROM issue_events e INDEXED BY issue_events_changes "
            f"WHERE {learning.CHANGE_EVENT} AND e.country = 'KE' ORDER BY e.occurred_on DESC LIMIT 5"
        )
    )
    assert "issue_events_changes" in plan and "TEMP B-TREE" not in plan


def mark(client, source, record_id, note="", next_page="/central/learning/"):
    page = client.get("/central/learning/")
    return client.post(
        "/central/learning/findings",
        data={
            "csrf_token": csrf(page),
            "source": source,
            "record_id": record_id,
            "note": note,
            "next": next_page,
        },
    )


def test_a_member_marks_lists_exports_and_unmarks_a_finding_and_each_is_audited(central):
    app, conn, ids = central
    client = signed_in(app, "amina", "long enough 1")
    answer = mark(client, "event", ids["KE"]["resolved"], note="=cmd() resolved after the hearing")
    assert answer.status_code == 303 and answer.headers["Location"].endswith("/central/learning/")
    assert mark(client, "meeting", ids["KE"]["reflection"]).status_code == 303
    page = client.get("/central/learning/").get_data(as_text=True)
    assert "Finding for the learning report" in page and "Remove from findings" in page
    listing = client.get("/central/learning/findings").get_data(as_text=True)
    assert "resolved after the hearing" in listing and "Session de réflexion KE" in listing
    rows = list(
        csv.DictReader(io.StringIO(client.get("/central/learning/findings.csv").get_data(as_text=True)))
    )
    assert {r["change"] for r in rows} == {"resolved", "reflected"}
    resolved = next(r for r in rows if r["change"] == "resolved")
    assert resolved["note"] == "'=cmd() resolved after the hearing"  # neutralised as in the exports
    assert resolved["ref"].startswith("KE-") and resolved["country"] == "KE"
    finding = conn.execute("SELECT id FROM central_findings WHERE source = 'meeting'").fetchone()[0]
    page = client.get("/central/learning/findings")
    gone = client.post(f"/central/learning/findings/{finding}/delete", data={"csrf_token": csrf(page)})
    assert gone.status_code == 303
    assert conn.execute("SELECT COUNT(*) FROM central_findings").fetchone()[0] == 1
    audit = conn.execute(
        "SELECT actor, action, record FROM central_audit WHERE action LIKE 'learning.%'"
    ).fetchall()
    assert [(a, b) for a, b, _r in audit] == [
        ("amina", "learning.mark"),
        ("amina", "learning.mark"),
        ("amina", "learning.unmark"),
    ]
    assert audit[0][2] == f"event/{ids['KE']['resolved']}"


def test_a_viewer_cannot_mark_and_a_form_without_its_csrf_token_changes_nothing(central):
    app, conn, ids = central
    viewer = signed_in(app, "victor", "long enough 2")
    assert mark(viewer, "event", ids["KE"]["resolved"]).status_code == 403
    member = signed_in(app, "amina", "long enough 1")
    refused = member.post(
        "/central/learning/findings", data={"source": "event", "record_id": ids["KE"]["resolved"]}
    )
    assert refused.status_code in (400, 403)
    assert conn.execute("SELECT COUNT(*) FROM central_findings").fetchone()[0] == 0


def test_a_note_too_long_is_told_beside_it_and_kept(central):
    app, conn, ids = central
    answer = mark(signed_in(app, "amina", "long enough 1"), "event", ids["KE"]["resolved"], note="x" * 2001)
    assert answer.status_code == 422
    assert "Keep the note under 2000 characters." in answer.get_data(as_text=True)
    assert conn.execute("SELECT COUNT(*) FROM central_findings").fetchone()[0] == 0


def test_a_kenya_account_never_sees_or_marks_a_ghana_entry_or_finding(central):
    app, conn, ids = central
    admin = signed_in(app, "ada", "long enough 3")
    assert mark(admin, "event", ids["GH"]["resolved"], note="Ghana finding").status_code == 303
    member = signed_in(app, "amina", "long enough 1")
    page = member.get("/central/learning/").get_data(as_text=True)
    # No Ghana record's id, nor Ghana's name (a bare "GH" can occur in a random CSRF token).
    assert not [key for key, record_id in ids["GH"].items() if str(record_id) in page]
    assert "Ghana" not in page
    assert member.get("/central/learning/?country=GH").get_data(as_text=True).count("learning-entry") == 0
    for source, key in (("event", "resolved"), ("budget", "hidden"), ("meeting", "reflection")):
        assert mark(member, source, ids["GH"][key]).status_code == 404
    assert "Ghana finding" not in member.get("/central/learning/findings").get_data(as_text=True)
    assert "Ghana finding" not in member.get("/central/learning/findings.csv").get_data(as_text=True)
    ghana = conn.execute("SELECT id FROM central_findings WHERE country = 'GH'").fetchone()[0]
    page = member.get("/central/learning/findings")
    assert (
        member.post(f"/central/learning/findings/{ghana}/delete", data={"csrf_token": csrf(page)}).status_code
        == 404
    )
    assert "Ghana finding" in admin.get("/central/learning/findings.csv").get_data(as_text=True)


def test_a_budget_release_is_dated_when_it_was_recorded_and_not_by_later_edits(central):
    _app, conn, ids = central
    day = conn.execute(
        "SELECT budget_released_on FROM issues WHERE id = ?", (ids["KE"]["hidden"],)
    ).fetchone()[0]
    assert day is not None and len(day) == 10
    issues.update_issue(conn, ids["KE"]["hidden"], {"budget_released": "100"})  # lowered: not a release
    issues.update_issue(conn, ids["KE"]["hidden"], {"title": "Clinic renamed"})
    again = conn.execute(
        "SELECT budget_released_on FROM issues WHERE id = ?", (ids["KE"]["hidden"],)
    ).fetchone()
    assert again[0] == day


@pytest.mark.parametrize("few", [0, 500])
def test_a_word_search_finds_the_same_whether_its_issues_are_few_or_many(central, monkeypatch, few):
    _app, conn, _ids = central
    monkeypatch.setattr(learning, "FEW_ISSUES", few)  # 0: every match counts as "many"
    for words, expected in (("borehole", {"event"}), ("clinic", {"budget"}), ("nothing-like-it", set())):
        found, _more = learning.entries(conn, {"q": words}, country="KE")
        assert {e["source"] for e in found} == expected, words
