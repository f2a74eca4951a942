"""Translate in context: with the switch on, every catalog text on a page is marked and opens its entry.

Algorithm: while a request of someone who may translate has the switch on (:func:`active`), every
gettext-family call wraps its result in invisible markers, ``U+2060 n U+2061 … U+2060 n U+2062``,
where ``n`` numbers the (context, msgid) in a process-wide registry. Markers are plain text, so
they survive escaping, formatting and being placed anywhere in a template. After the view,
:func:`after_request` rewrites the page once:

1. in a text node, an opening marker becomes ``<span class="i18n-mark" data-msgid=… data-translate=…>``
   and its closing marker ``</span>``; a span is closed where its text node ends, so the markup
   stays balanced even when a message holds tags or a filter cut it;
2. inside a tag (``placeholder=``, ``title=``, ``aria-label=``, ``value=`` …) and in elements that
   hold only text (``<title>``, ``<option>``, ``<textarea>``, ``<script>``, ``<style>``) markers
   are removed: those texts are listed in the panel instead;
3. a panel before ``</body>`` lists every text of the page with a link "Translate: …" to
   ``/translate/<lang>?msgid=…``, so the switch works without JavaScript;
4. any other response (JSON, CSV, a header) has its markers removed.

With the switch off nothing is marked and the after-request pass returns the response untouched.
"""

from __future__ import annotations

import re
import threading
from urllib.parse import urlencode

from flask import g, has_request_context, render_template, request
from markupsafe import Markup, escape

#: The cookie that keeps the switch on in this browser (until the browser closes).
COOKIE = "translate_in_context"

_OPEN, _SEP, _CLOSE = "\u2060", "\u2061", "\u2062"
MARKER = re.compile("\u2060(\\d+)([\u2061\u2062])")
#: How many distinct texts the registry numbers; beyond that, texts are left unmarked.
REGISTRY_LIMIT = 50_000

_registry: dict[tuple[str | None, str], int] = {}
_entries: list[tuple[str | None, str]] = []
_lock = threading.Lock()


def may_translate() -> bool:
    """Whether this request's caller may translate: the one check to change when roles change."""
    from .roles import can

    return can("in_context.switch")


def active() -> bool:
    """Whether texts are marked in this request: the switch is on and the caller may translate."""
    if not has_request_context() or g.get("in_context_paused"):
        return False
    state = g.get("in_context")
    if state is None:
        if "caller" not in g:
            return False  # before the role table ran: decide later, do not remember
        state = g.in_context = request.cookies.get(COOKIE) == "1" and may_translate()
    return state


def _number(msgid: str, context: str | None) -> int | None:
    key = (context, msgid)
    number = _registry.get(key)
    if number is None:
        with _lock:
            number = _registry.get(key)
            if number is None:
                if len(_entries) >= REGISTRY_LIMIT:
                    return None
                number = len(_entries)
                _entries.append(key)
                _registry[key] = number
    return number


def mark(text, msgid: str, context: str | None = None):
    """``text`` between markers naming ``msgid`` when the switch is on; else ``text`` itself."""
    if not active() or not isinstance(msgid, str):
        return text
    number = _number(msgid, context)
    if number is None:
        return text
    opening, closing = f"{_OPEN}{number}{_SEP}", f"{_OPEN}{number}{_CLOSE}"
    if isinstance(text, Markup):
        return Markup(opening) + text + Markup(closing)  # noqa: S704 - digits and invisible marks only
    return f"{opening}{text}{closing}"


def strip(text: str) -> str:
    """``text`` without any marker."""
    return MARKER.sub("", text) if _OPEN in text else text


def translate_url(lang: str, number: int) -> str:
    """The Translate page's address for one registered text."""
    context, msgid = _entries[number]
    query = {"msgid": msgid, **({"msgctxt": context} if context else {})}
    return f"{request.script_root}/translate/{lang}?{urlencode(query)}"


# A tag (quoted attribute values may hold ">"), a comment or a doctype; text lies between them.
TOKEN = re.compile(r"<!--.*?-->|<![^>]*>|<(/?)([a-zA-Z][a-zA-Z0-9-]*)(?:[^>\"']|\"[^\"]*\"|'[^']*')*>", re.S)
#: Elements whose content is text only: a span there would show as text or break the element.
TEXT_ONLY = {"title", "textarea", "option", "script", "style"}


