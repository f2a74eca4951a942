"""Central's follow-up lists: issues with no response for N days, commitments due or past due,
overdue action items; by partner, within the account's scope and the dashboard's filters."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, current_app, render_template, request

from ..db import get_db
from ..i18n import gettext as _
from ..views import page_number
from . import figure_filters, followup_queries
from .dashboard import filter_choices

bp = Blueprint("followup", __name__, url_prefix="/central/follow-up")

LISTS = ("silent", "commitments", "actions")
DEFAULT_DAYS = 30
MAX_DAYS = 3650


def _days(text: str, errors: dict) -> int:
    if not text:
        return DEFAULT_DAYS
    if not text.isdigit() or not 1 <= int(text) <= MAX_DAYS:
        errors["days"] = _("Enter a number of days from 1 to %(most)s.", most=MAX_DAYS)
        return DEFAULT_DAYS
    return int(text)


@bp.get("/")
def index():
    conn = get_db()
    filters, values, errors = figure_filters.parse(request.args)
    show = request.args.get("show", "")
    show = show if show in LISTS else LISTS[0]
    state = request.args.get("state", "")
    state = state if state in followup_queries.COMMITMENT_STATES else "due"
    values.update(show=show, state=state, days=request.args.get("days", "").strip())
    days = _days(values["days"], errors)
    context = {"values": values, "errors": errors, "show": show, "state": state, "days": days}
    context.update(filter_choices(conn))
    if errors:
        return render_template("central/followup.html", rows=None, **context), 422
    page, size, today = page_number(), current_app.config["PAGE_SIZE"], date.today()
    if show == "silent":
        rows, total = followup_queries.silent(conn, filters, today=today, days=days, page=page, size=size)
    elif show == "commitments":
        rows, total = followup_queries.commitments(
            conn, filters, today=today, state=state, page=page, size=size
        )
    else:
        rows, total = followup_queries.actions(conn, filters, today=today, page=page, size=size)
    return render_template(
        "central/followup.html",
        rows=rows,
        total=total,
        page=page,
        pages=max(1, -(-total // size)),
        today=today.isoformat(),
        **context,
    )
