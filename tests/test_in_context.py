"""Translate in context: the footer switch marks every catalog text of a page and links it to its
Translate entry, without breaking the page; switched off, pages are exactly what they were."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest

from fieldkit import create_app, in_context
from fieldkit.i18n import gettext
from tests.conftest import CSRF, FormClient, issue_form
from tests.i18n_helpers import page_urls, seed_central, seed_records, sign_in_admin

MARKERS = re.compile("[\u2060\u2061\u2062]")
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class Structure(HTMLParser):
    """A page as a list of tags with their attributes, and its text, leaving out the marks and the panel;
    ``errors`` lists end tags that do not close the element last opened."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple] = []
        self.text: list[str] = []
        self.errors: list[str] = []
        self.marks: list[dict] = []
        self._stack: list[str] = []
        self._panel = 0

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if tag not in VOID:
            self._stack.append(tag)
        if values.get("class") == "translate-panel" or self._panel:
            self._panel += tag not in VOID
            return
        if tag == "span" and values.get("class") == "i18n-mark":
            self.marks.append(values)
            self._stack[-1] = "mark"
            return
        # The switch's own state and the form tokens differ from one request to the next.
        normal = [
            (k, v) for k, v in attrs if k not in ("aria-pressed",) and values.get("name") not in ("on",)
        ]
        self.tags.append(("start", tag, tuple((k, v) for k, v in normal if k != "value" or tag != "input")))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if not self._stack:
            self.errors.append(f"</{tag}> with nothing open")
            return
        top = self._stack.pop()
        if top != tag and not (top == "mark" and tag == "span"):
            self.errors.append(f"</{tag}> closes <{top}>")
        if self._panel:
            self._panel -= 1
            return
        if top != "mark":
            self.tags.append(("end", tag))

    def handle_data(self, data):
        if not self._panel:
            self.text.append(data)


#: Tokens that differ from one request to the next: the CSRF token (signed, with a time stamp) and
#: the one-time token and the draft key of a form that creates a record.
TOKEN = re.compile(r"()[\w-]{20,}\.[\w-]{6}\.[\w-]{20,}|(name=\"(?:form_token|draft_key)\" value=\")[^\"]+")


def structure(html: str) -> Structure:
    parsed = Structure()
    parsed.feed(TOKEN.sub(r"\1\2token", html))
    parsed.close()
    return parsed


def is_page(response) -> bool:
    return response.status_code == 200 and response.mimetype == "text/html"


def make_client(tmp_path, **config) -> tuple:
    app = create_app({"DATA_DIR": tmp_path / "data", "TESTING": True, "COUNTRY": "KE", **config})
    return app, FormClient(app.test_client())


def switch(client, on: bool, next_page: str = "/") -> None:
    response = client.submit("/translate-in-context", {"on": "1" if on else "0", "next": next_page})
    assert response.status_code == 303
    assert response.headers["Location"] == next_page


@pytest.fixture
def device(tmp_path):
    app, client = make_client(tmp_path)
    ids = seed_records(app, client)
    client.set_cookie("lang", "fr")
    return app, client, ids


def test_switched_on_every_catalog_text_is_marked_and_links_to_its_entry(device):
    app, client, _ = device
    switch(client, True, "/issues/new")
    page = client.get("/issues/new").get_data(as_text=True)
    assert not MARKERS.search(page)
    parsed = structure(page)
    issues = next(m for m in parsed.marks if m["data-msgid"] == "Issues")
    assert issues["data-translate"] == "/translate/fr?msgid=Issues"
    assert '<a href="/issues/"><span class="i18n-mark" data-msgid="Issues"' in page
    assert ">Problèmes</span></a>" in page  # the French text, marked where it stands
    # Texts in attributes, the window title and menu options stay plain and are listed in the panel.
    assert "<title>Signaler un problème · FieldKit</title>" in page
    assert 'aria-label="Menu principal"' in page
    assert re.search(r"<option [^>]*>Wolof — brouillon</option>", page)
    panel = page[page.index('class="translate-panel"') :]
    assert 'href="/translate/fr?msgid=Main"' in panel  # the menu's aria-label
    assert 'href="/translate/fr?msgid=%25%28language%29s+%E2%80%94+draft"' in panel  # the picker's options
    assert 'href="/translate/fr?msgid=Record+an+issue"' in panel


def test_switched_on_pages_keep_every_tag_and_attribute_and_nest_the_marks_properly(device):
    app, client, ids = device
    urls = page_urls(app, ids)
    urls = [url for url in urls if is_page(client.get(url))]
    before = {url: client.get(url).get_data(as_text=True) for url in urls}
    switch(client, True)
    marked = 0
    for url in urls:
        page = client.get(url).get_data(as_text=True)
        assert not MARKERS.search(page), url
        on, off = structure(page), structure(before[url])
        assert on.errors == off.errors == [], url
        assert on.tags == off.tags, url  # same elements, same attribute values, nothing broken
        assert "".join(on.text) == "".join(off.text), url  # same text, only wrapped in marks
        marked += len(on.marks)
        assert 'class="translate-panel"' in page or "</body>" not in page, url  # fragments have no panel
    assert marked > 20 * len(urls)


