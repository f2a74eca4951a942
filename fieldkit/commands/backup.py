"""``fieldkit backup DEST`` and ``fieldkit restore SRC``."""

from __future__ import annotations

from pathlib import Path

import click

from ..cli import main, pass_ctx
from ..i18n import gettext as _
from ..instance import AlreadyRunning, InstanceLock


@main.command()
@click.argument("dest", type=click.Path(file_okay=False, path_type=Path))
@pass_ctx
def backup(ctx, dest):
    """Back up the database and attachments into a new folder under DEST (works while FieldKit runs)."""
    from ..backup import BackupError, make_backup

    data_dir = ctx.data_dir()
    ctx.app()  # brings the database schema up to date before it is copied
    try:
        folder = make_backup(data_dir, dest)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(_("Backup written to %(folder)s", folder=str(folder)))


@main.command()
@click.argument("src", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--other-install",
    "--force",
    "other_install",
    is_flag=True,
    help="Restore even though the backup was made by another FieldKit install.",
)
@pass_ctx
def restore(ctx, src, other_install):
    """Replace this data folder's records with the backup in SRC (FieldKit must be stopped)."""
    from ..backup import BackupError
    from ..backup import restore as restore_backup

    data_dir = ctx.data_dir()
    try:
        lock = InstanceLock(data_dir).acquire()
    except AlreadyRunning as running:
        if running.url:
            message = _(
                "FieldKit is running for %(folder)s at %(url)s; close it, then restore again.",
                folder=str(data_dir),
                url=running.url,
            )
        else:
            message = _(
                "FieldKit is running for %(folder)s; close it, then restore again.", folder=str(data_dir)
            )
        raise click.ClickException(message) from None
    try:
        manifest = restore_backup(src, data_dir, other_install=other_install)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    finally:
        lock.release()
    click.echo(
        _(
            "Restored the backup made %(made)s; the previous database is kept in %(folder)s",
            made=manifest.created_at,
            folder=str(data_dir / "before-restore"),
        )
    )
