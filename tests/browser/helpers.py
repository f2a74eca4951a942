"""What browser tests share besides fixtures: test photos, user flows, and checks on a page."""

from __future__ import annotations

import io
import re

__all__ = [
    "add_response",
    "describe",
    "jpeg_bytes",
    "no_horizontal_scroll",
    "record_issue",
    "serious",
    "shown",
]


def serious(violations: list[dict]) -> list[dict]:
    """Only the violations axe rates serious or critical."""
    return [v for v in violations if v.get("impact") in {"serious", "critical"}]


def describe(violations: list[dict]) -> str:
    """A readable account of axe violations: rule, impact, help and the elements concerned."""
    lines = []
    for violation in violations:
        lines.append(
            f"{violation['id']} ({violation['impact']}): {violation['help']} — {violation['helpUrl']}"
        )
        for node in violation["nodes"][:5]:
            lines.append(
                f"    {' '.join(node['target'])}: {node.get('failureSummary', '').splitlines()[-1:]}"
            )
    return "\n".join(lines)


def jpeg_bytes(width: int = 640, height: int = 480, colour=(200, 80, 40)) -> bytes:
    """A real JPEG photo made with Pillow: a coloured picture with a stripe, not just a header."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (width, height), colour)
    draw = ImageDraw.Draw(image)
    draw.rectangle([width // 4, height // 3, width * 3 // 4, height // 2], fill=(30, 90, 160))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()


def no_horizontal_scroll(page, width: int) -> tuple[bool, str]:
    """Whether the page fits ``width`` CSS pixels; if not, which elements stick out."""
    scroll_width = page.evaluate("document.scrollingElement.scrollWidth")
    if scroll_width <= width:
        return True, ""
    wide = page.evaluate(
        """width => Array.from(document.querySelectorAll('body *'))
             .filter(e => e.getBoundingClientRect().right > width + 0.5)
             .slice(0, 8).map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') +
               (e.className && typeof e.className === 'string' ? '.' + e.className.split(' ').join('.') : '') +
               ' right=' + Math.round(e.getBoundingClientRect().right))""",
        width,
    )
    return False, f"scrollWidth {scroll_width} > {width} at {page.url}: " + "; ".join(wide)


def shown(page, field):
    """``field`` (a locator), after bringing its part of a form in steps on screen with Next or Back.

    With JavaScript off every part is shown and nothing is clicked.
    """
    nav = page.locator(".step-nav")
    for name in ("Next", "Back"):
        button = nav.get_by_role("button", name=name, exact=True)
        for _attempt in range(8):
            if field.is_visible() or not button.is_visible():
                break
            button.click()
    return field


def record_issue(
    page,
    server,
    title: str,
    *,
    language: str = "en",
    sector: str = "water",
    description: str = "",
    community: str = "",
    photo: bytes | None = None,
    photo_name: str = "photo.jpg",
) -> str:
    """Record an issue through the new-issue form, as a monitor would; returns its id.

    Works with JavaScript on or off: it clicks the real submit button and waits for the issue's page.
    """
    page.goto(server.url("/issues/new"))
    # In the order of the form's parts: what, where, photos, details.
    page.get_by_label(re.compile(r"^Title")).fill(title)
    page.get_by_label(re.compile(r"^Sector")).select_option(sector)
    if description:
        page.get_by_label("Description", exact=True).fill(description)
    if community:
        shown(page, page.get_by_label("Community / village", exact=True)).fill(community)
    if photo is not None:
        shown(page, page.locator("#f-files")).set_input_files(
            files=[{"name": photo_name, "mimeType": "image/jpeg", "buffer": photo}]
        )
    shown(page, page.get_by_label("Language of the text", exact=True)).fill(language)
    with page.expect_navigation():
        page.get_by_role("button", name="Save issue").click()
    match = re.search(r"/issues/([0-9a-f-]{20,})$", page.url.split("#")[0])
    assert match, f"expected the new issue's page, got {page.url}"
    return match.group(1)


def add_response(
    page,
    *,
    on: str,
    official: str,
    said: str,
    commitment: str = "",
    due_on: str = "",
    channel: str | None = None,
) -> None:
    """Add a government response from the issue page's timeline form."""
    page.locator("summary", has_text="Government response").click()
    form = page.locator("form:has(input[name=kind][value=response])")
    form.get_by_label(re.compile(r"^Date of the response")).fill(on)
    if channel:
        form.get_by_label("How", exact=True).select_option(channel)
    form.get_by_label("Official who responded", exact=True).fill(official)
    form.get_by_label(re.compile(r"^What was said")).fill(said)
    if commitment:
        form.get_by_label("What they committed to", exact=True).fill(commitment)
    if due_on:
        form.get_by_label("Commitment due date", exact=True).fill(due_on)
    with page.expect_navigation():
        form.get_by_role("button", name="Add response").click()
