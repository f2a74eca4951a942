"""The "translate this page" switch: a form in the footer turns marking of catalog texts on or off."""

from __future__ import annotations

from flask import Blueprint, redirect, request

from ..in_context import COOKIE
from ..security import safe_next

bp = Blueprint("in_context", __name__)


@bp.post("/translate-in-context")
def switch():
    """Switch marking on (``on=1``) or off for this browser, then go back to the page."""
    response = redirect(safe_next(request.form.get("next")), code=303)
    if request.form.get("on") == "1":
        response.set_cookie(COOKIE, "1", samesite="Lax", httponly=True)
    else:
        response.delete_cookie(COOKIE, samesite="Lax", httponly=True)
    return response
