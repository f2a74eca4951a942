"""Helpers for the language tests: build small catalogs, read the visible text of a page."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import write_po

from fieldkit import catalogs

PLACEHOLDER = re.compile(r"%\(\w+\)[sdifr]|%%")
NAMED = re.compile(r"%\(\w+\)[sdifr]|\{\w+\}")


def write_catalog(directory: Path, code: str, entries: dict, plural_forms: str | None = None) -> Path:
    """A .po for ``code`` in ``directory``: {msgid: msgstr} or {(singular, plural): (forms...)}."""
    catalog = Catalog(locale=code.replace("-", "_"), charset="utf-8")
    catalog.fuzzy = False
    if plural_forms:
        catalog._num_plurals, catalog._plural_expr = catalogs._parse_plural(plural_forms)
    for msgid, msgstr in entries.items():
        context = None
        if isinstance(msgid, tuple) and len(msgid) == 3:  # (context, singular, plural)
            context, msgid = msgid[0], msgid[1:]
        elif isinstance(msgid, tuple) and len(msgid) == 2 and isinstance(msgstr, str):  # (context, msgid)
            context, msgid = msgid
        catalog.add(msgid, msgstr, context=context)
    path = catalogs.po_path(code, directory)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        write_po(handle, catalog)
    return path


def wrap(text: str) -> str:
    """Pseudo-translate: ⟦…⟧ around each stretch of text between placeholders, which stay outside,
    so that a value filled in (an error's reason, a label) must be translated or data itself."""
    parts = re.split(r"(%\(\w+\)[sdifr]|\{\w+\})", text)
    return "".join(part if NAMED.fullmatch(part) else (f"⟦{part}⟧" if part else "") for part in parts)


def write_pseudo_catalog(directory: Path, code: str = "fr") -> int:
    """Every string FieldKit extracts, wrapped in ⟦…⟧, as ``code``'s catalog; returns how many."""
    template = catalogs.extract()
    catalog = Catalog(locale=code, charset="utf-8")
    catalog.fuzzy = False
    for message in template:
        if not message.id:
            continue
        if isinstance(message.id, (list, tuple)):
            forms = tuple(
                wrap(message.id[0] if i == 0 else message.id[1]) for i in range(catalog.num_plurals)
            )
            catalog.add(message.id, forms, context=message.context)
        else:
            catalog.add(message.id, wrap(message.id), context=message.context)
    path = catalogs.po_path(code, directory)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        write_po(handle, catalog)
    return len(catalog)


VISIBLE_ATTRIBUTES = {"alt", "title", "placeholder", "aria-label"}


class VisibleText(HTMLParser):
    """The text a person sees or hears: text nodes, labels in attributes, button values."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in {"script", "style", "template"}:
            self._skip += 1
        values = dict(attrs)
        for name, value in attrs:
            if not value:
                continue
            if name in VISIBLE_ATTRIBUTES:
                self.parts.append(value)
            elif name.startswith("data-") and " " in value.strip():
                self.parts.append(value)  # messages shown by app.js (e.g. data-too-large)
        if tag == "input" and values.get("type") in {"submit", "button"} and values.get("value"):
            self.parts.append(values["value"])

    def handle_endtag(self, tag):
        if tag in {"script", "style", "template"} and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.parts.append(data)


def visible_text(html: str) -> list[str]:
    parser = VisibleText()
    parser.feed(html)
    return parser.parts


WRAPPED = re.compile(r"⟦[^⟦⟧]*⟧")


def unwrapped(text: str) -> str:
    """What is left of a text once every pseudo-translated part (even nested) is removed."""
    previous = None
    while previous != text:
        previous, text = text, WRAPPED.sub(" ", text)
    return text


# Walking every page: records to show, the URLs of every GET page, signed in as who may see them.

#: What the walk types into forms: the only words a page may show outside the catalog (with names
#: that are data: endonyms, CLDR names, the brand).
DATA = {
    "title": "Kolwa borehole",
    "description": "Pump handle snapped",
    "district": "Kisumu",
    "community": "Kolwa",
    "facility": "Nyamasaria",
    "responsible_official": "Otieno",
    "budget_code": "WSB",
    "tags": "pump",
}
MEETING_DATA = {
    "title": DATA["title"],
    "place": DATA["community"],
    "facilitator": DATA["responsible_official"],
    "officials": DATA["responsible_official"],
    "agenda": DATA["title"],
    "notes": DATA["description"],
    "decisions": DATA["description"],
}
ACTION_DATA = {"what": DATA["description"], "owner_name": DATA["responsible_official"]}
#: Names the walk's data carries besides DATA: the dispute's authors and central's accounts.
DATA_NAMES = ("Wanjiru Achieng", "Otieno Odhiambo", "Amina", "akosua", "kofi", "ama", "kolwa-youth")

#: Endpoints that are not pages (files, JSON, downloads, a QR image).
#: The Translate page of a language shows the app's English texts as its data (and its .po file is
#: a download): the walks cover /translate/ itself and leave those two out.
NOT_PAGES = {
    "static",
    "blobs.original",
    "blobs.display",
    "hub.qr_svg",
    "exports.download",
    "translate.index",
    "translate.download",
}
NOT_PAGE_PREFIXES = ("/api/",)

ADMIN_PASSWORD = "a long password for the walk"


def seed_records(app, client) -> dict:
    """An issue with a timeline note, a meeting with an action item, and a dispute on the issue's
    status (made by the sync merge, as the demo does); returns the URL variables for their pages."""
    from fieldkit import demo
    from fieldkit.db import connect
    from tests.conftest import create_issue
    from tests.test_meetings import action_form, meeting_form

    issue_id = create_issue(client, **DATA, budget_allocated="1500000", budget_currency="KES")
    noted = client.submit(
        f"/issues/{issue_id}/events",
        {"kind": "note", "occurred_on": "2026-03-02", "note": DATA["description"]},
    )
    assert noted.status_code in (200, 303), noted.status_code
    created = client.submit("/meetings/new", meeting_form(**MEETING_DATA))
    assert created.status_code == 303, created.get_data(as_text=True)[:500]
    meeting_id = created.headers["Location"].rsplit("/", 1)[1]
    client.submit(f"/meetings/{meeting_id}/actions", action_form(**ACTION_DATA, issue_id=issue_id))
    disputed = create_issue(client, **DATA)
    conn = connect(app.config["DATABASE"])
    try:
        demo._dispute(conn, disputed)
    finally:
        conn.close()
    return {"issue_id": issue_id, "meeting_id": meeting_id}


def sign_in_admin(app, client) -> None:
    """An all-countries admin account at central, signed in on ``client``."""
    from fieldkit.central import accounts
    from fieldkit.db import connect

    conn = connect(app.config["DATABASE"])
    try:
        accounts.add_user(conn, "akosua", ADMIN_PASSWORD, country="*")
    finally:
        conn.close()
    from tests.conftest import CSRF

    token = CSRF.search(client.get("/central/login").get_data(as_text=True)).group(1)
    form = {"username": "akosua", "password": ADMIN_PASSWORD, "csrf_token": token}
    response = client.post("/central/login", data=form)
    assert response.status_code == 303, response.get_data(as_text=True)[:500]


def seed_central(app, client) -> dict:
    """Central's own pages with something on them: an enrolment code, an enrolled device, a second
    account, a read token; then the records of :func:`seed_records`."""
    from fieldkit.central import accounts
    from fieldkit.central import queries as central_queries
    from fieldkit.db import connect

    conn = connect(app.config["DATABASE"])
    try:
        accounts.add_user(conn, "kofi", ADMIN_PASSWORD, country="KE", role="viewer")
        central_queries.create_code(conn, "kolwa-youth", "KE")
        code = central_queries.create_code(conn, "kolwa-youth", "KE")
        central_queries.redeem_code(conn, code, "0190walkdevice", "A" * 43, "test")
    finally:
        conn.close()
    ids = seed_records(app, client)
    client.submit("/central/codes", {"org": "kolwa-youth", "country": "KE", "hours": "72"})
    client.submit(
        "/central/users", {"username": "ama", "password": ADMIN_PASSWORD, "role": "member", "country": "KE"}
    )
    return ids


def page_urls(app, ids: dict) -> list[str]:
    """Every GET page of ``app`` (from its URL map), with the walk's record ids filled in."""
    from flask import url_for

    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in NOT_PAGES or rule.rule.startswith(NOT_PAGE_PREFIXES):
            continue
        assert set(rule.arguments) <= set(ids), f"the walk has no data for {rule.rule}"
        with app.test_request_context():
            urls.append(url_for(rule.endpoint, **{k: ids[k] for k in rule.arguments}))
    return sorted(set(urls))


def phone_pages(app, urls: list[str], lang: str) -> dict[str, str]:
    """What a phone on the hub sees in ``lang``: the hub-off page, the join page (and its refusal of a
    wrong PIN), then every URL once joined (pages a phone may not use show why, in a 403 page)."""
    from fieldkit import hub
    from tests.test_hub import Phone

    phone = Phone(app)
    pages = {"phone: hub off": phone.get(f"/?lang={lang}").get_data(as_text=True)}
    state = hub.of(app)
    state.serve_on("127.0.0.2", 8080)
    pages["phone: join"] = phone.get("/hub/join").get_data(as_text=True)
    wrong = "1" * 6 if state.pin != "1" * 6 else "2" * 6
    refused = phone.post(
        "/hub/join", {"csrf_token": phone.csrf(), "pin": wrong, "name": "Amina", "next": "/"}
    )
    pages["phone: wrong PIN"] = refused.get_data(as_text=True)
    assert phone.join(state.pin).status_code == 303
    for url in urls:
        response = phone.get(url)
        if response.mimetype == "text/html" and response.status_code < 300 or response.status_code >= 400:
            pages[f"phone: {url}"] = response.get_data(as_text=True)
    return pages


def sync_page_states(tmp_path, make_app) -> dict[str, str]:
    """The device's Sync page in each state: enrolment refused (central failing, a wrong code),
    enrolled with records outside its scope, after a sync central partly refused, and after a sync
    central answered with an error. ``make_app(transport)`` gives (app, client) syncing through it."""
    import httpx

    from fieldkit import create_app
    from fieldkit.central import queries as central_queries
    from fieldkit.db import connect
    from tests.conftest import create_issue

    central = create_app({"DATA_DIR": tmp_path / "central", "TESTING": True, "ROLE": "central"})
    reachable = {"yes": False}

    def transport(request):
        if not reachable["yes"]:
            return httpx.Response(500, json={"title": "down"})  # not retried, unlike a 503
        return httpx.WSGITransport(app=central).handle_request(request)

    app, client = make_app(httpx.MockTransport(transport))
    seed_records(app, client)
    kept = create_issue(client, **DATA)
    url = "http://central.example"
    pages = {"enrolment, central failing": client.submit("/sync/enroll", {"url": url, "code": "x"})}
    reachable["yes"] = True
    pages["wrong code"] = client.submit("/sync/enroll", {"url": url, "code": "no-such-code"})
    hub = connect(central.config["DATABASE"])
    code = central_queries.create_code(hub, "kolwa-youth", "GH")
    hub.close()
    enrolled = client.submit("/sync/enroll", {"url": url, "code": code})
    assert enrolled.status_code == 303, enrolled.get_data(as_text=True)[:2000]
    pages["enrolled, records outside"] = client.get("/sync/")
    client.submit("/sync/scope/keep", {"tbl": "issues", "row_id": kept})
    client.submit("/sync/run")
    pages["synced with refusals"] = client.get("/sync/")
    reachable["yes"] = False
    client.submit("/sync/run")
    pages["sync, central failing"] = client.get("/sync/")
    for label, response in pages.items():
        assert response.mimetype == "text/html", label
    return {label: response.get_data(as_text=True) for label, response in pages.items()}
