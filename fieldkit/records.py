"""Reference lists (sectors, statuses, channels ...) and every record type, declared once.

Each synced table is one :class:`sync.schema.RecordType`: its fields with type, bounds,
label and help, the parent a child row belongs to (whose org and country it always has), and
its privacy class. Forms, imports and exports, history and review labels, the sync registry
and central's checks of every pushed change all read these declarations; adding a field is
one edit here (plus its column in a new migration).

Labels are lazily translated, so the same list shows in the language of each request.
"""

from __future__ import annotations

import hashlib
import json

from sync import journal
from sync.schema import EVERY_ORG, Field, Parent, RecordType, Refused, Schema

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
#: The status that says the problem was fixed; an issue's resolution date is that of its first
#: timeline change to it (dashboards and follow-up lists).
RESOLVED_STATUS = "resolved"

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

#: Timeline events that record the government's answer: an issue with one "has a response".
RESPONSE_KINDS = ("response",)

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


#: Field audiences (sync.schema.AUDIENCES): names of people and exact addresses go to officials
#: at most, never to the public; the programme's own notes (and reporters) stay internal.
OFFICIALS, INTERNAL = "officials", "internal"

#: Org codes are plain slugs; '' or 'local' until the device is enrolled.
ORG_PATTERN = r"^[A-Za-z0-9_.-]{0,64}$"
TIME_PATTERN = r"^(([01]\d|2[0-3]):[0-5]\d)?$"


def _common() -> tuple[Field, ...]:
    return (
        Field("created_at", "timestamp", _l("Recorded on"), required=True),
        Field("org", "text", _l("Partner organisation"), max_length=64, pattern=ORG_PATTERN),
        Field("country", "enum", _l("Country"), required=True, choices=COUNTRIES),
        Field("deleted", "boolean", _l("Deleted")),
    )


def _text(name, label, limit, **extra) -> Field:
    return Field(name, "text", label, max_length=limit, **extra)


def _long(name, label, limit, **extra) -> Field:
    return Field(name, "text", label, max_length=limit, multiline=True, **extra)


ISSUE = RecordType(
    "issues",
    (
        *_common(),
        _text("ref", _l("Reference"), 40, required=True),
        Field("language", "language", _l("Language of the text")),
        _text("title", _l("Title"), 200, required=True),
        _long("description", _l("Description"), 20_000),
        Field("sector", "enum", _l("Sector"), required=True, choices=tuple(SECTORS)),
        _text("region", _l("Region / province / state"), 100),
        _text("district", _l("District"), 100),
        _text("ward", _l("Ward"), 100),
        _text("community", _l("Community / village"), 150),
        _text("facility", _l("Facility (school, clinic, water point…)"), 150),
        _text("address", _l("Address or directions"), 300, audience=OFFICIALS),
        Field("lat", "decimal", _l("Latitude"), minimum=-90, maximum=90),
        Field("lon", "decimal", _l("Longitude"), minimum=-180, maximum=180),
        Field(
            "gps_accuracy", "decimal", _l("Accuracy (metres)"), minimum=0, maximum=100_000, audience=OFFICIALS
        ),
        Field("observed_on", "date", _l("Date observed")),
        Field("severity", "enum", _l("Severity"), choices=tuple(SEVERITIES), default=2),
        Field("people_affected", "integer", _l("People affected"), minimum=0, maximum=100_000_000),
        Field("households_affected", "integer", _l("Households affected"), minimum=0, maximum=50_000_000),
        Field("status", "enum", _l("Status"), choices=tuple(STATUSES), default="reported"),
        _text("responsible_body", _l("Responsible office or body"), 200),
        _text("responsible_official", _l("Responsible official"), 150, audience=OFFICIALS),
        _text("budget_year", _l("Fiscal year"), 20),
        _text("budget_code", _l("Programme or budget line code"), 60),
        _text("budget_description", _l("Budget line description"), 300),
        Field("budget_allocated", "amount", _l("Allocated")),
        Field("budget_released", "amount", _l("Released")),
        Field("budget_spent", "amount", _l("Spent")),
        _text("budget_currency", _l("Currency"), 3, pattern=r"^([A-Z]{3})?$"),
        Field("tags", "list", _l("Tags"), max_length=500),
        Field("anonymous", "boolean", _l("Anonymous")),
        Field("consent", "boolean", _l("Consent")),
        Field(
            "visibility",
            "enum",
            _l("Who may see this issue"),
            choices=tuple(VISIBILITIES),
            default="programme",
        ),
        _text("recorded_by", _l("Recorded by"), 200, audience=OFFICIALS),
    ),
    label=_l("Issue"),
    privacy="shared",
    reviewed=True,
)

