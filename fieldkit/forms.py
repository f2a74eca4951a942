"""Parsing submitted forms into clean values and per-field messages (no database access)."""

from __future__ import annotations

from functools import cache

from babel.numbers import list_currencies
from flask import current_app

from . import validation as v
from .i18n import gettext as _
from .records import CHANNELS, COUNTRIES, EVENT_KINDS, SECTORS, SEVERITIES, STATUSES, VISIBILITIES


@cache
def _currencies() -> frozenset[str]:
    return frozenset(list_currencies())


TEXT_FIELDS = {
    "region": 100,
    "district": 100,
    "ward": 100,
    "community": 150,
    "facility": 150,
    "address": 300,
    "responsible_body": 200,
    "responsible_official": 150,
    "budget_year": 20,
    "budget_code": 60,
    "budget_description": 300,
}
AMOUNT_FIELDS = ("budget_allocated", "budget_released", "budget_spent")
#: GPS fields: typed and shown as plain decimals (validation.coordinate / coordinate_text).
COORDINATE_FIELDS = ("lat", "lon", "gps_accuracy")


def parse_issue(form) -> v.Collector:
    """Every issue field from a submitted form (new or edit)."""
    c = v.Collector(form)
    c.field("title", v.text, required=True, max_length=200)
    c.field("description", v.text, multiline=True, max_length=20_000)
    c.field("language", v.language_tag, default=current_app.config.get("DEFAULT_LANGUAGE", "en"))
    c.field("sector", v.choice, SECTORS, required=True)
    c.field("status", v.choice, STATUSES, default="reported")
    c.field("country", v.choice, COUNTRIES, default=current_app.config["COUNTRY"])
    for name, limit in TEXT_FIELDS.items():
        c.field(name, v.text, max_length=limit)
    c.field("observed_on", v.day)
    severity = c.field("severity", v.choice, [str(s) for s in SEVERITIES], default="2")
    if severity is not None:
        c.values["severity"] = int(severity)
    c.field("people_affected", v.integer, maximum=100_000_000)
    c.field("households_affected", v.integer, maximum=50_000_000)
    lat = c.field("lat", v.coordinate, minimum=-90, maximum=90)
    lon = c.field("lon", v.coordinate, minimum=-180, maximum=180)
    c.field("gps_accuracy", v.coordinate, minimum=0, maximum=100_000)
    if (lat is None) != (lon is None) and "lat" not in c.errors and "lon" not in c.errors:
        c.error("lon" if lon is None else "lat", _("Give both latitude and longitude, or neither."))
    for name in AMOUNT_FIELDS:
        c.field(name, v.amount)
    currency = (form.get("budget_currency") or "").strip().upper()
    if currency and currency not in _currencies():
        c.error("budget_currency", _("Choose a currency such as KES, GHS, INR, IDR, XOF or ZAR."))
    c.values["budget_currency"] = currency
    c.field("tags", v.tags)
    c.field("visibility", v.choice, VISIBILITIES, default="programme")
    return c


def parse_reporter(form) -> tuple[dict | None, dict[str, str]]:
    """The reporter's private details, or None when they chose to stay anonymous."""
    c = v.Collector(form)
    if form.get("anonymous", "1") == "1":
        return None, {}
    c.field("name", v.text, max_length=150, source="reporter_name")
    c.field("contact", v.text, max_length=150, source="reporter_contact")
    errors = {f"reporter_{k}": m for k, m in c.errors.items()}
    if not errors and not (c.values.get("name") or c.values.get("contact")):
        errors["reporter_name"] = _("Give a name or contact, or mark the reporter as anonymous.")
    c.values["consent"] = form.get("reporter_consent") == "1"
    return c.values, errors


def parse_event(form) -> v.Collector:
    """One timeline event: status change, government response, follow-up visit or note."""
    c = v.Collector(form)
    kind = c.field("kind", v.choice, EVENT_KINDS, required=True)
    c.field("occurred_on", v.day, required=True)
    c.field("language", v.language_tag, default=current_app.config.get("DEFAULT_LANGUAGE", "en"))
    if kind == "status":
        c.field("status", v.choice, STATUSES, required=True)
        c.field("note", v.text, multiline=True, max_length=5000)
    elif kind == "response":
        c.field("channel", v.choice, CHANNELS, default="other")
        c.field("official", v.text, max_length=150)
        c.field("said", v.text, multiline=True, required=True, max_length=10_000)
        c.field("commitment", v.text, multiline=True, max_length=5000)
        c.field("due_on", v.day, allow_future=True)
        c.values["fulfilled"] = 1 if form.get("fulfilled") == "1" else 0
        if c.values.get("due_on") and not c.values.get("commitment"):
            c.error("commitment", _("Say what was committed to, or leave the due date empty."))
    elif kind == "visit":
        broken = c.field("still_broken", v.choice, ("1", "0"), required=True)
        if broken is not None:
            c.values["still_broken"] = int(broken)
        c.field("note", v.text, multiline=True, max_length=5000)
    elif kind == "note":
        c.field("note", v.text, multiline=True, required=True, max_length=10_000)
    return c
