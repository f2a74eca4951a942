"""Central's audit log: who did what, when, to which record — every change an account makes.

:func:`record_change` runs after every request at central: a form an account sent that
succeeded (status below 400) becomes one row, named by the endpoint (``issues.edit``), with the
record from the URL (or the new record's id from the redirect) and any detail the view gave in
``g.audit_detail``. Sign-in and sign-out are written by their views with :func:`write`.
Autosaved drafts and the language picker are not actions worth a row.
"""

from __future__ import annotations

import logging
import sqlite3
from urllib.parse import urlsplit

from flask import g, request

from .. import roles
from ..db import get_db, transaction
from .queries import now_iso

log = logging.getLogger(__name__)

COLUMNS = ("id", "at", "actor", "role", "country", "action", "record", "detail")
QUIET = {"meetings.save_draft", "home.choose_language", "accounts.login", "accounts.logout"}
PAGE = 100


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
