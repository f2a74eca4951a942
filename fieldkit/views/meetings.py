"""Meetings: list and search, record, minutes page, edit with autosaved drafts, action items,
issues discussed (search-as-you-type, or a new issue that comes back linked), history.

Also the one search page that finds meetings and issues together (blueprint ``search``).
"""

from __future__ import annotations

import re
from datetime import date

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for

from .. import fields, scope
from ..db import get_db, transaction
from ..forms import parse_issue, parse_reporter
from ..i18n import gettext as _
from ..meeting_forms import ATTENDANCE, LONG_TEXTS, official_lines, parse_action, parse_link, parse_meeting
from ..queries import actions as action_queries
from ..queries import issues as issue_queries
from ..queries import meetings as queries
from ..queries import places as place_queries
from ..queries import tokens
from ..records import ACTION_OWNER_KINDS, ACTION_STATUSES, LINK_OUTCOMES, MEETING_TYPES
from . import author, is_htmx, page_number, place_lists

bp = Blueprint("meetings", __name__, url_prefix="/meetings")
search_bp = Blueprint("search", __name__)

DRAFT_KEY = re.compile(r"^(new|meeting):[0-9a-f-]{36}$")
#: Fields a draft keeps (everything a person types in the meeting form).
DRAFT_FIELDS = (
    "title",
    "kind",
    "held_on",
    "starts_at",
    "ends_at",
    "place",
    "facilitator",
    "language",
    "country",
    *ATTENDANCE,
    "officials",
    *LONG_TEXTS,
)


@bp.context_processor
def meeting_lists():
    return {
        "meeting_types": MEETING_TYPES,
        "owner_kinds": ACTION_OWNER_KINDS,
        "action_statuses": ACTION_STATUSES,
        "link_outcomes": LINK_OUTCOMES,
    }


