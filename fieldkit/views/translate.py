"""The Translate page: every text of the app for one language, to translate, review and exchange as .po.

At central for accounts with the translator role (and admins), on a device for its owner.
``/translate/<lang>?q=TEXT`` filters by English or translation, ``?msgid=ENGLISH`` opens one
text (the in-context switch links there). A broken entry is refused beside its field (422).
"""

from __future__ import annotations

import io
import json
import unicodedata
from datetime import date

from babel.messages.pofile import write_po
from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from werkzeug.routing import BuildError

from .. import added_languages, local_catalog, roles
from .. import translate_page as listing
from .. import translation_uploads as uploads
from ..catalog_rules import check_entry, plural_examples
from ..db import get_db
from ..i18n import gettext as _
from ..languages import BY_CODE, LANGUAGES, canonical_tag
from ..queries import catalog as queries
from . import author, page_number

bp = Blueprint("translate", __name__, url_prefix="/translate")

MAX_FORMS = 6


def _shipped_dir() -> str | None:
    configured = current_app.config.get("TRANSLATIONS_DIR")
    return str(configured) if configured else None


def _language(code: str):
    language = BY_CODE.get(code) or added_languages.added(get_db()).get(code)
    if language is None or code == "en":
        abort(404)
    return language


def _stated(code: str) -> str | None:
    return added_languages.stated_rule(get_db(), code)


def _languages_page(errors=None, values=None, status=200):
    extra = list(added_languages.added(get_db()).values())
    return render_template(
        "translate/languages.html",
        choices=[lang for lang in (*LANGUAGES, *extra) if lang.code != "en"],
        fallback_choices={lang.code: lang.endonym for lang in LANGUAGES},
        errors=errors or {},
        values=values or {"fallbacks": "en", "formatting": ""},
    ), status


@bp.get("/")
def languages():
    return _languages_page()


FIELDS = ("code", "endonym", "english", "fallbacks", "plural_rule", "formatting")


@bp.post("/languages")
def add_language():
    """A new language: code, name, fallback, plural rule (CLDR's, or stated and checked), formatting."""
    form = {name: request.form.get(name, "").strip()[:200] for name in FIELDS}
    code = canonical_tag(form["code"]) or form["code"]
    cldr = added_languages.cldr_rule(code)
    values = {
        "code": code,
        "endonym": form["endonym"],
        "english": form["english"],
        "fallbacks": json.dumps([form["fallbacks"], "en"] if form["fallbacks"] not in ("", "en") else ["en"]),
        "plural_rule": cldr or form["plural_rule"],
        "formatting": form["formatting"] or (code.replace("-", "_") if cldr else "en"),
    }
    errors = added_languages.problems(values)
    if not errors and code in added_languages.added(get_db()):
        errors = {"code": _("FieldKit already has this language: translate it instead.")}
    if errors:
        return _languages_page(errors, form, 422)
    added_languages.add(get_db(), values, author=author())
    return redirect(url_for("translate.index", code=code), 303)


def _where(places) -> list[dict]:
    """Where a text appears: a link to the page (in the language being translated) or the reference."""
    shown = []
    for path, line in places[:5]:
        endpoint = listing.page_of(path)
        url = None
        if endpoint and roles.mounted(endpoint, current_app):
            try:
                url = url_for(endpoint)
            except BuildError:
                url = None
        shown.append({"reference": f"{path}:{line}" if line else path, "url": url})
    return shown


