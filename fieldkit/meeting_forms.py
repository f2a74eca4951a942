"""Parsing submitted meeting, action-item and link forms into clean values and per-field messages.

No database access here: the views check that a linked issue exists.
"""

from __future__ import annotations

import re

from flask import current_app

from . import validation as v
from .i18n import gettext as _
from .i18n import ngettext
from .records import ACTION_OWNER_KINDS, ACTION_STATUSES, COUNTRIES, LINK_OUTCOMES, MEETING_TYPES

TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)(:[0-5]\d)?$")
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")

#: Long texts typed during a meeting; generous, but bounded.
LONG_TEXTS = ("agenda", "notes", "decisions", "what_changed", "what_learned")
LONG_LIMIT = 100_000
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
    c.field("title", v.text, required=True, max_length=200)
    c.field("kind", v.choice, MEETING_TYPES, required=True)
    c.field("held_on", v.day, required=True, allow_future=True)
    starts = c.field("starts_at", clock)
    ends = c.field("ends_at", clock)
    if starts and ends and ends < starts:
        c.error("ends_at", _("The meeting cannot end before it starts (%(start)s).", start=starts))
    c.field("place", v.text, max_length=200)
    c.field("facilitator", v.text, max_length=150)
    c.field("language", v.language_tag, default=current_app.config.get("DEFAULT_LANGUAGE", "en"))
    c.field("country", v.choice, COUNTRIES, default=current_app.config["COUNTRY"])
    for name in ATTENDANCE:
        c.field(name, v.integer, maximum=1_000_000)
    c.field("officials", v.text, multiline=True, max_length=5000)
    for name in LONG_TEXTS:
        c.field(name, v.text, multiline=True, max_length=LONG_LIMIT)
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


def parse_action(form) -> v.Collector:
    """One action item: what, owner (kind and name), due date, linked issue."""
    c = v.Collector(form)
    c.field("what", v.text, required=True, max_length=1000)
    c.field("owner_kind", v.choice, ACTION_OWNER_KINDS, default="community")
    c.field("owner_name", v.text, max_length=150)
    c.field("due_on", v.day, allow_future=True)
    c.field("status", v.choice, ACTION_STATUSES, default="open")
    c.field("language", v.language_tag, default=current_app.config.get("DEFAULT_LANGUAGE", "en"))
    c.field("done_on", v.day)
    issue_id = (form.get("issue_id") or "").strip()
    if issue_id and not UUID.match(issue_id):
        c.error("issue_id", _("Choose an issue from the list, or leave it empty."))
    c.values["issue_id"] = issue_id or None
    if c.values.get("status") != "done":
        c.values["done_on"] = None
    return c


def parse_link(form) -> v.Collector:
    """An issue discussed at the meeting and the outcome discussed."""
    c = v.Collector(form)
    issue_id = (form.get("issue_id") or "").strip()
    if not UUID.match(issue_id):
        c.error("issue_id", _("Choose an issue from the list."))
    c.values["issue_id"] = issue_id
    c.field("outcome", v.choice, LINK_OUTCOMES, default="discussed")
    c.field("note", v.text, multiline=True, max_length=5000)
    c.field("language", v.language_tag, default=current_app.config.get("DEFAULT_LANGUAGE", "en"))
    return c
