"""Central's audit log: who did what, when, to which record — every change an account makes.

:func:`record_change` runs after every request at central: a form an account sent that
succeeded (status below 400) becomes one row, named by the endpoint (``issues.edit``), with the
record from the URL (or the new record's id from the redirect) and any detail the view gave in
``g.audit_detail``. Sign-in and sign-out are written by their views with :func:`write`.
Autosaved drafts and the language picker are not actions worth a row.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from urllib.parse import urlsplit

from flask import g, request

from .. import roles
from ..db import get_db, transaction
from ..i18n import country_name
from ..i18n import gettext as _
from ..i18n import lazy_gettext as _l
from .queries import now_iso

log = logging.getLogger(__name__)

COLUMNS = ("id", "at", "actor", "role", "country", "action", "record", "detail")
QUIET = {
    "meetings.save_draft",
    "home.choose_language",
    "in_context.switch",
    "accounts.login",
    "accounts.logout",
}
PAGE = 100

#: What a row's action (the endpoint) is called on the audit page; an endpoint missing here shows as
#: its code. NOTE for translators: short, in the "What" column of central's audit log.
ACTIONS = {
    "accounts.login": _l("Signed in"),
    "accounts.logout": _l("Signed out"),
    "accounts.add_user": _l("Added an account"),
    "accounts.disable_user": _l("Disabled an account"),
    "accounts.enable_user": _l("Enabled an account"),
    "accounts.password": _l("Changed their password"),
    "accounts.reset_user": _l("Reset a password"),
    "central.codes": _l("Made an enrolment code"),
    "central.reenroll": _l("Made a re-enrolment code"),
    "central.revoke": _l("Revoked a device"),
    "issues.new": _l("Recorded an issue"),
    "issues.edit": _l("Edited an issue"),
    "issues.add_event": _l("Added to an issue's timeline"),
    "issues.fulfilled": _l("Marked a commitment fulfilled"),
    "issues.upload": _l("Attached a file to an issue"),
    "issues.delete": _l("Deleted an issue"),
    "issues.restore": _l("Restored an issue"),
    "meetings.new": _l("Recorded a meeting"),
    "meetings.edit": _l("Edited a meeting"),
    "meetings.new_issue": _l("Recorded an issue from a meeting"),
    "meetings.add_action": _l("Added an action item"),
    "meetings.action_status": _l("Changed an action item's status"),
    "meetings.link": _l("Linked an issue to a meeting"),
    "meetings.delete": _l("Deleted a meeting"),
    "meetings.restore": _l("Restored a meeting"),
    "meetings.discard_draft": _l("Discarded a meeting draft"),
    "read_tokens.create": _l("Made a read token"),
    "read_tokens.revoke": _l("Revoked a read token"),
    "sync.resolve": _l("Resolved a dispute"),
    "text_translations.add": _l("Added a translation of a text"),
    "text_translations.add_to_meeting": _l("Added a translation of a text"),
    "text_translations.delete": _l("Deleted a translation of a text"),
    "text_translations.delete_from_meeting": _l("Deleted a translation of a text"),
}
#: The account roles by name, as the accounts page calls them.
ROLES = {roles.ADMIN: _l("admin"), roles.MEMBER: _l("member"), roles.VIEWER: _l("viewer")}
#: A row's details are stored as JSON values and put into words when the page is shown, in the
#: reader's language; older rows hold plain text and are shown as they are.
DETAILS = {
    "accounts.add_user": _l("%(role)s, %(country)s"),
    "central.codes": _l("Code for %(org)s in %(country)s, valid for %(hours)s hours"),
    "central.reenroll": _l("Re-enrolment code for %(org)s in %(country)s"),
}


def details(values: dict) -> str:
    """A row's details for ``g.audit_detail``: JSON, put into words by :func:`detail_text`."""
    return json.dumps(values, sort_keys=True)


def detail_text(row: dict) -> str:
    """A row's details in the reader's language (plain text rows as they were written)."""
    try:
        values = json.loads(row["detail"])
        template = DETAILS[row["action"]]
    except (ValueError, KeyError, TypeError):
        return row["detail"]
    if not isinstance(values, dict):
        return row["detail"]
    shown = {str(k): str(v) for k, v in values.items()}
    if "role" in shown:
        shown["role"] = str(ROLES.get(shown["role"], shown["role"]))
    if shown.get("org") == "*":
        shown["org"] = _("every partner")
    if "country" in shown:
        shown["country"] = _("Every country") if shown["country"] == "*" else country_name(shown["country"])
    try:
        return str(template) % shown
    except (KeyError, ValueError, TypeError):
        return row["detail"]


def write(conn, actor: str, role: str, country: str, action: str, record: str = "", detail: str = "") -> None:
    with transaction(conn):
        conn.execute(
            "INSERT INTO central_audit (at, actor, role, country, action, record, detail) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (now_iso(), actor, role, country, action, record[:200], detail[:500]),
        )


def page(conn, number: int = 1) -> tuple[list[dict], bool]:
    """One page of the log, newest first, and whether an older page exists."""
    rows = conn.execute(
        f"SELECT {', '.join(COLUMNS)} FROM central_audit ORDER BY id DESC LIMIT ? OFFSET ?",
        (PAGE + 1, (number - 1) * PAGE),
    ).fetchall()
    return [dict(zip(COLUMNS, r, strict=True)) for r in rows[:PAGE]], len(rows) > PAGE


def _record(response) -> str:
    if request.view_args:
        return "/".join(str(v) for v in request.view_args.values())
    location = response.headers.get("Location", "")
    path = urlsplit(location).path
    if location and path.rstrip("/") != request.path.rstrip("/"):
        return path.rstrip("/").rsplit("/", 1)[-1]
    return ""


def record_change(response):
    """After a request: one row for a change an account made successfully."""
    caller = g.get("caller")
    if (
        request.method == "GET"
        or response.status_code >= 400
        or caller is None
        or caller.kind not in roles.ACCOUNTS
        or request.endpoint in QUIET
    ):
        return response
    try:
        write(
            get_db(),
            caller.name,
            caller.kind,
            caller.country or "*",
            request.endpoint or request.path,
            g.get("audit_record") or _record(response),
            g.get("audit_detail", ""),
        )
    except sqlite3.OperationalError:
        # The change itself is committed; a busy log must not turn it into an error page.
        log.warning("audit row not written for %s by %s", request.endpoint, caller.name)
    return response
