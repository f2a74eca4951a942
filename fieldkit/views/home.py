"""Home page (what needs attention) and the language picker."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, current_app, redirect, render_template, request

from .. import scope
from ..db import get_db
from ..i18n import added_languages
from ..languages import CODES
from ..queries import actions as action_queries
from ..queries import issues as issue_queries
from ..records import ACTION_OWNER_KINDS
from ..security import safe_next

bp = Blueprint("home", __name__)


@bp.get("/")
def index():
    country = scope.current()
    lists = issue_queries.attention(
        get_db(), today=date.today(), no_response_days=current_app.config["NO_RESPONSE_DAYS"], country=country
    )
    due_actions, due_total = action_queries.due_soon(get_db(), today=date.today(), country=country)
    return render_template(
        "home.html",
        no_response_days=current_app.config["NO_RESPONSE_DAYS"],
        due_actions=due_actions,
        due_total=due_total,
        owner_kinds=ACTION_OWNER_KINDS,
        **lists,
    )


@bp.post("/language")
def choose_language():
    code = request.form.get("lang", "")
    response = redirect(safe_next(request.form.get("next")), code=303)
    if code in CODES or code in added_languages():
        response.set_cookie("lang", code, max_age=5 * 365 * 86400, samesite="Lax", httponly=True)
    return response
