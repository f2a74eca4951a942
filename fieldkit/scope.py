"""Whose records a page may show: the signed-in account's country at central (read from the database each request), all on a device.

:func:`current` is the one place that decides it; query functions take the answer as their
``country`` argument (``None`` = no restriction) and add ``country = ?`` with a bound value,
so a record outside the scope is never read: its page is a 404, exactly as if it did not exist.
Scope is the row's own ``country`` column (indexed by ``issues_country`` / ``meetings_country``).
"""

from __future__ import annotations

from flask import abort, current_app, g

from .i18n import gettext as _


def current() -> str | None:
    """The country this request may see, or None for everything (a field device, a ``*`` account)."""
    if current_app.config.get("ROLE") != "central":
        return None
    caller = g.get("caller")
    if caller is None or caller.country is None:
        abort(404)  # not an account: the role table sends it to sign in first; never fall open
    return None if caller.country == "*" else caller.country


def check_country(values: dict, errors: dict) -> None:
    """A record saved at central must stay in the account's country (or it would vanish from view)."""
    country = current()
    if country is not None and "country" not in errors and values.get("country") != country:
        errors["country"] = _("Choose one of the countries you manage.")
