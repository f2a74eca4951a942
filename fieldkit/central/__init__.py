"""The central role: the same app, plus accounts, enrolment, the device registry and the sync API.

``create_app({"ROLE": "central", ...})`` (``fieldkit central serve``) mounts the sync API
under /api/v1/ and the admin and account pages under /central/; the role table
(fieldkit/roles.py) asks for a sign-in before any page. Devices never mount any of this, and
central mounts none of a device's own sync, Settings or hub pages.
"""

from __future__ import annotations

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


def init_app(app) -> None:
    from .. import csrf, roles
    from . import (
        account_views,
        admin,
        api,
        audit,
        export_views,
        learning_views,
        place_views,
        read_api,
        sessions,
        token_views,
    )

    prepare(app.config["DATABASE"])
    # No hub and no PIN here: accounts and device tokens are central's callers (sessions.Guard),
    # the role table decides what each may do, and every page shows only the account's scope.
    roles.init_app(app, sessions.Guard())
    csrf.exempt(api.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(account_views.bp)
    app.register_blueprint(export_views.bp)
    app.register_blueprint(place_views.bp)
    app.register_blueprint(token_views.bp)
    app.register_blueprint(read_api.bp)
    app.register_blueprint(learning_views.bp)
    app.after_request(audit.record_change)
