"""Issues as Open311 GeoReport v2: one service per sector, one service request per issue.

GeoReport v2 (https://wiki.open311.org/GeoReport_v2) knows two statuses, ``open`` and
``closed``; FieldKit's own status (raised with authority, commitment made …) goes in
``status_notes``, in the reader's language. The request id is the issue's readable reference.
"""

from __future__ import annotations

from .records import CLOSED_STATUSES, SECTORS, STATUSES

#: Fields of a GeoReport v2 service, and of a service request, in the specification's order.
SERVICE_FIELDS = ("service_code", "service_name", "description", "metadata", "type", "keywords", "group")
REQUEST_FIELDS = (
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
)

#: Place fields, from the most precise, that make up a request's ``address``.
PLACE = ("address", "facility", "community", "ward", "district", "region")


def services() -> list[dict]:
    """One GeoReport service per sector (the list is short and fixed)."""
    return [
        {
            "service_code": code,
            "service_name": str(label),
            "description": str(label),
            "metadata": False,
            "type": "realtime",
            "keywords": "",
            "group": "",
        }
        for code, label in SECTORS.items()
    ]


def _stamp(value) -> str | None:
    """An ISO 8601 time with its zone, as GeoReport asks (FieldKit stores UTC)."""
    if not value:
        return None
    text = str(value)
    return text if text.endswith("Z") or "+" in text[10:] else text + "Z"


def request(issue: dict) -> dict:
    """The GeoReport service request of one exported issue (only the fields its profile carries)."""
    status = issue.get("status") or "reported"
    title, description = issue.get("title") or "", issue.get("description") or ""
    label = STATUSES.get(status)
    sector = SECTORS.get(issue.get("sector"))
    return {
        "service_request_id": issue.get("ref") or issue["id"],
        "status": "closed" if status in CLOSED_STATUSES else "open",
        "status_notes": str(label) if label else status,
        "service_name": str(sector) if sector else issue.get("sector"),
        "service_code": issue.get("sector"),
        "description": f"{title}\n\n{description}" if description else title,
        "agency_responsible": issue.get("responsible_body") or "",
        "service_notice": "",
        "requested_datetime": _stamp(issue.get("created_at")),
        "updated_datetime": _stamp(issue.get("updated_at") or issue.get("created_at")),
        "expected_datetime": None,
        "address": ", ".join(str(issue[p]) for p in PLACE if issue.get(p)),
        "address_id": "",
        "zipcode": "",
        "lat": issue.get("lat"),
        "long": issue.get("lon"),
        "media_url": "",
    }
