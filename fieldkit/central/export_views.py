"""Central's Export page: the records an account may see, in the format and profile it picks.

The download streams: text formats piece by piece from one query per kind, XLSX through a
temporary file that XlsxWriter fills sheet by sheet. Scope is the account's (``scope.current``).
"""

from __future__ import annotations

import tempfile
from datetime import date

from flask import Blueprint, Response, current_app, render_template, request, send_file

from .. import export_formats, export_profiles, scope
from ..db import connect, get_db
from ..i18n import gettext as _

bp = Blueprint("exports", __name__, url_prefix="/central/exports")


def _options() -> dict:
    return {
        "formats": export_formats.FORMAT_LABELS,
        "kinds": export_profiles.TITLES,
        "profiles": export_profiles.PROFILE_LABELS,
    }


@bp.get("/")
def index():
    return render_template("central/exports.html", errors={}, values={}, **_options())


@bp.get("/download")
def download():
    values = {name: request.args.get(name, "") for name in ("format", "kind", "profile")}
    errors = {}
    if values["format"] not in export_formats.FORMATS:
        errors["format"] = _("Choose one of the formats.")
    if values["kind"] not in export_profiles.KINDS:
        errors["kind"] = _("Choose what to export.")
    if values["profile"] not in export_profiles.PROFILES:
        errors["profile"] = _("Choose who the export is for.")
    if errors:
        return render_template("central/exports.html", errors=errors, values=values, **_options()), 422
    fmt, profile, country = values["format"], values["profile"], scope.current()
    kind = export_formats.kinds_of(fmt, values["kind"])
    name = "-".join(("fieldkit", country or "all", kind[0] if len(kind) == 1 else "all", profile))
    name = f"{name}-{date.today().isoformat()}.{export_formats.EXTENSIONS[fmt]}"
    if fmt == "xlsx":
        spool = tempfile.TemporaryFile()
        export_formats.write_xlsx(get_db(), spool, profile=profile, country=country)
        spool.seek(0)
        return send_file(
            spool, mimetype=export_formats.MEDIA_TYPES[fmt], as_attachment=True, download_name=name
        )
    database = current_app.config["DATABASE"]

    def stream():
        # Its own connection: the request's is closed at teardown, before a long download ends.
        conn = connect(database)
        try:
            for piece in export_formats.pieces(conn, fmt, kind=kind[0], profile=profile, country=country):
                yield piece.encode("utf-8")
        finally:
            conn.close()

    response = Response(stream(), mimetype=export_formats.MEDIA_TYPES[fmt])
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response
