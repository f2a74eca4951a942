"""FieldKit's errors and the one place that turns any error into a response.

    HTTPException (werkzeug)      404, 405, 413, CSRF 400 …: a translated page, or a JSON
                                  problem for /api/
    validation.Invalid            handled by views: messages beside fields, status 422
    sync.SyncError                sync failures: a JSON problem (API) or a plain message
    sqlite3.OperationalError      "database is locked" while an import or restore holds the
                                  write lock: 503, nothing saved, submit again

Unexpected errors are logged with their trace and shown as a plain apology page: the user
never sees a stack trace.
"""

from __future__ import annotations

import logging
import sqlite3

from flask import jsonify, make_response, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from sync.errors import SyncError

from .i18n import gettext as _

log = logging.getLogger(__name__)


def _messages(status: int) -> tuple[str, str]:
    titles = {
        400: (
            _("Something in that request was not right"),
            _("Go back, check what you entered, and try again."),
        ),
        401: (_("Sign-in needed"), _("Sign in first, then try again.")),
        403: (_("Not allowed"), _("You do not have access to this page.")),
        404: (_("Not found"), _("This page or record does not exist, or it was deleted.")),
        405: (_("Not allowed"), _("This address cannot be used that way.")),
        413: (
            _("That upload is too large"),
            _(
                "Each file must be smaller than the upload limit. Nothing was saved; go back "
                "and attach a smaller file."
            ),
        ),
        429: (_("Too many attempts"), _("Wait a minute, then try again.")),
        503: (
            _("FieldKit is busy"),
            _(
                "A large import or a backup is running, so nothing was saved. Go back and submit "
                "the form again in a minute: what you typed is still there."
            ),
        ),
    }
    return titles.get(
        status,
        (
            _("Something went wrong"),
            _(
                "Nothing you typed was lost in the database. Go back and try "
                "again; if it keeps happening, tell your country team."
            ),
        ),
    )


def wants_json() -> bool:
    return request.path.startswith("/api/")


def problem(status: int, title: str, detail: str = "", **extra):
    """A JSON problem body (RFC 9457)."""
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    response = jsonify(body)
    response.status_code = status
    response.mimetype = "application/problem+json"
    return response


def handle(error):
    """The single mapping from exceptions to responses."""
    if isinstance(error, SyncError):
        # Sync refusals carry their own status and a code the device acts on.
        status = error.status
        title = _("Sync refused") if status < 500 else _("Sync failed")
        if wants_json():
            return problem(status, title, str(error), code=error.code)
        return render_template("error.html", title=title, detail=str(error), status=status), status
    if isinstance(error, CSRFError):
        status = 400
        title = _("This form has expired")
        detail = _(
            "For your safety, forms expire. Reload the page and submit again; what "
            "you typed is still in the browser's form if you go back."
        )
    elif isinstance(error, HTTPException):
        status = error.code or 500
        title, detail = _messages(status)
        detail = getattr(error, "detail", None) or detail  # a refusal that says why (roles.Refused)
    elif isinstance(error, sqlite3.OperationalError) and "locked" in str(error):
        log.warning("database busy on %s %s", request.method, request.path)
        status = 503
        title, detail = _messages(status)
    else:
        log.exception("unexpected error on %s %s", request.method, request.path)
        status = 500
        title, detail = _messages(500)
        error = InternalServerError()
    if wants_json():
        response = problem(status, title, detail)
    else:
        response = render_template("error.html", title=title, detail=detail, status=status), status
    if status == 503:
        response = make_response(response)
        response.headers["Retry-After"] = "30"
    return response


def init_app(app) -> None:
    app.register_error_handler(Exception, handle)
