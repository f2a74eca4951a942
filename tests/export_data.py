"""Records of two countries with every kind of value an export profile must keep or leave out.

Each country gets a public issue (a location, an official, an address, a consented reporter), a
programme-only issue whose reporter stays on the device, a timeline event with an internal note,
a meeting (facilitator, officials present, a linked issue with a note) and an action item. Every
value that some profile must never carry holds a marker word, so a test can look for the marker
in the exported bytes whatever the format.
"""

from __future__ import annotations

from fieldkit.queries import actions, events, issues, meetings

#: Marker words: text that must never appear in the named profiles.
PERSON = "Personname"  # names of people: never in public
ADDRESS = "Exactaddress"  # exact address: never in public
INTERNAL = "Internalnote"  # the programme's notes: never in officials or public
REPORTER = "Reportername"  # shared reporter (with consent): never in any export
PRIVATE = "Privatereporter"  # device-only reporter: never in any export
HIDDEN = "Programmeonly"  # title of an issue not marked public: never in officials or public


def seed(conn, country: str, *, lat=-1.286389, lon=36.817223) -> dict:
    """One country's records; returns their ids."""
    shown = issues.create_issue(
        conn,
        {
            "country": country,
            "title": f'=HYPERLINK("x") borehole {country}',
            "description": "Pump broken since March",
            "sector": "water",
            "district": f"District {country}",
            "address": f"{ADDRESS} plot 7",
            "lat": lat,
            "lon": lon,
            "gps_accuracy": 5.0,
            "observed_on": "2026-03-01",
            "severity": 3,
            "people_affected": 1200,
            "status": "committed",
            "responsible_official": f"{PERSON} Official",
            "budget_allocated": "1500000.50",
            "budget_currency": "KES",
            "tags": ["water", "pump"],
            "visibility": "public",
        },
        author=f"{PERSON} Recorder",
        reporter={"name": f"{REPORTER} A", "contact": "+254700000001", "consent": 1},
        org="kolwa-youth",
    )
    hidden = issues.create_issue(
        conn,
        {
            "country": country,
            "title": f"{HIDDEN} clinic {country}",
            "sector": "health",
            "visibility": "programme",
        },
        author="x",
        reporter={"name": f"{PRIVATE} B", "contact": "+254700000002", "consent": 0},
        org="kolwa-youth",
    )
    issue = issues.get_issue(conn, shown)
    event = events.add_event(
        conn,
        issue,
        {
            "kind": "response",
            "occurred_on": "2026-03-10",
            "channel": "meeting",
            "official": f"{PERSON} Minister",
            "said": "We will repair it",
            "commitment": "Repair by April",
            "due_on": "2026-04-30",
            "note": f"{INTERNAL} about the response",
        },
        author=f"{PERSON} Recorder",
    )
    meeting_id = meetings.create_meeting(
        conn,
        {
            "country": country,
            "title": f"Budget hearing {country}",
            "kind": "budget_hearing",
            "held_on": "2026-03-15",
            "facilitator": f"{PERSON} Facilitator",
            "officials": f"{PERSON} Councillor",
            "attendance_total": 40,
            "decisions": "Follow up in April",
        },
        author=f"{PERSON} Recorder",
        org="kolwa-youth",
    )
    meeting = meetings.get_meeting(conn, meeting_id)
    meetings.link_issue(
        conn, meeting, {"issue_id": shown, "outcome": "commitment", "note": f"{INTERNAL} link"}
    )
    meetings.link_issue(conn, meeting, {"issue_id": hidden, "outcome": "discussed", "note": ""})
    action = actions.add_action(
        conn,
        meeting,
        {
            "what": "Write to the water board",
            "owner_kind": "partner",
            "owner_name": f"{PERSON} Owner",
            "due_on": "2026-04-01",
            "issue_id": shown,
        },
        author=f"{PERSON} Recorder",
    )
    return {"issue": shown, "hidden": hidden, "event": event, "meeting": meeting_id, "action": action}
