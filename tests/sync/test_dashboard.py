"""Central's dashboard and follow-up lists: figures against records whose answers are known,
each figure's link leads to a list of exactly that many, and scope (two countries' data)."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from fieldkit.central import accounts, dashboard_figures
from fieldkit.central.figure_filters import Filters
from fieldkit.db import connect
from fieldkit.queries import actions, events, issues, meetings
from sync import journal

from .test_exports import signed_in

TODAY = date.today()


def ago(days: int) -> str:
    return (TODAY - timedelta(days=days)).isoformat()


def issue(
    conn, country, title, *, sector="water", org="kolwa-youth", district="Kisumu East", reported=30, **more
):
    return issues.create_issue(
        conn,
        {
            "country": country,
            "title": title,
            "sector": sector,
            "district": district,
            "created_at": f"{ago(reported)}T09:00:00Z",
            **more,
        },
        author="t",
        org=org,
    )


def respond(conn, issue_id, on, *, due=None, kept=False):
    values = {"kind": "response", "occurred_on": on, "channel": "letter", "said": "We will act"}
    if due:
        values.update(commitment="Repair it", due_on=due, fulfilled=int(kept))
    return events.add_event(conn, issues.get_issue(conn, issue_id), values)


def resolve(conn, issue_id, on):
    events.add_event(
        conn, issues.get_issue(conn, issue_id), {"kind": "status", "status": "resolved", "occurred_on": on}
    )


def seed_country(conn, country: str) -> dict:
    """Five issues of known answers (and a deleted one with a commitment), a meeting with three
    action items.

    Days from report to first response: 4, 10, 1 (median 4); to resolution: 20.
    Commitments: 3 made, 1 kept, 1 overdue, 1 due in five days. Action items overdue: 1.
    """
    name = {"KE": "Kenya", "GH": "Ghana"}[country]
    one = issue(conn, country, f"{name} borehole", reported=100)
    respond(conn, one, ago(96), due=ago(90), kept=True)
    resolve(conn, one, ago(80))
    two = issue(conn, country, f"{name} clinic", sector="health", reported=60)
    respond(conn, two, ago(50), due=ago(40))
    three = issue(
        conn,
        country,
        f"{name} pipe",
        org="haki-maji",
        district="Nyando",
        reported=45,
        budget_code="PB-1",
        budget_allocated="1000.50",
        budget_released="400.25",
        budget_spent="100",
        budget_currency="KES",
    )
    four = issue(
        conn,
        country,
        f"{name} school",
        sector="education",
        org="haki-maji",
        district="Nyando",
        reported=10,
        budget_code="PB-2",
        budget_allocated="2000",
        budget_currency="KES",
    )
    respond(conn, four, ago(9), due=(TODAY + timedelta(days=5)).isoformat())
    five = issue(conn, country, f"{name} road", sector="roads", reported=5)
    gone = issue(conn, country, f"{name} deleted", reported=20)
    respond(conn, gone, ago(19), due=ago(2))  # counts nowhere: its issue is deleted
    issues.delete_issue(conn, gone)
    meeting_id = meetings.create_meeting(
        conn,
        {"country": country, "title": f"{name} hearing", "kind": "budget_hearing", "held_on": ago(20)},
        author="t",
        org="kolwa-youth",
    )
    meeting = meetings.get_meeting(conn, meeting_id)
    late = actions.add_action(conn, meeting, {"what": f"{name} letter to the board", "due_on": ago(3)})
    done = actions.add_action(conn, meeting, {"what": f"{name} visit", "due_on": ago(3)})
    actions.set_status(conn, done, "done")
    actions.add_action(
        conn, meeting, {"what": f"{name} call", "due_on": (TODAY + timedelta(days=3)).isoformat()}
    )
    return {"issues": [one, two, three, four, five], "gone": gone, "meeting": meeting_id, "late": late}


@pytest.fixture
def central(central_app):
    conn = connect(central_app.config["DATABASE"])
    seeded = {"KE": seed_country(conn, "KE"), "GH": seed_country(conn, "GH")}
    accounts.add_user(conn, "amina", "long enough 1", country="KE", role="member")
    accounts.add_user(conn, "victor", "long enough 2", country="KE", role="viewer")
    accounts.add_user(conn, "ada", "long enough 3", country="*", role="admin")
    yield central_app, conn, seeded
    conn.close()


def figures_for(app, conn, **filters):
    with app.test_request_context("/central/dashboard/"):
        return dashboard_figures.figures(conn, Filters(**filters), TODAY, by_country="country" not in filters)


def listed(client, href: str) -> int:
    """How many records the list at ``href`` says it shows."""
    page = client.get(href)
    assert page.status_code == 200, href
    text = page.get_data(as_text=True)
    found = re.search(r'<p class="count">(\d+) issues?</p>', text) or re.search(r"<h2>(\d+) ", text)
    assert found, href
    return int(found.group(1))


def test_the_figures_count_the_records_exactly(central):
    app, conn, _seeded = central
    f = figures_for(app, conn, country="KE")
    assert (f["total"], f["responded"], f["not_responded"], f["resolved"]) == (5, 3, 2, 1)
    assert f["share"] == pytest.approx(0.6)
    assert f["median_response"] == 4 and f["median_resolution"] == 20
    assert {s: c["n"] for s, c in f["commitments"].items()} == {"made": 3, "kept": 1, "overdue": 1}
    assert f["actions_overdue"]["n"] == 1
    cells = {(row["sector"], c["status"]): c["n"] for row in f["matrix"] for c in row["cells"] if c["n"]}
    assert cells == {
        ("water", "resolved"): 1,
        ("water", "reported"): 1,
        ("health", "reported"): 1,
        ("education", "reported"): 1,
        ("roads", "reported"): 1,
    }
    assert [(d["district"], d["n"]) for d in f["districts"]] == [("Kisumu East", 3), ("Nyando", 2)]
    [budget] = f["budgets"]
    assert (budget["currency"], budget["issues"]) == ("KES", 2)
    assert (budget["allocated"], budget["released"], budget["spent"]) == (3000.5, 400.25, 100)
    months = {m["month"]: (m["new"], m["resolved"]) for m in f["months"]}
    assert sum(n for n, _r in months.values()) == 5 and sum(r for _n, r in months.values()) == 1
    assert months[ago(80)[:7]][1] == 1


def test_an_issue_resolved_on_its_edit_form_counts_in_every_resolution_figure(central):
    """No "resolved" event on its timeline: while resolved, it counts as resolved on the day of its
    last change, in the resolutions per month and the median as in sector x status."""
    app, conn, seeded = central
    school = seeded["KE"]["issues"][3]  # reported 10 days ago, answered after 1 day
    issues.update_issue(conn, school, {"status": "resolved"}, author="t")
    today = conn.execute("SELECT substr(updated_at, 1, 10) FROM issues WHERE id = ?", (school,)).fetchone()[0]
    resolved_after = (date.fromisoformat(today) - date.fromisoformat(ago(10))).days
    f = figures_for(app, conn, country="KE")
    assert f["resolved"] == 2
    months = {m["month"]: m["resolved"] for m in f["months"]}
    assert sum(months.values()) == 2 and months[today[:7]] >= 1
    assert f["median_resolution"] in (20, resolved_after, (20 + resolved_after) / 2)
    client = signed_in(app, "amina", "long enough 1")
    assert listed(client, f["resolved_href"]) == 2

    def resolution():
        return tuple(
            conn.execute("SELECT resolved_on, resolution_days FROM issues WHERE id = ?", (school,)).fetchone()
        )

    respond(conn, school, ago(0))  # a later answer keeps it
    assert resolution() == (today, resolved_after)
    issues.update_issue(conn, school, {"status": "in_progress"}, author="t")  # reopened
    assert resolution() == (None, None)
    assert figures_for(app, conn, country="KE")["resolved"] == 1


def test_a_partner_and_a_period_narrow_every_figure(central):
    app, conn, _seeded = central
    f = figures_for(app, conn, country="KE", org="haki-maji")
    assert (f["total"], f["responded"], f["median_response"]) == (2, 1, 1)
    assert f["commitments"]["made"]["n"] == 1 and f["actions_overdue"]["n"] == 0
    f = figures_for(app, conn, country="KE", start=ago(70), end=ago(30))
    assert (f["total"], f["responded"], f["median_response"]) == (2, 1, 10)  # the clinic and the pipe
    assert f["commitments"]["made"]["n"] == 1  # made 50 days ago


def test_every_figure_links_to_a_list_of_exactly_that_many(central):
    app, conn, _seeded = central
    client = signed_in(app, "victor", "long enough 2")
    for filters in (
        {"country": "KE"},
        {"country": "KE", "org": "kolwa-youth", "start": ago(200), "end": ago(1)},
    ):
        f = figures_for(app, conn, **filters)
        pairs = [
            (f["total"], f["total_href"]),
            (f["responded"], f["responded_href"]),
            (f["not_responded"], f["not_responded_href"]),
            (f["resolved"], f["resolved_href"]),
        ]
        pairs += [(c["n"], c["href"]) for c in f["commitments"].values()]
        pairs += [(f["actions_overdue"]["n"], f["actions_overdue"]["href"])]
        pairs += [(c["n"], c["href"]) for row in f["matrix"] for c in row["cells"]]
        pairs += [(row["total"], row["href"]) for row in f["matrix"]]
        pairs += [(d["n"], d["href"]) for d in f["districts"]]
        pairs += [(m["new"], m["new_href"]) for m in f["months"]]
        pairs += [(m["resolved"], m["resolved_href"]) for m in f["months"]]
        pairs += [(b["issues"], b["href"]) for b in f["budgets"]]
        for count, href in pairs:
            assert listed(client, href) == count, href


def test_the_dashboard_page_shows_the_figures_as_links_and_accessible_charts(central):
    app, _conn, _seeded = central
    page = signed_in(app, "victor", "long enough 2").get("/central/dashboard/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert html.count('role="img"') == 5 and html.count("<title id=") == 5 and html.count("<desc id=") == 5
    assert html.count("<table>") >= 4
    assert re.search(r'<a href="/issues/\?responded=yes">3</a> \(60%\)', html)
    assert 'href="/central/follow-up/?show=actions">1</a>' in html


@pytest.mark.parametrize("who", [("amina", "long enough 1"), ("victor", "long enough 2")])
def test_a_country_account_never_sees_another_countrys_records(central, who):
    app, _conn, _seeded = central
    client = signed_in(app, *who)
    pages = ["/central/dashboard/", "/central/dashboard/?country=GH", "/central/follow-up/?country=GH"]
    pages += [
        f"/central/follow-up/?show={s}&state={t}&days=1"
        for s in ("silent", "commitments", "actions")
        for t in ("due", "overdue", "made", "kept")
    ]
    for path in pages:
        html = client.get(path).get_data(as_text=True)
        assert "Ghana" not in html and "GH-" not in html, path
    assert "Kenya letter to the board" in client.get("/central/follow-up/?show=actions").get_data(
        as_text=True
    )
    html = client.get("/central/dashboard/?country=GH").get_data(as_text=True)
    assert 'href="/issues/?country=GH">0</a>' in html
    assert listed(client, "/issues/?country=GH") == 0


def test_an_account_of_every_country_sees_both_with_a_row_per_country(central):
    app, conn, _seeded = central
    f = figures_for(app, conn)
    assert f["total"] == 10 and f["commitments"]["overdue"]["n"] == 2
    assert [
        (c["country"], c["issues"], c["responded"], c["overdue"], c["actions"]) for c in f["countries"]
    ] == [
        ("GH", 5, 3, 1, 1),
        ("KE", 5, 3, 1, 1),
    ]
    client = signed_in(app, "ada", "long enough 3")
    for row in f["countries"]:
        for name in ("issues", "responded", "resolved", "overdue", "actions"):
            assert listed(client, row[f"{name}_href"]) == row[name], (row["country"], name)
    html = client.get("/central/dashboard/").get_data(as_text=True)
    assert "Ghana" in html and "Kenya" in html


def test_follow_up_lists_group_by_partner_and_link_to_the_timeline(central):
    app, _conn, seeded = central
    client = signed_in(app, "amina", "long enough 1")
    one, two, three, four, five = seeded["KE"]["issues"]
    silent = client.get("/central/follow-up/?show=silent").get_data(as_text=True)
    assert f"/issues/{three}#timeline" in silent and f"/issues/{five}#" not in silent  # 45 days, not 5
    assert "<h3>haki-maji</h3>" in silent
    assert f"/issues/{five}#timeline" in client.get("/central/follow-up/?show=silent&days=3").get_data(
        as_text=True
    )
    due = client.get("/central/follow-up/?show=commitments").get_data(as_text=True)
    assert (
        f"/issues/{two}#timeline" in due
        and f"/issues/{four}#timeline" in due
        and f"/issues/{one}#" not in due
    )
    assert "2 commitments" in due
    only = client.get("/central/follow-up/?show=commitments&org=haki-maji").get_data(as_text=True)
    assert f"/issues/{four}#timeline" in only and f"/issues/{two}#" not in only
    overdue = client.get("/central/follow-up/?show=actions").get_data(as_text=True)
    assert f"/meetings/{seeded['KE']['meeting']}" in overdue and "1 action item overdue" in overdue


def test_a_device_token_cannot_open_either_page(central, make_device):
    app, _conn, _seeded = central
    device = make_device()
    device.enroll()
    token = journal.replica_value(device.conn, "sync_token")
    for path in ("/central/dashboard/", "/central/follow-up/"):
        answer = app.test_client().get(path, headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 302 and "/central/login" in answer.headers["Location"]


ODD = [
    "from=2026-02-30",
    "from=yesterday",
    "to=2026-01-01&from=2026-12-31",
    "country=XX",
    "country=%00",
    "org=<script>",
    "org=" + "a" * 500,
    "days=-1",
    "days=99999999999999999999",
    "days=1e3",
    "show=nope",
    "state=nope",
    "page=-5",
    "page=abc",
    "from=%F0%9F%98%80",
    "org=a&org=b",
    "to=9999-12-31",
]


def test_odd_query_parameters_never_give_a_server_error(central):
    app, _conn, _seeded = central
    client = signed_in(app, "ada", "long enough 3")
    for query in ODD:
        for path in ("/central/dashboard/", "/central/follow-up/", "/issues/"):
            answer = client.get(f"{path}?{query}")
            assert answer.status_code in (200, 422), (path, query, answer.status_code)
    assert client.get("/central/dashboard/?from=2026-02-30").status_code == 422
    assert "Enter a date as YYYY-MM-DD" in client.get("/central/dashboard/?from=2026-02-30").get_data(
        as_text=True
    )
    for path in (
        "/issues/?responded=maybe&budget=EURO&resolved_from=x",
        "/issues/?from=2026-13-01&country=KE",
    ):
        assert client.get(path).status_code == 200
