"""What each export profile may carry, derived from the declarations, and the records it yields.

Profiles, from the widest reader to the narrowest:

- ``internal``: everything the user may see (their scope), for the programme itself;
- ``officials``: for officials and funders: only issues marked *public* (and their timeline),
  without the programme's own notes (fields declared ``audience="internal"``);
- ``public``: as officials, and without names of people or exact addresses (fields declared
  ``audience="officials"``); locations rounded to two decimals (about 1 km).

A field goes into a profile when the profile is at least as inward as the field's declared
``audience`` (``sync.schema.AUDIENCES``), so a field added to ``records.py`` with its audience
is handled without another edit. Reporters (a ``programme`` record type) and the device-only
``private_reporters`` table are never read by any export.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from sync.schema import AUDIENCES, Field

from . import fields, transfer, transfer_meetings
from .i18n import lazy_gettext as _l
from .queries import exports as queries

PROFILES = ("internal", "officials", "public")
KINDS = ("issues", "events", "meetings", "actions")

#: The plural title of each kind (XLSX sheet names, the export page).
TITLES = {
    "issues": _l("Issues"),
    "events": _l("Timeline events"),
    "meetings": _l("Meetings"),
    "actions": _l("Action items"),
}

#: What each profile is for, as the Export page offers it.
PROFILE_LABELS = {
    "internal": _l("Internal: everything you may see"),
    "officials": _l("Officials and funders: public issues, without reporters or internal notes"),
    "public": _l("Public: also without names of people or addresses, places rounded to about 1 km"),
}

#: Issue visibilities each profile may carry (None: all the user may see).
VISIBILITIES = {"internal": None, "officials": ("public",), "public": ("public",)}

#: Location fields the public profile rounds, and to how many decimals (0.01° ≈ 1.1 km).
ROUNDED = {"lat": 2, "lon": 2}


def _all_columns(kind: str) -> tuple[str, ...]:
    if kind == "issues":
        return transfer.columns()
    if kind == "events":
        return (
            "id",
            "issue_id",
            "created_at",
            "updated_at",
            *(f.name for f in fields.form_fields("issue_events")),
        )
    return transfer_meetings.columns(kind)


def declared(kind: str, column: str) -> Field | None:
    """The declared field behind an export column (None for ids, times and the links list)."""
    return fields.record(queries.KINDS[kind]).by_name.get(queries.STORED.get(column, column))


def carries(profile: str, field: Field | None) -> bool:
    """Whether ``profile`` may carry ``field``."""
    return field is None or AUDIENCES.index(profile) >= AUDIENCES.index(field.audience)


def columns(kind: str, profile: str = "internal") -> tuple[str, ...]:
    """The columns of ``kind`` in ``profile``: the import/export column set less what it may not carry."""
    return tuple(c for c in _all_columns(kind) if carries(profile, declared(kind, c)))


def link_columns(profile: str) -> tuple[str, ...]:
    """The keys of each issue a meeting discussed, in ``profile``."""
    links = fields.record("meeting_issues").by_name
    return tuple(c for c in ("issue_id", "outcome", "note") if carries(profile, links[c]))


def records(
    conn,
    kind: str,
    profile: str = "internal",
    *,
    country: str | None = None,
    filters: dict | None = None,
    after: int = 0,
    limit: int | None = None,
) -> Iterator[tuple[int, dict]]:
    """``(cursor, record)`` of every current ``kind`` record the caller may see, shaped for ``profile``."""
    rounded = ROUNDED if profile == "public" else {}
    for rowid, item in queries.rows(
        conn,
        kind,
        columns(kind, profile),
        country=country,
        visibilities=VISIBILITIES[profile],
        filters=filters,
        after=after,
        limit=limit,
        link_columns=link_columns(profile),
    ):
        for name, places in rounded.items():
            if isinstance(item.get(name), int | float):
                item[name] = round(item[name], places)
        if "tags" in item:
            item["tags"] = _json_list(item["tags"])
        if "issues" in item:
            item["issues"] = _json_list(item["issues"])
        yield rowid, item


def _json_list(value) -> list:
    try:
        items = json.loads(value or "[]")
    except ValueError:
        return [value]  # a value stored by hand stays as it is; ``central check`` reports it
    return items if isinstance(items, list) else [items]