def _page(code: str, *, errors=None, submitted=None, status=200, message=""):
    language = _language(code)
    conn = get_db()
    state = request.args.get("filter", "all")
    state = state if state in listing.FILTERS else "all"
    query = request.args.get("q", "")[:200]
    msgid = request.values.get("msgid") if (errors or "msgid" in request.args) else None
    items = listing.matching(
        listing.texts(code, queries.entries(conn, code), _shipped_dir()), state, query, msgid
    )
    page = page_number()
    pages = max(1, -(-len(items) // listing.PER_PAGE))
    page = min(page, pages)
    shown = items[(page - 1) * listing.PER_PAGE : page * listing.PER_PAGE]
    glossary = queries.glossary(conn, code)
    for item in shown:
        if item.local:
            item.translator = queries.translator(conn, item.local["id"])
        item.terms = listing.glossary_terms(f"{item.msgid} {item.msgid_plural}", glossary)
    return render_template(
        "translate/index.html",
        language=language,
        items=shown,
        total=len(items),
        page=page,
        pages=pages,
        state=state,
        query=query,
        msgid=msgid,
        filters=listing.FILTERS,
        examples=plural_examples(code, _stated(code)),
        glossary=glossary,
        where=_where,
        errors=errors or {},
        submitted=submitted or {},
        me=author(),
        message=message,
    ), status


@bp.get("/<code>")
def index(code: str):
    return _page(code, message=request.args.get("done", ""))


def _forms(count: int) -> list[str]:
    # Stored text is NFC (some keyboards type decomposed accents): normalise before checking.
    return [
        unicodedata.normalize("NFC", request.form.get(f"form-{index}", ""))
        for index in range(min(count, MAX_FORMS))
    ]


@bp.post("/<code>/save")
def save(code: str):
    _language(code)
    msgctxt, msgid = request.form.get("msgctxt", ""), request.form.get("msgid", "")
    text = next(
        (t for t in listing.texts(code, {}, _shipped_dir()) if t.msgctxt == msgctxt and t.msgid == msgid),
        None,
    )
    if text is None:
        abort(404)
    stated = _stated(code)
    count = len(plural_examples(code, stated)) if text.msgid_plural else 1
    forms = _forms(count)
    problems = check_entry(code, text.msgid, text.msgid_plural, forms, stated)
    if problems:
        errors = {(msgctxt, msgid): problems}
        return _page(code, errors=errors, submitted={(msgctxt, msgid): forms}, status=422)
    queries.save(get_db(), code, msgctxt, msgid, text.msgid_plural, forms, author=author())
    return redirect(url_for("translate.index", code=code, msgid=msgid, done="saved"), 303)


@bp.post("/<code>/review")
def review(code: str):
    _language(code)
    conn = get_db()
    msgctxt, msgid = request.form.get("msgctxt", ""), request.form.get("msgid", "")
    entry = queries.entry(conn, code, msgctxt, msgid)
    if entry is None:
        abort(404)
    me = author()
    problem = None
    if not me:
        problem = _("Your name is needed to review: set it first (Settings on a device).")
    elif queries.translator(conn, entry["id"]) == me:
        problem = _("Someone other than its translator reviews a text: ask a second person.")
    if problem:
        return _page(code, errors={(msgctxt, msgid): {"review": problem}}, status=422)
    if entry["status"] != "reviewed":
        queries.review(conn, entry["id"], reviewer=me, on=date.today().isoformat())
    return redirect(url_for("translate.index", code=code, msgid=msgid, done="reviewed"), 303)


@bp.post("/<code>/glossary")
def glossary(code: str):
    _language(code)
    terms = {
        term: (
            request.form.get(f"term-{term}", "").strip()[:200],
            request.form.get(f"note-{term}", "").strip()[:500],
        )
        for term in queries.GLOSSARY_TERMS
    }
    queries.set_glossary(get_db(), code, terms)
    return redirect(url_for("translate.index", code=code, done="glossary"), 303)


@bp.get("/<code>/messages.po")
def download(code: str):
    """The language as a .po file: every text of the app, local entries over the shipped ones."""
    _language(code)
    catalog = listing.po_file(code, queries.entries(get_db(), code), _shipped_dir(), _stated(code))
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=100, include_lineno=False)
    return current_app.response_class(
        buffer.getvalue(),
        mimetype="text/x-gettext-translation",
        headers={"Content-Disposition": f'attachment; filename="fieldkit-{code}.po"'},
    )


#: The largest .po file an upload may carry (every text of the app is about 200 KB).
MAX_UPLOAD = 2 * (1 << 20)


@bp.post("/<code>/upload")
def upload(code: str):
    """Read a .po file back: each entry checked, broken ones refused with their reason, the rest saved."""
    _language(code)
    sent = request.files.get("file")
    data = sent.read(MAX_UPLOAD + 1) if sent else b""
    problem = None
    if not sent or not sent.filename:
        problem = _("Choose a .po file to upload.")
    elif not sent.filename.lower().endswith((".po", ".pot")):
        problem = _("Upload a .po file (the format Poedit and Weblate write).")
    elif len(data) > MAX_UPLOAD:
        problem = _("The file is too large (at most 2 MB).")
    result = (
        None
        if problem
        else uploads.apply(
            get_db(), code, data, author=author(), directory=_shipped_dir(), stated=_stated(code)
        )
    )
    if result is None and not problem:
        problem = _("This file cannot be read as a .po file.")
    if problem:
        return render_template("translate/uploaded.html", language=_language(code), problem=problem), 422
    return render_template("translate/uploaded.html", language=_language(code), problem=None, result=result)


def init_app(app) -> None:
    """The Translate page, and pages that read local entries over the shipped catalogs."""
    app.register_blueprint(bp)
    local_catalog.init_app(app)
    added_languages.init_app(app)
