"""Central's read API: issues, timeline events, meetings and action items as JSON pages.

``GET /api/v1/read/<kind>`` (issues, events, meetings, actions) answers
``{"items": [...], "next": CURSOR | null}``: at most ``limit`` records (1–500, 100 by default)
after ``after`` (the ``next`` of the page before), filtered by ``country``, ``sector``,
``status``, ``updated_since`` and shaped by ``profile`` (internal, officials, public) exactly as
the exports are (``export_profiles.py``). The caller is an account, by its session cookie or by
one of its read tokens (``Authorization: Bearer fkr_...``); either way it sees its own country
only, as on the pages. Bad parameters are a JSON problem (400), never a 5xx. The API is described
in OpenAPI 3 at ``/api/v1/read/openapi.json`` (``read_openapi.json`` beside this module).
"""

from __future__ import annotations

import re
from pathlib import Path

from flask import Blueprint, Response, jsonify, request
from werkzeug.exceptions import BadRequest, Unauthorized

from sync import protocol

from .. import export_profiles, scope
from ..db import get_db
from ..i18n import gettext as _
from ..records import ACTION_STATUSES, COUNTRIES, SECTORS, STATUSES

bp = Blueprint("read_api", __name__, url_prefix=protocol.PREFIX + "/read")

OPENAPI = Path(__file__).with_name("read_openapi.json")
MAX_LIMIT = 500
DEFAULT_LIMIT = 100
DIGITS = re.compile(r"^[0-9]{1,18}$")
SINCE = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})?)?$")
#: The statuses each kind may be filtered by (meetings have none).
STATUS_CHOICES = {"issues": STATUSES, "events": STATUSES, "actions": ACTION_STATUSES, "meetings": {}}


class BadParameter(BadRequest):
    """400 with a sentence saying which parameter is wrong (errors.handle shows ``detail``)."""

    def __init__(self, detail: str):
        super().__init__()
        self.detail = detail


class NeedsAuth(Unauthorized):
    """401: no working session or read token; the answer says how to get one."""

    def __init__(self, detail: str):
        super().__init__(www_authenticate="Bearer")
        self.detail = detail


def bearer() -> str | None:
    """The token of an ``Authorization: Bearer`` header, if the request has one."""
    header = request.headers.get("Authorization", "")
    scheme, _sep, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _number(name: str, default: int, lowest: int, highest: int) -> int:
    text = request.args.get(name)
    if text is None or text == "":
        return default
    if not DIGITS.match(text) or not lowest <= int(text) <= highest:
        raise BadParameter(
            _(
                "%(name)s must be a whole number from %(low)s to %(high)s.",
                name=name,
                low=lowest,
                high=highest,
            )
        )
    return int(text)


def _choice(name: str, choices) -> str | None:
    text = request.args.get(name)
    if text is None or text == "":
        return None
    if text not in choices:
        raise BadParameter(_("%(name)s is not one of the allowed values.", name=name))
    return text


def _filters(kind: str) -> dict:
    since = request.args.get("updated_since") or None
    if since is not None and not SINCE.match(since):
        raise BadParameter(_("updated_since must be a date (YYYY-MM-DD) or a date and time (ISO 8601)."))
    return {
        "sector": _choice("sector", SECTORS) if kind in ("issues", "events") else None,
        "status": _choice("status", STATUS_CHOICES[kind]) if STATUS_CHOICES[kind] else None,
        "updated_since": since,
    }


def _country() -> str | None:
    """The caller's scope, narrowed by ``country=`` (a country outside it gives no records)."""
    allowed = scope.current()
    asked = _choice("country", COUNTRIES)
    if allowed is not None and asked is not None and asked != allowed:
        return "--"  # no row has this country: an empty page, as for a filter that matches nothing
    return asked or allowed


@bp.get("/openapi.json")
def openapi():
    """The OpenAPI description of the read API."""
    return Response(OPENAPI.read_bytes(), mimetype="application/json")


@bp.get("/issues", defaults={"kind": "issues"})
@bp.get("/events", defaults={"kind": "events"})
@bp.get("/meetings", defaults={"kind": "meetings"})
@bp.get("/actions", defaults={"kind": "actions"})
def records(kind):
    """One page of ``kind`` records the caller may see."""
    limit = _number("limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
    after = _number("after", 0, 0, 10**18 - 1)
    profile = _choice("profile", export_profiles.PROFILES) or "internal"
    filters = _filters(kind)
    country = _country()
    found = list(  # at most MAX_LIMIT + 1 rows: one more than asked tells whether a page follows
        export_profiles.records(
            get_db(), kind, profile, country=country, filters=filters, after=after, limit=limit + 1
        )
    )
    more = len(found) > limit
    response = jsonify(
        {
            "items": [item for _rowid, item in found[:limit]],
            "next": str(found[limit - 1][0]) if more else None,
        }
    )
    response.headers["Cache-Control"] = "no-store"
    return response
