"""Serving attachments from the content-addressed store."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, send_file

from .. import scope
from ..blobs import DISPLAYABLE, SHA256, Store
from ..db import get_db
from ..queries import attachments

bp = Blueprint("blobs", __name__, url_prefix="/files")


@bp.app_template_test("displayable")
def displayable(media_type: str) -> bool:
    """Whether a picture of this file can be shown (a HEIC photo is kept, but offered as a file)."""
    return media_type in DISPLAYABLE


def _store() -> Store:
    return Store(current_app.config["DATA_DIR"])


@bp.get("/<sha256>")
def original(sha256: str):
    if not SHA256.match(sha256):
        abort(404)
    meta = attachments.by_sha(get_db(), sha256, country=scope.current())
    store = _store()
    if meta is None or not store.has(sha256):
        abort(404)
    return send_file(
        store.path(sha256),
        mimetype=meta["media_type"],
        download_name=meta["filename"],
        as_attachment=not (meta["media_type"] in DISPLAYABLE or meta["media_type"].startswith("audio/")),
        max_age=31536000,
    )


@bp.get("/<sha256>/display.jpg")
def display(sha256: str):
    if not SHA256.match(sha256):
        abort(404)
    country = scope.current()
    if country is not None and attachments.by_sha(get_db(), sha256, country=country) is None:
        abort(404)  # at central, only files of issues in the signed-in country
    store = _store()
    path = store.display_path(sha256)
    if not path.is_file():
        if not store.has(sha256) or store.make_display_copy(sha256) is None:
            abort(404)
    return send_file(path, mimetype="image/jpeg", max_age=31536000)
