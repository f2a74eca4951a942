"""The dashboard's figures shaped for the page: each one with the link to the list behind it.

:func:`figures` runs the queries of ``dashboard_queries`` once each and sums the breakdowns
(sector x status, district, country) from one pass over the issues. Each link carries the
page's filters (``Filters.link_args``) plus the figure's own condition, which the issue list
(``queries.issues``) or the follow-up list (``followup_queries``) applies the same way.
"""

from __future__ import annotations

from calendar import monthrange
from datetime import date
from urllib.parse import urlencode

from babel.dates import format_skeleton
from flask import url_for

from ..i18n import formatting_locale
from ..records import SECTORS, STATUSES
from . import dashboard_queries as queries
from .figure_filters import Filters

#: The months chart shows at most this many months (the latest of the period).
MAX_MONTHS = 36
#: The districts chart shows the busiest ones; the table beside it lists them all.
CHART_DISTRICTS = 10


def _link(endpoint: str, args: dict) -> str:
    # A page has some 200 links to two lists: their query strings are encoded here, without
    # building each route again.
    return f"{url_for(endpoint)}?{urlencode(args)}" if args else url_for(endpoint)


def _issues(f: Filters, **extra) -> str:
    return _link("issues.index", {**f.link_args(), **extra})


def _followup(f: Filters, show: str, **extra) -> str:
    return _link("followup.index", {"show": show, **f.link_args(), **extra})


def month_range(f: Filters, today: date) -> list[tuple[str, str, str]]:
    """(month, first day, last day) of each month shown, clipped to the period."""
    end = date.fromisoformat(f.end) if f.end else today
    if f.start:
        start = date.fromisoformat(f.start)
    else:
        back = end.year * 12 + end.month - 12  # the 12 months ending with the period's last
        start = date(back // 12, back % 12 + 1, 1)
    months = []
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        first = max(date(year, month, 1), start)
        last = min(date(year, month, monthrange(year, month)[1]), end)
        months.append((f"{year:04d}-{month:02d}", first.isoformat(), last.isoformat()))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months[-MAX_MONTHS:]


def figures(conn, f: Filters, today: date, *, by_country: bool) -> dict:
    """Every figure of the dashboard for filters ``f`` on ``today``; ``by_country`` adds a row per country."""
    counts = queries.issue_counts(conn, f)
    total = sum(r["n"] for r in counts)
    responded = sum(r["responded"] for r in counts)
    resolved = sum(r["resolved"] for r in counts)

    cells: dict[tuple[str, str], int] = {}
    districts: dict[str, int] = {}
    countries: dict[str, dict] = {}
    for r in counts:
        cells[r["sector"], r["status"]] = cells.get((r["sector"], r["status"]), 0) + r["n"]
        districts[r["district"]] = districts.get(r["district"], 0) + r["n"]
        row = countries.setdefault(r["country"], {"issues": 0, "responded": 0, "resolved": 0})
        row["issues"] += r["n"]
        row["responded"] += r["responded"]
        row["resolved"] += r["resolved"]
    sectors = [s for s in SECTORS if any((s, t) in cells for t in STATUSES)]
    sectors += sorted({s for s, _t in cells} - set(sectors))  # codes stored by an older version
    statuses = [t for t in STATUSES if any((s, t) in cells for s in sectors)]
    statuses += sorted({t for _s, t in cells} - set(statuses))
    matrix = [
        {
            "sector": sector,
            "href": _issues(f, sector=sector),
            "total": sum(cells.get((sector, t), 0) for t in statuses),
            "cells": [
                {"status": t, "n": cells.get((sector, t), 0), "href": _issues(f, sector=sector, status=t)}
                for t in statuses
            ],
        }
        for sector in sectors
    ]
    status_totals = [
        {"status": t, "n": sum(cells.get((s, t), 0) for s in sectors), "href": _issues(f, status=t)}
        for t in statuses
    ]
    district_rows = [
        {"district": d, "n": n, "href": _issues(f, district=d) if d else None}
        for d, n in sorted(districts.items(), key=lambda item: (-item[1], item[0]))
    ]

    shown_months = month_range(f, today)
    flows = queries.months(conn, f, shown_months)
    month_rows = []
    for month, first, last in shown_months:
        found = flows.get(month, {"new": 0, "resolved": 0})
        new_filters = Filters(f.country, f.org, first, last, f.asked_country)
        flow_args = {k: v for k, v in {"country": f.asked_country, "org": f.org}.items() if v}
        month_rows.append(
            {
                "month": month,
                "label": format_skeleton(
                    "yMMM", date.fromisoformat(f"{month}-01"), locale=formatting_locale()
                ),
                "first": first,
                "new": found["new"],
                "resolved": found["resolved"],
                "new_href": _issues(new_filters),
                "resolved_href": _link(
                    "issues.index", {**flow_args, "resolved_from": first, "resolved_to": last}
                ),
            }
        )

    commitments = queries.commitments(conn, f, today)
    actions = queries.overdue_actions(conn, f, today)
    made = {s: sum(c[s] for c in commitments.values()) for s in ("made", "kept", "overdue")}
    per_country = []
    if by_country:
        for code in sorted(set(countries) | set(commitments) | set(actions)):
            row = countries.get(code, {"issues": 0, "responded": 0, "resolved": 0})
            only = Filters(code, f.org, f.start, f.end, code)
            per_country.append(
                {
                    "country": code,
                    **row,
                    "issues_href": _issues(only),
                    "responded_href": _issues(only, responded="yes"),
                    "resolved_href": _issues(only, resolved="yes"),
                    "overdue": commitments.get(code, {}).get("overdue", 0),
                    "overdue_href": _followup(only, "commitments", state="overdue"),
                    "actions": actions.get(code, 0),
                    "actions_href": _followup(only, "actions"),
                }
            )

    budgets = queries.budgets(conn, f)
    for row in budgets:
        row["href"] = _issues(f, budget=row["currency"] or "-")
    return {
        "total": total,
        "total_href": _issues(f),
        "responded": responded,
        "responded_href": _issues(f, responded="yes"),
        "not_responded": total - responded,
        "not_responded_href": _issues(f, responded="no"),
        "share": responded / total if total else None,
        "median_response": queries.median_days(conn, f, "response_days", responded),
        "resolved": resolved,
        "resolved_href": _issues(f, resolved="yes"),
        "median_resolution": queries.median_days(conn, f, "resolution_days", resolved),
        "statuses": statuses,
        "matrix": matrix,
        "status_totals": status_totals,
        "districts": district_rows,
        "charts": {
            "months": [{"label": m["label"], "bars": [m["new"], m["resolved"]]} for m in month_rows],
            "sectors": [
                {"label": SECTORS.get(r["sector"], r["sector"]), "bars": [r["total"]]} for r in matrix
            ],
            "districts": [
                {"label": r["district"] or "—", "bars": [r["n"]]} for r in district_rows[:CHART_DISTRICTS]
            ],
            "budgets": [
                {"label": r["currency"] or "—", "bars": [r["allocated"], r["released"], r["spent"]]}
                for r in budgets
            ],
        },
        "months": month_rows,
        "commitments": {
            state: {"n": n, "href": _followup(f, "commitments", state=state)} for state, n in made.items()
        },
        "actions_overdue": {"n": sum(actions.values()), "href": _followup(f, "actions")},
        "budgets": budgets,
        "budgets_href": _issues(f, budget="yes"),
        "countries": per_country,
    }
