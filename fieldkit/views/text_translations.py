"""Translations of a record's text: add one beside the untouched original, or remove it."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, redirect, render_template, request, url_for

from .. import validation as v
from ..db import get_db
from ..i18n import gettext as _
from ..queries import attachments as attachment_queries
from ..queries import events as event_queries
from ..queries import issues as issue_queries
from ..queries import text_translations as queries
from ..queries import tokens
from . import author

bp = Blueprint("text_translations", __name__)


@bp.app_context_processor
def translation_helpers():
    """``record_translations(table, id)`` for pages that show a record's text."""

    def record_translations(record_table: str, record_id: str) -> list[dict]:
        return queries.for_record(get_db(), record_table, record_id)

    return {"record_translations": record_translations, "translatable_fields": queries.TRANSLATABLE}


def parse_translation(form, record: dict) -> v.Collector:
    """The field, language and text of a new translation."""
    c = v.Collector(form)
    fields = [f for f in queries.TRANSLATABLE["issues"] if record.get(f)]
    c.field("field", v.choice, fields, required=True)
    c.field("language", v.language_tag, default="")
    if not c.values.get("language") and "language" not in c.errors:
        c.error("language", _("Say which language this translation is in, e.g. fr or en."))
    elif c.values.get("language") == record.get("language"):
        c.error("language", _("This is already the language of the original. Choose another one."))
    c.field("text", v.text, required=True, multiline=True, max_length=20_000)
    return c


def _issue_or_404(issue_id: str) -> dict:
    issue = issue_queries.get_issue(get_db(), issue_id)
    if issue is None:
        abort(404)
    return issue


@bp.post("/issues/<issue_id>/translations")
def add(issue_id: str):
    conn = get_db()
    issue = _issue_or_404(issue_id)
    token = request.form.get("form_token")
    if tokens.seen(conn, token):
        return redirect(url_for("issues.show", issue_id=issue_id, _anchor="translations"), code=303)
    parsed = parse_translation(request.form, issue)
    if parsed.errors:
        return render_template(
            "issues/detail.html",
            issue=issue,
            timeline=event_queries.timeline(conn, issue_id),
            attachments=attachment_queries.for_issue(conn, issue_id),
            reporter=issue_queries.reporter_of(conn, issue_id),
            event_errors={},
            event_form={},
            open_kind=None,
            today=date.today().isoformat(),
            translation_errors=parsed.errors,
            translation_form=request.form,
        ), 422
    queries.add_translation(
        conn,
        "issues",
        issue,
        parsed.values["field"],
        parsed.values["language"],
        parsed.values["text"],
        author=author(),
        token=token,
    )
    return redirect(url_for("issues.show", issue_id=issue_id, _anchor="translations"), code=303)


@bp.post("/issues/<issue_id>/translations/<translation_id>/delete")
def delete(issue_id: str, translation_id: str):
    conn = get_db()
    _issue_or_404(issue_id)
    if not any(t["id"] == translation_id for t in queries.for_record(conn, "issues", issue_id)):
        abort(404)
    queries.delete_translation(conn, translation_id, author=author())
    return redirect(url_for("issues.show", issue_id=issue_id, _anchor="translations"), code=303)
