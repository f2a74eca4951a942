"""What central accepts for accounts and enrolment codes, checked the same way by its pages and
its command line: each function returns ``{field: translated message}`` (empty when all is well)."""

from __future__ import annotations

import re

from .. import roles
from ..i18n import gettext as _
from ..records import COUNTRIES

#: A partner organisation is a plain slug: "kolwa-youth", "accra-watch".
ORG = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,58}[a-z0-9])?")
#: Account names people type at a sign-in form; no spaces, quotes or markup.
USERNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,59}")
#: An enrolment code lives at least an hour (time to walk to the device) and at most 30 days.
MIN_HOURS, MAX_HOURS = 1, 30 * 24
PASSWORD_MIN = 8
PASSWORD_MAX = 200


def code_request(org: str, country: str, hours: object, *, all_orgs: bool = False, allowed_country=None):
    """Problems with a request for an enrolment code; ``allowed_country`` None = any country.

    ``all_orgs`` is the explicit choice of a device that reads every partner's records of its
    country (a country office's laptop); then ``org`` is stored as ``*``.
    """
    errors = {}
    if not all_orgs and not ORG.fullmatch(org or ""):
        errors["org"] = _(
            "Enter the partner organisation as a short name of lower-case letters, digits and "
            "hyphens, for example kolwa-youth."
        )
    if country not in COUNTRIES:
        errors["country"] = _(
            "Choose one of the programme's countries: %(countries)s.", countries=", ".join(COUNTRIES)
        )
    elif allowed_country is not None and country != allowed_country:
        errors["country"] = _("Choose one of the countries you manage.")
    if isinstance(hours, bool) or not isinstance(hours, int) or not MIN_HOURS <= hours <= MAX_HOURS:
        errors["hours"] = _(
            "A code stays valid between %(minimum)s and %(maximum)s hours.",
            minimum=MIN_HOURS,
            maximum=MAX_HOURS,
        )
    return errors


def account(username: str, role: str, country: str) -> dict:
    """Problems with a new account's name, role and country (``*`` = every country)."""
    errors = {}
    if not USERNAME.fullmatch(username or ""):
        errors["username"] = _(
            "An account name has 1 to 60 letters, digits, dots, hyphens, underscores or @, and no spaces."
        )
    if role not in roles.ACCOUNT_ROLES:
        errors["role"] = _("Choose admin, member, viewer or translator.")
    if country != "*" and country not in COUNTRIES:
        errors["country"] = _(
            "Choose one of the programme's countries (%(countries)s), or * for all of them.",
            countries=", ".join(COUNTRIES),
        )
    elif role == roles.ADMIN and country != "*":
        errors["country"] = _("An admin manages every country: leave the country as *.")
    return errors


def password(text: str) -> str | None:
    """The problem with a new password, or None."""
    if len(text or "") < PASSWORD_MIN:
        return _("A password has at least %(num)s characters.", num=PASSWORD_MIN)
    if len(text) > PASSWORD_MAX:
        return _("A password has at most %(num)s characters.", num=PASSWORD_MAX)
    return None
