"""Who is asking central (the role table's guard): an account by its session, a device by its
token, or nobody yet; and signing accounts in and out.

A session holds the account name, the account's ``session_version`` when it signed in and when
it was last active. Every request reads the account again: a disabled account, a changed
version (sign-out, password change or reset, disable) or more than ``SESSION_IDLE_MINUTES``
without a request ends the session, and the next page is the sign-in page saying why.
Only the account's stored role and country count, never anything the browser says.
"""

from __future__ import annotations

import time

from flask import current_app, g, redirect, request, session, url_for

from .. import roles
from ..db import get_db
from ..i18n import gettext as _
from ..security import safe_next
from . import accounts, read_tokens

#: How often (seconds) an active session's last-seen time is written back.
TOUCH_EVERY = 60


def _ended(why: str) -> None:
    session.clear()
    g.session_ended = why


def current_account() -> dict | None:
    """The signed-in account, checked against the database, or None (the session ends if stale)."""
    name = session.get("central_user")
    if not name:
        return None
    conn = get_db()
    account = accounts.get(conn, name)
    now = time.time()
    seen = session.get("central_seen", 0)
    if account is None or account["disabled_at"]:
        _ended("disabled")
        return None
    if session.get("central_version") != account["session_version"]:
        _ended("changed")
        return None
    if not isinstance(seen, int | float) or now - seen > current_app.config["SESSION_IDLE_MINUTES"] * 60:
        _ended("idle")
        return None
    if now - seen > TOUCH_EVERY:
        session["central_seen"] = now
        accounts.touch(conn, name)
    return account


def sign_in(account: dict) -> None:
    """A fresh session for ``account`` (a new cookie: nothing of the old one is kept)."""
    session.clear()
    session["central_user"] = account["username"]
    session["central_version"] = account["session_version"]
    session["central_seen"] = time.time()


def sign_out() -> None:
    """End every session of the signed-in account, this one included."""
    name = session.get("central_user")
    if name:
        accounts.end_sessions(get_db(), name)
    session.clear()


class Guard:
    """Central's half of roles.enforce: sync API calls by device token, pages by account."""

    def identify(self, access):
        from . import api, read_api

        if request.blueprint == api.bp.name:
            api.check_version()
            if roles.TOKEN in access.kinds:
                return roles.Caller(roles.TOKEN, country=api.authenticate()["country"])
            return roles.Caller(roles.ANYONE)
        token = read_api.bearer() if request.blueprint == read_api.bp.name else None
        if token is not None and roles.ANYONE not in access.kinds:
            # A read token stands for its account: its current role and country, never more.
            account = read_tokens.account_for(get_db(), token)
            if account is not None:
                return roles.Caller(account["role"], name=account["username"], country=account["country"])
            raise read_api.NeedsAuth(_("This read token is wrong, revoked, or its account is disabled."))
        account = current_account()
        if account is None:
            return roles.Caller(roles.ANYONE)
        return roles.Caller(account["role"], name=account["username"], country=account["country"])

    def challenge(self):
        """Not signed in (or the session just ended): the sign-in page, then back here."""
        from . import read_api

        if request.blueprint == read_api.bp.name:
            raise read_api.NeedsAuth(_("Sign in, or send one of your read tokens as a Bearer token."))
        back = safe_next(request.full_path.rstrip("?")) if request.method == "GET" else "/"
        status = 302 if request.method == "GET" else 303
        return redirect(url_for("accounts.login", next=back, ended=g.get("session_ended")), status)
