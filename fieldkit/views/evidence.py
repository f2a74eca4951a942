"""Evidence packs: one printable page per issue and per meeting, to hand to an official.

The pack holds what the officials profile of the exports may carry (``export_profiles.carries``):
never a reporter, never the programme's internal notes; only records within the reader's scope
(``scope.current``). Labels are in the reader's language; each text is shown as written, with its
stored translations. ``static/print.css`` makes it print to a clean PDF.
"""

from __future__ import annotations

from flask import Blueprint, abort, render_template

from .. import export_profiles, fields, scope
from ..db import get_db
from ..meeting_forms import official_lines
from ..queries import actions as action_queries
from ..queries import attachments as attachment_queries
from ..queries import events as event_queries
from ..queries import issues as issue_queries
from ..queries import meetings as meeting_queries
from ..queries import text_translations
from ..records import ACTION_OWNER_KINDS, ACTION_STATUSES, LINK_OUTCOMES, MEETING_TYPES

bp = Blueprint("evidence", __name__)

#: The profile a pack follows: it is handed to officials.
PROFILE = "officials"


def shown(table: str) -> set[str]:
    """The fields of ``table`` an evidence pack may show."""
    return {f.name for f in fields.record(table).fields if export_profiles.carries(PROFILE, f)}


def _translations(conn, table: str, record_id: str) -> dict:
    found: dict = {}
    for t in text_translations.for_record(conn, table, record_id):
        found.setdefault(t["field"], []).append(t)
    return found


def _lists() -> dict:
    return {
        "meeting_types": MEETING_TYPES,
        "link_outcomes": LINK_OUTCOMES,
        "owner_kinds": ACTION_OWNER_KINDS,
        "action_statuses": ACTION_STATUSES,
    }


@bp.get("/issues/<issue_id>/evidence")
def issue(issue_id: str):
    conn = get_db()
    country = scope.current()
    found = issue_queries.get_issue(conn, issue_id, country=country)
    if found is None or found["deleted"]:
        abort(404)
    return render_template(
        "evidence/issue.html",
        issue=found,
        translations=_translations(conn, "issues", issue_id),
        timeline=event_queries.timeline(conn, issue_id),
        attachments=attachment_queries.for_issue(conn, issue_id),
        meetings=meeting_queries.meetings_of(conn, issue_id, country=country),
        actions=action_queries.for_issue(conn, issue_id, country=country),
        issue_fields=shown("issues"),
        event_fields=shown("issue_events"),
        link_fields=shown("meeting_issues"),
        **_lists(),
    )


@bp.get("/meetings/<meeting_id>/evidence")
def meeting(meeting_id: str):
    conn = get_db()
    country = scope.current()
    found = meeting_queries.get_meeting(conn, meeting_id, country=country)
    if found is None or found["deleted"]:
        abort(404)
    return render_template(
        "evidence/meeting.html",
        meeting=found,
        translations=_translations(conn, "meetings", meeting_id),
        officials=official_lines(found.get("officials")) if "officials" in shown("meetings") else [],
        linked=meeting_queries.issues_of(conn, meeting_id, country=country),
        actions=action_queries.for_meeting(conn, meeting_id, country=country),
        meeting_fields=shown("meetings"),
        action_fields=shown("meeting_actions"),
        link_fields=shown("meeting_issues"),
        **_lists(),
    )
