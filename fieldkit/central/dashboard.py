"""Central's dashboard: what is open, answered, resolved and overdue, per country and partner.

Every signed-in account sees it, for its own country (a ``*`` account: every country, with a
row per country). Figures and their lists: ``dashboard_figures``; SQL: ``dashboard_queries``.
"""

from __future__ import annotations

from datetime import date

from flask import Blueprint, render_template, request

from .. import scope
from ..db import get_db
from ..views import org_name
from . import dashboard_figures, dashboard_queries, figure_filters

bp = Blueprint("dashboard", __name__, url_prefix="/central/dashboard")


def filter_choices(conn) -> dict:
    """The partner organisations and countries the filter form offers this account."""
    country = scope.current()
    return {
        "orgs": {org: org_name(org) for org in dashboard_queries.organisations(conn, country)},
        "every_country": country is None,
    }


@bp.get("/")
def index():
    conn = get_db()
    filters, values, errors = figure_filters.parse(request.args)
    context = {"values": values, "errors": errors, **filter_choices(conn)}
    if errors:
        return render_template("central/dashboard.html", figures=None, **context), 422
    figures = dashboard_figures.figures(
        conn, filters, date.today(), by_country=context["every_country"] and filters.country is None
    )
    return render_template("central/dashboard.html", figures=figures, **context)
