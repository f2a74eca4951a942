"""Reference lists (sectors, statuses, channels ...) and the synced tables with their fields.

Labels are lazily translated, so the same list shows in the language of each request.
"""

from __future__ import annotations

from sync import consent, journal

from .i18n import lazy_gettext as _l
from .i18n import lazy_pgettext as _lp

SECTORS = {
    "water": _l("Water"),
    "sanitation": _l("Sanitation"),
    "health": _l("Health"),
    "education": _l("Education"),
    "roads": _l("Roads & transport"),
    "electricity": _l("Electricity"),
    "housing": _l("Housing"),
    "grants": _l("Social grants"),
    "waste": _l("Waste"),
    "safety": _l("Safety"),
    "other": _lp("sector", "Other"),
}

STATUSES = {
    "reported": _l("Reported"),
    "verified": _l("Verified"),
    "raised": _l("Raised with authority"),
    "acknowledged": _l("Acknowledged"),
    "committed": _l("Commitment made"),
    "in_progress": _l("In progress"),
    "resolved": _l("Resolved"),
    "unresolved": _l("Unresolved / closed"),
    "duplicate": _l("Duplicate"),
}

#: Statuses after which nobody is waiting for the government any more.
CLOSED_STATUSES = ("resolved", "unresolved", "duplicate")

SEVERITIES = {
    1: _l("1 — minor"),
    2: _l("2 — serious"),
    3: _l("3 — severe"),
    4: _l("4 — critical, lives at risk"),
}

EVENT_KINDS = {
    "status": _l("Status change"),
    "response": _l("Government response"),
    "visit": _l("Follow-up visit"),
    "note": _l("Note"),
}

CHANNELS = {
    "meeting": _l("Meeting"),
    "letter": _l("Letter"),
    "phone": _l("Phone call"),
    "message": _l("Text or chat message"),
    "email": _l("Email"),
    "public": _l("Public statement"),
    "other": _lp("channel", "Other"),
}

VISIBILITIES = {
    "public": _l("Public: can be shared with officials and funders"),
    "programme": _l("Programme only: partners and country team"),
    "private": _l("Private: this partner only"),
}

COUNTRIES = ("GH", "IN", "ID", "KE", "SN", "ZA")

COMMON = ("created_at", "org", "country", "deleted")

ISSUE_FIELDS = (
    *COMMON,
    "ref",
    "language",
    "title",
    "description",
    "sector",
    "region",
    "district",
    "ward",
    "community",
    "facility",
    "address",
    "lat",
    "lon",
    "gps_accuracy",
    "observed_on",
    "severity",
    "people_affected",
    "households_affected",
    "status",
    "responsible_body",
    "responsible_official",
    "budget_year",
    "budget_code",
    "budget_description",
    "budget_allocated",
    "budget_released",
    "budget_spent",
    "budget_currency",
    "tags",
    "anonymous",
    "consent",
    "visibility",
    "recorded_by",
)

EVENT_FIELDS = (
    *COMMON,
    "issue_id",
    "kind",
    "occurred_on",
    "language",
    "status",
    "channel",
    "official",
    "said",
    "commitment",
    "due_on",
    "fulfilled",
    "still_broken",
    "note",
    "recorded_by",
)

ATTACHMENT_FIELDS = (
    *COMMON,
    "issue_id",
    "event_id",
    "sha256",
    "filename",
    "media_type",
    "size",
    "width",
    "height",
    "caption",
)

REPORTER_FIELDS = (*COMMON, "issue_id", "name", "contact", "consent")

#: A translation of one text field of a record, kept beside the untouched original.
TEXT_TRANSLATION_FIELDS = (*COMMON, "record_table", "record_id", "field", "language", "text", "recorded_by")

SYNCED_TABLES = {
    "issues": ISSUE_FIELDS,
    "issue_events": EVENT_FIELDS,
    "attachments": ATTACHMENT_FIELDS,
    "reporters": REPORTER_FIELDS,
    "text_translations": TEXT_TRANSLATION_FIELDS,
}

# --- Meetings (issue 3) ---------------------------------------------------------------

MEETING_TYPES = {
    "community": _l("Community meeting"),
    "social_audit": _l("Social audit"),
    "budget_hearing": _l("Budget hearing"),
    "dialogue": _l("Dialogue with officials"),
    "reflection": _l("Reflection / learning session"),
    "training": _l("Training"),
    "other": _lp("meeting type", "Other"),
}

ACTION_OWNER_KINDS = {
    "community": _lp("action owner", "Community"),
    "partner": _lp("action owner", "Partner"),
    "official": _lp("action owner", "Official"),
}

ACTION_STATUSES = {
    "open": _lp("action status", "Open"),
    "done": _lp("action status", "Done"),
    "dropped": _lp("action status", "Dropped"),
}

LINK_OUTCOMES = {
    "discussed": _l("Discussed, no outcome yet"),
    "raised": _l("Raised with officials"),
    "commitment": _l("Officials made a commitment"),
    "progress": _l("Progress reported"),
    "no_progress": _l("No progress reported"),
    "escalate": _l("Agreed to escalate"),
    "resolved": _l("Confirmed resolved"),
}

MEETING_FIELDS = (
    *COMMON,
    "ref",
    "language",
    "title",
    "kind",
    "held_on",
    "starts_at",
    "ends_at",
    "place",
    "facilitator",
    "attendance_total",
    "attendance_women",
    "attendance_men",
    "attendance_youth",
    "officials",
    "agenda",
    "notes",
    "decisions",
    "what_changed",
    "what_learned",
    "recorded_by",
)

ACTION_FIELDS = (
    *COMMON,
    "meeting_id",
    "language",
    "what",
    "owner_kind",
    "owner_name",
    "due_on",
    "issue_id",
    "status",
    "done_on",
    "recorded_by",
)

MEETING_ISSUE_FIELDS = (*COMMON, "meeting_id", "issue_id", "outcome", "note", "language", "recorded_by")

SYNCED_TABLES.update(
    meetings=MEETING_FIELDS,
    meeting_actions=ACTION_FIELDS,
    meeting_issues=MEETING_ISSUE_FIELDS,
)

for _table, _fields in SYNCED_TABLES.items():
    journal.register(_table, _fields)

# A reporter who withdraws consent is erased from every op of their row, on every replica.
consent.declare("reporters", consent="consent", personal=("name", "contact"))
