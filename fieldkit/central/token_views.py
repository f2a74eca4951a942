"""Central's read-token page: an account makes tokens for the read API, sees them, revokes them.

A new token is shown once, on the page answering its creation; afterwards only its label and
dates are shown. Every account manages only its own tokens.
"""

from __future__ import annotations

from flask import Blueprint, abort, g, redirect, render_template, request, url_for

from ..db import get_db
from ..i18n import gettext as _
from . import read_tokens

bp = Blueprint("read_tokens", __name__, url_prefix="/central/tokens")

MAX_LABEL = 100


def _page(errors=None, values=None, token: str = "", status: int = 200):
    return render_template(
        "central/tokens.html",
        tokens=read_tokens.of(get_db(), g.caller.name),
        errors=errors or {},
        values=values or {},
        token=token,
    ), status


@bp.get("/")
def index():
    return _page()


@bp.post("/")
def create():
    label = " ".join(request.form.get("label", "").split())
    if not label or len(label) > MAX_LABEL or not label.isprintable():
        message = _("Give the token a name of up to %(max)s characters.", max=MAX_LABEL)
        return _page({"label": message}, {"label": label[:MAX_LABEL]}, status=422)
    token = read_tokens.create(get_db(), g.caller.name, label)
    return _page(token=token)


@bp.post("/<token_id>/revoke")
def revoke(token_id):
    number = int(token_id) if token_id.isascii() and token_id.isdigit() and len(token_id) < 19 else 0
    if not read_tokens.revoke(get_db(), g.caller.name, number):
        abort(404)
    return redirect(url_for("read_tokens.index"), 303)
