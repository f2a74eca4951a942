"""``fieldkit places import FILE --country XX``: a country's places from a CSV file."""

from __future__ import annotations

from pathlib import Path

import click

from ..cli import main, pass_ctx
from ..i18n import ngettext
from ..records import COUNTRIES


@main.group()
def places():
    """Places that forms offer as people type (regions, districts, communities, facilities)."""


@places.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--country", required=True, type=click.Choice(COUNTRIES), help="The country the places are in.")
@pass_ctx
def import_(ctx, file, country):
    """Import places from a CSV file (region,district,ward,community,facility,kind,other_names): all rows, or none if any is bad."""
    from .. import places_import
    from ..db import connect
    from ..import_reader import Unreadable

    app = ctx.app()
    with app.app_context():
        conn = connect(app.config["DATABASE"])
        try:
            report = places_import.import_places(conn, file, country, author=app.config["AUTHOR"])
        except Unreadable as error:
            raise click.ClickException(str(error)) from None
        finally:
            conn.close()
        if report.problems:
            for problem in report.problems[:200]:
                click.echo(places_import.problem_line(*problem), err=True)
            raise click.ClickException(
                ngettext(
                    "%(num)s line is wrong; nothing was imported from %(file)s.",
                    "%(num)s lines are wrong; nothing was imported from %(file)s.",
                    len(report.problems),
                    file=file.name,
                )
            )
        click.echo(places_import.summary(report))
