"""Issues: list and search, record, view with timeline, edit, delete/restore, history."""

from __future__ import annotations

import re
from datetime import date

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for

from .. import fields, hub, scope
from ..blobs import Store, accept
from ..db import get_db, transaction
from ..forms import parse_event, parse_issue, parse_reporter
from ..i18n import gettext as _
from ..queries import attachments as attachment_queries
from ..queries import events as event_queries
from ..queries import issues as queries
from ..queries import places as place_queries
from ..queries import tokens
from ..records import COUNTRIES
from ..validation import Invalid
from . import author, is_htmx, page_number, place_lists

bp = Blueprint("issues", __name__, url_prefix="/issues")

FILTERS = ("q", "status", "sector", "district", "community", "severity", "overdue", "deleted")
DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def is_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


#: Filters the central dashboard links with, and the values each accepts (others are ignored).
DASHBOARD_FILTERS = {
    "country": re.compile(f"^({'|'.join(COUNTRIES)})$"),
    "org": re.compile(r"^[A-Za-z0-9_.-]{1,64}$"),
    "from": DAY,
    "to": DAY,
    "resolved_from": DAY,
    "resolved_to": DAY,
    "responded": re.compile(r"^(yes|no)$"),
    "resolved": re.compile(r"^yes$"),
    "budget": re.compile(r"^(yes|-|[A-Z]{3})$"),
}


def _dashboard_filters() -> dict:
    found = {}
    for name, accepted in DASHBOARD_FILTERS.items():
        value = request.args.get(name, "").strip()
        if accepted.match(value) and (accepted is not DAY or is_date(value)):
            found[name] = value
    return found