EVENT = RecordType(
    "issue_events",
    (
        *_common(),
        Field("issue_id", "reference", _l("Issue"), required=True, references="issues"),
        Field("kind", "enum", _l("Kind of event"), required=True, choices=tuple(EVENT_KINDS)),
        Field("occurred_on", "date", _l("Date"), required=True),
        Field("language", "language", _l("Language of the text")),
        Field("status", "enum", _l("New status"), choices=tuple(STATUSES)),
        Field("channel", "enum", _l("How"), choices=tuple(CHANNELS), default="other"),
        _text("official", _l("Official who responded"), 150, audience=OFFICIALS),
        _long("said", _l("What was said"), 10_000),
        _long("commitment", _l("What they committed to"), 5000),
        Field("due_on", "date", _l("Commitment due date")),
        Field("fulfilled", "boolean", _l("fulfilled")),
        Field("still_broken", "boolean", _l("Still broken?")),
        _long("note", _l("Note"), 10_000, audience=INTERNAL),
        _text("recorded_by", _l("Recorded by"), 200, audience=OFFICIALS),
    ),
    label=_l("Timeline event"),
    parent=Parent("issue_id", "issues"),
    privacy="shared",
)

ATTACHMENT = RecordType(
    "attachments",
    (
        *_common(),
        Field("issue_id", "reference", _l("Issue"), required=True, references="issues"),
        Field("event_id", "reference", _l("Timeline event"), references="issue_events"),
        Field("sha256", "file", _l("File"), required=True),
        _text("filename", _l("File name"), 200, required=True),
        _text("media_type", _l("Type of file"), 100, required=True, pattern=r"^[a-z0-9.+-]+/[a-z0-9.+-]+$"),
        Field("size", "integer", _l("Size"), required=True, minimum=0, maximum=1 << 40),
        Field("width", "integer", _l("Width"), minimum=0, maximum=1_000_000),
        Field("height", "integer", _l("Height"), minimum=0, maximum=1_000_000),
        _text("caption", _l("Caption"), 500),
    ),
    label=_l("Photo, audio or document"),
    parent=Parent("issue_id", "issues"),
    also=(Parent("event_id", "issue_events"),),
    privacy="shared",
)

REPORTER = RecordType(
    "reporters",
    (
        *_common(),
        Field("issue_id", "reference", _l("Issue"), required=True, references="issues"),
        _text("name", _l("Reporter's name"), 150, audience=INTERNAL),
        _text("contact", _l("Reporter's phone or contact"), 150, audience=INTERNAL),
        Field("consent", "boolean", _l("Consent")),
    ),
    label=_l("Reporter"),
    parent=Parent("issue_id", "issues"),
    # Name and contact are shared only while consent holds; withdrawing it erases them everywhere.
    consent="consent",
    personal=("name", "contact"),
    # Shared with the programme only because the reporter consented; never with officials.
    privacy="programme",
)

TRANSLATABLE_FIELDS = ("title", "description", "agenda", "notes", "decisions", "what_changed", "what_learned")

TEXT_TRANSLATION = RecordType(
    "text_translations",
    (
        *_common(),
        Field("record_table", "enum", _l("Kind of record"), required=True, choices=("issues", "meetings")),
        Field("record_id", "reference", _l("Record"), required=True),
        Field("field", "enum", _l("Text"), required=True, choices=TRANSLATABLE_FIELDS),
        Field("language", "language", _l("Language"), required=True),
        _long("text", _l("Translation"), 20_000, required=True),
        _text("recorded_by", _l("Recorded by"), 200, audience=OFFICIALS),
    ),
    label=_l("Translation of a text"),
    parent=Parent("record_id", table_field="record_table"),
    privacy="shared",
)

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
#: An action item still to be done (overdue once its due date has passed).
OPEN_ACTION_STATUS = "open"

LINK_OUTCOMES = {
    "discussed": _l("Discussed, no outcome yet"),
    "raised": _l("Raised with officials"),
    "commitment": _l("Officials made a commitment"),
    "progress": _l("Progress reported"),
    "no_progress": _l("No progress reported"),
    "escalate": _l("Agreed to escalate"),
    "resolved": _l("Confirmed resolved"),
}


