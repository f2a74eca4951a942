"""Central's device pages: the device list, enrolment codes (text and QR), revoking, and an
admin's re-enrolment of a known device. Accounts and sign-in: account_views.py."""

from __future__ import annotations

import base64
import io

from flask import Blueprint, abort, g, redirect, render_template, request, url_for

from .. import roles, scope
from .. import validation as v
from ..db import get_db
from ..i18n import country_names
from ..records import COUNTRIES
from . import audit, checks, queries

bp = Blueprint("central", __name__, url_prefix="/central")

#: Longest device name, like a person's name on the hub.
DEVICE_NAME_MAX = 60


@bp.context_processor
def country_options():
    return {"country_options": country_names(COUNTRIES)}


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


def _code_page(code: str, values: dict, **extra):
    server_url = request.host_url
    return render_template(
        "central/codes.html",
        errors={},
        values=values,
        code=code,
        enroll_command=f"fieldkit enroll {server_url} {code}",
        qr=qr_data_uri(f"{server_url}#enroll={code}"),
        **extra,
    )


@bp.route("/codes", methods=["GET", "POST"])
def codes():
    """A one-time code for a new device; a member's only for its own country and one partner."""
    admin = g.caller.kind == roles.ADMIN
    values = {
        "org": "",
        "country": _country() if _country() != "*" else "",
        "hours": "72",
        "all_orgs": "",
        "device_name": "",
    }
    if request.method == "GET":
        return render_template("central/codes.html", errors={}, values=values, code=None, admin=admin)
    values = {
        "org": request.form.get("org", "").strip(),
        "country": request.form.get("country", "").strip().upper(),
        "hours": request.form.get("hours", "72").strip(),
        "all_orgs": "1" if admin and request.form.get("all_orgs") == "1" else "",
        "device_name": " ".join(request.form.get("device_name", "").split()),
    }
    hours = (
        int(values["hours"])
        if values["hours"].isascii() and values["hours"].isdigit() and len(values["hours"]) < 6
        else -1
    )
    errors = checks.code_request(
        values["org"],
        values["country"],
        hours,
        all_orgs=bool(values["all_orgs"]),
        allowed_country=None if _country() == "*" else _country(),
    )
    try:
        values["device_name"] = v.text(values["device_name"], max_length=DEVICE_NAME_MAX)
    except v.Invalid as error:
        errors["device_name"] = str(error)
    if errors:
        return render_template(
            "central/codes.html", errors=errors, values=values, code=None, admin=admin
        ), 422
    org = "*" if values["all_orgs"] else values["org"]
    code = queries.create_code(
        get_db(),
        org,
        values["country"],
        created_by=g.caller.name,
        hours=hours,
        device_name=values["device_name"],
    )
    g.audit_detail = audit.details({"org": org, "country": values["country"], "hours": hours})
    return _code_page(code, values, admin=admin)


@bp.post("/devices/<device_id>/reenroll")
def reenroll(device_id):
    """An admin's one-time code that enrols this known device again (new token, same scope)."""
    device = queries.device(get_db(), device_id)
    if device is None:
        abort(404)
    code = queries.create_code(
        get_db(), device["org"], device["country"], created_by=g.caller.name, hours=72, for_device=device_id
    )
    g.audit_detail = audit.details({"org": device["org"], "country": device["country"]})
    return _code_page(code, {"org": device["org"], "country": device["country"]}, reenrolling=device_id)
