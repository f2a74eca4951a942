"""Parsing submitted meeting, action-item and link forms into clean values and per-field messages.

Each field's bounds come from its declaration (``records.py``); the rules written here span
fields: attendance that adds up, a meeting that ends after it starts, a done date only when done.
No database access here: the views check that a linked issue exists.
"""

from __future__ import annotations

import re

from flask import current_app

from . import fields
from . import validation as v
from .i18n import gettext as _
from .i18n import ngettext

TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)(:[0-5]\d)?$")
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")

#: Long texts typed during a meeting (their bounds are declared in records.py).
LONG_TEXTS = ("agenda", "notes", "decisions", "what_changed", "what_learned")
ATTENDANCE = ("attendance_total", "attendance_women", "attendance_men", "attendance_youth")


def clock(value) -> str:
    """A time of day as HH:MM, or '' when left empty."""
    value = (value or "").strip()
    if not value:
        return ""
    match = TIME.match(value)
    if not match:
        raise v.Invalid(_("Enter a time as hours:minutes, like 14:30."))
    return f"{int(match.group(1)):02d}:{match.group(2)}"


def official_lines(text: str) -> list[str]:
    """The officials present, one per non-empty line ("name, role")."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def parse_meeting(form) -> v.Collector:
    """Every meeting field from a submitted form (new or edit), with attendance checks."""
    c = v.Collector(form)
    fields.parse_all(
        c,
        "meetings",
        defaults={
            "language": fields.text_language(),
            "country": current_app.config["COUNTRY"],
        },
        parsers={"starts_at": clock, "ends_at": clock},
    )
    starts, ends = c.values.get("starts_at"), c.values.get("ends_at")
    if starts and ends and ends < starts:
        c.error("ends_at", _("The meeting cannot end before it starts (%(start)s).", start=starts))
    check_attendance(c)
    return c


def check_attendance(c: v.Collector) -> None:
    """The attendance numbers must add up; each message says which numbers disagree."""
    if any(name in c.errors for name in ATTENDANCE):
        return
    total, women, men, youth = (c.values.get(name) for name in ATTENDANCE)
    officials = len(official_lines(c.values.get("officials", "")))
    if total is None:
        if any(n is not None for n in (women, men, youth)) or officials:
            c.error("attendance_total", _("Give the total number of people present as well."))
        return
    if women is not None and men is not None and women + men > total:
        c.error(
            "attendance_total",
            _(
                "Women (%(women)s) and men (%(men)s) add up to %(sum)s, more than the total of "
                "%(total)s. Correct the total or the counts.",
                women=women,
                men=men,
                sum=women + men,
                total=total,
            ),
        )
    for name, count in (("attendance_women", women), ("attendance_men", men), ("attendance_youth", youth)):
        if count is not None and count > total:
            c.error(name, _("This is more than the total of %(total)s people present.", total=total))
    if officials > total:
        c.error(
            "officials",
            ngettext(
                "%(num)s official is listed, more than the total of %(total)s people present.",
                "%(num)s officials are listed, more than the total of %(total)s people present.",
                officials,
                total=total,
            ),
        )


def _issue_choice(message: str):
    def parser(value):
        issue_id = (value or "").strip()
        if issue_id and not UUID.match(issue_id):
            raise v.Invalid(message)
        return issue_id or None

    return parser


def parse_action(form) -> v.Collector:
    """One action item: what, owner (kind and name), due date, linked issue."""
    c = v.Collector(form)
    fields.parse_all(
        c,
        "meeting_actions",
        defaults={"language": fields.text_language()},
        rules={"done_on": {"allow_future": False}},
        parsers={"issue_id": _issue_choice(_("Choose an issue from the list, or leave it empty."))},
    )
    if c.values.get("status") != "done":
        c.values["done_on"] = None
    return c


def parse_link(form) -> v.Collector:
    """An issue discussed at the meeting and the outcome discussed."""
    c = v.Collector(form)
    fields.parse_all(
        c,
        "meeting_issues",
        defaults={"language": fields.text_language()},
        parsers={"issue_id": _issue_choice(_("Choose an issue from the list."))},
    )
    if not c.values.get("issue_id") and "issue_id" not in c.errors:
        c.error("issue_id", _("Choose an issue from the list."))
    c.values["issue_id"] = c.values.get("issue_id") or ""
    return c
