"""Blueprints, one per noun, and what every page shares."""

from __future__ import annotations

import json
import re
from datetime import date

from flask import current_app, g, request

from sync.checks import UNASSIGNED_ORGS
from sync.ids import uuid7

from .. import fields, people, scope
from ..db import get_db
from ..i18n import current_locale
from ..i18n import gettext as _
from ..languages import BY_CODE, LANGUAGES
from ..queries import places as place_queries
from ..records import CHANNELS, COUNTRIES, EVENT_KINDS, SECTORS, SEVERITIES, STATUSES, VISIBILITIES
from ..validation import coordinate_text


def page_context():
    """Values every template can use: languages, the current one, a fresh form token."""
    code = current_locale()
    language = BY_CODE.get(code)
    return {
        "languages": _languages(),
        "lang": code,
        "direction": language.direction if language else "ltr",
        "app_version": current_app.config.get("VERSION", ""),
        "today": date.today().isoformat(),
        "sectors": SECTORS,
        "statuses": STATUSES,
        "severities": SEVERITIES,
        "channels": CHANNELS,
        "visibilities": VISIBILITIES,
        "countries": COUNTRIES,
        "event_kinds": EVENT_KINDS,
    }


def _languages() -> list:
    """The picker's languages, each draft or reviewed as its reviews say (local_catalog)."""
    from .. import local_catalog
    from ..db import get_db

    try:
        return local_catalog.languages_with_status(get_db(), str(current_app.config["DATABASE"]))
    except Exception:  # noqa: BLE001 - the picker never breaks a page (e.g. the error page itself)
        return list(LANGUAGES)


def author() -> str:
    """Who is recorded as making a change from this request."""
    return getattr(g, "author", "") or current_app.config.get("AUTHOR", "")


def org_name(org: str | None) -> str:
    """A partner organisation as a reader says it: ``*`` is every partner, and a record made before
    its device was enrolled (no org, or ``local``) has none set yet."""
    if org == "*":
        return _("every partner")
    if org in UNASSIGNED_ORGS or org is None:
        return _("no partner set yet")
    return org


def tag_list(value) -> list:
    """Tags as stored in the journal (a JSON list) or in a row (a list), for display; never raises."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return [value]
    return [str(tag) for tag in value] if isinstance(value, list) else ([] if value is None else [str(value)])


def is_htmx() -> bool:
    """An htmx request for a fragment (not a boosted link or form, which wants the whole page)."""
    return request.headers.get("HX-Request") == "true" and not request.headers.get("HX-Boosted")


def page_number() -> int:
    """The ``page`` query argument, kept between 1 and a million; nonsense is page 1."""
    try:
        return max(1, min(int(request.args.get("page", 1)), 1_000_000))
    except ValueError:
        return 1


def place_lists(table: str, values, *, typing: str | None = None) -> dict:
    """The places a form's place fields offer, within the form's country and what it already names."""
    country = scope.current()
    if country is None:
        chosen = values.get("country")
        country = chosen if chosen in COUNTRIES else current_app.config.get("COUNTRY")
    return place_queries.options(get_db(), table, country, values, typing=typing)


FORM_TOKEN = re.compile(r"[0-9a-f-]{16,64}")


def kept_form_token() -> str | None:
    """The one-time token of the form just sent, for the page that shows it again with its
    errors: nothing was saved under it, so the corrected form (or a phone's outbox sending the
    same record) still saves once. Only for the form that was sent (templates pass it to that
    form's ``guard``); every other form on the page gets a fresh token."""
    token = request.form.get("form_token", "") if request.method == "POST" else ""
    return token if FORM_TOKEN.fullmatch(token) else None


def register(app) -> None:
    from . import blobs, evidence, home, in_context, issues, meetings, places, text_translations, translate
    from . import settings as settings_views
    from . import sync as sync_views

    app.context_processor(page_context)
    app.jinja_env.globals["new_form_token"] = uuid7
    app.jinja_env.globals["kept_form_token"] = kept_form_token
    app.jinja_env.filters["tag_list"] = tag_list
    app.jinja_env.filters["org_name"] = org_name
    app.jinja_env.filters["coordinate"] = coordinate_text
    fields.init_app(app)
    people.init_app(app)
    for blueprint in (
        home.bp,
        in_context.bp,
        issues.bp,
        blobs.bp,
        text_translations.bp,
        places.bp,
        evidence.bp,
    ):
        app.register_blueprint(blueprint)
    if app.config.get("ROLE") != "central":
        settings_views.init_app(app)  # Settings page, hub PIN gate, desktop window endpoint
    app.register_blueprint(meetings.bp)
    app.register_blueprint(meetings.search_bp)
    sync_views.init_app(app)  # Sync page and review queue; at central also the sync API and admin
    translate.init_app(app)  # the Translate page; pages read local catalog entries

    @app.after_request
    def vary_on_htmx(response):
        # Pages and their fragments share URLs: caches must key on the htmx header.
        if request.headers.get("HX-Request") or response.mimetype == "text/html":
            response.headers.add("Vary", "HX-Request")
        return response
