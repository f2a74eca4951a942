"""Central's Places page: a country team imports its country's places from a CSV file.

Members import into their own country; an admin (every country) chooses one. The file is
checked whole before anything is saved (``fieldkit.places_import``); its rows' problems are
listed with their line numbers beside the upload field.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from flask import Blueprint, redirect, render_template, request, url_for

from .. import places_import, scope
from ..db import get_db
from ..i18n import gettext as _
from ..import_reader import Unreadable
from ..queries import places as queries
from ..records import COUNTRIES, PLACE_KINDS
from ..views import author

bp = Blueprint("central_places", __name__, url_prefix="/central/places")

#: What a browser may call a CSV file.
CSV_TYPES = (
    "text/csv",
    "text/plain",
    "application/csv",
    "application/vnd.ms-excel",
    "application/octet-stream",
)


def _page(values: dict, errors: dict, problems=(), summary: str = "", status: int = 200):
    country = scope.current()
    return render_template(
        "central/places.html",
        values=values,
        errors=errors,
        problems=[places_import.problem_line(*p) for p in problems[:200]],
        more_problems=max(0, len(problems) - 200),
        summary=summary,
        fixed_country=country,
        country_options={c: c for c in COUNTRIES},
        counts=[(PLACE_KINDS[kind], n) for kind, n in queries.counts(get_db(), country)],
        columns=places_import.COLUMNS,
        facility_kinds=places_import.FACILITY_KINDS,
        max_mb=places_import.MAX_BYTES >> 20,
        max_rows=places_import.MAX_ROWS,
    ), status


@bp.get("/")
def index():
    summary = ""
    if request.args.get("added", "").isdigit() and request.args.get("already", "").isdigit():
        report = places_import.Report(added=int(request.args["added"]), already=int(request.args["already"]))
        summary = places_import.summary(report)
    return _page({}, {}, summary=summary)


@bp.post("/")
def upload():
    country = scope.current() or request.form.get("country", "")
    values = {"country": country}
    errors = {}
    if country not in COUNTRIES:
        errors["country"] = _("Choose one of the countries you manage.")
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        errors["file"] = _("Choose a CSV file to import.")
    elif not upload.filename.lower().endswith(".csv") or upload.mimetype not in CSV_TYPES:
        errors["file"] = _("This is not a CSV file. Save the sheet as “CSV UTF-8” and import that.")
    if errors:
        return _page(values, errors, status=422)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "places.csv"
        data = upload.stream.read(places_import.MAX_BYTES + 1)
        path.write_bytes(data)
        try:
            report = places_import.import_places(get_db(), path, country, author=author())
        except Unreadable as error:
            return _page(values, {"file": str(error)}, status=422)
    if report.problems:
        message = _(
            "Nothing was imported: fix the lines below and import the file again.",
        )
        return _page(values, {"file": message}, problems=report.problems, status=422)
    return redirect(url_for("central_places.index", added=report.added, already=report.already), 303)