def test_switched_off_pages_are_byte_for_byte_what_they_were(device, monkeypatch):
    app, client, ids = device
    switch(client, True)
    switch(client, False)
    urls = page_urls(app, ids)
    pages = {url: client.get(url).get_data() for url in urls}
    for url, page in pages.items():
        assert "\u2060".encode() not in page and b"i18n-mark" not in page and b"translate-panel" not in page
    # The same pages with the marking code taken out entirely.
    monkeypatch.setattr(in_context, "mark", lambda text, *args, **kwargs: text)
    monkeypatch.setattr("fieldkit.i18n.mark", lambda text, *args, **kwargs: text)
    monkeypatch.setattr(in_context, "rewrite_page", lambda *args: pytest.fail("rewrote a page"))
    for url in urls:
        again = client.get(url).get_data()
        assert TOKEN.sub(r"\1\2", again.decode()) == TOKEN.sub(r"\1\2", pages[url].decode()), url


def test_a_form_sent_with_the_switch_on_saves_the_text_typed_without_marks(device):
    app, client, _ = device
    switch(client, True)
    created = client.submit("/issues/new", issue_form(title="Pump broken"))
    assert created.status_code == 303
    page = client.get(created.headers["Location"]).get_data(as_text=True)
    assert "Pump broken" in page
    invalid = client.submit("/issues/new", issue_form(title=""))
    assert invalid.status_code == 422
    assert not MARKERS.search(invalid.get_data(as_text=True))
    assert 'class="i18n-mark"' in invalid.get_data(as_text=True)


def test_the_switch_needs_the_form_token_and_goes_back_only_to_this_site(tmp_path):
    app, client = make_client(tmp_path)
    refused = client.post("/translate-in-context", data={"on": "1", "next": "/"})
    assert refused.status_code == 400
    response = client.submit("/translate-in-context", {"on": "1", "next": "//evil.example/"})
    assert response.headers["Location"] == "/"


def test_switch_shows_for_the_owner_and_is_pressed_when_on(device):
    app, client, _ = device
    page = client.get("/").get_data(as_text=True)
    assert 'action="/translate-in-context"' in page and 'aria-pressed="false"' in page
    switch(client, True)
    page = client.get("/").get_data(as_text=True)
    assert 'aria-pressed="true"' in page and 'name="on" value="0"' in page


def test_central_admin_may_switch_on_and_sees_every_page_marked(tmp_path):
    app, client = make_client(tmp_path, ROLE="central")
    sign_in_admin(app, client)
    ids = seed_central(app, client)
    client._token = CSRF.search(client.get("/central/").get_data(as_text=True)).group(1)
    switch(client, True, "/central/")
    for url in page_urls(app, ids):
        response = client.get(url)
        page = response.get_data(as_text=True)
        assert not MARKERS.search(page), url
        if not is_page(response):
            continue
        assert structure(page).errors == [], url
        assert 'class="translate-panel"' in page or "</body>" not in page, url


def test_a_viewer_with_the_cookie_sees_no_marks_and_cannot_switch(tmp_path):
    from fieldkit.central import accounts
    from fieldkit.db import connect

    app, client = make_client(tmp_path, ROLE="central")
    conn = connect(app.config["DATABASE"])
    accounts.add_user(conn, "kofi", "a long password for the walk", country="KE", role="viewer")
    conn.close()
    token = CSRF.search(client.get("/central/login").get_data(as_text=True)).group(1)
    form = {"username": "kofi", "password": "a long password for the walk", "csrf_token": token}
    assert client.post("/central/login", data=form).status_code == 303
    client.set_cookie(in_context.COOKIE, "1")
    page = client.get("/issues/").get_data(as_text=True)
    assert "i18n-mark" not in page and not MARKERS.search(page)
    assert 'action="/translate-in-context"' not in page
    token = CSRF.search(page).group(1)
    refused = client.post("/translate-in-context", data={"on": "1", "csrf_token": token})
    assert refused.status_code == 403


def test_marks_in_tags_text_only_elements_and_cut_texts_never_break_the_markup(app):
    with app.test_request_context("/"):
        from flask import g

        g.in_context = True
        g.caller = None
        title, label = gettext("Issues"), gettext("Main")
        cut = gettext("Record an issue")[:-3]  # a filter cut the closing mark off
        html = (
            f'<html><head><title>{title}</title></head><body><nav aria-label="{label}">'
            f"<a href=/>{title}</a></nav><p>{cut}</p><select><option>{title}</option><option>{label}</option></select>"
            f"<textarea>{label}</textarea></body></html>"
        )
        out = in_context.rewrite_page(html, "fr")
    assert not MARKERS.search(out)
    assert "<title>Issues</title>" in out and 'aria-label="Main"' in out
    assert (
        "<option>Issues</option><option>Main</option></select>" in out and "<textarea>Main</textarea>" in out
    )
    assert '<a href=/><span class="i18n-mark" data-msgid="Issues"' in out
    assert structure(out).errors == []
    links = re.findall(r'<a href="(/translate/fr\?[^"]+)"', out)
    assert [parse_qs(urlsplit(link).query)["msgid"][0] for link in links] == [
        "Issues",
        "Main",
        "Record an issue",
    ]


def test_json_and_headers_carry_no_marks(app):
    from flask import Response, g

    with app.test_request_context("/"):
        g.in_context = True
        g.caller = None
        text = gettext("Issues")
        response = Response(f'{{"title": "{text}"}}', mimetype="application/json")
        response.headers["Content-Disposition"] = f'attachment; filename="{text}.csv"'
        response = in_context.after_request(response)
    assert response.get_data(as_text=True) == '{"title": "Issues"}'
    assert response.headers["Content-Disposition"] == 'attachment; filename="Issues.csv"'
