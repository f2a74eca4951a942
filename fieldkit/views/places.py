"""Places to pick: the options of a form's place fields, narrowed as the person types (htmx)."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from ..queries import places as queries
from . import place_lists

bp = Blueprint("places", __name__, url_prefix="/places")


@bp.get("/options")
def options():
    """The datalists of a form's place fields, within what its wider fields name; the field being
    typed (htmx names it in ``HX-Trigger-Name``) narrowed to names that match what is in it."""
    table = "meetings" if request.args.get("table") == "meetings" else "issues"
    chosen = {name: request.args.get(name, "")[:200] for name in ("country", *queries.fields_of(table))}
    typing = request.headers.get("HX-Trigger-Name") or request.args.get("typing")
    return render_template("places/_options.html", place_lists=place_lists(table, chosen, typing=typing))