MEETING = RecordType(
    "meetings",
    (
        *_common(),
        _text("ref", _l("Reference"), 40, required=True),
        Field("language", "language", _l("Language of the notes")),
        _text("title", _l("Title"), 200, required=True),
        Field("kind", "enum", _l("Type of meeting"), required=True, choices=tuple(MEETING_TYPES)),
        Field("held_on", "date", _l("Date"), required=True),
        _text("starts_at", _l("Start time"), 5, pattern=TIME_PATTERN),
        _text("ends_at", _l("End time"), 5, pattern=TIME_PATTERN),
        _text("place", _l("Place"), 200),
        _text("facilitator", _l("Facilitator"), 150, audience=OFFICIALS),
        Field("attendance_total", "integer", _l("People present in total"), minimum=0, maximum=1_000_000),
        Field("attendance_women", "integer", _l("Women"), minimum=0, maximum=1_000_000),
        Field("attendance_men", "integer", _l("Men"), minimum=0, maximum=1_000_000),
        Field("attendance_youth", "integer", _l("Youth"), minimum=0, maximum=1_000_000),
        _long("officials", _l("Officials present"), 5000, audience=OFFICIALS),
        _long("agenda", _l("Agenda"), 100_000),
        _long("notes", _l("Notes"), 100_000),
        _long("decisions", _l("Decisions"), 100_000),
        _long("what_changed", _l("What changed"), 100_000),
        _long("what_learned", _l("What we learned"), 100_000),
        _text("recorded_by", _l("Recorded by"), 200, audience=OFFICIALS),
    ),
    label=_l("Meeting"),
    privacy="shared",
    reviewed=True,
)

ACTION = RecordType(
    "meeting_actions",
    (
        *_common(),
        Field("meeting_id", "reference", _l("Meeting"), required=True, references="meetings"),
        Field("language", "language", _l("Language of the text")),
        _text("what", _l("What will be done"), 1000, required=True),
        Field(
            "owner_kind", "enum", _l("Who owns it"), choices=tuple(ACTION_OWNER_KINDS), default="community"
        ),
        _text("owner_name", _l("Owner's name"), 150, audience=OFFICIALS),
        Field("due_on", "date", _l("Due date")),
        Field("issue_id", "reference", _l("Linked issue"), references="issues"),
        Field("status", "enum", _l("Status"), choices=tuple(ACTION_STATUSES), default="open"),
        Field("done_on", "date", _l("Done on")),
        _text("recorded_by", _l("Recorded by"), 200, audience=OFFICIALS),
    ),
    label=_l("Action item"),
    parent=Parent("meeting_id", "meetings"),
    also=(Parent("issue_id", "issues"),),
    privacy="shared",
)

MEETING_ISSUE = RecordType(
    "meeting_issues",
    (
        *_common(),
        Field("meeting_id", "reference", _l("Meeting"), required=True, references="meetings"),
        Field("issue_id", "reference", _l("Linked issue"), required=True, references="issues"),
        Field("outcome", "enum", _l("Outcome"), choices=tuple(LINK_OUTCOMES), default="discussed"),
        _long("note", _l("Note"), 5000, audience=INTERNAL),
        Field("language", "language", _l("Language of the text")),
        _text("recorded_by", _l("Recorded by"), 200, audience=OFFICIALS),
    ),
    label=_l("Issue discussed at a meeting"),
    parent=Parent("meeting_id", "meetings"),
    also=(Parent("issue_id", "issues"),),
    privacy="shared",
)

# --- Places to pick (issue 12) --------------------------------------------------------

#: What a place is. Regions hold districts, districts wards and communities, communities
#: facilities; each kind's level in that hierarchy is PLACE_LEVELS.
PLACE_KINDS = {
    "region": _l("Region / province / state"),
    "district": _l("District"),
    "ward": _l("Ward"),
    "community": _l("Community / village"),
    "school": _lp("place", "School"),
    "clinic": _lp("place", "Clinic or health centre"),
    "water_point": _lp("place", "Water point"),
    "facility": _lp("place", "Other facility or place"),
}
PLACE_LEVELS = {"region": "region", "district": "district", "ward": "ward", "community": "community"}

PLACE = RecordType(
    "places",
    (
        Field("created_at", "timestamp", _l("Recorded on"), required=True),
        # Every org's (sync.schema.EVERY_ORG): a place belongs to its country.
        Field("org", "text", _l("Partner organisation"), max_length=1, pattern=r"^\*$", default=EVERY_ORG),
        Field("country", "enum", _l("Country"), required=True, choices=COUNTRIES),
        Field("deleted", "boolean", _l("Deleted")),
        _text("name", _l("Name"), 150, required=True),
        Field("kind", "enum", _l("Kind of place"), required=True, choices=tuple(PLACE_KINDS)),
        Field("parent_id", "reference", _l("Part of"), references="places"),
        Field("other_names", "list", _l("Other names or spellings"), max_length=1000),
    ),
    label=_l("Place"),
    # The region, district or community a place is part of must be in the same country.
    also=(Parent("parent_id", "places"),),
    privacy="shared",
    scope="country",
)


# --- The app's own texts, translated at central or on a device (issue 13) ------------------

CATALOG_STATUSES = {"draft": _l("Draft"), "reviewed": _l("Reviewed")}
DATE_OR_EMPTY = r"^(\d{4}-\d{2}-\d{2})?$"
#: The grant an enrolled device needs to push translations (central accounts: the translator role).
TRANSLATE = "translate"


