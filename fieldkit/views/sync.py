"""Sync: the Sync page, on devices and at central alike (its review queue is in ``review.py``); a
device's own enrolment and "Sync now" (``device_sync``), which only a device mounts."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for

from sync import client as sync_client
from sync import journal
from sync.errors import SyncError

from .. import out_of_scope, scope
from ..db import connect, get_db, transaction
from ..i18n import gettext as _
from ..queries import disputes, in_country
from ..records import SCHEMA
from ..sync_service import (  # noqa: F401
    error_key,
    error_text,
    open_client,
    refusal_rows,
    set_aside_rows,
    summary_lines,
)
from . import author

log = logging.getLogger(__name__)
bp = Blueprint("sync", __name__, url_prefix="/sync")
#: A device's own sync: central never mounts it (it must never become another server's device).
device_bp = Blueprint("device_sync", __name__, url_prefix="/sync")

#: Tables whose disputes link to a page, by table: endpoint and its id argument.
RECORD_PAGES = {"issues": ("issues.show", "issue_id"), "meetings": ("meetings.show", "meeting_id")}


@bp.get("/")
def index():
    conn = get_db()
    status = sync_client.status(conn)
    # The count the Review page pages through: disputes of records here, in the reader's country.
    status["conflicts"] = disputes.count(conn, scope.current())
    last = journal.replica_value(conn, "last_summary")
    central = current_app.config.get("ROLE") == "central"
    return render_template(
        "sync/index.html",
        status=status,
        errors={},
        values={"url": "", "code": ""},
        central=central,
        summary=summary_lines(json.loads(last)) if last else [],
        refusals=refusal_rows(conn),
        set_aside=set_aside_rows(conn),
        **({} if central else _scope_lists(conn, status)),
    )


def _with_links(records: list[dict]) -> list[dict]:
    for record in records:
        page = RECORD_PAGES.get(record["table"])
        record["url"] = url_for(page[0], **{page[1]: record["id"]}) if page else None
    return records


def _scope_lists(conn, status: dict) -> dict:
    """Records outside the enrolled scope, and those kept on this device, with links to them."""
    if not status["enrolled"]:
        return {"outside": [], "kept": []}
    return {
        "outside": _with_links(out_of_scope.outside(conn, status["org"], status["country"])),
        "kept": _with_links(out_of_scope.kept(conn)),
    }


def _scoped_record(conn) -> tuple[str, str]:
    """The record a move/keep form names; 404 unless it is a top-level synced record here."""
    table, row_id = request.form.get("tbl", ""), request.form.get("row_id", "")
    if table not in RECORD_PAGES or _record(conn, table, row_id, None) is None:
        abort(404)
    return table, row_id


@device_bp.post("/scope/move")
def move_into_scope():
    """Move a record outside the enrolled scope (and its children) into it, so it syncs."""
    conn = get_db()
    if current_app.config.get("ROLE") == "central" or not sync_client.enrolled(conn):
        abort(400)
    table, row_id = _scoped_record(conn)
    status = sync_client.status(conn)
    out_of_scope.move(conn, table, row_id, org=status["org"], country=status["country"], author=author())
    return redirect(url_for("sync.index"), 303)


@device_bp.post("/scope/keep")
def keep_on_device():
    """Keep a record outside the enrolled scope on this device only: it is never sent."""
    conn = get_db()
    if current_app.config.get("ROLE") == "central":
        abort(400)
    table, row_id = _scoped_record(conn)
    out_of_scope.keep(conn, table, row_id)
    return redirect(url_for("sync.index"), 303)


def _fresh_conn():
    # Sync commits page by page; use a connection of its own, not the request's.
    return connect(current_app.config["DATABASE"])


@device_bp.post("/enroll")
def enroll():
    values = {"url": request.form.get("url", "").strip(), "code": request.form.get("code", "").strip()}
    errors = {}
    if not values["url"].startswith(("http://", "https://")):
        errors["url"] = _("Enter the central server's address, starting with http:// or https://.")
    if not values["code"]:
        errors["code"] = _("Enter the enrolment code your country team gave you.")
    if not errors:
        conn = _fresh_conn()
        try:
            with open_client(current_app.config, conn, values["url"]) as client:
                answer = client.enroll(values["code"], values["url"])
            from .. import settings

            settings.save(
                Path(current_app.config["DATA_DIR"]), {"ORG": answer["org"], "COUNTRY": answer["country"]}
            )
            current_app.config.update(ORG=answer["org"], COUNTRY=answer["country"])
            return redirect(url_for("sync.index"), 303)
        except SyncError as error:
            log.warning("enrolment at %s failed: %s", values["url"], error)
            errors["code"] = _("Enrolment failed: %(reason)s", reason=error_text(error_key(error)))
        finally:
            conn.close()
    conn = get_db()
    return render_template(
        "sync/index.html",
        status=sync_client.status(conn),
        errors=errors,
        values=values,
        central=False,
        summary=[],
        outside=[],
        kept=[],
    ), 422


@device_bp.post("/run")
def run():
    conn = _fresh_conn()
    try:
        if not sync_client.enrolled(conn):
            abort(400)
        with open_client(current_app.config, conn) as client:
            client.sync()
    except SyncError as error:
        with transaction(conn):
            log.warning("sync failed: %s", error)
            journal.set_replica_value(conn, "last_summary", json.dumps({"error": error_key(error)}))
    finally:
        conn.close()
    return redirect(url_for("sync.index"), 303)


def _record(conn, table: str, row_id: str, country: str | None):
    """The disputed record, or None if it is gone or outside the signed-in scope."""
    if table not in journal.SYNCED:
        return None
    if SCHEMA[table].scope == "global":
        country = None  # the app's own texts: everyone's, whatever the account's country
    clause, params = in_country(f"[{table}]", country)
    return conn.execute(f"SELECT * FROM [{table}] WHERE id = ?{clause}", (row_id, *params)).fetchone()


def _disputed_fields(table: str, row_id: str) -> dict:
    """Disputed fields of one record, for the notice on its page."""
    return journal.disputed_fields(get_db(), table, row_id)


def init_app(app) -> None:
    """The Sync page and review queue; a device's enrolment and sync, or central's API and admin."""
    from . import review  # noqa: F401 - the review queue's routes, on this blueprint

    app.register_blueprint(bp)
    app.jinja_env.globals["disputed_fields"] = _disputed_fields
    from .. import central

    if central.is_central(app):
        central.init_app(app)
    else:
        app.register_blueprint(device_bp)
