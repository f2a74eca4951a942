"""Central's admin pages: sign in, the device list, enrolment codes (text and QR), revoking."""

from __future__ import annotations

import base64
import io

from flask import Blueprint, abort, g, redirect, render_template, request, session, url_for

from .. import scope
from ..db import get_db
from ..i18n import gettext as _
from ..records import COUNTRIES
from . import queries

bp = Blueprint("central", __name__, url_prefix="/central")


@bp.context_processor
def country_options():
    return {"country_options": {c: c for c in COUNTRIES}}


@bp.before_app_request
def who_is_signed_in():
    user = session.get("central_user")
    if user:
        g.author = user


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("central.devices")


@bp.route("/login", methods=["GET", "POST"])
def login():
    errors = {}
    values = {"username": ""}
    if request.method == "POST":
        values["username"] = request.form.get("username", "").strip()
        user = queries.check_user(get_db(), values["username"], request.form.get("password", ""))
        if user:
            session.clear()
            session["central_user"] = user["username"]
            session["central_country"] = user["country"]
            return redirect(_safe_next(request.args.get("next")), 303)
        errors["password"] = _("That name and password do not match an account.")
        return render_template("central/login.html", errors=errors, values=values), 422
    return render_template("central/login.html", errors=errors, values=values)


@bp.post("/logout")
def logout():
    session.clear()
    return redirect(url_for("central.login"), 303)


def _country() -> str:
    return scope.current() or "*"


@bp.get("/")
def devices():
    return render_template("central/devices.html", devices=queries.list_devices(get_db(), _country()))


@bp.post("/devices/<device_id>/revoke")
def revoke(device_id):
    device = queries.device(get_db(), device_id)
    if device is None or (_country() != "*" and device["country"] != _country()):
        abort(404)
    queries.revoke(get_db(), device_id)
    return redirect(url_for("central.devices"), 303)


def qr_data_uri(text: str) -> str:
    """A QR code of ``text`` as an SVG data URI (no network, no inline script)."""
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


@bp.route("/codes", methods=["GET", "POST"])
def codes():
    errors, values, code = {}, {"org": "", "country": _country() if _country() != "*" else ""}, None
    if request.method == "POST":
        values = {
            "org": request.form.get("org", "").strip(),
            "country": request.form.get("country", "").strip().upper(),
        }
        if not values["org"] or len(values["org"]) > 80:
            errors["org"] = _("Enter the partner organisation this device records for.")
        if values["country"] not in COUNTRIES or (_country() != "*" and values["country"] != _country()):
            errors["country"] = _("Choose one of the countries you manage.")
        if errors:
            return render_template("central/codes.html", errors=errors, values=values, code=None), 422
        code = queries.create_code(
            get_db(), values["org"], values["country"], created_by=session["central_user"]
        )
        server_url = request.host_url
        return render_template(
            "central/codes.html",
            errors={},
            values=values,
            code=code,
            enroll_command=f"fieldkit enroll {server_url} {code}",
            qr=qr_data_uri(f"{server_url}#enroll={code}"),
        )
    return render_template("central/codes.html", errors=errors, values=values, code=code)
