"""Who may do what: every endpoint of every app role, declared once, enforced by one hook.

App roles:

    DEVICE   ``fieldkit start`` / ``serve``: one laptop or tablet, its owner in front of it
    HUB      the same device with hub mode on: phones in the room join over the Wi-Fi
    CENTRAL  ``fieldkit central serve``: country teams' accounts and enrolled devices

Kinds of caller (who is asking, found by the role's guard: ``hub.Guard`` on a device,
``central.sessions.Guard`` at central):

    OWNER    the device's owner, on the device itself (loopback client, loopback host name)
    PHONE    a phone that joined the hub with its PIN and a name
    ADMIN    a central account with the admin role (accounts, re-enrolment, audit log)
    MEMBER   a central country-team member: records, review, devices of its country
    VIEWER   a central read-only account
    TRANSLATOR  a central account that translates and reviews the app's texts, nothing else
    DEVICE   an enrolled device, by its token (the sync API)
    ANYONE   whoever asks, signed in or not

:func:`enforce` runs before every request:

1. an endpoint with no row here is refused (403): the table fails closed, and a test walks
   ``app.url_map`` in every role so that no such endpoint exists;
2. an endpoint whose row leaves out this app role answers 404, as if it did not exist (the
   role does not register it either: central has no device sync, no Settings, no hub);
3. the caller's kind must be in the row; a caller not signed in (not joined) is sent to
   sign in (join), any other is refused with a message saying why (403 page or JSON problem).

Nothing here looks at the Host header or the client address: only the device guard does, to
tell its owner from a phone, and central never asks it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from flask import abort, current_app, g, request
from werkzeug.exceptions import Forbidden

from .i18n import lazy_gettext as _l

log = logging.getLogger(__name__)

DEVICE, HUB, CENTRAL = "device", "hub", "central"
APP_ROLES = (DEVICE, HUB, CENTRAL)

OWNER, PHONE, ADMIN, MEMBER, VIEWER, TOKEN, ANYONE = (
    "owner",
    "phone",
    "admin",
    "member",
    "viewer",
    "device",
    "anyone",
)
#: A central account that translates and reviews the app's texts (the Translate page) only.
TRANSLATOR = "translator"
#: The central account roles, in the order the admin page offers them.
ACCOUNT_ROLES = (ADMIN, MEMBER, VIEWER, TRANSLATOR)


@dataclass(frozen=True)
class Access:
    """Which app roles mount an endpoint and which kinds of caller may use it there."""

    roles: frozenset
    kinds: frozenset


def _access(roles, kinds) -> Access:
    return Access(frozenset(roles), frozenset(kinds))


FIELD = (DEVICE, HUB)
EVERY_ROLE = (DEVICE, HUB, CENTRAL)
READERS = (OWNER, PHONE, ADMIN, MEMBER, VIEWER)  # read records
RECORDERS = (OWNER, PHONE, ADMIN, MEMBER)  # record and change records
REVIEWERS = (OWNER, ADMIN, MEMBER)  # sync status and conflict review: never a phone
ACCOUNTS = (ADMIN, MEMBER, VIEWER)
TEAM = (ADMIN, MEMBER)
#: Who may switch on "translate this page" (fieldkit.in_context.may_translate): the device's owner;
#: at central, admins until accounts have a translator role.
TRANSLATORS = (OWNER, ADMIN, TRANSLATOR)  # the Translate page and the in-context switch

_READ = _access(EVERY_ROLE, READERS)
_RECORD = _access(EVERY_ROLE, RECORDERS)
_OPEN = _access(EVERY_ROLE, (ANYONE,))
_OWNER_ONLY = _access(FIELD, (OWNER,))
_FIELD_OPEN = _access(FIELD, (ANYONE,))
_SIGNED_IN = _access((CENTRAL,), ACCOUNTS)
_TEAM = _access((CENTRAL,), TEAM)
_ADMIN = _access((CENTRAL,), (ADMIN,))
_CENTRAL_OPEN = _access((CENTRAL,), (ANYONE,))
_DEVICE_TOKEN = _access((CENTRAL,), (TOKEN,))

ROUTES: dict[str, Access] = {
    # Every role: styles and scripts, the language picker, records to read and to change.
    "static": _OPEN,
    "home.choose_language": _OPEN,
    "in_context.switch": _access(EVERY_ROLE, TRANSLATORS),
    "home.index": _READ,
    "search.everything": _READ,
    "blobs.original": _READ,
    "blobs.display": _READ,
    **{f"issues.{name}": _READ for name in ("index", "show", "history")},
    **{
        f"issues.{name}": _RECORD
        for name in ("new", "edit", "add_event", "fulfilled", "upload", "delete", "restore")
    },
    **{f"meetings.{name}": _READ for name in ("index", "show", "history")},
    **{
        f"meetings.{name}": _RECORD
        for name in (
            "new",
            "edit",
            "new_issue",
            "add_action",
            "action_status",
            "link",
            "delete",
            "restore",
            "save_draft",
            "discard_draft",
        )
    },
    # The options of a form's place fields (a fragment for htmx): whoever may record.
    "places.options": _RECORD,
    **{
        f"text_translations.{name}": _RECORD
        for name in ("add", "add_to_meeting", "delete", "delete_from_meeting")
    },
    # The Translate page: central's translators (and admins), a device's owner; never a phone.
    **{
        f"translate.{name}": _access(EVERY_ROLE, TRANSLATORS)
        for name in ("languages", "add_language", "index", "save", "review", "glossary", "download", "upload")
    },
    # Sync status and conflict review: the owner, or a country team; never a phone.
    "sync.index": _access(EVERY_ROLE, (OWNER, *ACCOUNTS)),
    "sync.conflicts": _access(EVERY_ROLE, (OWNER, *ACCOUNTS)),
    "sync.resolve": _access(EVERY_ROLE, REVIEWERS),
    "sync.resolve_many": _access(EVERY_ROLE, REVIEWERS),
    # A device's own sync, settings, backups and hub: its owner only; central has none of them.
    "device_sync.enroll": _OWNER_ONLY,
    "device_sync.run": _OWNER_ONLY,
    "device_sync.move_into_scope": _OWNER_ONLY,
    "device_sync.keep_on_device": _OWNER_ONLY,
    **{
        f"settings.{name}": _OWNER_ONLY
        for name in (
            "index",
            "change_name",
            "change_time_zone",
            "switch_hub",
            "change_pin",
            "clear_pin_lockout",
            "choose_backup_folder",
            "backup_now",
        )
    },
    "hub.qr_svg": _OWNER_ONLY,
    "hub.fingerprint_svg": _OWNER_ONLY,
    "hub.certificate_pem": _FIELD_OPEN,
    "hub.service_worker": _FIELD_OPEN,
    "hub.offline": _FIELD_OPEN,
    "hub.join": _FIELD_OPEN,
    "hub.ping": _FIELD_OPEN,
    "instance.focus": _OWNER_ONLY,  # and the window token of instance.json
    # Central's pages: sign-in for anyone; devices for every account; codes and revoking for
    # country teams (their own country); accounts, re-enrolment and the audit log for admins.
    "accounts.login": _CENTRAL_OPEN,
    "accounts.logout": _access((CENTRAL,), (*ACCOUNTS, TRANSLATOR)),
    "accounts.password": _access((CENTRAL,), (*ACCOUNTS, TRANSLATOR)),
    "accounts.time_zone": _access((CENTRAL,), (*ACCOUNTS, TRANSLATOR)),
    "central.devices": _SIGNED_IN,
    "central.codes": _TEAM,
    "central.revoke": _TEAM,
    "central.reenroll": _ADMIN,
    # A country team imports its country's places (admins any country's).
    "central_places.index": _TEAM,
    "central_places.upload": _TEAM,
    **{
        f"accounts.{name}": _ADMIN
        for name in ("users", "add_user", "disable_user", "enable_user", "reset_user", "audit_log")
    },
    # Exports and the read API: every account, within its country (scope.current); a read token
    # is its account (central.sessions.Guard). The API's description is open.
    "exports.index": _SIGNED_IN,
    "exports.download": _SIGNED_IN,
    "read_tokens.index": _SIGNED_IN,
    "read_tokens.create": _SIGNED_IN,
    "read_tokens.revoke": _SIGNED_IN,
    "read_api.openapi": _CENTRAL_OPEN,
    "read_api.records": _SIGNED_IN,
    # What changed and why: every account reads its country's entries and findings; the country
    # team marks and unmarks findings. Evidence packs print what a reader may read, in every role.
    "learning.index": _SIGNED_IN,
    "learning.findings": _SIGNED_IN,
    "learning.findings_csv": _SIGNED_IN,
    "learning.mark": _TEAM,
    "learning.unmark": _TEAM,
    "evidence.issue": _READ,
    "evidence.meeting": _READ,
    # The dashboard and follow-up lists: every account, within its country.
    "dashboard.index": _SIGNED_IN,
    "followup.index": _SIGNED_IN,
    # Central's sync API: three open calls (what it is, its description, enrolment), the rest by device token.
    "sync_api.info": _CENTRAL_OPEN,
    "sync_api.openapi": _CENTRAL_OPEN,
    "sync_api.enroll": _CENTRAL_OPEN,
    **{
        f"sync_api.{name}": _DEVICE_TOKEN
        for name in (
            "state",
            "push",
            "ops",
            "claim_replica",
            "blobs_missing",
            "upload_offset",
            "upload_chunk",
            "download",
        )
    },
}

#: Why a signed-in (joined) caller of each kind is turned away.
REFUSALS = {
    PHONE: _l(
        "Phones joined to the hub can record and read. Sync, enrolment, backups and settings "
        "are only on the laptop itself."
    ),
    VIEWER: _l("Your account can read records but not change them. Ask an admin if you need to."),
    MEMBER: _l("Only a central admin can do this. Ask your programme's admin."),
    TOKEN: _l("A device token cannot be used for this."),
    TRANSLATOR: _l("Your account translates FieldKit: it does not read or change records."),
}


@dataclass(frozen=True)
class Caller:
    """Who is asking: a kind, the name recorded as author, and the account's country at central."""

    kind: str
    name: str = ""
    country: str | None = None


