"""The Review page for a country-team member with hundreds of disputes: names and labels instead of
ids and columns, values as a person reads them, pages whose counts agree with the Sync page,
filters, bulk decisions that are all-or-nothing, and two disputes of one record decided apart."""

from __future__ import annotations

import re
from html import unescape

import pytest

from fieldkit.db import connect
from sync import journal, merge

from .disputes import dispute, edit, new_issues, other_device, send

SECTION = re.compile(r'<section class="conflict".*?</section>', re.S)


@pytest.fixture
def conn(app):
    conn = connect(app.config["DATABASE"])
    yield conn
    conn.close()


def visible_text(html: str) -> str:
    """What a person reads: tags and attribute values removed, entities decoded."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def review(client, **args) -> str:
    response = client.get("/sync/conflicts", query_string=args)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def picks(page: str) -> list[str]:
    return re.findall(r'name="pick" value="([^"]+)"', page)


def test_candidates_name_people_and_devices_never_hex_ids(client, conn):
    client.submit("/settings/name", {"author": "Wanjiru Achieng"})
    (row,) = new_issues(conn, 1)
    dispute(conn, [row], {"title": "Pump broken"}, {"title": "Pump stolen"}, their_author="Otieno Odhiambo")
    text = visible_text(review(client))
    assert "Wanjiru Achieng" in text  # the laptop's owner, for the edit made here without a name
    assert "Otieno Odhiambo, on another device" in text
    for device in {c["device_id"] for c in merge.open_conflicts(conn)[0]["candidates"]}:
        assert device not in text and device[:8] not in text


def test_fields_are_called_by_their_label_and_say_what_they_were_before(client, conn):
    (row,) = new_issues(conn, 1, people_affected=120)
    dispute(conn, [row], {"people_affected": 250}, {"people_affected": 300})
    page = review(client)
    text = visible_text(page)
    assert "field: People affected" in text and "people_affected" not in text
    assert text.count("Before this edit: 120") == 2
    assert "250" in text and "300" in text


def test_tags_are_shown_as_a_list_not_json(client, conn):
    (row,) = new_issues(conn, 1, tags='["water"]')  # stored as JSON text, like the form stores them
    dispute(conn, [row], {"tags": '["water", "school"]'}, {"tags": '["water", "clinic"]'})
    page = review(client)
    lists = re.findall(r'<ul class="tags">(.*?)</ul>', page, re.S)
    items = [re.findall(r"<li[^>]*>([^<]*)</li>", found) for found in lists]
    assert ["water", "school"] in items and ["water", "clinic"] in items and ["water"] in items
    assert "[" not in visible_text("".join(SECTION.findall(page)))


def test_times_are_local_in_the_zone_chosen_in_settings_and_named(client, conn):
    page = client.get("/settings/").get_data(as_text=True)
    assert 'name="time_zone"' in page and '<option value="Africa/Nairobi"' in page
    assert client.submit("/settings/time-zone", {"time_zone": "Asia/Kolkata"}).status_code == 303
    (row,) = new_issues(conn, 1)
    dispute(conn, [row], {"title": "Pump broken"}, {"title": "Pump stolen"})
    (conflict,) = merge.open_conflicts(conn)
    from datetime import datetime
    from zoneinfo import ZoneInfo

    stamp = conflict["candidates"][0]["observed_at"]
    local = datetime.fromisoformat(stamp.replace("Z", "+00:00")).astimezone(ZoneInfo("Asia/Kolkata"))
    for page in (review(client), client.get(f"/issues/{row}/history").get_data(as_text=True)):
        text = visible_text(page)
        assert f"{local:%H:%M} (India Time)" in text
        assert stamp not in text and "UTC" not in text
    assert 'value="Asia/Kolkata" selected' in client.get("/settings/").get_data(as_text=True)


def test_a_time_zone_not_in_the_list_is_refused_beside_the_field(client, data_dir):
    response = client.submit("/settings/time-zone", {"time_zone": "Mars/Olympus"})
    assert response.status_code == 422
    assert "Choose a time zone from the list" in response.get_data(as_text=True)
    assert not (data_dir / "settings.json").exists()


def test_the_sync_page_shows_its_last_sync_as_a_local_time_with_its_zone(client, conn):
    client.submit("/settings/time-zone", {"time_zone": "Africa/Nairobi"})
    with conn:  # as an enrolled device that last synced at 10:00 UTC
        for name, value in (
            ("sync_server", "http://central.test"),
            ("sync_token", "t"),
            ("last_sync", "2026-03-01T10:00:00Z"),
        ):
            journal.set_replica_value(conn, name, value)
    text = visible_text(client.get("/sync/").get_data(as_text=True))
    assert "13:00 (Kenya Time)" in text and "2026-03-01T10:00:00Z" not in text


def test_five_hundred_disputes_page_by_page_with_counts_that_agree(client, conn):
    rows = new_issues(conn, 500)
    dispute(conn, rows[:300], {"title": "Mine"}, {"title": "Theirs"})
    dispute(conn, rows[300:], {"status": "verified"}, {"status": "in_progress"})
    assert "500 disputed fields to review" in client.get("/sync/").get_data(as_text=True)
    seen = []
    page = review(client)
    assert "500 disputed fields to review" in page and "Showing 1 to 25 of 500." in page
    assert "Page 1 of 20" in page
    for number in range(1, 21):
        page = review(client, page=number)
        assert f"Showing {(number - 1) * 25 + 1} to {number * 25} of 500." in page
        seen += picks(page)
    assert len(seen) == len(set(seen)) == 500
    assert "Showing 476 to 500 of 500." in review(client, page=99)  # past the end: the last page
    filtered = review(client, field="status")
    assert "200 disputed fields match the filters, of 500 to review." in filtered
    assert all(key.endswith(":status") for key in picks(filtered))


def test_disputes_can_be_filtered_by_device_and_author(client, conn):
    rows = new_issues(conn, 3)
    dispute(conn, rows[:2], {"title": "Mine"}, {"title": "Otieno's"}, their_author="Otieno Odhiambo")
    dispute(conn, rows[2:], {"title": "Mine"}, {"title": "Awa's"}, their_author="Awa Diop")
    page = review(client, author="Awa Diop")
    assert "1 disputed field matches the filters, of 3 to review." in page
    assert picks(page) == [f"issues:{rows[2]}:title"]
    own = journal.device_id(conn)
    assert len(picks(review(client, device=own))) == 3


def test_a_bulk_decision_applies_to_exactly_the_selected(client, conn):
    rows = new_issues(conn, 30)
    dispute(conn, rows, {"title": "Mine"}, {"title": "Theirs"})
    chosen = [f"issues:{row}:title" for row in rows[3:6]]
    response = client.submit("/sync/conflicts/decide?page=1", {"pick": chosen, "side": "theirs"})
    assert response.status_code == 303
    titles = dict(conn.execute("SELECT id, title FROM issues").fetchall())
    assert [titles[row] for row in rows[3:6]] == ["Theirs"] * 3
    open_now = {c["row_id"] for c in merge.open_conflicts(conn, limit=1000)}
    assert open_now == set(rows[:3] + rows[6:])
    assert "27 disputed fields to review" in client.get("/sync/").get_data(as_text=True)
    client.submit(
        "/sync/conflicts/decide", {"pick": chosen[:1] + [f"issues:{rows[0]}:title"], "side": "mine"}
    )
    assert conn.execute("SELECT title FROM issues WHERE id = ?", (rows[0],)).fetchone()[0] == "Mine"
    assert merge.count_conflicts(conn) == 26  # the one decided before was left as it was


def test_a_bulk_decision_that_cannot_apply_to_one_selected_decides_none(client, conn):
    rows = new_issues(conn, 2)
    dispute(conn, rows[:1], {"title": "Mine"}, {"title": "Theirs"})
    # The second record's dispute is between two other devices: this device has no value in it.
    b, c = other_device(conn, rows[1:]), other_device(conn, rows[1:])
    edit(b, {rows[1]: {"title": "From B"}}, author="Baraka")
    edit(c, {rows[1]: {"title": "From C"}}, author="Chebet")
    send(b, conn, rows[1:])
    send(c, conn, rows[1:])
    assert merge.count_conflicts(conn) == 2
    picked = [f"issues:{row}:title" for row in rows]
    response = client.submit("/sync/conflicts/decide", {"pick": picked, "side": "mine"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Nothing was decided" in page
    assert all(f'value="{key}" id=' in page and "checked" in page for key in picked)  # still selected
    assert merge.count_conflicts(conn) == 2
    assert client.submit("/sync/conflicts/decide", {"side": "mine"}).status_code == 422


def test_two_disputes_on_one_record_have_their_own_answers_and_are_decided_apart(client, conn):
    (row,) = new_issues(conn, 1)
    dispute(
        conn, [row], {"title": "Mine", "status": "verified"}, {"title": "Theirs", "status": "in_progress"}
    )
    page = review(client)
    ids = re.findall(r'\sid="([^"]+)"', page)
    assert len(ids) == len(set(ids))
    sections = SECTION.findall(page)
    assert len(sections) == 2
    for section in sections:  # every label names a control of its own section
        controls = set(re.findall(r'\sid="([^"]+)"', section))
        assert set(re.findall(r'for="([^"]+)"', section)) <= controls
    (status, title) = merge.open_conflicts(conn)
    mine = next(c for c in title["candidates"] if c["value"] == "Mine")
    form = {"tbl": "issues", "row_id": row, "field": "title", "choice": mine["dot"]}
    assert client.submit("/sync/conflicts/resolve", form).status_code == 303
    assert [c["field"] for c in merge.open_conflicts(conn)] == ["status"]
    theirs = next(c for c in status["candidates"] if c["value"] == "in_progress")
    form = {"tbl": "issues", "row_id": row, "field": "status", "choice": theirs["dot"]}
    assert client.submit("/sync/conflicts/resolve", form).status_code == 303
    assert tuple(conn.execute("SELECT title, status FROM issues WHERE id = ?", (row,)).fetchone()) == (
        "Mine",
        "in_progress",
    )
    assert merge.count_conflicts(conn) == 0


def test_a_delete_racing_an_edit_shows_the_edit_by_its_labels(client, conn):
    (row,) = new_issues(conn, 1)
    other = other_device(conn, [row])
    with other:
        journal.delete(other, "issues", row, author="Otieno Odhiambo")
    edit(conn, {row: {"title": "Pump repaired", "people_affected": 40}})
    send(other, conn, [row])
    page = review(client)
    text = visible_text("".join(SECTION.findall(page)))
    assert "deleted on one device, edited on another" in text
    assert "Delete the record" in text and "Keep the record with this edit:" in text
    assert "Title: Pump repaired" in text and "People affected: 40" in text
    assert "people_affected" not in text and "{" not in text and "Write a combined value" not in text


def test_without_a_choice_settings_offers_the_computers_own_zone(client):
    from fieldkit.times import system_zone_name

    page = client.get("/settings/").get_data(as_text=True)
    assert f'<option value="{system_zone_name()}" selected' in page
