"""``fieldkit enroll URL CODE``, ``fieldkit sync`` and ``fieldkit bundle export|import FILE``."""

from __future__ import annotations

from pathlib import Path

import click

from ..cli import main, pass_ctx


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
    from ..views.sync import open_client

    if not url.startswith(("http://", "https://")):
        raise click.ClickException("the server address must start with http:// or https://")
    app, conn = _open(ctx)
    try:
        with open_client(app.config, conn, url) as client:
            answer = client.enroll(code, url)
    except SyncError as error:
        raise click.ClickException(f"enrolment failed: {error}") from None
    finally:
        conn.close()
    settings.save(Path(app.config["DATA_DIR"]), {"ORG": answer["org"], "COUNTRY": answer["country"]})
    click.echo(f"Enrolled with {url} for {answer['org']} ({answer['country']}); now run `fieldkit sync`.")


@main.command("sync")
@click.option("--quiet", "-q", is_flag=True, help="Print only the summary.")
@pass_ctx
def sync_command(ctx, quiet):
    """Send this device's changes to central and receive what its scope should see."""
    from sync import client as sync_client
    from sync.errors import SyncError

    from ..views.sync import open_client, summary_lines

    app, conn = _open(ctx)
    try:
        if not sync_client.enrolled(conn):
            raise click.ClickException("this device is not enrolled: run `fieldkit enroll URL CODE` first")

        def progress(event, **info):
            if quiet:
                return
            if event == "push":
                click.echo(f"  sent {info['sent']} changes", err=True)
            elif event == "pull":
                click.echo(f"  received {info['received']} changes", err=True)
            elif event == "upload":
                click.echo(f"  file {info['sha256'][:12]}: {info['offset']}/{info['size']} bytes", err=True)

        client = open_client(app.config, conn, progress=progress)
        try:
            with client:
                summary = client.sync()
        except SyncError as error:
            raise click.ClickException(
                f"sync stopped: {error} (what was already sent or received is kept)"
            ) from None
        with app.test_request_context():
            for line in summary_lines(summary.__dict__):
                click.echo(line)
        click.echo(f"{summary.bytes_sent} bytes sent, {summary.bytes_received} bytes received.")
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
            raise click.ClickException("this device is not enrolled: run `fieldkit enroll URL CODE` first")
        made = bundles.export_device(conn, file, Path(app.config["DATA_DIR"]) / "blobs")
    finally:
        conn.close()
    click.echo(f"Wrote {made['ops']} changes and {made['blobs']} files to {file}.")


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
        raise click.ClickException(f"nothing was imported: {error}") from None
    finally:
        conn.close()
    click.echo(
        f"Received {done['received']} changes and {done['blobs']} files; central has {done['acked']} of ours."
    )
