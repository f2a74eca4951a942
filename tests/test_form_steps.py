"""Forms made for a thumb, as the server sends them: parts in order, every typed value back after
a refused save, texts tagged with the UI language, severity in words and shape, the issue page
and lists in the order a phone user needs. (Steps shown one at a time: tests/browser/test_steps_browser.py.)
"""

from __future__ import annotations

import json
from html.parser import HTMLParser

from tests.conftest import create_issue, issue_form
from tests.test_meetings import create_meeting, meeting_form


class FormValues(HTMLParser):
    """What a browser would submit from a page's form: each field's shown value, by name."""

    def __init__(self):
        super().__init__()
        self.values: dict[str, str] = {}
        self._select = None
        self._textarea = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in ("submit", "button", "file"):
            if a.get("type") in ("radio", "checkbox"):
                if "checked" in a:
                    self.values[name] = a.get("value", "on")
            else:
                self.values[name] = a.get("value", "")
        elif tag == "select":
            self._select = name
        elif tag == "option" and self._select and "selected" in a:
            self.values[self._select] = a.get("value", "")
        elif tag == "textarea":
            self._textarea = name
            self.values[name] = ""

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.values[self._textarea] += data


def shown_values(response) -> dict[str, str]:
    parser = FormValues()
    parser.feed(response.get_data(as_text=True))
    return parser.values


def every_issue_field(**overrides) -> dict:
    """A new-issue form with every field a person can type filled in."""
    fields = dict(
        region="Kisumu",
        ward="Kolwa East",
        facility="Kolwa borehole",
        address="Behind the chief's camp",
        lat="-0.0917",
        lon="34.768",
        gps_accuracy="12",
        households_affected="40",
        tags="water, urgent",
        responsible_body="County water department",
        responsible_official="Ms Achieng",
        budget_year="2025/26",
        budget_code="WS-0042",
        budget_description="Rural water points",
        budget_currency="KES",
        budget_allocated="1500000",
        budget_released="900000",
        budget_spent="250000",
        anonymous="0",
        reporter_name="Otieno",
        reporter_contact="+254700000000",
        reporter_consent="1",
        visibility="programme",
        status="reported",
    )
    return issue_form(**(fields | overrides))


def test_issue_form_without_javascript_is_one_form_in_parts_what_where_photos_details(client):
    html = client.get("/issues/new").get_data(as_text=True)
    form = html[html.index('<form method="post" enctype="multipart/form-data"') :]
    form = form[: form.index("</form>")]
    assert form.count('class="step"') == 4
    assert form.count('type="submit"') == 1
    order = [form.index(f'id="f-{name}"') for name in ("title", "community", "files", "budget_code")]
    assert order == sorted(order), "what, then where, then photos, then the optional details"
    assert 'class="step-nav js-only"' in form


def test_every_typed_issue_value_comes_back_when_the_save_is_refused(client, db):
    typed = every_issue_field(lon="")  # a latitude without a longitude is refused
    response = client.submit("/issues/new", typed)
    assert response.status_code == 422
    assert "Give both latitude and longitude, or neither." in response.get_data(as_text=True)
    shown = shown_values(response)
    for name, value in typed.items():
        assert shown.get(name) == value, f"{name}: typed {value!r}, shown {shown.get(name)!r}"
    assert db.execute("SELECT COUNT(*) FROM issues").fetchone()[0] == 0


def test_every_typed_meeting_value_comes_back_when_the_save_is_refused(client, db):
    typed = meeting_form(
        attendance_total="10",  # fewer than the women and men counted: refused
        officials="Jane Achieng, ward administrator",
        agenda="Water point repairs",
        notes="The county promised a new pump.",
        decisions="Write to the county.",
        what_changed="The pump was fixed once.",
        what_learned="Follow up in writing.",
    )
    response = client.submit("/meetings/new", typed)
    assert response.status_code == 422
    shown = shown_values(response)
    for name, value in typed.items():
        assert shown.get(name) == value, f"{name}: typed {value!r}, shown {shown.get(name)!r}"
    assert db.execute("SELECT COUNT(*) FROM meetings").fetchone()[0] == 0


