"""The central role: the same app, plus accounts, enrolment, the device registry and the sync API.

``create_app({"ROLE": "central", ...})`` (``fieldkit central serve``) mounts the sync API
under /api/v1/ and the admin pages under /central/, and asks for a country-team login
before any page. Devices never mount any of this.
"""

from __future__ import annotations

from flask import redirect, request, session, url_for

from sync import keys, server

from ..db import connect, transaction


def is_central(app) -> bool:
    return app.config.get("ROLE") == "central"


def prepare(database: str) -> None:
    """Make a data folder's database the sequencer and give it a signing key (idempotent)."""
    conn = connect(database)
    try:
        with transaction(conn):
            server.install_central(conn)
            keys.replica_key(conn)
            # Filter choices of a country team's list hop through these; only central reads
            # them, so devices do not pay for keeping them.
            for column in ("district", "community"):
                conn.execute(
                    f"CREATE INDEX IF NOT EXISTS issues_country_{column} ON issues (deleted, country, {column})"
                )
    finally:
        conn.close()


OPEN_ENDPOINTS = {"static", "central.login", "home.choose_language"}


def init_app(app) -> None:
    from .. import csrf
    from . import admin, api

    prepare(app.config["DATABASE"])
    # The hub's PIN gate stands aside by itself in this role (hub.gate); accounts and device
    # tokens guard central instead, and every page shows only the account's scope (scope.py).
    csrf.exempt(api.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(admin.bp)

    @app.before_request
    def require_login():
        if request.endpoint in OPEN_ENDPOINTS or request.path.startswith("/api/"):
            return None
        if not session.get("central_user"):
            return redirect(url_for("central.login", next=request.full_path))
        return None
