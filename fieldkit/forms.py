"""Parsing submitted issue forms into clean values and per-field messages (no database access).

Each field's bounds (length, range, choices, required, one line or several) come from its
declaration in ``records.py`` (read through :mod:`fieldkit.fields`); only the rules that span
fields or depend on the form (both coordinates or neither, a known currency, a date not in the
future, what a kind of timeline event needs) are written here.
"""

from __future__ import annotations

from functools import cache

from babel.numbers import list_currencies
from flask import current_app

from . import fields
from . import validation as v
from .i18n import gettext as _


@cache
def _currencies() -> frozenset[str]:
    return frozenset(list_currencies())


def currency(value) -> str:
    """A three-letter currency code Babel knows (typed in any case), or ''."""
    code = (value or "").strip().upper()
    if code and code not in _currencies():
        raise v.Invalid(_("Choose a currency such as KES, GHS, INR, IDR, XOF or ZAR."))
    return code


def _defaults() -> dict:
    return {
        "language": fields.text_language(),
        "country": current_app.config["COUNTRY"],
    }


#: GPS fields: typed and shown as plain decimals (validation.coordinate / coordinate_text).
COORDINATE_FIELDS = ("lat", "lon", "gps_accuracy")


def parse_issue(form) -> v.Collector:
    """Every issue field from a submitted form (new or edit)."""
    c = v.Collector(form)
    fields.parse_all(
        c,
        "issues",
        defaults=_defaults(),
        rules={"observed_on": {"allow_future": False}},
        parsers={"budget_currency": currency},
    )
    lat, lon = c.values.get("lat"), c.values.get("lon")
    if (lat is None) != (lon is None) and "lat" not in c.errors and "lon" not in c.errors:
        c.error("lon" if lon is None else "lat", _("Give both latitude and longitude, or neither."))
    return c


def parse_reporter(form) -> tuple[dict | None, dict[str, str]]:
    """The reporter's private details, or None when they chose to stay anonymous."""
    c = v.Collector(form)
    if form.get("anonymous", "1") == "1":
        return None, {}
    reporter = fields.record("reporters")
    for name in ("name", "contact"):
        fields.parse(c, reporter[name], source=f"reporter_{name}")
    errors = {f"reporter_{k}": m for k, m in c.errors.items()}
    if not errors and not (c.values.get("name") or c.values.get("contact")):
        errors["reporter_name"] = _("Give a name or contact, or mark the reporter as anonymous.")
    c.values["consent"] = form.get("reporter_consent") == "1"
    return c.values, errors


def parse_event(form) -> v.Collector:
    """One timeline event: status change, government response, follow-up visit or note."""
    c = v.Collector(form)
    event = fields.record("issue_events")
    kind = fields.parse(c, event["kind"])
    fields.parse(c, event["occurred_on"], allow_future=False)
    fields.parse(c, event["language"])
    if kind == "status":
        fields.parse(c, event["status"], required=True)
        fields.parse(c, event["note"])
    elif kind == "response":
        fields.parse(c, event["channel"])
        fields.parse(c, event["official"])
        fields.parse(c, event["said"], required=True)
        fields.parse(c, event["commitment"])
        fields.parse(c, event["due_on"])
        c.values["fulfilled"] = 1 if form.get("fulfilled") == "1" else 0
        if c.values.get("due_on") and not c.values.get("commitment"):
            c.error("commitment", _("Say what was committed to, or leave the due date empty."))
    elif kind == "visit":
        fields.parse(c, event["still_broken"], required=True)
        fields.parse(c, event["note"])
    elif kind == "note":
        fields.parse(c, event["note"], required=True)
    return c
