"""The dashboard's figures: aggregate SQL over the issues, timeline events and action items an
account may see, each narrowed by the shared filters (``figure_filters.Filters``).

Every count here has a list behind it that applies the same conditions: the issue figures use
the issue list's filters (``queries.issues``), commitments and action items the follow-up lists
(``followup_queries``), whose conditions this module reuses rather than restates.

An issue is counted in the period it was reported in (``created_at``); the months chart counts
issues reported and issues resolved (first timeline change to resolved) in each month.
"""

from __future__ import annotations

from datetime import date

from ..records import COUNTRIES
from . import followup_queries
from .figure_filters import Filters


def issue_where(f: Filters, *, period: bool = True) -> tuple[str, list]:
    """The WHERE clause (alias ``i``) for issues within the filters; ``period`` by report date."""
    clauses, params = ["i.deleted = 0"], []
    if f.country is not None:
        clauses.append("i.country = ?")
        params.append(f.country)
    if f.org is not None:
        clauses.append("i.org = ?")
        params.append(f.org)
    if period and f.start:
        clauses.append("i.created_at >= ?")
        params.append(f.start)
    if period and f.end:
        clauses.append("i.created_at < date(?, '+1 day')")
        params.append(f.end)
    return " AND ".join(clauses), params


def issue_counts(conn, f: Filters) -> list[dict]:
    """Issues by country, sector, status and district, with how many had a response and a
    resolution: one pass over the dashboard index, from which the view sums every breakdown."""
    where, params = issue_where(f)
    rows = conn.execute(
        "SELECT i.country, i.sector, i.status, i.district, COUNT(*) AS n, "
        "COUNT(i.first_response_on) AS responded, COUNT(i.resolved_on) AS resolved "
        f"FROM issues i INDEXED BY issues_dashboard WHERE {where} "
        "GROUP BY i.country, i.sector, i.status, i.district",
        params,
    ).fetchall()
    return [dict(r) for r in rows]


def median_days(conn, f: Filters, column: str, count: int) -> float | None:
    """The median of ``column`` (days from report to first response, or to resolution) over the
    ``count`` issues that have it, read in order from the column's index (no sorting)."""
    assert column in {"response_days", "resolution_days"}
    if count <= 0:
        return None
    where, params = issue_where(f)
    rows = conn.execute(
        f"SELECT i.{column} FROM issues i INDEXED BY issues_{column} WHERE {where} AND i.{column} IS NOT NULL "
        f"ORDER BY i.{column} LIMIT ? OFFSET ?",
        [*params, 2 - count % 2, (count - 1) // 2],
    ).fetchall()
    return sum(r[0] for r in rows) / len(rows)


def months(conn, f: Filters, bounds: list[tuple[str, str, str]]) -> dict[str, dict[str, int]]:
    """For each (month, first day, last day) in ``bounds``: issues reported in those days, and
    issues resolved in them (first change to resolved, whenever they were reported).

    Each is a count of one range of an index (across countries, one range per country), so no
    row is read and nothing is sorted.
    """
    if not bounds:
        return {}
    where, params = issue_where(f, period=False)
    every, every_params = "", []
    if f.country is None:
        every, every_params = f" AND i.country IN ({', '.join('?' for _ in COUNTRIES)})", list(COUNTRIES)
    values = ", ".join("(?, ?, ?)" for _ in bounds)
    rows = conn.execute(
        f"WITH m (month, first, last) AS (VALUES {values}) SELECT m.month, "
        f"(SELECT COUNT(*) FROM issues i INDEXED BY issues_reported WHERE {where}{every} "
        "AND i.created_at >= m.first AND i.created_at < date(m.last, '+1 day')), "
        f"(SELECT COUNT(*) FROM issues i INDEXED BY issues_resolved WHERE {where}{every} "
        "AND i.resolved_on >= m.first AND i.resolved_on <= m.last) FROM m",
        [*(value for bound in bounds for value in bound), *params, *every_params, *params, *every_params],
    ).fetchall()
    return {month: {"new": new, "resolved": resolved} for month, new, resolved in rows}


def budgets(conn, f: Filters) -> list[dict]:
    """For the issues citing a budget line: per currency, how many and the amounts' totals."""
    where, params = issue_where(f)
    rows = conn.execute(
        "SELECT i.budget_currency AS currency, COUNT(*) AS issues, "
        "TOTAL(CAST(i.budget_allocated AS REAL)) AS allocated, "
        "TOTAL(CAST(i.budget_released AS REAL)) AS released, "
        "TOTAL(CAST(i.budget_spent AS REAL)) AS spent "
        f"FROM issues i INDEXED BY issues_budget WHERE {where} AND i.budget_code <> '' "
        "GROUP BY i.budget_currency ORDER BY issues DESC, currency",
        params,
    ).fetchall()
    return [dict(r) for r in rows]


def commitments(conn, f: Filters, today: date) -> dict[str, dict[str, int]]:
    """Commitments made in the period, kept and overdue, by country (the follow-up list's rules)."""
    where, params = followup_queries.commitment_where(f)
    states = ("made", "kept", "overdue")
    sums = ", ".join(f"TOTAL(CASE WHEN {followup_queries.COMMITMENT_STATES[s]} THEN 1 END)" for s in states)
    state_params = [value for s in states for value in followup_queries.state_params(s, today)]
    rows = conn.execute(
        f"SELECT e.country, {sums} FROM issue_events e INDEXED BY issue_events_commitments "
        f"WHERE {where} GROUP BY e.country",
        [*state_params, *params],
    ).fetchall()
    return {row[0]: {s: int(row[n + 1]) for n, s in enumerate(states)} for row in rows}


def overdue_actions(conn, f: Filters, today: date) -> dict[str, int]:
    """Open action items past their due date (due in the period), by country."""
    where, params = followup_queries.action_where(f, today)
    rows = conn.execute(
        "SELECT a.country, COUNT(*) FROM meeting_actions a INDEXED BY meeting_actions_followup "
        f"JOIN meetings m INDEXED BY meetings_id_state ON m.id = a.meeting_id WHERE {where} GROUP BY a.country",
        params,
    ).fetchall()
    return dict(rows)


def organisations(conn, country: str | None) -> list[str]:
    """The partner organisations with issues (in ``country``, or in any country), for the filter.

    Hops from one partner to the next through an index on (deleted, country, org, ...): a few
    reads per partner, not one per issue.
    """
    step = (
        "(SELECT MIN(org) FROM issues INDEXED BY issues_silent "
        "WHERE deleted = 0 AND country = :country AND org > {after})"
    )
    found: set[str] = set()
    for code in COUNTRIES if country is None else (country,):
        rows = conn.execute(
            f"""
            WITH RECURSIVE found (org) AS (
                SELECT {step.format(after="''")}
                UNION ALL
                SELECT {step.format(after="found.org")} FROM found WHERE found.org IS NOT NULL LIMIT 1001
            )
            SELECT org FROM found WHERE org IS NOT NULL LIMIT 1000
            """,
            {"country": code},
        ).fetchall()
        found.update(r[0] for r in rows)
    return sorted(found)[:1000]
