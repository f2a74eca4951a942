"""Translations of a record's text (issues, meetings): add one beside the untouched original, or remove it."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, redirect, render_template, request, url_for

from .. import hub, scope
from .. import validation as v
from ..db import get_db
from ..i18n import gettext as _
from ..i18n import lazy_gettext as _l
from ..queries import attachments as attachment_queries
from ..queries import events as event_queries
from ..queries import issues as issue_queries
from ..queries import meetings as meeting_queries
from ..queries import text_translations as queries
from ..queries import tokens
from . import author

bp = Blueprint("text_translations", __name__)

#: The translatable fields of each kind of record, with their labels.
FIELD_LABELS = {
    "issues": {"title": _l("Title"), "description": _l("Description")},
    "meetings": {
        "title": _l("Title"),
        "agenda": _l("Agenda"),
        "notes": _l("Notes"),
        "decisions": _l("Decisions"),
        "what_changed": _l("What changed"),
        "what_learned": _l("What we learned"),
    },
}


@bp.app_context_processor
def translation_helpers():
    """``record_translations(table, id)`` and field labels, for pages that show a record's text."""

    def record_translations(record_table: str, record_id: str) -> list[dict]:
        return queries.for_record(get_db(), record_table, record_id)

    return {"record_translations": record_translations, "translatable_fields": FIELD_LABELS}


def parse_translation(form, record_table: str, record: dict) -> v.Collector:
    """The field, language and text of a new translation."""
    c = v.Collector(form)
    fields = [f for f in queries.TRANSLATABLE[record_table] if record.get(f)]
    c.field("field", v.choice, fields, required=True)
    c.field("language", v.language_tag, default="")
    if not c.values.get("language") and "language" not in c.errors:
        c.error("language", _("Say which language this translation is in, e.g. fr or en."))
    elif c.values.get("language") == record.get("language"):
        c.error("language", _("This is already the language of the original. Choose another one."))
    c.field("text", v.text, required=True, multiline=True, max_length=20_000)
    return c


def _record_or_404(record_table: str, record_id: str) -> dict:
    conn = get_db()
    if record_table == "issues":
        record = issue_queries.get_issue(conn, record_id, country=scope.current())
    else:
        record = meeting_queries.get_meeting(conn, record_id, country=scope.current())
    if record is None:
        abort(404)
    return record


def _page_with_errors(record_table: str, record: dict, errors: dict):
    conn = get_db()
    extra = {"translation_errors": errors, "translation_form": request.form}
    if record_table == "meetings":
        from .meetings import _detail_context, meeting_lists

        context = {**meeting_lists(), **_detail_context(conn, record, **extra)}
        return render_template("meetings/detail.html", **context), 422
    return render_template(
        "issues/detail.html",
        issue=record,
        timeline=event_queries.timeline(conn, record["id"]),
        attachments=attachment_queries.for_issue(conn, record["id"]),
        reporter=issue_queries.reporter_of(conn, record["id"], private=not hub.is_phone()),
        event_errors={},
        event_form={},
        open_kind=None,
        today=date.today().isoformat(),
        **extra,
    ), 422


def _back(record_table: str, record_id: str):
    if record_table == "meetings":
        target = url_for("meetings.show", meeting_id=record_id, _anchor="translations")
    else:
        target = url_for("issues.show", issue_id=record_id, _anchor="translations")
    return redirect(target, code=303)


def _add(record_table: str, record_id: str):
    conn = get_db()
    record = _record_or_404(record_table, record_id)
    token = request.form.get("form_token")
    if tokens.seen(conn, token):
        return _back(record_table, record_id)
    parsed = parse_translation(request.form, record_table, record)
    if parsed.errors:
        return _page_with_errors(record_table, record, parsed.errors)
    values = parsed.values
    queries.add_translation(
        conn,
        record_table,
        record,
        values["field"],
        values["language"],
        values["text"],
        author=author(),
        token=token,
    )
    return _back(record_table, record_id)


def _delete(record_table: str, record_id: str, translation_id: str):
    conn = get_db()
    _record_or_404(record_table, record_id)
    if not any(t["id"] == translation_id for t in queries.for_record(conn, record_table, record_id)):
        abort(404)
    queries.delete_translation(conn, translation_id, author=author())
    return _back(record_table, record_id)


@bp.post("/issues/<issue_id>/translations")
def add(issue_id: str):
    return _add("issues", issue_id)


@bp.post("/issues/<issue_id>/translations/<translation_id>/delete")
def delete(issue_id: str, translation_id: str):
    return _delete("issues", issue_id, translation_id)


@bp.post("/meetings/<meeting_id>/translations")
def add_to_meeting(meeting_id: str):
    return _add("meetings", meeting_id)


@bp.post("/meetings/<meeting_id>/translations/<translation_id>/delete")
def delete_from_meeting(meeting_id: str, translation_id: str):
    return _delete("meetings", meeting_id, translation_id)