class Refused(Forbidden):
    """403 with a sentence saying why; errors.handle shows it as the page's or problem's detail."""

    def __init__(self, detail):
        super().__init__()
        self.detail = str(detail)


def app_role(app=None) -> str:
    """DEVICE, HUB or CENTRAL for ``app`` (the current app by default), as of now."""
    app = app or current_app
    if app.config.get("ROLE") == CENTRAL:
        return CENTRAL
    state = app.extensions.get("fieldkit_hub")
    return HUB if state is not None and state.enabled else DEVICE


def mounted(endpoint: str, app) -> bool:
    """Whether ``app``'s role registers ``endpoint`` (device and hub mount the same set)."""
    access = ROUTES.get(endpoint)
    role = CENTRAL if app.config.get("ROLE") == CENTRAL else DEVICE
    return access is not None and role in access.roles


def allows(access: Access, kind: str) -> bool:
    return ANYONE in access.kinds or kind in access.kinds


def can(endpoint: str) -> bool:
    """Whether this request's caller may use ``endpoint`` (templates show only such links)."""
    access = ROUTES.get(endpoint)
    caller = g.get("caller")
    if access is None or caller is None or app_role() not in access.roles:
        return False
    return allows(access, caller.kind)


def enforce():
    """Before every request: the table's decision for this endpoint, role and caller."""
    endpoint = request.endpoint
    if endpoint is None:
        return None  # no such route: routing answers 404 or 405
    access = ROUTES.get(endpoint)
    if access is None:
        log.error("endpoint %s has no decision in the role table: refused", endpoint)
        raise Refused(_l("This address is not open to anyone yet."))
    if app_role() not in access.roles:
        abort(404)
    guard = current_app.extensions["fieldkit_guard"]
    caller = guard.identify(access)
    if not isinstance(caller, Caller):
        return caller  # the guard answers itself (a phone while the hub is off)
    g.caller = caller
    if caller.name:
        g.author = caller.name
    if allows(access, caller.kind):
        return None
    if caller.kind == ANYONE:
        return guard.challenge()
    raise Refused(REFUSALS.get(caller.kind, _l("You do not have access to this page.")))


def init_app(app, guard) -> None:
    """Enforce the table with ``guard`` (who is asking in this role) before every request."""
    app.extensions["fieldkit_guard"] = guard
    app.before_request(enforce)
    app.jinja_env.globals["can"] = can
