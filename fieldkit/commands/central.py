"""``fieldkit central init|serve|add-user|enroll-code|reenroll|revoke|check|bundle import``: the central server."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..cli import main, pass_ctx
from ..i18n import gettext as _
from ..i18n import lazy_gettext, ngettext

#: Password prompts, translated when they are shown (the language is chosen at start-up).
PASSWORD_PROMPT = lazy_gettext("Password")
REPEAT_PROMPT = lazy_gettext("Repeat for confirmation")


def _central(ctx):
    from ..db import connect

    app = ctx.app(ROLE="central")
    return app, connect(app.config["DATABASE"])


@main.group()
def central():
    """Run the central server: accounts, device enrolment, the sync API, review."""


@central.command("init")
@click.option(
    "--admin",
    envvar="FIELDKIT_ADMIN",
    default="admin",
    show_default=True,
    help="Name of the first admin account (or $FIELDKIT_ADMIN).",
)
@click.option(
    "--password",
    envvar="FIELDKIT_ADMIN_PASSWORD",
    prompt=PASSWORD_PROMPT,
    hide_input=True,
    confirmation_prompt=REPEAT_PROMPT,
    help="Its password (or $FIELDKIT_ADMIN_PASSWORD; asked if missing).",
)
@pass_ctx
def init(ctx, admin, password):
    """Make this data folder a central server: signing key and the first admin account."""
    from ..central import accounts, checks

    _refuse(checks.account(admin, "admin", "*"))
    _check_password(password)
    app, conn = _central(ctx)
    try:
        accounts.add_user(conn, admin, password, country="*", role="admin")
    finally:
        conn.close()
    click.echo(
        _(
            "Central server ready in %(folder)s; admin account: %(account)s.",
            folder=str(app.config["DATA_DIR"]),
            account=admin,
        )
    )


def _check_password(password: str) -> None:
    from ..central import checks

    if len(password) < checks.PASSWORD_MIN:
        raise click.ClickException(_("the password must have at least 8 characters"))
    _refuse({"password": checks.password(password)})


def _refuse(errors: dict) -> None:
    """:raises click.ClickException: with the first problem found, if any."""
    problems = [message for message in errors.values() if message]
    if problems:
        raise click.ClickException(problems[0])


@central.command("add-user")
@click.argument("username")
@click.option(
    "--password",
    envvar="FIELDKIT_USER_PASSWORD",
    prompt=PASSWORD_PROMPT,
    hide_input=True,
    confirmation_prompt=REPEAT_PROMPT,
    help="The password (or $FIELDKIT_USER_PASSWORD; asked if missing).",
)
@click.option("--country", default="*", show_default=True, help="Country the account manages (* for all).")
@click.option(
    "--role",
    default=None,
    help="admin, member, viewer or translator (default: admin for country *, else member).",
)
@pass_ctx
def add_user(ctx, username, password, country, role):
    """Create a country-team account, or reset its password, role and country (its sessions end)."""
    from ..central import accounts, checks

    country = country.strip().upper() if country.strip() != "*" else "*"
    role = (role or accounts.default_role(country)).strip().lower()
    _refuse(checks.account(username, role, country))
    _check_password(password)
    _app, conn = _central(ctx)
    try:
        accounts.add_user(conn, username, password, country=country, role=role)
    finally:
        conn.close()
    click.echo(_("Account %(account)s can sign in.", account=username))


@central.command("enroll-code")
@click.option("--org", default="", help="Partner organisation the device records for (a slug: kolwa-youth).")
@click.option("--country", required=True, help="Country code of the device's scope (KE, GH ...).")
@click.option("--hours", default=72, show_default=True, help="How long the code stays valid (1 to 720).")
@click.option(
    "--all-orgs",
    is_flag=True,
    help="A country office's device: it reads every partner's records of its country (instead of --org).",
)
@click.option("--url", default="", help="Server address to show in the QR code and command.")
@click.option(
    "--translate", is_flag=True, help="The device's owner may translate FieldKit: its translations sync."
)
@pass_ctx
def enroll_code(ctx, org, country, hours, all_orgs, url, translate):
    """Create a one-time enrolment code for one new device (printed as text and QR code)."""
    from ..central import checks, queries
    from ..records import TRANSLATE

    country = country.strip().upper()
    _refuse(checks.code_request(org.strip(), country, hours, all_orgs=all_orgs))
    _app, conn = _central(ctx)
    try:
        code = queries.create_code(
            conn,
            "*" if all_orgs else org.strip(),
            country,
            created_by="cli",
            hours=hours,
            grants=TRANSLATE if translate else "",
        )
    finally:
        conn.close()
    _show_code(code, url)


def _show_code(code: str, url: str) -> None:
    from ..hub import qr_text

    click.echo(code)
    if url:
        command = f"fieldkit enroll {url} {code}"
        click.echo(_("On the device: %(command)s", command=command), err=True)
    click.echo(qr_text(f"{url}#enroll={code}" if url else code), err=True)


@central.command()
@pass_ctx
def check(ctx):
    """List stored rows whose values break their declaration (exit 1 if any)."""
    from ..queries.stored import broken_rows
    from ..records import SCHEMA
    from ..sync_service import stored_problem

    _app, conn = _central(ctx)
    try:
        problems = list(broken_rows(conn, SCHEMA))
    finally:
        conn.close()
    for problem in problems:
        click.echo(
            "\t".join((problem["table"], str(problem["id"]), problem["field"], stored_problem(problem)))
        )
    if problems:
        click.echo(
            ngettext(
                "%(num)s stored value breaks its declaration.",
                "%(num)s stored values break their declaration.",
                len(problems),
            ),
            err=True,
        )
        sys.exit(1)
    click.echo(_("Every stored value is as its declaration allows."))


@central.command()
@click.argument("device")
@click.option("--hours", default=72, show_default=True, help="How long the code stays valid (1 to 720).")
@click.option("--url", default="", help="Server address to show in the QR code and command.")
@pass_ctx
def reenroll(ctx, device, hours, url):
    """Create a one-time code that enrols the known DEVICE again (new token, same scope)."""
    from ..central import checks, queries

    _app, conn = _central(ctx)
    try:
        known = queries.device(conn, device)
        if known is None:
            raise click.ClickException(_("no device %(device)s is enrolled here", device=device))
        _refuse(
            {"hours": checks.code_request(known["org"], known["country"], hours, all_orgs=True).get("hours")}
        )
        code = queries.create_code(
            conn, known["org"], known["country"], created_by="cli", hours=hours, for_device=device
        )
    finally:
        conn.close()
    _show_code(code, url)


@central.command()
@click.argument("device")
@pass_ctx
def revoke(ctx, device):
    """Cut off a lost or stolen DEVICE: its token stops working at once."""
    from ..central import queries

    _app, conn = _central(ctx)
    try:
        if not queries.revoke(conn, device):
            raise click.ClickException(_("no enrolled, unrevoked device %(device)s", device=device))
    finally:
        conn.close()
    click.echo(_("Device %(device)s is revoked.", device=device))


@central.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=int, default=8443, show_default=True, help="Port to listen on.")
@click.option("--threads", type=int, default=8, show_default=True, help="Worker threads.")
@pass_ctx
def serve(ctx, host, port, threads):
    """Serve the central server (sync API, admin and review pages) with a real WSGI server."""
    from ..server import make_server, server_url

    app = ctx.app(ROLE="central")
    server = make_server(app, host=host, port=port, threads=threads)
    click.echo(
        _(
            "FieldKit central is serving %(folder)s at %(url)s",
            folder=str(app.config["DATA_DIR"]),
            url=server_url(server),
        )
    )
    sys.stdout.flush()
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()


@central.group("bundle")
def central_bundle():
    """Sync devices that have no network, through signed bundle files."""


@central_bundle.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--reply",
    "reply",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Where to write the signed reply bundle for the device.",
)
@pass_ctx
def bundle_import(ctx, file, reply):
    """Apply a device's bundle FILE and write its reply (acks and changes in its scope)."""
    from sync import bundle as bundles
    from sync.errors import AuthError, SyncError
    from sync.server import Peer

    from ..central import queries
    from .sync import bundle_refusal

    app, conn = _central(ctx)

    def peer_of(device_id):
        device = queries.device(conn, device_id)
        if device is None or device["revoked_at"]:
            raise AuthError(
                _("device %(device)s is not enrolled here or was revoked", device=device_id or "?")
            )
        peer = Peer(device["device_id"], device["org"], device["country"], queries.grants_of(device))
        return peer, device["public_key"]

    try:
        done = bundles.import_at_central(conn, file, peer_of, Path(app.config["DATA_DIR"]) / "blobs", reply)
    except SyncError as error:
        raise click.ClickException(bundle_refusal(error)) from None
    finally:
        conn.close()
    click.echo(
        _(
            "Applied changes up to %(position)s; the reply carries %(changes)s changes to %(file)s.",
            position=done["applied_up_to"],
            changes=done["sent_back"],
            file=str(reply),
        )
    )