def catalog_entry_id(language: str, msgctxt: str, msgid: str) -> str:
    """The one row id of a language's entry, the same on every replica: two translators who
    edit one entry offline edit one row (a dispute), never make two."""
    key = "\x04".join((language, msgctxt or "", msgid)).encode("utf-8")
    return "cat-" + hashlib.sha256(key).hexdigest()[:40]


def check_catalog_row(conn, values) -> None:
    """Central's rule for a pushed translation: its id, and an entry that cannot break a page.

    :raises Refused: with the first problem found.
    """
    from .catalog_rules import check_entry

    try:
        forms = json.loads(values.get("msgstr") or "[]")
    except ValueError:
        forms = None
    if not isinstance(forms, list) or not all(isinstance(text, str) for text in forms):
        raise Refused("translation", "msgstr is not a list of texts", "msgstr")
    language, msgid = values.get("language") or "", values.get("msgid") or ""
    if values.get("id") != catalog_entry_id(language, values.get("msgctxt") or "", msgid):
        raise Refused("translation", "the id does not match the entry's language and English", "msgid")
    from .added_languages import stated_rule

    problems = check_entry(
        language, msgid, values.get("msgid_plural") or "", forms, stated_rule(conn, language)
    )
    if problems:
        index, reason = next(iter(sorted(problems.items())))
        raise Refused("translation", f"form {index}: {reason}", "msgstr")


CATALOG_ENTRY = RecordType(
    "catalog_entries",
    (
        Field("language", "language", _l("Language"), required=True),
        _text("msgctxt", _l("Context"), 200),
        _long("msgid", _l("English"), 5000, required=True),
        _long("msgid_plural", _l("English plural"), 5000),
        _long("msgstr", _l("Translation"), 40_000, required=True),
        Field("status", "enum", _l("Review status"), choices=tuple(CATALOG_STATUSES), default="draft"),
        _text("reviewed_by", _l("Reviewed by"), 200),
        _text("reviewed_on", _l("Reviewed on"), 10, pattern=DATE_OR_EMPTY),
        Field("deleted", "boolean", _l("Deleted")),
    ),
    label=_l("Translation of the app's text"),
    privacy="shared",
    reviewed=True,
    scope="global",
    keyed=True,
    writers=TRANSLATE,
    check_row=check_catalog_row,
)


def ui_language_id(code: str) -> str:
    """The one row id of an added language, the same on every replica."""
    return "lang-" + code


def check_ui_language_row(conn, values) -> None:
    """Central's rule for an added language: a new, well-formed code, a plural rule that holds,
    fallbacks among the shipped languages and a formatting locale CLDR knows.

    :raises Refused: with the first problem found.
    """
    from .added_languages import problems

    errors = problems(values, id_matches=values.get("id") == ui_language_id(values.get("code") or ""))
    if errors:
        field, reason = next(iter(sorted(errors.items())))
        raise Refused("language", str(reason), field)


UI_LANGUAGE = RecordType(
    "ui_languages",
    (
        Field("code", "language", _l("Language code"), required=True),
        _text("endonym", _l("Name in the language itself"), 100, required=True),
        _text("english", _l("Name in English"), 100),
        Field("fallbacks", "list", _l("Languages to fall back on"), max_length=100),
        _text("plural_rule", _l("Plural rule"), 200, required=True),
        _text("formatting", _l("Locale for dates and numbers"), 40),
        Field("deleted", "boolean", _l("Deleted")),
    ),
    label=_l("Language added by translators"),
    privacy="shared",
    reviewed=True,
    scope="global",
    keyed=True,
    writers=TRANSLATE,
    check_row=check_ui_language_row,
)

#: The translated label of each code, by the codes of an enum field.
CHOICE_LABELS = {
    tuple(labels): labels
    for labels in (
        SECTORS,
        STATUSES,
        SEVERITIES,
        EVENT_KINDS,
        CHANNELS,
        VISIBILITIES,
        MEETING_TYPES,
        ACTION_OWNER_KINDS,
        ACTION_STATUSES,
        LINK_OUTCOMES,
        PLACE_KINDS,
        CATALOG_STATUSES,
    )
}


def choice_labels(declared: Field) -> dict:
    """The translated label of each code of an enum field ({} where the codes are shown as they are)."""
    return CHOICE_LABELS.get(tuple(declared.choices), {})


#: Every synced record type; parents before their children.
SCHEMA = Schema(
    (
        ISSUE,
        EVENT,
        ATTACHMENT,
        REPORTER,
        TEXT_TRANSLATION,
        MEETING,
        ACTION,
        MEETING_ISSUE,
        PLACE,
        UI_LANGUAGE,
        CATALOG_ENTRY,
    )
)

#: Table -> the fields an op may set (``id`` excluded), as the journal knows them.
SYNCED_TABLES = {record.table: record.names for record in SCHEMA}

journal.use(SCHEMA)
