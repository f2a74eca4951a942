"""``fieldkit enroll URL CODE``, ``fieldkit sync`` and ``fieldkit bundle export|import FILE``."""

from __future__ import annotations

from pathlib import Path

import click

from ..cli import main, pass_ctx
from ..i18n import current_locale, format_number, ngettext, reset_cli_locale, set_cli_locale
from ..i18n import gettext as _


def not_enrolled() -> str:
    return _("this device is not enrolled: run `fieldkit enroll URL CODE` first")


def bundle_refusal(error) -> str:
    """One translated line saying why a bundle file was refused and that nothing was imported."""
    reason = getattr(error, "reason", "")
    if reason == "limits":
        return _(
            "nothing was imported: the bundle is over the limits FieldKit reads (%(detail)s)",
            detail=str(error),
        )
    if reason == "signature":
        return _(
            "nothing was imported: the bundle was changed after it was signed, or is not from "
            "the sender it names"
        )
    return _("nothing was imported: %(reason)s", reason=str(error))


def _open(ctx):
    from ..db import connect

    app = ctx.app()
    return app, connect(app.config["DATABASE"])


@main.command()
@click.argument("url")
@click.argument("code", envvar="FIELDKIT_ENROLL_CODE")
@pass_ctx
def enroll(ctx, url, code):
    """Enrol this device with the central server at URL, using a one-time CODE."""
    from sync.errors import SyncError

    from .. import settings
    from ..sync_service import open_client, reason

    if not url.startswith(("http://", "https://")):
        raise click.ClickException(_("the server address must start with http:// or https://"))
    app, conn = _open(ctx)
    try:
        with open_client(app.config, conn, url) as client:
            answer = client.enroll(code, url)
    except SyncError as error:
        raise click.ClickException(_("enrolment failed: %(reason)s", reason=reason(error))) from None
    finally:
        conn.close()
    settings.save(Path(app.config["DATA_DIR"]), {"ORG": answer["org"], "COUNTRY": answer["country"]})
    click.echo(
        _(
            "Enrolled with %(url)s for %(org)s (%(country)s); now run `fieldkit sync`.",
            url=url,
            org=answer["org"],
            country=answer["country"],
        )
    )
    from ..db import connect
    from ..out_of_scope import outside

    conn = connect(app.config["DATABASE"])
    try:
        count = len(outside(conn, answer["org"], answer["country"]))
    finally:
        conn.close()
    if count:
        click.echo(
            ngettext(
                "%(num)s record is outside this scope, so central will not take it: move it in or keep it "
                "on this device only on the Sync page.",
                "%(num)s records are outside this scope, so central will not take them: move them in or keep them "
                "on this device only on the Sync page.",
                count,
            )
        )


@main.command("sync")
@click.option("--quiet", "-q", is_flag=True, help="Print only the summary.")
@pass_ctx
def sync_command(ctx, quiet):
    """Send this device's changes to central and receive what its scope should see."""
    from sync import client as sync_client
    from sync.errors import SyncError

    from ..sync_service import open_client, reason, summary_lines

    app, conn = _open(ctx)
    try:
        if not sync_client.enrolled(conn):
            raise click.ClickException(not_enrolled())

        language = current_locale()

        def progress(event, **info):
            if quiet:
                return
            # Sync may report from a worker thread: print in this command's language there too.
            token = set_cli_locale(language)
            try:
                _progress(event, info)
            finally:
                reset_cli_locale(token)

        def _progress(event, info):
            if event == "push":
                click.echo(
                    "  " + ngettext("sent %(num)s change", "sent %(num)s changes", info["sent"]), err=True
                )
            elif event == "pull":
                received = ngettext("received %(num)s change", "received %(num)s changes", info["received"])
                click.echo("  " + received, err=True)
            elif event == "upload":
                line = _(
                    "file %(file)s: %(done)s of %(size)s bytes",
                    file=info["sha256"][:12],
                    done=format_number(info["offset"]),
                    size=format_number(info["size"]),
                )
                click.echo("  " + line, err=True)

        client = open_client(app.config, conn, progress=progress)
        try:
            with client:
                summary = client.sync()
        except SyncError as error:
            raise click.ClickException(
                _(
                    "sync stopped: %(reason)s (what was already sent or received is kept)",
                    reason=reason(error),
                )
            ) from None
        for line in summary_lines(summary.__dict__):
            click.echo(line)
        click.echo(
            _(
                "Bytes sent: %(sent)s. Bytes received: %(received)s.",
                sent=format_number(summary.bytes_sent),
                received=format_number(summary.bytes_received),
            )
        )
    finally:
        conn.close()


@main.group()
def bundle():
    """Carry sync on a USB stick or SD card: a signed file instead of the network."""


@bundle.command("export")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@pass_ctx
def bundle_export(ctx, file):
    """Write this device's changes not yet acknowledged (and their files) to FILE."""
    from sync import bundle as bundles
    from sync import client as sync_client

    app, conn = _open(ctx)
    try:
        if not sync_client.enrolled(conn):
            raise click.ClickException(not_enrolled())
        made = bundles.export_device(conn, file, Path(app.config["DATA_DIR"]) / "blobs")
    finally:
        conn.close()
    click.echo(
        _(
            "Wrote %(changes)s changes and %(files)s files to %(file)s.",
            changes=made["ops"],
            files=made["blobs"],
            file=str(file),
        )
    )


@bundle.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@pass_ctx
def bundle_import(ctx, file):
    """Apply central's reply bundle FILE: acknowledgements, changes in scope and files."""
    from sync import bundle as bundles
    from sync.errors import SyncError

    app, conn = _open(ctx)
    try:
        done = bundles.import_reply(conn, file, Path(app.config["DATA_DIR"]) / "blobs")
    except SyncError as error:
        raise click.ClickException(bundle_refusal(error)) from None
    finally:
        conn.close()
    click.echo(
        _(
            "Received %(changes)s changes and %(files)s files; central has %(acked)s of ours.",
            changes=done["received"],
            files=done["blobs"],
            acked=done["acked"],
        )
    )
