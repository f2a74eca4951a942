"""Photos from a phone on the hub: made smaller on the phone before they are sent (the original
when asked), and kept in the browser until the hub has saved them, across a failed upload and a
reload, then saved exactly once."""

from __future__ import annotations

import io
import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from .helpers import shown
from .test_hub_browser import HUB_HOST, PHONE, Hub, join


def phone_photo(width=4000, height=3000, seed=1) -> bytes:
    """A JPEG the size a phone camera takes (12 MP, a few MB): light, shade and grain."""
    from PIL import Image, ImageFilter

    grain = Image.effect_noise((width // 4, height // 4), 60 + seed).resize((width, height))
    light = Image.linear_gradient("L").resize((width, height))
    picture = Image.merge(
        "RGB", (light, grain.filter(ImageFilter.GaussianBlur(2)), Image.blend(light, grain, 0.5))
    )
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", quality=92)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    server = Hub(tmp_path_factory.mktemp("photo-hub"))
    yield server
    server.stop()


@pytest.fixture
def phone(browser, hub):
    """A joined phone on the hub's HTTPS address; fails on CSP or script errors."""
    contexts, problems = [], []

    def open_phone(name="Wanjiru"):
        context = browser.new_context(**PHONE, ignore_https_errors=True)
        context.set_default_timeout(15_000)
        page = context.new_page()
        page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
        page.on("console", lambda m: "Content Security Policy" in m.text and problems.append(m.text))
        contexts.append(context)
        page.goto(https(hub, "/hub/join?next=/issues/new"))
        join(page, hub, hub.pin, name=name)
        assert urlsplit(page.url).path == "/issues/new"
        return context, page

    yield open_phone
    for context in contexts:
        context.close()
    assert not problems, "\n".join(problems)


def https(hub, path="/"):
    return f"https://{HUB_HOST}:{hub.port}{path}"


def fill_issue(page, title):
    page.get_by_label(re.compile(r"^Title")).fill(title)
    page.get_by_label(re.compile(r"^Sector")).select_option("water")
    page.get_by_label("Description", exact=True).fill("The pump handle is broken.")


def attachments_of(hub, title):
    return hub.count(
        "SELECT a.width, a.height, a.size, a.media_type FROM attachments a JOIN issues i ON i.id = a.issue_id "
        f"WHERE i.title = '{title}'"
    )


def test_a_phone_photo_is_made_smaller_before_it_is_sent(hub, phone):
    context, page = phone()
    original = phone_photo()
    fill_issue(page, "Pump photo made smaller")
    page.locator("input[name=files]").first.set_input_files(
        {"name": "IMG_0001.jpg", "mimeType": "image/jpeg", "buffer": original}
    )
    expect(page.locator("input[name=files]").first).to_have_attribute("data-photos-ready", "1")
    # What goes over the Wi-Fi: the multipart body exactly as the browser encodes the form.
    sent = page.evaluate(
        """() => new Response(new FormData(document.querySelector("input[name=files]").form))
                 .arrayBuffer().then((body) => body.byteLength)"""
    )
    with page.expect_navigation(url=re.compile(r"/issues/[0-9a-f-]{20,}$")):
        page.get_by_role("button", name="Save issue").click()
    [(width, height, size, media_type)] = attachments_of(hub, "Pump photo made smaller")
    assert (width, height) == (1600, 1200) and media_type == "image/jpeg"
    assert size < len(original) / 3
    assert sent < len(original) / 3


def test_the_original_is_sent_when_the_user_asks_for_it(hub, phone):
    context, page = phone()
    original = phone_photo(2400, 1800, seed=2)
    fill_issue(page, "Pump photo sent whole")
    page.locator("input[name=files]").first.set_input_files(
        {"name": "IMG_0002.jpg", "mimeType": "image/jpeg", "buffer": original}
    )
    shown(page, page.get_by_label(re.compile("^Send the original photos")).first).check()
    with page.expect_navigation(url=re.compile(r"/issues/[0-9a-f-]{20,}$")):
        page.get_by_role("button", name="Save issue").click()
    [(width, height, _size, _type)] = attachments_of(hub, "Pump photo sent whole")
    assert (width, height) == (2400, 1800)


def test_a_photo_survives_a_failed_upload_and_a_reload_and_is_saved_once(hub, phone):
    context, page = phone(name="Otieno")

    def drop_uploads(route):  # the Wi-Fi drops every upload; pages still load
        if route.request.method == "POST":
            route.abort("internetdisconnected")
        else:
            route.continue_()

    page.route("**/issues/new", drop_uploads)
    fill_issue(page, "Pump photo kept across a reload")
    page.locator("input[name=files]").first.set_input_files(
        {"name": "IMG_0003.jpg", "mimeType": "image/jpeg", "buffer": phone_photo(3000, 2000, seed=3)}
    )
    page.get_by_role("button", name="Save issue").click()
    expect(page.locator("#save-status")).to_contain_text("Not saved yet")

    page.reload()
    expect(page.locator("#save-status")).to_contain_text("Not saved yet")
    assert page.get_by_label(re.compile(r"^Title")).input_value() == "Pump photo kept across a reload"
    expect(page.locator("input[name=files]").first).to_have_js_property("files.length", 1)
    assert hub.count("SELECT count(*) FROM issues WHERE title = 'Pump photo kept across a reload'") == [(0,)]

    with page.expect_navigation(url=re.compile(r"/issues/[0-9a-f-]{20,}$"), timeout=30_000):
        page.unroute("**/issues/new", drop_uploads)
    [(width, height, _size, media_type)] = attachments_of(hub, "Pump photo kept across a reload")
    assert (width, height, media_type) == (1600, 1067, "image/jpeg")  # the kept copy was the small one
    assert hub.count("SELECT count(*) FROM issues WHERE title = 'Pump photo kept across a reload'") == [(1,)]
    # Coming back to the form: no photo is offered again, nothing is sent twice.
    page.goto(https(hub, "/issues/new"))
    expect(page.locator("input[name=files]").first).to_have_attribute("data-photos-ready", "1")
    assert page.evaluate("document.querySelector('input[name=files]').files.length") == 0
