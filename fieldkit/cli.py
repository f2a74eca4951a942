"""The ``fieldkit`` program: one command line for the field app, sync and the central server."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from . import create_app, datadir, i18n
from .i18n import gettext as _
from .i18n import ngettext
from .instance import AlreadyRunning, InstanceLock
from .records import COUNTRIES
from .settings import SettingError


class Context:
    """What every command shares: the chosen data folder."""

    def __init__(self, data: str | None):
        self.data = data

    def data_dir(self) -> Path:
        return datadir.resolve(self.data)

    def app(self, **config):
        """The app on the chosen data folder; a bad setting is a one-line error."""
        try:
            return create_app({"DATA_DIR": self.data_dir(), **config})
        except SettingError as error:
            raise click.ClickException(str(error)) from None


pass_ctx = click.make_pass_decorator(Context)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--data",
    "data",
    type=click.Path(file_okay=False),
    envvar=datadir.ENV_VAR,
    help="Data folder (default: your user data folder; or $FIELDKIT_DATA).",
)
@click.version_option(package_name="fieldkit")
@click.pass_context
def main(click_ctx, data):
    """FieldKit: record and follow service-delivery issues and meetings, offline."""
    # The one place the command line's language is chosen: $FIELDKIT_LANGUAGE, else the
    # POSIX locale (LC_ALL, LC_MESSAGES, LANG). Help texts stay in English.
    token = i18n.set_cli_locale(i18n.cli_locale())
    click_ctx.call_on_close(lambda: i18n.reset_cli_locale(token))
    click_ctx.obj = Context(data)


def _lock(data_dir: Path) -> InstanceLock:
    return InstanceLock(data_dir).acquire()


def port_in_use(busy) -> click.ClickException:
    """The one-line answer to a port another program holds, offering a free one."""
    return click.ClickException(
        _("Port %(port)s is in use; try --port %(free)s", port=busy.port, free=busy.suggestion)
    )


@main.command()
@click.option("--demo", is_flag=True, help="Use the separate demo data folder, filled with sample issues.")
@click.option("--browser", is_flag=True, help="Open in the web browser instead of a desktop window.")
@click.option("--port", type=int, default=0, help="Port on 127.0.0.1 (default: any free port).")
@pass_ctx
def start(ctx, demo, browser, port):
    """Open FieldKit in a desktop window (or the browser where no window is possible)."""
    from . import desktop
    from .server import PortInUse

    if demo:
        ctx.data = str(_ensure_demo(ctx.data))
    data_dir = ctx.data_dir()
    try:
        lock = _lock(data_dir)
    except AlreadyRunning as running:
        desktop.bring_up(data_dir, running)
        return
    try:
        desktop.run(ctx.app(), lock, window=not browser, port=port)
    except PortInUse as busy:
        raise port_in_use(busy) from None
    finally:
        lock.release()


@main.command()
@click.option(
    "--host", default=None, help="Address to listen on (default: 127.0.0.1; with --lan, every network)."
)
@click.option("--port", type=int, default=8080, show_default=True, help="Port to listen on.")
@click.option("--lan", is_flag=True, help="Community hub: let phones on this Wi-Fi join with a session PIN.")
@pass_ctx
def serve(ctx, host, port, lan):
    """Serve FieldKit headless with a real WSGI server (no window)."""
    from . import desktop
    from .server import PortInUse

    data_dir = ctx.data_dir()
    try:
        lock = _lock(data_dir)
    except AlreadyRunning as running:
        raise click.ClickException(
            _("FieldKit already serves %(folder)s at %(url)s", folder=str(data_dir), url=running.url)
        ) from None
    try:
        desktop.serve(ctx.app(), lock, host=host, port=port, lan=lan)
    except PortInUse as busy:
        raise port_in_use(busy) from None
    finally:
        lock.release()


def _ensure_demo(data: str | None = None) -> Path:
    """The demo folder (``--data`` if given, else a separate one), filled with sample records.

    :raises click.ClickException: if the chosen folder already holds real records.
    """
    from .demo import fill, has_records

    folder = datadir.resolve(data) if data else datadir.demo_dir()
    try:
        app = create_app({"DATA_DIR": folder})
    except SettingError as error:
        raise click.ClickException(str(error)) from None
    if has_records(app)[1]:
        raise click.ClickException(
            _(
                "%(folder)s already holds your records; sample data goes only into an empty folder.",
                folder=str(folder),
            )
        )
    with app.app_context():
        fill(app)
    return folder


@main.command()
@click.option("--no-start", is_flag=True, help="Only create the demo data; do not open the app.")
@click.option("--browser", is_flag=True, help="Open in the web browser instead of a desktop window.")
@click.pass_context
def demo(click_ctx, no_start, browser):
    """Fill a demo data folder (a separate one, or --data) with sample records, and open it."""
    folder = _ensure_demo(click_ctx.obj.data)
    click.echo(_("Demo data is in %(folder)s", folder=str(folder)))
    if not no_start:
        click_ctx.obj.data = str(folder)
        click_ctx.invoke(start, demo=False, browser=browser, port=0)


@main.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl"]), help="Default: from the file name.")
@click.option(
    "--kind",
    type=click.Choice(["issues", "meetings", "actions"]),
    help="What the file holds (default: recognised from its columns).",
)
@pass_ctx
def import_(ctx, file, fmt, kind):
    """Import issues, meetings or action items from a CSV or JSON Lines file: all rows, or none if any is bad."""
    from . import transfer_meetings
    from .db import connect
    from .import_reader import Unreadable
    from .transfer import import_issues

    app = ctx.app()
    kind = kind or transfer_meetings.detect_kind(file, fmt)
    with app.app_context():
        conn = connect(app.config["DATABASE"])
        try:
            if kind == "issues":
                report = import_issues(
                    conn, file, fmt=fmt, author=app.config["AUTHOR"], org=app.config["ORG"]
                )
            else:
                report = transfer_meetings.import_file(
                    conn, file, kind, fmt=fmt, author=app.config["AUTHOR"], org=app.config["ORG"]
                )
        except Unreadable as error:
            raise click.ClickException(str(error)) from None
        finally:
            conn.close()
    if report.problems:
        for number, column, message in report.problems[:200]:
            click.echo(row_problem(number, column, message), err=True)
        raise click.ClickException(
            ngettext(
                "%(num)s problem found; nothing was imported from %(file)s.",
                "%(num)s problems found; nothing was imported from %(file)s.",
                len(report.problems),
                file=file.name,
            )
        )
    click.echo(imported_line(kind, report.imported) + " " + already_present_line(report.skipped))


def row_problem(number: int, column: str, message: str) -> str:
    """One line about a bad row of an imported file: where it is and what is wrong."""
    if column:
        # Translators: a problem in a row of an imported file, e.g. "row 3, title: This field is required."
        return _("row %(row)s, %(column)s: %(problem)s", row=number, column=column, problem=message)
    return _("row %(row)s: %(problem)s", row=number, problem=message)


def imported_line(kind: str, count: int) -> str:
    """How many issues, meetings or action items an import added, as a whole sentence."""
    if kind == "meetings":
        return ngettext("Imported %(num)s meeting.", "Imported %(num)s meetings.", count)
    if kind == "actions":
        return ngettext("Imported %(num)s action item.", "Imported %(num)s action items.", count)
    return ngettext("Imported %(num)s issue.", "Imported %(num)s issues.", count)


def already_present_line(count: int) -> str:
    """How many rows of an imported file were skipped because they are already here."""
    return ngettext("%(num)s was already present.", "%(num)s were already present.", count)


def exported_line(kind: str, count: int, out) -> str:
    """How many records an export wrote, and where."""
    file = str(out)
    if kind == "meetings":
        return ngettext(
            "Exported %(num)s meeting to %(file)s", "Exported %(num)s meetings to %(file)s", count, file=file
        )
    if kind == "actions":
        return ngettext(
            "Exported %(num)s action item to %(file)s",
            "Exported %(num)s action items to %(file)s",
            count,
            file=file,
        )
    if kind == "events":
        return ngettext(
            "Exported %(num)s timeline event to %(file)s",
            "Exported %(num)s timeline events to %(file)s",
            count,
            file=file,
        )
    if kind == "all":
        return ngettext(
            "Exported %(num)s record to %(file)s", "Exported %(num)s records to %(file)s", count, file=file
        )
    return ngettext(
        "Exported %(num)s issue to %(file)s", "Exported %(num)s issues to %(file)s", count, file=file
    )


@main.command()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "jsonl", "xlsx", "geojson", "open311"]),
    required=True,
    help="csv and jsonl: one kind per file; xlsx: a sheet per kind; geojson and open311: issues.",
)
@click.option(
    "--out", type=click.Path(dir_okay=False, path_type=Path), help="File to write (default: standard output)."
)
@click.option(
    "--kind",
    type=click.Choice(["issues", "events", "meetings", "actions"]),
    default="issues",
    show_default=True,
    help="What a csv or jsonl export holds: issues, timeline events, meetings (with the issues they "
    "discussed) or action items.",
)
@click.option(
    "--profile",
    type=click.Choice(["internal", "officials", "public"]),
    default="internal",
    show_default=True,
    help="internal: everything; officials: public issues, no internal notes; public: also no names "
    "of people or addresses, locations rounded to about 1 km.",
)
@click.option(
    "--country",
    type=click.Choice(COUNTRIES, case_sensitive=False),
    help="Only the records of this country (at central, where the data folder holds every country's).",
)
@pass_ctx
def export(ctx, fmt, out, kind, profile, country):
    """Export the records of this data folder as CSV, JSON Lines, XLSX, GeoJSON or Open311."""
    from . import export_formats
    from .db import connect

    country = country.upper() if country else None
    kinds = export_formats.kinds_of(fmt, kind)
    app = ctx.app()
    conn = connect(app.config["DATABASE"])
    try:
        if out:
            tmp = out.with_name(out.name + ".part")
            if fmt == "xlsx":
                count = export_formats.write_xlsx(conn, tmp, profile=profile, country=country)
            else:
                with tmp.open("w", encoding="utf-8", newline="") as handle:
                    count = export_formats.write(
                        conn, handle, fmt, kind=kinds[0], profile=profile, country=country
                    )
            tmp.replace(out)
            click.echo(exported_line(kinds[0] if len(kinds) == 1 else "all", count, out), err=True)
        elif fmt == "xlsx":
            export_formats.write_xlsx(conn, sys.stdout.buffer, profile=profile, country=country)
        else:
            export_formats.write(conn, sys.stdout, fmt, kind=kinds[0], profile=profile, country=country)
    finally:
        conn.close()


#: Further command groups, each in its own module under fieldkit/commands/.
COMMAND_MODULES: tuple[str, ...] = ("backup", "translations", "sync", "central", "places")

for _module in COMMAND_MODULES:
    __import__(f"fieldkit.commands.{_module}")
