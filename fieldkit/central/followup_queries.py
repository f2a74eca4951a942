"""Central's follow-up lists: open issues with no response for N days, commitments due or past
due (or made, or kept), and overdue action items, within the shared filters, by partner.

The conditions live here once: the dashboard counts with the same ones
(``dashboard_queries``), so a figure and the list it links to always agree.
"""

from __future__ import annotations

from datetime import date, timedelta

from ..records import CLOSED_STATUSES, OPEN_ACTION_STATUS, RESPONSE_KINDS
from .figure_filters import Filters

#: A commitment is "due soon" when it falls due within this many days.
SOON_DAYS = 14
SILENT = "COALESCE(i.last_response_on, substr(i.created_at, 1, 10))"
_CLOSED_LIST = f"({', '.join('?' for _ in CLOSED_STATUSES)})"
_CLOSED = f"i.status NOT IN {_CLOSED_LIST}"
_OPEN = "COALESCE(e.fulfilled, 0) = 0"
# The issue's status, looked up only for the commitments still open and due (not a join).
_ISSUE_OPEN = f"(SELECT s.status FROM issues s INDEXED BY issues_id_state WHERE s.id = e.issue_id) NOT IN {_CLOSED_LIST}"
#: What each state of a commitment means (SQL over ``e``, the response); its parameters come
#: from :func:`state_params`.
COMMITMENT_STATES = {
    "due": f"{_OPEN} AND e.due_on <= ? AND {_ISSUE_OPEN}",
    "overdue": f"{_OPEN} AND e.due_on < ? AND {_ISSUE_OPEN}",
    "made": "1 = 1",
    "kept": "e.fulfilled = 1",
}


def state_params(state: str, today: date) -> list:
    """The bound values of :data:`COMMITMENT_STATES` ``[state]`` on ``today``."""
    if state == "due":
        return [(today + timedelta(days=SOON_DAYS)).isoformat(), *CLOSED_STATUSES]
    if state == "overdue":
        return [today.isoformat(), *CLOSED_STATUSES]
    return []


def _scoped(alias: str, f: Filters, date_column: str | None) -> tuple[list[str], list]:
    clauses, params = [], []
    if f.country is not None:
        clauses.append(f"{alias}.country = ?")
        params.append(f.country)
    if f.org is not None:
        clauses.append(f"{alias}.org = ?")
        params.append(f.org)
    if date_column and f.start:
        clauses.append(f"{date_column} >= ?")
        params.append(f.start)
    if date_column and f.end:
        clauses.append(f"{date_column} <= ?")
        params.append(f.end)
    return clauses, params


def commitment_where(f: Filters) -> tuple[str, list]:
    """Government responses with a commitment (a due date or a text), made in the period, of
    issues not deleted (the few deleted issues are listed once, rather than each issue looked up)."""
    kinds = ", ".join("?" for _ in RESPONSE_KINDS)
    clauses = [
        f"e.kind IN ({kinds})",
        "e.deleted = 0",
        "(e.due_on IS NOT NULL OR e.commitment <> '')",
        "e.issue_id NOT IN (SELECT id FROM issues WHERE deleted = 1)",
    ]
    scoped, params = _scoped("e", f, "e.occurred_on")
    return " AND ".join(clauses + scoped), [*RESPONSE_KINDS, *params]


def action_where(f: Filters, today: date) -> tuple[str, list]:
    """Open action items of meetings not deleted, past their due date (due in the period)."""
    clauses = ["a.status = ?", "a.deleted = 0", "a.due_on IS NOT NULL", "a.due_on < ?", "m.deleted = 0"]
    scoped, params = _scoped("a", f, "a.due_on")
    return " AND ".join(clauses + scoped), [OPEN_ACTION_STATUS, today.isoformat(), *params]


def silent_where(f: Filters, today: date, days: int) -> tuple[str, list]:
    """Open issues (reported in the period) with no government response for ``days`` days."""
    clauses, params = _scoped("i", f, "substr(i.created_at, 1, 10)")
    clauses = ["i.deleted = 0", *clauses, _CLOSED, f"{SILENT} < ?"]
    cutoff = (today - timedelta(days=days)).isoformat()
    return " AND ".join(clauses), [*params, *CLOSED_STATUSES, cutoff]


def _page(conn, select: str, where: str, params: list, order: str, page: int, size: int):
    total = conn.execute(f"SELECT COUNT(*) FROM {select.split(' FROM ', 1)[1]} WHERE {where}", params)
    rows = conn.execute(
        f"SELECT {select} WHERE {where} ORDER BY {order} LIMIT ? OFFSET ?",
        [*params, size, (max(page, 1) - 1) * size],
    ).fetchall()
    return [dict(r) for r in rows], total.fetchone()[0]


def silent(conn, f: Filters, *, today: date, days: int, page: int = 1, size: int = 25):
    """One page of open issues with no response for ``days`` days, by partner, longest first."""
    where, params = silent_where(f, today, days)
    select = (
        "i.id, i.ref, i.title, i.language, i.country, i.org, i.status, i.sector, i.created_at, "
        f"i.last_response_on, {SILENT} AS silent_since FROM issues i INDEXED BY issues_silent"
    )
    return _page(conn, select, where, params, f"i.country, i.org, {SILENT}, i.id", page, size)


def commitments(conn, f: Filters, *, today: date, state: str, page: int = 1, size: int = 25):
    """One page of commitments in ``state`` (due, overdue, made, kept), by partner, soonest due first."""
    where, params = commitment_where(f)
    where = f"{where} AND {COMMITMENT_STATES[state]}"
    select = (
        "e.id, e.issue_id, e.occurred_on, e.due_on, e.fulfilled, e.commitment, e.country, e.org, "
        "i.ref, i.title, i.language, i.status "
        "FROM issue_events e INDEXED BY issue_events_commitments "
        "JOIN issues i INDEXED BY issues_id_state ON i.id = e.issue_id"
    )
    order = "e.country, e.org, e.due_on IS NULL, e.due_on, e.occurred_on, e.id"
    return _page(conn, select, where, [*params, *state_params(state, today)], order, page, size)


def actions(conn, f: Filters, *, today: date, page: int = 1, size: int = 25):
    """One page of overdue action items, by partner, longest overdue first."""
    where, params = action_where(f, today)
    select = (
        "a.id, a.meeting_id, a.what, a.owner_kind, a.owner_name, a.due_on, a.language, a.country, a.org, "
        "a.issue_id, m.ref AS meeting_ref, m.title AS meeting_title, m.language AS meeting_language "
        "FROM meeting_actions a INDEXED BY meeting_actions_followup "
        "JOIN meetings m INDEXED BY meetings_id_state ON m.id = a.meeting_id"
    )
    return _page(conn, select, where, params, "a.country, a.org, a.due_on, a.id", page, size)
