"""Every GET page, in every shipped language, on a 320 x 640 screen: axe finds no serious or
critical violation and the page never scrolls sideways.

The pages are the ones the language tests walk (``tests/i18n_helpers.page_urls``: every GET route
of the URL map, with records behind it): the device app as its owner, central signed in as an
all-countries admin, and central's pages as a country viewer sees them (what a viewer may not use
shows its 403 page, walked in English only: its pages are the admin's with less on them). One
browser context per language (the ``lang`` cookie, as the picker sets it).

To keep the walk within minutes on a small machine, English and French run every axe rule; the
other languages run the rules a translation can break (colour contrast, names and labels of
controls, links, images and the page, the language attribute) plus the sideways-scroll check.
Each test reports every failing page of its language at once.
"""

from __future__ import annotations

import pytest

from fieldkit import create_app
from fieldkit.languages import CODES
from tests.conftest import FormClient
from tests.i18n_helpers import ADMIN_PASSWORD, page_urls, seed_central, seed_records, sign_in_admin
from tests.sync.processes import Central

from .conftest import PHONE
from .helpers import serious

FULL_RULES = {"en", "fr"}
#: The rules whose outcome depends on the words on the page.
TEXT_RULES = [
    "color-contrast",
    "label",
    "button-name",
    "link-name",
    "input-button-name",
    "select-name",
    "aria-input-field-name",
    "aria-toggle-field-name",
    "image-alt",
    "document-title",
    "html-has-lang",
    "html-lang-valid",
    "valid-lang",
    "empty-heading",
]
SIDEWAYS = "document.scrollingElement.scrollWidth > document.scrollingElement.clientWidth + 1"
WIDE = """() => Array.from(document.querySelectorAll('body *'))
  .filter(e => e.getBoundingClientRect().right > document.scrollingElement.clientWidth + 1)
  .slice(-3).map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') +
    (typeof e.className === 'string' && e.className ? '.' + e.className.trim().split(/\\s+/).join('.') : ''))"""


def html_pages(client, urls: list[str]) -> list[str]:
    """The URLs that answer a whole HTML page (not a file, a script or a fragment)."""
    kept = []
    for url in urls:
        response = client.get(url, follow_redirects=True)
        if response.mimetype == "text/html" and "<html" in response.get_data(as_text=True)[:500]:
            kept.append(url)
    return kept


@pytest.fixture(scope="module")
def device(start_live_server, tmp_path_factory):
    """The device app served on a data folder with an issue, a meeting and a dispute; its page URLs."""
    data_dir = tmp_path_factory.mktemp("every-page-device") / "data"
    app = create_app({"DATA_DIR": data_dir, "TESTING": True, "COUNTRY": "KE"})
    client = FormClient(app.test_client())
    urls = html_pages(client, page_urls(app, seed_records(app, client)))
    server = start_live_server(data_dir)
    yield server.base, urls
    server.stop()


@pytest.fixture(scope="module")
def central(tmp_path_factory):
    """Central served with accounts, codes, a device and records; its page URLs."""
    where = tmp_path_factory.mktemp("every-page-central")
    server = Central(where / "data", where / "central.log")
    app = create_app({"DATA_DIR": where / "data", "TESTING": True, "ROLE": "central"})
    client = FormClient(app.test_client())
    sign_in_admin(app, client)
    urls = html_pages(client, page_urls(app, seed_central(app, client)))
    urls = ["/central/login", *(url for url in urls if url != "/central/login")]
    server.start()
    yield server.url, urls
    server.stop()


def sign_in(page, base: str, name: str) -> None:
    page.goto(base + "/central/login")
    page.locator("input[name=username]").fill(name)
    page.locator("input[name=password]").fill(ADMIN_PASSWORD)
    page.locator("main form button[type=submit]").click()
    # The boosted form swaps in the page it lands on: signed in once the password field is gone.
    page.locator("input[name=password]").wait_for(state="detached")


def walk(page, axe, base: str, urls: list[str], lang: str) -> list[str]:
    """Visit each URL in ``lang``; one line per page that fails, naming the rules or what sticks out."""
    options = {"resultTypes": ["violations"]}
    if lang not in FULL_RULES:
        options["runOnly"] = {"type": "rule", "values": TEXT_RULES}
    failures = []
    for url in urls:
        page.goto(base + url)
        assert page.locator("html").get_attribute("lang") == lang, f"{url} is not in {lang}"
        found = serious(axe(page, options))
        if found:
            rules = ", ".join(f"{v['id']} ({' '.join(v['nodes'][0]['target'])})" for v in found)
            failures.append(f"{lang} {url}: {rules}")
        if page.evaluate(SIDEWAYS):
            failures.append(f"{lang} {url}: scrolls sideways at {PHONE['width']} px, {page.evaluate(WIDE)}")
    return failures


def open_in(open_page, base: str, lang: str):
    page = open_page(viewport=PHONE, locale="en-GB")
    page.context.add_cookies([{"name": "lang", "value": lang, "url": base}])
    return page


@pytest.mark.parametrize("lang", CODES)
def test_every_device_page_passes_axe_and_fits_320px(open_page, axe, device, lang):
    base, urls = device
    assert len(urls) >= 20
    failures = walk(open_in(open_page, base, lang), axe, base, urls, lang)
    assert not failures, f"{len(failures)} of {len(urls)} pages fail:\n" + "\n".join(failures)


@pytest.mark.parametrize("lang", CODES)
def test_every_central_page_passes_axe_and_fits_320px(open_page, axe, central, lang):
    base, urls = central
    assert len(urls) >= 25
    page = open_in(open_page, base, lang)
    failures = walk(page, axe, base, urls[:1], lang)
    sign_in(page, base, "akosua")
    failures += walk(page, axe, base, urls[1:], lang)
    assert not failures, f"{len(failures)} of {len(urls)} pages fail:\n" + "\n".join(failures)


def test_every_central_page_a_viewer_opens_passes_axe_and_fits_320px(open_page, axe, central):
    base, urls = central
    lang = "en"
    page = open_in(open_page, base, lang)
    sign_in(page, base, "kofi")
    failures = walk(page, axe, base, urls[1:], lang)
    assert not failures, f"{len(failures)} of {len(urls)} pages fail:\n" + "\n".join(failures)
