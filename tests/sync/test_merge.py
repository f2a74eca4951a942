"""Per-field merge with base dots: fast-forward, same value, true conflicts, resolve, delete races."""

from __future__ import annotations

from fieldkit.db import transaction
from sync import journal, merge

from .replicas import central, clock, edit, fresh, new_issue, pull_all, push_all, snapshot, sync


def two_devices():
    hub = central()
    a, b = fresh(), fresh()
    row = new_issue(a, "Clinic without medicine")
    sync(a, hub)
    sync(b, hub)
    return hub, a, b, row


def title(conn, row):
    return conn.execute("SELECT title, deleted FROM issues WHERE id = ?", (row,)).fetchone()


def test_an_edit_made_after_seeing_the_value_fast_forwards_everywhere():
    hub, a, b, row = two_devices()
    edit(b, row, title="Clinic without ARVs")
    sync(b, hub)
    sync(a, hub)
    assert title(a, row)[0] == title(hub, row)[0] == "Clinic without ARVs"
    assert merge.count_conflicts(a) == merge.count_conflicts(hub) == 0


def test_edits_to_different_fields_merge_without_a_flag():
    hub, a, b, row = two_devices()
    edit(a, row, title="New title")
    edit(b, row, description="New description")
    for device in (a, b, a):
        sync(device, hub)
    for conn in (a, b, hub):
        got = conn.execute("SELECT title, description FROM issues WHERE id = ?", (row,)).fetchone()
        assert tuple(got) == ("New title", "New description")
        assert merge.count_conflicts(conn) == 0


def test_the_same_value_set_twice_is_accepted_silently():
    hub, a, b, row = two_devices()
    edit(a, row, status="verified")
    edit(b, row, status="verified")
    for device in (a, b, a):
        sync(device, hub)
    assert merge.count_conflicts(hub) == merge.count_conflicts(a) == merge.count_conflicts(b) == 0
    # A later edit on either side supersedes both agreeing ops.
    edit(a, row, status="raised")
    for device in (a, b):
        sync(device, hub)
    assert {conn.execute("SELECT status FROM issues").fetchone()[0] for conn in (a, b, hub)} == {"raised"}


def test_different_values_are_a_conflict_on_every_replica_keeping_both_candidates():
    hub, a, b, row = two_devices()
    edit(a, row, title="Title from A", author="Amina")
    edit(b, row, title="Title from B", author="Baraka")
    for device in (a, b, a):
        sync(device, hub)
    states = [snapshot(conn) for conn in (a, b, hub)]
    assert states[0]["issues"] == states[1]["issues"] == states[2]["issues"]
    assert states[0]["conflicts"] == states[1]["conflicts"] == states[2]["conflicts"]
    (conflict,) = merge.open_conflicts(hub)
    assert conflict["field"] == "title"
    values = {c["value"]: c["author"] for c in conflict["candidates"]}
    assert values == {"Title from A": "Amina", "Title from B": "Baraka"}
    base = {c["base"] for c in conflict["candidates"]}
    assert len(base) == 1  # both started from the same value
    assert title(a, row)[0] in values


def test_a_resolution_supersedes_every_candidate_everywhere():
    hub, a, b, row = two_devices()
    edit(a, row, title="A")
    edit(b, row, title="B")
    for device in (a, b, a):
        sync(device, hub)
    with transaction(hub):
        merge.resolve(hub, "issues", row, "title", "A and B merged", author="country team")
    for device in (a, b):
        sync(device, hub)
    for conn in (a, b, hub):
        assert title(conn, row)[0] == "A and B merged"
        assert merge.count_conflicts(conn) == 0


def test_a_delete_racing_an_edit_goes_to_review_and_erases_nothing():
    hub, a, b, row = two_devices()
    with transaction(a):
        journal.delete(a, "issues", row)
    edit(b, row, description="Still broken on Monday")
    for device in (a, b, a):
        sync(device, hub)
    for conn in (a, b, hub):
        assert title(conn, row)[1] == 0  # still visible
        (conflict,) = merge.open_conflicts(conn)
        assert conflict["field"] == "deleted"
        assert {c["value"] for c in conflict["candidates"]} == {0, 1}
    with transaction(b):
        merge.resolve(b, "issues", row, "deleted", 1)
    for device in (b, a):
        sync(device, hub)
    for conn in (a, b, hub):
        assert title(conn, row)[1] == 1
        assert merge.count_conflicts(conn) == 0


def test_a_delete_after_seeing_every_edit_is_not_a_conflict():
    hub, a, b, row = two_devices()
    edit(b, row, description="more")
    sync(b, hub)
    sync(a, hub)
    with transaction(a):
        journal.delete(a, "issues", row)
    sync(a, hub)
    sync(b, hub)
    assert title(b, row)[1] == 1 and merge.count_conflicts(b) == 0


def test_wall_clocks_decide_nothing_a_device_a_year_ahead_wins_no_conflict():
    hub, a, b, row = two_devices()
    with clock(365 * 24 * 3600 * 1000):
        edit(a, row, title="From the future")
    with clock(-365 * 24 * 3600 * 1000):
        edit(b, row, title="From the past")
    for device in (a, b, a):
        sync(device, hub)
    (conflict,) = merge.open_conflicts(hub)
    assert {c["value"] for c in conflict["candidates"]} == {"From the future", "From the past"}


def test_merge_order_does_not_matter_for_concurrent_ops():
    hub, a, b, row = two_devices()
    c = fresh()
    sync(c, hub)
    edit(a, row, title="A", severity=4)
    edit(b, row, title="B")
    edit(c, row, description="C")
    for order in ((a, b, c), (c, b, a)):
        for device in order:
            push_all(device, hub)
    for device in (a, b, c):
        pull_all(device, hub)
    states = [snapshot(conn) for conn in (a, b, c, hub)]
    for state in states[1:]:
        for key in ("issues", "dots", "conflicts", "ops"):
            assert state[key] == states[0][key], key
