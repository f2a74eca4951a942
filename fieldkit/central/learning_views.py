"""Central's "What changed and why" pages: the learning view, and the findings a country team
keeps for its learning report (mark, unmark, list, CSV).

Every account reads the view and the findings of its own country (``scope.current``); the
country team (admins and members, not viewers) marks and unmarks findings (fieldkit/roles.py).
Marking and unmarking are audited like every change at central (``audit.record_change``).
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date

from flask import Blueprint, Response, abort, g, redirect, render_template, request, url_for

from .. import cells, scope
from ..db import get_db
from ..i18n import gettext as _
from ..i18n import lazy_gettext as _l
from ..queries import learning
from ..records import COUNTRIES, LINK_OUTCOMES, MEETING_TYPES, ORG_PATTERN, SECTORS, STATUSES
from ..security import safe_next
from ..views import page_number
from . import findings as finding_queries

bp = Blueprint("learning", __name__, url_prefix="/central/learning")

#: What each kind of entry is called on the page and in the findings export.
CHANGES = {
    "resolved": STATUSES["resolved"],
    "committed": STATUSES["committed"],
    "released": _l("Budget released"),
    "reflected": _l("Reflection: what changed, what we learned"),
}
FILTERS = ("q", "country", "org", "sector", "since", "until")
ORG = re.compile(ORG_PATTERN)


def _lists() -> dict:
    """Labels the entries show (besides those every page has: views.page_context)."""
    return {"changes": CHANGES, "meeting_types": MEETING_TYPES, "link_outcomes": LINK_OUTCOMES}


def _day(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return len(text) == 10


def parse_filters(args) -> tuple[dict, dict]:
    """The page's filters from the query string, and a message beside each one that is wrong."""
    values = {name: args.get(name, "").strip()[:200] for name in FILTERS}
    errors = {}
    if values["country"] and values["country"] not in COUNTRIES:
        errors["country"] = _("Choose one of the countries.")
    if values["org"] and not ORG.match(values["org"]):
        errors["org"] = _(
            "A partner organisation is written with letters, digits, dots, dashes and underscores."
        )
    if values["sector"] and values["sector"] not in SECTORS:
        errors["sector"] = _("Choose one of the sectors.")
    for name in ("since", "until"):
        if values[name] and not _day(values[name]):
            errors[name] = _("Enter a date as YYYY-MM-DD, or leave it empty.")
    if not errors and values["since"] and values["until"] and values["since"] > values["until"]:
        errors["until"] = _("The end of the period must not be before its start.")
    return values, errors


def _orgs(conn, country: str | None) -> list[str]:
    """Partner organisations to suggest: those of the enrolled devices in scope."""
    rows = conn.execute(
        "SELECT DISTINCT org FROM central_devices WHERE org NOT IN ('', '*') AND (? IS NULL OR country = ?) "
        "ORDER BY org LIMIT 500",
        (country, country),
    ).fetchall()
    return [r[0] for r in rows]


@bp.get("/")
def index():
    conn = get_db()
    country = scope.current()
    filters, errors = parse_filters(request.args)
    page = page_number()
    shown, more = [], False
    if not errors:
        found, more = learning.entries(conn, filters, country=country, page=page)
        shown = learning.context(conn, found, country=country)
    kept = finding_queries.marked(conn, [(e["source"], e["id"]) for e in shown])
    args = {k: v for k, v in filters.items() if v}
    return render_template(
        "central/learning.html",
        entries=shown,
        findings=kept,
        filters=filters,
        errors=errors,
        page=page,
        more=more,
        args=args,
        back=request.full_path.rstrip("?"),
        every_country=country is None,
        orgs=_orgs(conn, country),
        **_lists(),
    ), (422 if errors else 200)


@bp.post("/findings")
def mark():
    """Keep an entry as a finding of its country, with an optional note (or change the note)."""
    conn = get_db()
    entry = learning.entry(
        conn, request.form.get("source", ""), request.form.get("record_id", ""), country=scope.current()
    )
    if entry is None:
        abort(404)
    note = request.form.get("note", "").strip()
    back = safe_next(request.form.get("next"), url_for("learning.index"))
    if len(note) > finding_queries.NOTE_LIMIT:
        shown = learning.context(conn, [entry], country=scope.current())[0]
        return render_template(
            "central/finding_form.html",
            item=shown,
            note=note,
            **_lists(),
            back=back,
            errors={"note": _("Keep the note under %(limit)s characters.", limit=finding_queries.NOTE_LIMIT)},
        ), 422
    finding_queries.mark(conn, entry, note, by=g.caller.name)
    g.audit_record = f"{entry['source']}/{entry['id']}"
    g.audit_detail = f"finding marked: {note}"
    return redirect(back, 303)


@bp.post("/findings/<finding_id>/delete")
def unmark(finding_id: str):
    """Forget a finding (the entry itself stays in the learning view)."""
    if not finding_id.isascii() or not finding_id.isdigit() or len(finding_id) > 18:
        abort(404)
    gone = finding_queries.unmark(get_db(), int(finding_id), country=scope.current())
    if gone is None:
        abort(404)
    g.audit_record = f"{gone['source']}/{gone['record_id']}"
    g.audit_detail = "finding unmarked"
    return redirect(safe_next(request.form.get("next"), url_for("learning.findings")), 303)


@bp.get("/findings")
def findings():
    return render_template(
        "central/findings.html",
        findings=finding_queries.listing(get_db(), country=scope.current()),
        **_lists(),
    )


#: The findings export's columns, in order.
CSV_COLUMNS = (
    "country",
    "org",
    "day",
    "change",
    "ref",
    "title",
    "what",
    "note",
    "marked_by",
    "marked_at",
    "source",
    "record_id",
    "issue_id",
    "meeting_id",
)


@bp.get("/findings.csv")
def findings_csv():
    """The findings in scope as CSV, text cells neutralised as in the exports (cells.py)."""
    country = scope.current()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for item in finding_queries.listing(get_db(), country=country):
        writer.writerow([cells.neutralise(item[c] if item[c] is not None else "") for c in CSV_COLUMNS])
    name = f"fieldkit-findings-{country or 'all'}-{date.today().isoformat()}.csv"
    response = Response(out.getvalue(), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response
