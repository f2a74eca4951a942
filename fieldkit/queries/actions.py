"""Action items agreed at meetings: add, mark done or dropped, and the lists that follow them up.

Action items are an add-only set in the sync model: adding one never conflicts with anything.
"""

from __future__ import annotations

from datetime import date, timedelta

from sync import journal
from sync.ids import uuid7

from ..db import transaction
from . import in_country, tokens
from .issues import now_iso

ACTION_COLUMNS = (
    "a.id, a.meeting_id, a.what, a.owner_kind, a.owner_name, a.due_on, a.issue_id, a.status, "
    "a.done_on, a.language, a.created_at"
)


def add_action(
    conn,
    meeting: dict,
    values: dict,
    *,
    author: str = "",
    token: str | None = None,
    action_id: str | None = None,
) -> str:
    """Add an action item to a meeting; returns its id (the first one's if the form was resent)."""
    with transaction(conn):
        earlier = tokens.seen(conn, token)
        if earlier:
            return earlier
        action_id = action_id or uuid7()
        fields = {"status": "open", **values}
        journal.create(
            conn,
            "meeting_actions",
            {
                "id": action_id,
                "created_at": now_iso(),
                "org": meeting["org"],
                "country": meeting["country"],
                "meeting_id": meeting["id"],
                "recorded_by": author,
                **fields,
            },
            author=author,
        )
        tokens.claim(conn, token, action_id)
        return action_id


def get_action(conn, action_id: str) -> dict | None:
    row = conn.execute("SELECT * FROM meeting_actions WHERE id = ?", (action_id,)).fetchone()
    return dict(row) if row else None


def set_status(conn, action_id: str, status: str, *, author: str = "", today: date | None = None) -> None:
    """Mark an action item open, done (recording the day) or dropped."""
    done_on = (today or date.today()).isoformat() if status == "done" else None
    with transaction(conn):
        journal.update(
            conn, "meeting_actions", action_id, {"status": status, "done_on": done_on}, author=author
        )


def _issue_join(country: str | None = None) -> tuple[str, list]:
    # An issue outside the scope is not named (its ref and title stay empty).
    scope, scope_params = in_country("i", country)
    return f"LEFT JOIN issues i ON i.id = a.issue_id{scope}", scope_params


def for_meeting(conn, meeting_id: str, *, country: str | None = None) -> list[dict]:
    """A meeting's action items in the order they were added, with the linked issue's ref."""
    join, join_params = _issue_join(country)
    rows = conn.execute(
        f"SELECT {ACTION_COLUMNS}, i.ref AS issue_ref, i.title AS issue_title, i.language AS issue_language "
        f"FROM meeting_actions a {join} "
        "WHERE a.meeting_id = ? AND a.deleted = 0 ORDER BY a.created_at, a.id",
        (*join_params, meeting_id),
    ).fetchall()
    return [dict(r) for r in rows]


def for_issue(conn, issue_id: str, *, country: str | None = None) -> list[dict]:
    """Action items linked to an issue, with the meeting that agreed them (within ``country``)."""
    scope, scope_params = in_country("m", country)
    rows = conn.execute(
        f"SELECT {ACTION_COLUMNS}, m.title AS meeting_title, m.held_on, m.language AS meeting_language "
        "FROM meeting_actions a JOIN meetings m ON m.id = a.meeting_id "
        f"WHERE a.issue_id = ? AND a.deleted = 0 AND m.deleted = 0{scope} "
        "ORDER BY a.status != 'open', a.due_on IS NULL, a.due_on, a.created_at",
        (issue_id, *scope_params),
    ).fetchall()
    return [dict(r) for r in rows]


def due_soon(
    conn, *, today: date, days: int = 7, limit: int = 20, country: str | None = None
) -> tuple[list[dict], int]:
    """Open action items overdue or due within ``days``, across meetings (of ``country`` if
    given), oldest due first.

    Returns one page of items and how many there are in all. Both read the partial index on
    (status, deleted, due_on) in order: the page stops after ``limit`` rows, and the count is
    the index's covering count less the items of deleted meetings (found from those meetings,
    which are few), so neither visits thousands of meeting rows.
    """
    horizon = (today + timedelta(days=days)).isoformat()
    scope, scope_params = in_country("a", country)
    due = f"a.status = 'open' AND a.deleted = 0 AND a.due_on IS NOT NULL AND a.due_on <= ?{scope}"
    due_params = (horizon, *scope_params)
    join, join_params = _issue_join(country)
    rows = conn.execute(
        f"SELECT {ACTION_COLUMNS}, m.title AS meeting_title, m.language AS meeting_language, "
        "i.ref AS issue_ref, i.title AS issue_title "
        "FROM meeting_actions a INDEXED BY meeting_actions_due "
        f"JOIN meetings m ON m.id = a.meeting_id {join} "
        f"WHERE {due} AND m.deleted = 0 ORDER BY a.due_on LIMIT ?",
        (*join_params, *due_params, limit),
    ).fetchall()
    total = conn.execute(
        f"SELECT COUNT(*) FROM meeting_actions a INDEXED BY meeting_actions_due WHERE {due}", due_params
    ).fetchone()[0]
    total -= conn.execute(
        "SELECT COUNT(*) FROM meetings m INDEXED BY meetings_held "
        "CROSS JOIN meeting_actions a INDEXED BY meeting_actions_meeting ON a.meeting_id = m.id "
        f"WHERE m.deleted = 1 AND {due}",
        due_params,
    ).fetchone()[0]
    items = [dict(r) for r in rows]
    for item in items:
        item["overdue"] = item["due_on"] < today.isoformat()
    return items, total
