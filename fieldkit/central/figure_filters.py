"""The filters the dashboard and the follow-up lists share: country, partner organisation, period.

The account's scope (``scope.current``) always applies; a ``*`` account may narrow it to one
country, and a country account asking for another country gets nothing (as in the read API).
The same values are passed on, unchanged, to every list a figure links to.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from .. import scope
from ..i18n import gettext as _
from ..records import COUNTRIES, ORG_PATTERN

DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
ORG = re.compile(ORG_PATTERN)
#: A country no row has: the answer to a country account asking for another country.
NOWHERE = "--"
NAMES = ("country", "org", "from", "to")


@dataclass(frozen=True)
class Filters:
    """What the figures count: ``country`` (None = every country the account may see), ``org``
    (None = every partner), and the period ``start``..``end`` (ISO dates, inclusive; None = open)."""

    country: str | None = None
    org: str | None = None
    start: str | None = None
    end: str | None = None
    #: The ``country`` the user asked for (shown and passed on in links), not the account's own.
    asked_country: str | None = None

    def link_args(self) -> dict:
        """These filters as query arguments, for the links from a figure to its list."""
        args = {"country": self.asked_country, "org": self.org, "from": self.start, "to": self.end}
        return {name: value for name, value in args.items() if value is not None}


def _date(text: str) -> date | None:
    if not DATE.match(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def parse(args) -> tuple[Filters, dict, dict]:
    """The filters of a request's query ``args``: (filters, the values as typed, field -> message)."""
    values = {name: args.get(name, "").strip() for name in NAMES}
    errors = {}
    if values["country"] and values["country"] not in COUNTRIES:
        errors["country"] = _("Choose one of the countries.")
    if values["org"] and not ORG.match(values["org"]):
        errors["org"] = _("Choose one of the partner organisations.")
    start, end = (_date(values[name]) if values[name] else None for name in ("from", "to"))
    for name, parsed in (("from", start), ("to", end)):
        if values[name] and parsed is None:
            errors[name] = _("Enter a date as YYYY-MM-DD, for example 2026-03-01.")
    if start and end and start > end:
        errors["to"] = _("The end of the period must not be before its start.")
    allowed = scope.current()
    asked = values["country"] if "country" not in errors and values["country"] else None
    country = asked or allowed
    if allowed is not None and asked is not None and asked != allowed:
        country = NOWHERE
    filters = Filters(
        country=country,
        org=values["org"] if values["org"] and "org" not in errors else None,
        start=start.isoformat() if start and "to" not in errors else None,
        end=end.isoformat() if end and "to" not in errors else None,
        asked_country=asked,
    )
    return filters, values, errors