def test_meeting_form_marks_the_reflection_part_as_applying_to_reflection_sessions_only(client):
    html = client.get("/meetings/new").get_data(as_text=True)
    assert html.count('<div class="step">') == 3
    assert html.count('<div class="step" data-applies-when="kind" data-applies-value="reflection">') == 1
    assert html.index('data-applies-value="reflection"') > html.index('id="f-decisions"')


FRENCH = {"Accept-Language": "fr"}


def test_new_issue_form_offers_the_ui_language_for_its_text(client):
    assert shown_values(client.get("/issues/new", headers=FRENCH))["language"] == "fr"
    assert shown_values(client.get("/meetings/new", headers=FRENCH))["language"] == "fr"
    assert shown_values(client.get("/issues/new", headers={"Accept-Language": "hi"}))["language"] == "hi"


def test_text_saved_without_a_language_is_tagged_with_the_ui_language(client, db):
    form = issue_form()
    del form["language"]
    client.submit("/issues/new", form, headers=FRENCH)
    assert db.execute("SELECT language FROM issues").fetchone()[0] == "fr"

    form = meeting_form()
    del form["language"]
    client.submit("/meetings/new", form, headers=FRENCH)
    assert db.execute("SELECT language FROM meetings").fetchone()[0] == "fr"


def test_timeline_event_and_action_item_take_the_ui_language_not_the_records(client, db):
    issue_id = create_issue(client, language="en")
    client.submit(
        f"/issues/{issue_id}/events",
        {"kind": "note", "occurred_on": "2026-03-02", "note": "Le puits est toujours en panne."},
        headers=FRENCH,
    )
    assert db.execute("SELECT language FROM issue_events").fetchone()[0] == "fr"

    meeting_id = create_meeting(client, language="en")
    client.submit(
        f"/meetings/{meeting_id}/actions",
        {"what": "Écrire au comté", "owner_kind": "partner", "owner_name": "Akinyi"},
        headers=FRENCH,
    )
    assert db.execute("SELECT language FROM meeting_actions").fetchone()[0] == "fr"


def test_severity_is_shown_in_words_and_a_shape_on_lists_and_the_issue_page(client):
    issue_id = create_issue(client, severity="4")
    for path in ("/issues/", "/", f"/issues/{issue_id}"):
        html = client.get(path).get_data(as_text=True)
        assert "Severity: 4 — critical, lives at risk" in html, path
        assert '<svg class="sev-icon"' in html, path


def test_issue_page_puts_status_and_timeline_before_the_long_details(client):
    issue_id = create_issue(client, description="A long description of the broken pump.")
    html = client.get(f"/issues/{issue_id}").get_data(as_text=True)
    status, timeline = html.index('class="badge status-reported"'), html.index('id="timeline"')
    assert status < timeline < html.index("A long description of the broken pump.")
    assert timeline < html.index('id="attachments"')


def test_list_filters_are_folded_until_one_is_used_and_results_still_swap(client):
    create_issue(client)
    html = client.get("/issues/").get_data(as_text=True)
    assert '<details class="filter-more wide">' in html
    assert '<details class="filter-more wide" open>' in client.get("/issues/?sector=water").get_data(
        as_text=True
    )
    fragment = client.get("/issues/?sector=water", headers={"HX-Request": "true", "HX-Target": "results"})
    assert "<details" not in fragment.get_data(as_text=True)
    assert "Borehole broken since March" in fragment.get_data(as_text=True)
    assert '<details class="filter-more">' in client.get("/meetings/").get_data(as_text=True)


def test_phone_menu_is_a_disclosure_that_works_without_javascript(client):
    html = client.get("/").get_data(as_text=True)
    menu = html[html.index('<details class="menu">') : html.index("</details>")]
    assert "<summary>Menu</summary>" in menu
    assert '<nav aria-label="Main">' in menu


def test_tags_typed_come_back_as_typed(client):
    # The re-render shows the form as sent, not the parsed value (a JSON list).
    response = client.submit("/issues/new", every_issue_field(title=""))
    assert shown_values(response)["tags"] == "water, urgent"
    assert json.dumps(["water", "urgent"]) not in response.get_data(as_text=True)
