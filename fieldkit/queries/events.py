"""Timeline events of an issue: status changes, government responses, follow-up visits, notes.

Events are an add-only set in the sync model: adding one never conflicts with anything.
"""

from __future__ import annotations

from sync import journal
from sync.ids import uuid7

from ..db import transaction
from . import tokens
from .issues import now_iso


def add_event(conn, issue: dict, values: dict, *, author: str = "", token: str | None = None) -> str:
    """Add an event to an issue's timeline; a status change also moves the issue's status.

    Returns the event id (the first one's, if this form was already submitted).
    """
    with transaction(conn):
        earlier = tokens.seen(conn, token)
        if earlier:
            return earlier
        event_id = uuid7()
        journal.create(
            conn,
            "issue_events",
            {
                "id": event_id,
                "created_at": now_iso(),
                "org": issue["org"],
                "country": issue["country"],
                "issue_id": issue["id"],
                "recorded_by": author,
                **values,
            },
            author=author,
        )
        if values.get("kind") == "status" and values.get("status") != issue["status"]:
            journal.update(conn, "issues", issue["id"], {"status": values["status"]}, author=author)
        tokens.claim(conn, token, event_id)
        return event_id


def timeline(conn, issue_id: str) -> list[dict]:
    """An issue's events, oldest first."""
    rows = conn.execute(
        "SELECT * FROM issue_events WHERE issue_id = ? AND deleted = 0 ORDER BY occurred_on, created_at",
        (issue_id,),
    ).fetchall()
    return [dict(r) for r in rows]


def get_event(conn, event_id: str) -> dict | None:
    row = conn.execute("SELECT * FROM issue_events WHERE id = ?", (event_id,)).fetchone()
    return dict(row) if row else None


def set_fulfilled(conn, event_id: str, fulfilled: bool, *, author: str = "") -> None:
    """Mark a government commitment as kept or not."""
    with transaction(conn):
        journal.update(conn, "issue_events", event_id, {"fulfilled": int(fulfilled)}, author=author)
