"""FieldKit: record and follow service-delivery issues and meetings offline, sync when online."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_wtf.csrf import CSRFProtect

from . import compression, datadir, db, errors, i18n, in_context, security, settings
from .migrations import migrate_path
from .resources import STATIC_DIR, register_media_types

__version__ = "0.1.0"

csrf = CSRFProtect()


def _enrolled_scope(app: Flask) -> None:
    """On an enrolled device new records default to the enrolled country and org, whatever the
    COUNTRY/ORG settings say: a record outside the scope would never reach central."""
    if app.config.get("ROLE") == "central":
        return
    from sync import journal

    conn = db.connect(app.config["DATABASE"])
    try:
        country = (
            journal.replica_value(conn, "sync_country") if journal.replica_value(conn, "sync_token") else None
        )
        org = journal.replica_value(conn, "sync_org")
    finally:
        conn.close()
    if country and country != "*":
        app.config["COUNTRY"] = country
    if country and org and org != "*":
        app.config["ORG"] = org


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app for a data folder (``DATA_DIR`` in ``config``, else the default one)."""
    config = dict(config or {})
    data_dir = datadir.resolve(config.pop("DATA_DIR", None))
    register_media_types()
    app = Flask(__name__, static_folder=str(STATIC_DIR), static_url_path="/static")
    app.config.update(settings.load(data_dir, config))
    app.config.update(
        DATA_DIR=str(data_dir),
        DATABASE=str(datadir.database_path(data_dir)),
        SECRET_KEY=datadir.secret_key(data_dir),
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_HTTPONLY=True,
        WTF_CSRF_TIME_LIMIT=None,
        SEND_FILE_MAX_AGE_DEFAULT=3600,
        VERSION=__version__,
    )
    app.config.update({k: v for k, v in config.items() if k not in settings.BY_NAME})
    # Requests may carry up to five attachments; each is checked against MAX_UPLOAD_MB.
    # (Flask's defaults hold MAX_CONTENT_LENGTH=None, so setdefault would never set it.)
    if app.config.get("MAX_CONTENT_LENGTH") is None:
        app.config["MAX_CONTENT_LENGTH"] = app.config["MAX_UPLOAD_MB"] * 5 * (1 << 20) + (1 << 20)
    app.config["MAX_FORM_MEMORY_SIZE"] = 2 * (1 << 20)

    migrate_path(app.config["DATABASE"])
    compression.init_app(app)  # first, so its hook runs last
    in_context.init_app(app)  # next: its pass sees the page as the view made it, before compression
    _enrolled_scope(app)
    csrf.init_app(app)
    db.init_app(app)
    i18n.init_app(app)
    errors.init_app(app)
    security.init_app(app)

    from .views import register

    register(app)
    return app