@bp.get("/")
def index():
    conn = get_db()
    filters = {k: request.args.get(k, "").strip() for k in FILTERS}
    if filters["severity"] not in {"", "1", "2", "3", "4"}:
        filters["severity"] = ""
    dashboard = _dashboard_filters()
    filters.update(dashboard)
    sort = request.args.get("sort", "updated")
    page = page_number()
    page_size = current_app.config["PAGE_SIZE"]
    country = scope.current()
    rows, total = queries.list_issues(
        conn, filters, sort=sort, page=page, page_size=page_size, country=country
    )
    context = dict(
        rows=rows,
        total=total,
        page=page,
        page_size=page_size,
        filters=filters,
        sort=sort,
        sorts=queries.SORTS,
        pages=max(1, -(-total // page_size)),
        dashboard=dashboard,
    )
    if is_htmx() and request.headers.get("HX-Target") == "results":
        return render_template("issues/_results.html", **context)
    context.update(
        districts=queries.places(conn, "district", country=country),
        communities=queries.places(conn, "community", country=country),
    )
    return render_template("issues/index.html", **context)


def _files_from_request(field: str = "files") -> list:
    return [f for f in request.files.getlist(field) if f and f.filename]


def _store_files(uploads, errors: dict, field: str = "files") -> list[dict]:
    stored = []
    limit = current_app.config["MAX_UPLOAD_MB"] << 20
    store = Store(current_app.config["DATA_DIR"])
    for upload in uploads:
        try:
            stored.append(accept(store, upload, max_bytes=limit))
        except Invalid as error:
            errors[field] = _("%(file)s: %(reason)s", file=upload.filename, reason=str(error))
            break
    return stored


@bp.route("/new", methods=["GET", "POST"])
def new():
    if request.method == "GET":
        issue = {
            "country": scope.current() or current_app.config["COUNTRY"],
            "severity": 2,
            "status": "reported",
            "observed_on": date.today().isoformat(),
            "visibility": "programme",
            "language": fields.text_language(),
        }
        return render_template(
            "issues/form.html",
            issue=issue,
            errors={},
            reporter=None,
            place_lists=place_lists("issues", issue),
        )
    conn = get_db()
    token = request.form.get("form_token")
    earlier = tokens.seen(conn, token)
    if earlier:
        return redirect(url_for("issues.show", issue_id=earlier), code=303)
    parsed = parse_issue(request.form)
    reporter, reporter_errors = parse_reporter(request.form)
    errors = {**parsed.errors, **reporter_errors}
    scope.check_country(parsed.values, errors)
    stored = [] if errors else _store_files(_files_from_request(), errors)
    if errors:
        return render_template(
            "issues/form.html",
            issue=request.form,
            errors=errors,
            reporter=reporter,
            place_lists=place_lists("issues", request.form),
        ), 422
    with transaction(conn):
        # Asked again inside the write lock: a double tap's second request may have passed the
        # check above while the first was still saving; it must then add nothing (not the photos again).
        issue_id = tokens.seen(conn, token)
        if issue_id is None:
            place_queries.learn(conn, "issues", parsed.values, author=author())
            issue_id = queries.create_issue(
                conn,
                parsed.values,
                author=author(),
                reporter=reporter,
                token=token,
                org=current_app.config["ORG"],
            )
            if stored:
                issue = queries.get_issue(conn, issue_id)
                attachment_queries.add_attachments(conn, issue, stored, author=author())
    return redirect(url_for("issues.show", issue_id=issue_id), code=303)


def _issue_or_404(issue_id: str) -> dict:
    """The issue, or 404 if there is none or it is outside the signed-in scope."""
    issue = queries.get_issue(get_db(), issue_id, country=scope.current())
    if issue is None:
        abort(404)
    return issue


@bp.get("/<issue_id>")
def show(issue_id: str):
    return _detail(_issue_or_404(issue_id))


def _detail(issue: dict, status: int = 200, **form_state):
    """The issue page; after a refused timeline or upload form, with its messages and what was typed."""
    conn = get_db()
    page = dict(event_errors={}, event_form={}, open_kind=None, upload_error=None) | form_state
    return render_template(
        "issues/detail.html",
        issue=issue,
        timeline=event_queries.timeline(conn, issue["id"]),
        attachments=attachment_queries.for_issue(conn, issue["id"]),
        reporter=queries.reporter_of(conn, issue["id"], private=not hub.is_phone()),
        today=date.today().isoformat(),
        **page,
    ), status


@bp.route("/<issue_id>/edit", methods=["GET", "POST"])
def edit(issue_id: str):
    conn = get_db()
    issue = _issue_or_404(issue_id)
    if request.method == "GET":
        form = fields.form_values("issues", issue)
        return render_template(
            "issues/form.html",
            issue=form,
            errors={},
            editing=True,
            reporter=queries.reporter_of(conn, issue_id, private=not hub.is_phone()),
            place_lists=place_lists("issues", form),
        )
    token = request.form.get("form_token")
    if tokens.seen(conn, token):
        return redirect(url_for("issues.show", issue_id=issue_id), code=303)
    parsed = parse_issue(request.form)
    # A phone neither sees nor changes details kept on the laptop only.
    kept = queries.reporter_of(conn, issue_id, private=not hub.is_phone())
    hidden = bool(kept and kept.get("hidden"))
    reporter, reporter_errors = (kept, {}) if hidden else parse_reporter(request.form)
    errors = {**parsed.errors, **reporter_errors}
    scope.check_country(parsed.values, errors)
    if errors:
        return render_template(
            "issues/form.html",
            issue=request.form,
            errors=errors,
            editing=True,
            reporter=reporter,
            place_lists=place_lists("issues", request.form),
        ), 422
    with transaction(conn):
        place_queries.learn(conn, "issues", parsed.values, author=author(), stored=issue)
        queries.update_issue(conn, issue_id, parsed.values, author=author(), token=token)
        if not hidden:
            queries.save_reporter(
                conn, issue_id, reporter, author=author(), org=issue["org"], country=issue["country"]
            )
    return redirect(url_for("issues.show", issue_id=issue_id), code=303)


@bp.post("/<issue_id>/delete")
def delete(issue_id: str):
    _issue_or_404(issue_id)
    queries.delete_issue(get_db(), issue_id, author=author())
    return redirect(url_for("issues.show", issue_id=issue_id), code=303)


@bp.post("/<issue_id>/restore")
def restore(issue_id: str):
    _issue_or_404(issue_id)
    queries.restore_issue(get_db(), issue_id, author=author())
    return redirect(url_for("issues.show", issue_id=issue_id), code=303)


@bp.post("/<issue_id>/events")
def add_event(issue_id: str):
    conn = get_db()
    issue = _issue_or_404(issue_id)
    token = request.form.get("form_token")
    if tokens.seen(conn, token):
        return redirect(url_for("issues.show", issue_id=issue_id, _anchor="timeline"), code=303)
    parsed = parse_event(request.form)
    errors = dict(parsed.errors)
    stored = [] if errors else _store_files(_files_from_request(), errors)
    if errors:
        return _detail(
            issue, 422, event_errors=errors, event_form=request.form, open_kind=request.form.get("kind")
        )
    with transaction(conn):
        if not tokens.seen(conn, token):  # again inside the write lock: see new()
            event_id = event_queries.add_event(conn, issue, parsed.values, author=author(), token=token)
            if stored:
                attachment_queries.add_attachments(conn, issue, stored, event_id=event_id, author=author())
    return redirect(url_for("issues.show", issue_id=issue_id, _anchor="timeline"), code=303)


@bp.post("/<issue_id>/events/<event_id>/fulfilled")
def fulfilled(issue_id: str, event_id: str):
    conn = get_db()
    _issue_or_404(issue_id)
    event = event_queries.get_event(conn, event_id)
    if event is None or event["issue_id"] != issue_id:
        abort(404)
    event_queries.set_fulfilled(conn, event_id, request.form.get("fulfilled") == "1", author=author())
    return redirect(url_for("issues.show", issue_id=issue_id, _anchor="timeline"), code=303)


@bp.post("/<issue_id>/attachments")
def upload(issue_id: str):
    conn = get_db()
    issue = _issue_or_404(issue_id)
    errors: dict = {}
    uploads = _files_from_request()
    if not uploads:
        errors["files"] = _("Choose a file to attach.")
    stored = [] if errors else _store_files(uploads, errors)
    if errors:
        return _detail(issue, 422, upload_error=errors["files"])
    attachment_queries.add_attachments(conn, issue, stored, author=author())
    return redirect(url_for("issues.show", issue_id=issue_id, _anchor="attachments"), code=303)


@bp.get("/<issue_id>/history")
def history(issue_id: str):
    issue = _issue_or_404(issue_id)
    return render_template(
        "issues/history.html", issue=issue, ops=queries.history(get_db(), "issues", issue_id)
    )