@bp.get("/")
def index():
    conn = get_db()
    filters = {k: request.args.get(k, "").strip() for k in ("q", "kind", "deleted")}
    if filters["kind"] not in MEETING_TYPES:
        filters["kind"] = ""
    page = page_number()
    page_size = current_app.config["PAGE_SIZE"]
    rows, total = queries.list_meetings(
        conn, filters, page=page, page_size=page_size, country=scope.current()
    )
    context = dict(rows=rows, total=total, page=page, filters=filters, pages=max(1, -(-total // page_size)))
    if is_htmx() and request.headers.get("HX-Target") == "results":
        return render_template("meetings/_results.html", **context)
    return render_template(
        "meetings/index.html", drafts=queries.new_meeting_drafts(conn, country=scope.current()), **context
    )


def _meeting_or_404(meeting_id: str) -> dict:
    """The meeting, or 404 if there is none or it is outside the signed-in scope."""
    meeting = queries.get_meeting(get_db(), meeting_id, country=scope.current())
    if meeting is None:
        abort(404)
    return meeting


def _form_page(
    meeting: dict,
    errors: dict,
    *,
    editing: bool,
    draft_key: str,
    form_token: str,
    draft: dict | None = None,
    status: int = 200,
    other_drafts: list | None = None,
):
    return render_template(
        "meetings/form.html",
        meeting=meeting,
        errors=errors,
        editing=editing,
        draft_key=draft_key,
        form_token=form_token,
        draft=draft,
        other_drafts=other_drafts or [],
        place_lists=place_lists("meetings", meeting),
    ), status


@bp.route("/new", methods=["GET", "POST"])
def new():
    conn = get_db()
    if request.method == "GET":
        draft = None
        key = request.args.get("draft", "")
        if DRAFT_KEY.match(key) and key.startswith("new:"):
            draft = queries.get_draft(conn, key, country=scope.current())
        if draft:
            token = key.split(":", 1)[1]
            meeting = dict(draft["data"])
        else:
            token = current_app.jinja_env.globals["new_form_token"]()
            meeting = {
                "kind": "community",
                "held_on": date.today().isoformat(),
                "country": scope.current() or current_app.config["COUNTRY"],
                "language": fields.text_language(),
            }
        # A facilitator back after a crash may press "Record a meeting" again: offer what was kept.
        others = [
            d
            for d in queries.new_meeting_drafts(conn, limit=5, country=scope.current())
            if d["key"] != f"new:{token}"
        ]
        return _form_page(
            meeting,
            {},
            editing=False,
            draft_key=f"new:{token}",
            form_token=token,
            draft=draft,
            other_drafts=others,
        )
    token = request.form.get("form_token", "")
    draft_key = f"new:{token}" if re.fullmatch(r"[0-9a-f-]{36}", token) else ""
    earlier = tokens.seen(conn, token)
    if earlier:
        queries.drop_draft(conn, draft_key, country=scope.current())
        return redirect(url_for("meetings.show", meeting_id=earlier), code=303)
    parsed = parse_meeting(request.form)
    scope.check_country(parsed.values, parsed.errors)
    if parsed.errors:
        return _form_page(
            request.form, parsed.errors, editing=False, draft_key=draft_key, form_token=token, status=422
        )
    with transaction(conn):
        place_queries.learn(conn, "meetings", parsed.values, author=author())
        meeting_id = queries.create_meeting(
            conn, parsed.values, author=author(), token=token, org=current_app.config["ORG"]
        )
    queries.drop_draft(conn, draft_key, country=scope.current())
    return redirect(url_for("meetings.show", meeting_id=meeting_id), code=303)


def _detail_context(conn, meeting: dict, **extra) -> dict:
    context = dict(
        meeting=meeting,
        officials=official_lines(meeting.get("officials", "")),
        actions=action_queries.for_meeting(conn, meeting["id"], country=scope.current()),
        linked=queries.issues_of(conn, meeting["id"], country=scope.current()),
        today=date.today().isoformat(),
        action_form={},
        action_errors={},
        link_errors={},
        link_form={},
        found=None,
        find=request.args.get("find", "").strip()[:200],
    )
    if context["find"]:
        context["found"] = queries.find_issues(conn, context["find"], country=scope.current())
    context.update(extra)
    return context


@bp.get("/<meeting_id>")
def show(meeting_id: str):
    conn = get_db()
    meeting = _meeting_or_404(meeting_id)
    context = _detail_context(conn, meeting)
    if is_htmx() and request.headers.get("HX-Target") == "found":
        return render_template("meetings/_found.html", **context)
    return render_template("meetings/detail.html", **context)


@bp.route("/<meeting_id>/edit", methods=["GET", "POST"])
def edit(meeting_id: str):
    conn = get_db()
    meeting = _meeting_or_404(meeting_id)
    draft_key = f"meeting:{meeting_id}"
    if request.method == "GET":
        draft = queries.get_draft(conn, draft_key, country=scope.current())
        values = fields.form_values("meetings", meeting) | (draft["data"] if draft else {})
        token = current_app.jinja_env.globals["new_form_token"]()
        return _form_page(values, {}, editing=True, draft_key=draft_key, form_token=token, draft=draft)
    token = request.form.get("form_token", "")
    if tokens.seen(conn, token):
        queries.drop_draft(conn, draft_key, country=scope.current())
        return redirect(url_for("meetings.show", meeting_id=meeting_id), code=303)
    parsed = parse_meeting(request.form)
    scope.check_country(parsed.values, parsed.errors)
    if parsed.errors:
        return _form_page(
            request.form, parsed.errors, editing=True, draft_key=draft_key, form_token=token, status=422
        )
    with transaction(conn):
        place_queries.learn(conn, "meetings", parsed.values, author=author(), stored=meeting)
        queries.update_meeting(conn, meeting_id, parsed.values, author=author(), token=token)
    queries.drop_draft(conn, draft_key, country=scope.current())
    return redirect(url_for("meetings.show", meeting_id=meeting_id), code=303)


@bp.post("/drafts")
def save_draft():
    """Autosave: keep what is typed in a meeting form as a server-side draft."""
    key = request.form.get("draft_key", "")
    if not DRAFT_KEY.match(key):
        abort(400)
    conn = get_db()
    meeting_id = None
    if key.startswith("meeting:"):
        meeting_id = key.split(":", 1)[1]
        _meeting_or_404(meeting_id)
    elif tokens.seen(conn, key.split(":", 1)[1]):
        # The form was already saved; a late autosave must not resurrect its draft.
        return render_template("meetings/_draft_status.html", saved_at=None)
    data = {name: request.form.get(name, "")[:200_000] for name in DRAFT_FIELDS if name in request.form}
    saved_at = queries.save_draft(conn, key, data, meeting_id=meeting_id, country=scope.current())
    return render_template("meetings/_draft_status.html", saved_at=saved_at)


@bp.post("/drafts/discard")
def discard_draft():
    key = request.form.get("draft_key", "")
    if not DRAFT_KEY.match(key):
        abort(400)
    queries.drop_draft(get_db(), key, country=scope.current())
    if key.startswith("meeting:"):
        return redirect(url_for("meetings.edit", meeting_id=key.split(":", 1)[1]), code=303)
    return redirect(url_for("meetings.index"), code=303)


@bp.post("/<meeting_id>/delete")
def delete(meeting_id: str):
    _meeting_or_404(meeting_id)
    queries.delete_meeting(get_db(), meeting_id, author=author())
    return redirect(url_for("meetings.show", meeting_id=meeting_id), code=303)


@bp.post("/<meeting_id>/restore")
def restore(meeting_id: str):
    _meeting_or_404(meeting_id)
    queries.restore_meeting(get_db(), meeting_id, author=author())
    return redirect(url_for("meetings.show", meeting_id=meeting_id), code=303)


def _section(conn, meeting: dict, template: str, anchor: str, status: int = 200, **extra):
    """After a change: the section fragment for htmx, the whole page on error, else a redirect."""
    if is_htmx():
        return render_template(template, **_detail_context(conn, meeting, **extra)), status
    if status != 200:
        return render_template("meetings/detail.html", **_detail_context(conn, meeting, **extra)), status
    return redirect(url_for("meetings.show", meeting_id=meeting["id"], _anchor=anchor), code=303)


def _issue_exists(conn, issue_id: str | None) -> bool:
    return not issue_id or issue_queries.get_issue(conn, issue_id, country=scope.current()) is not None


@bp.post("/<meeting_id>/actions")
def add_action(meeting_id: str):
    conn = get_db()
    meeting = _meeting_or_404(meeting_id)
    token = request.form.get("form_token")
    if not tokens.seen(conn, token):
        parsed = parse_action(request.form)
        errors = dict(parsed.errors)
        if "issue_id" not in errors and not _issue_exists(conn, parsed.values.get("issue_id")):
            errors["issue_id"] = _("This issue does not exist any more; choose another.")
        if errors:
            return _section(
                conn,
                meeting,
                "meetings/_actions.html",
                "actions",
                422,
                action_errors=errors,
                action_form=request.form,
            )
        action_queries.add_action(conn, meeting, parsed.values, author=author(), token=token)
    return _section(conn, meeting, "meetings/_actions.html", "actions")


@bp.post("/<meeting_id>/actions/<action_id>/status")
def action_status(meeting_id: str, action_id: str):
    conn = get_db()
    meeting = _meeting_or_404(meeting_id)
    action = action_queries.get_action(conn, action_id)
    if action is None or action["meeting_id"] != meeting_id:
        abort(404)
    status = request.form.get("status", "")
    if status not in ACTION_STATUSES:
        abort(400)
    action_queries.set_status(conn, action_id, status, author=author())
    target = request.form.get("next", "")
    if target == "home" and not is_htmx():
        return redirect(url_for("home.index"), code=303)
    return _section(conn, meeting, "meetings/_actions.html", "actions")


@bp.post("/<meeting_id>/links")
def link(meeting_id: str):
    conn = get_db()
    meeting = _meeting_or_404(meeting_id)
    token = request.form.get("form_token")
    if not tokens.seen(conn, token):
        parsed = parse_link(request.form)
        errors = dict(parsed.errors)
        if "issue_id" not in errors and not _issue_exists(conn, parsed.values["issue_id"]):
            errors["issue_id"] = _("This issue does not exist any more; choose another.")
        if errors:
            return _section(
                conn,
                meeting,
                "meetings/_issues.html",
                "issues",
                422,
                link_errors=errors,
                link_form=request.form,
            )
        queries.link_issue(conn, meeting, parsed.values, author=author(), token=token)
    return _section(conn, meeting, "meetings/_issues.html", "issues")


@bp.route("/<meeting_id>/issues/new", methods=["GET", "POST"])
def new_issue(meeting_id: str):
    """Record a new issue raised at the meeting; it comes back linked to the meeting."""
    conn = get_db()
    meeting = _meeting_or_404(meeting_id)
    if request.method == "GET":
        issue = {
            "country": meeting["country"] or current_app.config["COUNTRY"],
            "severity": 2,
            "status": "reported",
            "observed_on": meeting["held_on"],
            "visibility": "programme",
            "language": meeting["language"],
        }
        return render_template(
            "issues/form.html",
            issue=issue,
            errors={},
            reporter=None,
            place_lists=place_lists("issues", issue),
        )
    token = request.form.get("form_token")
    if tokens.seen(conn, token):
        return redirect(url_for("meetings.show", meeting_id=meeting_id, _anchor="issues"), code=303)
    parsed = parse_issue(request.form)
    reporter, reporter_errors = parse_reporter(request.form)
    errors = {**parsed.errors, **reporter_errors}
    scope.check_country(parsed.values, errors)
    if errors:
        return render_template(
            "issues/form.html",
            issue=request.form,
            errors=errors,
            reporter=reporter,
            place_lists=place_lists("issues", request.form),
        ), 422
    with transaction(conn):
        # Asked again inside the write lock: a double tap's second request makes no second issue.
        if not tokens.seen(conn, token):
            place_queries.learn(conn, "issues", parsed.values, author=author())
            issue_id = issue_queries.create_issue(
                conn, parsed.values, author=author(), reporter=reporter, org=current_app.config["ORG"]
            )
            queries.link_issue(
                conn,
                meeting,
                {"issue_id": issue_id, "outcome": "raised", "language": meeting["language"]},
                author=author(),
            )
            tokens.claim(conn, token, issue_id)
    return redirect(url_for("meetings.show", meeting_id=meeting_id, _anchor="issues"), code=303)


@bp.get("/<meeting_id>/history")
def history(meeting_id: str):
    meeting = _meeting_or_404(meeting_id)
    return render_template(
        "meetings/history.html", meeting=meeting, ops=issue_queries.history(get_db(), "meetings", meeting_id)
    )


@bp.app_template_global()
def meeting_links_for(issue_id: str) -> dict:
    """For the issue page: meetings where the issue was discussed and its action items."""
    conn = get_db()
    return {
        "meetings": queries.meetings_of(conn, issue_id, country=scope.current()),
        "actions": action_queries.for_issue(conn, issue_id, country=scope.current()),
        "meeting_types": MEETING_TYPES,
        "owner_kinds": ACTION_OWNER_KINDS,
        "action_statuses": ACTION_STATUSES,
        "link_outcomes": LINK_OUTCOMES,
    }


@search_bp.get("/search")
def everything():
    """One search box over issues and meetings: the best matches of each, with links to all."""
    conn = get_db()
    q = request.args.get("q", "").strip()[:200]
    country = scope.current()
    issues, issue_total = (
        issue_queries.list_issues(conn, {"q": q}, page_size=10, country=country) if q else ([], 0)
    )
    meetings, meeting_total = (
        queries.list_meetings(conn, {"q": q}, page_size=10, country=country) if q else ([], 0)
    )
    return render_template(
        "search.html",
        q=q,
        issues=issues,
        issue_total=issue_total,
        meetings=meetings,
        meeting_total=meeting_total,
        meeting_types=MEETING_TYPES,
    )
