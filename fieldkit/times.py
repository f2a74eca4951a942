"""Which time zone a page shows times in, and the zones a person may pick.

Times are stored in UTC. A page shows them in one zone, named beside the time
(``i18n.format_datetime``): on a device the zone set in Settings (the computer's own zone
until then); at central the zone the signed-in account chose, else its country's main zone, and
for an account of every country the server's configured zone.
"""

from __future__ import annotations

import zoneinfo
from functools import lru_cache
from importlib import resources
from pathlib import Path

from babel import localtime
from babel.dates import get_global
from flask import current_app, g, has_request_context

#: Zone families kept for old systems only: the pick-list leaves them out (they still work if stored).
_LEGACY = ("Etc/", "SystemV/", "US/", "Canada/", "Mexico/", "Brazil/", "Chile/", "posix", "right/")


@lru_cache(maxsize=1)
def zone_names() -> tuple[str, ...]:
    """IANA zones a person can pick (``Africa/Nairobi``), sorted, with ``UTC`` last."""
    names = {n for n in zoneinfo.available_timezones() if "/" in n and not n.startswith(_LEGACY)}
    return (*sorted(names), "UTC")


def known(name: str) -> bool:
    """Whether ``name`` is a time zone this computer knows."""
    if not name or not isinstance(name, str):
        return False
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return True


@lru_cache(maxsize=1)
def system_zone_name() -> str:
    """The computer's own zone as an IANA name (``Etc/UTC`` → ``UTC``); UTC when it cannot tell."""
    try:
        name = getattr(localtime.get_localzone(), "key", "") or ""
    except Exception:  # noqa: BLE001 - an odd system setting must never stop the app
        name = ""
    if name in ("Etc/UTC", "Etc/UCT", "Etc/Zulu", "UCT", "Zulu", "Etc/Universal", "Universal"):
        return "UTC"
    return name if known(name) else "UTC"


def _zone_tab_lines() -> list[str]:
    for folder in zoneinfo.TZPATH:
        path = Path(folder) / "zone.tab"
        if path.is_file():
            return path.read_text(encoding="utf-8").splitlines()
    try:
        return resources.files("tzdata").joinpath("zoneinfo", "zone.tab").read_text("utf-8").splitlines()
    except (ModuleNotFoundError, FileNotFoundError, OSError):
        return []


@lru_cache(maxsize=1)
def _main_zones() -> dict[str, str]:
    # zone.tab lists a country's most populous zone first (Asia/Jakarta for ID, not Jayapura).
    found: dict[str, str] = {}
    for line in _zone_tab_lines():
        parts = line.split("\t")
        if len(parts) >= 3 and not line.startswith("#"):
            found.setdefault(parts[0], parts[2])
    return found


def country_zone(country: str) -> str | None:
    """A country's main zone (``IN`` → ``Asia/Kolkata``), or None if unknown."""
    code = (country or "").upper()
    name = _main_zones().get(code) or next(iter(get_global("territory_zones").get(code, ())), None)
    return name if name and known(name) else None


def configured_zone(config) -> str:
    """The ``TIME_ZONE`` setting if it names a zone, else the computer's own zone."""
    name = config.get("TIME_ZONE", "")
    return name if known(name) else system_zone_name()


def _account_zone(caller) -> str | None:
    """At central: the signed-in account's own zone, else its country's main zone."""
    if caller is None or not getattr(caller, "name", ""):
        return None
    from .central import accounts
    from .db import get_db

    account = accounts.get(get_db(), caller.name) or {}
    if known(account.get("time_zone", "")):
        return account["time_zone"]
    country = getattr(caller, "country", None)
    return country_zone(country) if country and country != "*" else None


def display_zone_name() -> str:
    """The zone this request's page shows times in (see the module docstring)."""
    if has_request_context() and "display_zone" in g:
        return g.display_zone
    name = configured_zone(current_app.config)
    if current_app.config.get("ROLE") == "central" and has_request_context():
        name = _account_zone(g.get("caller")) or name
    if has_request_context():
        g.display_zone = name
    return name


def display_zone() -> zoneinfo.ZoneInfo:
    """:func:`display_zone_name` as a zone object."""
    return zoneinfo.ZoneInfo(display_zone_name())
