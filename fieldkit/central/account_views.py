"""Central's account pages: sign in (limited), sign out, change one's password; for admins the
accounts page (add, disable, enable, reset) and the audit log."""

from __future__ import annotations

import time

from flask import Blueprint, abort, g, redirect, render_template, request, url_for

from .. import roles, times
from ..db import get_db
from ..i18n import country_names, ngettext
from ..i18n import gettext as _
from ..records import COUNTRIES
from ..security import safe_next
from ..views import page_number
from . import accounts, audit, checks, sessions

bp = Blueprint("accounts", __name__, url_prefix="/central")

#: Why the sign-in page is shown again, by the session's end (sessions.current_account).
ENDED = {
    "idle": lambda: _("You were away for a while, so you were signed out. Sign in again."),
    "changed": lambda: _("You were signed out (a sign-out or a new password). Sign in again."),
    "disabled": lambda: _("This account was disabled. Ask a central admin."),
}


def _login_page(errors: dict, values: dict, status: int = 200, wait: int = 0):
    ended = ENDED.get(request.args.get("ended", ""))
    return render_template(
        "central/login.html",
        errors=errors,
        values=values,
        wait=wait,
        ended=ended() if ended and not errors else "",
        next=safe_next(request.args.get("next"), ""),
    ), status


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Sign in; attempts are limited per account name and per address, with a growing wait."""
    values = {"username": ""}
    if request.method == "GET":
        return _login_page({}, values)
    values["username"] = request.form.get("username", "").strip()[:200]
    conn = get_db()
    account_key, address_key = f"user:{values['username'].lower()}", f"addr:{request.remote_addr or '?'}"
    wait = accounts.claim_attempt(
        conn,
        [(account_key, accounts.FREE_PER_ACCOUNT), (address_key, accounts.FREE_PER_ADDRESS)],
        time.time(),
    )
    if wait:
        message = ngettext(
            "Too many wrong passwords. Wait %(num)s second, then try again.",
            "Too many wrong passwords. Wait %(num)s seconds, then try again.",
            wait,
        )
        response = _login_page({"password": message}, values, 429, wait)
        return response[0], 429, {"Retry-After": str(wait)}
    account = accounts.check_password(conn, values["username"], request.form.get("password", ""))
    if account is None:
        return _login_page({"password": _("That name and password do not match an account.")}, values, 422)
    accounts.attempt_succeeded(conn, account_key, address_key)
    if account["disabled_at"]:
        return _login_page({"username": ENDED["disabled"]()}, values, 403)
    sessions.sign_in(account)
    audit.write(conn, account["username"], account["role"], account["country"], "accounts.login")
    start = url_for("translate.languages" if account["role"] == roles.TRANSLATOR else "central.devices")
    return redirect(safe_next(request.args.get("next"), start), 303)


@bp.post("/logout")
def logout():
    """Sign out: every session of this account ends (also a copy of its cookie)."""
    caller = g.caller
    sessions.sign_out()
    audit.write(get_db(), caller.name, caller.kind, caller.country or "*", "accounts.logout")
    return redirect(url_for("accounts.login"), 303)


@bp.route("/password", methods=["GET", "POST"])
def password():
    """Change one's own password: other sessions end; this one goes on."""
    if request.method == "GET":
        return _password_page({})
    conn = get_db()
    errors = {}
    if accounts.check_password(conn, g.caller.name, request.form.get("current", "")) is None:
        errors["current"] = _("That is not your current password.")
    new = request.form.get("new", "")
    problem = checks.password(new)
    if problem:
        errors["new"] = problem
    elif new != request.form.get("repeat", ""):
        errors["repeat"] = _("The two new passwords are not the same.")
    if errors:
        return _password_page(errors, status=422)
    accounts.set_password(conn, g.caller.name, new)
    sessions.sign_in(accounts.get(conn, g.caller.name))
    return redirect(url_for("central.devices"), 303)


def _password_page(errors: dict, status: int = 200, zone: str | None = None):
    account = accounts.get(get_db(), g.caller.name) or {}
    zones = {"": _("My country's time zone")} | {n: n for n in times.zone_names() if n != "UTC"}
    return render_template(
        "central/password.html",
        errors=errors,
        zones=zones | {"UTC": _("Coordinated Universal Time (UTC)")},
        values={"time_zone": account.get("time_zone", "") if zone is None else zone},
    ), status


@bp.post("/time-zone")
def time_zone():
    """The zone this account's pages show times in (empty: its country's main zone)."""
    zone = request.form.get("time_zone", "").strip()
    if zone and zone not in times.zone_names():
        return _password_page({"time_zone": _("Choose a time zone from the list.")}, status=422, zone=zone)
    accounts.set_time_zone(get_db(), g.caller.name, zone)
    return redirect(url_for("accounts.password"), 303)


# --- admins: accounts ----------------------------------------------------------------------------


def _users_page(errors=None, values=None, status=200, message=""):
    return render_template(
        "central/users.html",
        users=accounts.list_users(get_db()),
        account_roles=roles.ACCOUNT_ROLES,
        country_choices={"*": _("Every country"), **country_names(COUNTRIES)},
        errors=errors or {},
        values=values or {"username": "", "role": roles.MEMBER, "country": ""},
        message=message,
    ), status


@bp.get("/users")
def users():
    return _users_page(message=request.args.get("done", ""))


@bp.post("/users")
def add_user():
    """A new account with a role and a country."""
    values = {
        "username": request.form.get("username", "").strip(),
        "role": request.form.get("role", ""),
        "country": request.form.get("country", "").strip().upper(),
    }
    conn = get_db()
    errors = checks.account(values["username"], values["role"], values["country"])
    if not errors and accounts.exists(conn, values["username"]):
        errors["username"] = _("An account with this name exists already.")
    problem = checks.password(request.form.get("password", ""))
    if problem:
        errors["password"] = problem
    if errors:
        return _users_page(errors, values, 422)
    accounts.add_user(
        conn, values["username"], request.form["password"], country=values["country"], role=values["role"]
    )
    g.audit_record = values["username"]
    g.audit_detail = audit.details({"role": values["role"], "country": values["country"]})
    return redirect(url_for("accounts.users", done="added"), 303)


def _account_or_404(username: str) -> dict:
    account = accounts.get(get_db(), username)
    if account is None:
        abort(404)
    return account


@bp.post("/users/<username>/disable")
def disable_user(username):
    """Disable an account: it cannot sign in, and its sessions end at once."""
    _account_or_404(username)
    if username == g.caller.name:
        return _users_page({"list": _("You cannot disable your own account.")}, status=422)
    accounts.set_disabled(get_db(), username, True)
    return redirect(url_for("accounts.users", done="disabled"), 303)


@bp.post("/users/<username>/enable")
def enable_user(username):
    _account_or_404(username)
    accounts.set_disabled(get_db(), username, False)
    return redirect(url_for("accounts.users", done="enabled"), 303)


@bp.post("/users/<username>/reset")
def reset_user(username):
    """Give an account a new password (told to its owner by the admin); its sessions end."""
    _account_or_404(username)
    problem = checks.password(request.form.get("password", ""))
    if problem:
        return _users_page({f"reset-{username}": problem}, status=422)
    accounts.set_password(get_db(), username, request.form["password"])
    return redirect(url_for("accounts.users", done="reset"), 303)


@bp.get("/audit")
def audit_log():
    number = page_number()
    rows, older = audit.page(get_db(), number)
    return render_template(
        "central/audit.html",
        rows=rows,
        page=number,
        older=older,
        actions=audit.ACTIONS,
        roles=audit.ROLES,
        detail_text=audit.detail_text,
    )