class _Page:
    """One pass over a page: text nodes get spans, tags and text-only elements lose their markers."""

    def __init__(self, lang: str):
        self.lang = lang
        self.seen: dict[int, bool] = {}  # number → shown as a span somewhere
        self.inside: str | None = None  # the text-only element we are in

    def _note(self, text: str, visible: bool) -> None:
        for found in MARKER.finditer(text):
            number = int(found.group(1))
            if number < len(_entries):
                self.seen[number] = self.seen.get(number, False) or visible

    def _text(self, text: str) -> str:
        if _OPEN not in text:
            return text
        if self.inside:
            self._note(text, False)
            return strip(text)
        out, stack, last = [], [], 0
        for found in MARKER.finditer(text):
            out.append(text[last : found.start()])
            last = found.end()
            number = int(found.group(1))
            if number >= len(_entries):
                continue
            if found.group(2) == _SEP:
                self.seen[number] = True
                stack.append(number)
                msgid = _entries[number][1]
                out.append(
                    f'<span class="i18n-mark" data-msgid="{escape(msgid)}" '
                    f'data-translate="{escape(translate_url(self.lang, number))}">'
                )
            elif stack and stack[-1] == number:
                stack.pop()
                out.append("</span>")
        out.append(text[last:])
        out.extend("</span>" for _ in stack)
        return "".join(out)

    def _tag(self, token: str, closing: bool, name: str) -> str:
        name = name.lower()
        if self.inside == "option" and name in ("option", "optgroup", "select"):
            self.inside = "option" if name == "option" and not closing else None  # </option> may be left out
        elif self.inside and closing and name == self.inside:
            self.inside = None
        elif not self.inside and not closing and name in TEXT_ONLY:
            self.inside = name
        if _OPEN in token:
            self._note(token, False)
            return strip(token)
        return token

    def rewrite(self, html: str) -> str:
        out, last = [], 0
        for found in TOKEN.finditer(html):
            out.append(self._text(html[last : found.start()]))
            if found.group(2):
                out.append(self._tag(found.group(0), bool(found.group(1)), found.group(2)))
            else:
                out.append(strip(found.group(0)))
            last = found.end()
        out.append(self._text(html[last:]))
        return "".join(out)


def _panel(lang: str, seen: dict[int, bool]) -> str:
    items = [
        {"msgid": _entries[n][1], "url": translate_url(lang, n), "hidden": not visible}
        for n, visible in seen.items()
    ]
    g.in_context_paused = True  # the panel's own texts are not marked
    try:
        return render_template("_translate_panel.html", items=items).strip()
    finally:
        g.in_context_paused = False


def rewrite_page(html: str, lang: str) -> str:
    """The page with marked texts as spans and a panel of links (see the module's algorithm)."""
    page = _Page(lang)
    html = page.rewrite(html)
    if not page.seen:
        return html
    end = html.rfind("</body>")
    if end < 0:
        return html  # a fragment (htmx): its spans are enough, the page has the panel
    return html[:end] + _panel(lang, page.seen) + html[end:]


def _stripped_stream(chunks):
    for chunk in chunks:
        if isinstance(chunk, bytes):
            yield strip(chunk.decode("utf-8", "surrogateescape")).encode("utf-8", "surrogateescape")
        else:
            yield strip(chunk)


def after_request(response):
    """Turn markers into spans and a panel on a page; remove them from anything else."""
    if not g.get("in_context"):
        return response
    from .i18n import current_locale

    for name, value in list(response.headers.items()):
        if _OPEN in value:
            response.headers[name] = strip(value)
    if response.direct_passthrough:
        return response
    if response.is_streamed:
        response.response = _stripped_stream(response.response)
        return response
    if response.mimetype == "text/html":
        response.set_data(rewrite_page(response.get_data(as_text=True), current_locale()))
        response.headers["Cache-Control"] = "no-store"
    elif response.mimetype and (response.mimetype.startswith("text/") or "json" in response.mimetype):
        response.set_data(strip(response.get_data(as_text=True)))
    return response


def switch_on() -> bool:
    """Whether this browser has the switch on (the footer's button shows it as pressed)."""
    return request.cookies.get(COOKIE) == "1"


def init_app(app) -> None:
    """Rewrite responses after every request (before compression, which was registered first)."""
    app.after_request(after_request)
    app.jinja_env.globals["translate_switch_on"] = switch_on
