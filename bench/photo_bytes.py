"""How many bytes does a phone send for a record with 3 photos, before and after shrinking?

    .venv/bin/python bench/photo_bytes.py [--photos 3] [--width 4000] [--height 3000]

1. Starts a real hub, ``fieldkit --data DIR serve --lan --host 127.0.0.2``, on a throwaway
   data folder (every client counts as a phone; nothing leaves this machine).
2. Opens it over HTTPS in Debian's Chromium with a phone's screen (on this machine's CPU, not
   a phone's), joins with the PIN, and
   records an issue with ``--photos`` camera-sized JPEGs (12 MP by default, made with Pillow:
   light, shade and grain, quality 92, a few MB each like a phone's), twice: once as sent by
   default (made smaller on the phone by static/photos.js) and once with "Send the original
   photos" ticked.
3. Prints the machine and, for each, the size of the request the phone sent (the whole
   multipart body: text fields and photos, as the browser encodes it), how long the browser took
   to make the photos smaller, how long from tapping Save to the issue page over loopback (no
   Wi-Fi: on a real hub the bytes are what counts), and what the hub stored.

Prints figures; it is not a test. Needs the test extras (Playwright) and Debian's chromium.
"""

from __future__ import annotations

import argparse
import io
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import require_fieldkit  # noqa: E402

require_fieldkit()

from common import FIELDKIT, print_machine, print_table  # noqa: E402

from fieldkit.server import free_port  # noqa: E402

HOST = "127.0.0.2"
CHROMIUM = os.environ.get("FIELDKIT_TEST_CHROMIUM", "/usr/bin/chromium")


def camera_photo(width: int, height: int, seed: int) -> bytes:
    """A JPEG as large as a phone camera's: light, shade and grain, quality 92."""
    from PIL import Image, ImageFilter

    grain = Image.effect_noise((width // 4, height // 4), 60 + seed).resize((width, height))
    light = Image.linear_gradient("L").resize((width, height))
    shade = grain.filter(ImageFilter.GaussianBlur(2))
    picture = Image.merge("RGB", (light, shade, Image.blend(light, grain, 0.5)))
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", quality=92)
    return buffer.getvalue()


def start_hub(data_dir: Path, port: int) -> tuple[subprocess.Popen, str]:
    process = subprocess.Popen(
        [*FIELDKIT, "--data", str(data_dir), "serve", "--lan", "--host", HOST, "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        if match := re.search(r"Session PIN for phones: (\d+)", line):
            return process, match.group(1)
    process.kill()
    raise RuntimeError("the hub did not start")


BODY_SIZE = """() => new Response(new FormData(document.querySelector("input[name=files]").form))
    .arrayBuffer().then((body) => body.byteLength)"""
SHRINK_TIME = """async () => {
    const input = document.querySelector("input[name=files]");
    const started = performance.now();
    for (const file of input.fieldkitOriginals) { await FieldKitPhotos.shrink(file); }
    return (performance.now() - started) / 1000;
}"""


def record(page, base: str, title: str, photos: list[Path], original: bool) -> tuple[int, float, float]:
    """Record an issue with ``photos``; returns the bytes of the request the phone sends, the
    seconds its browser takes to make the photos smaller, and the seconds from sending to the
    hub's answer."""
    from playwright.sync_api import expect

    page.goto(base + "/issues/new")
    page.get_by_label(re.compile(r"^Title")).fill(title)
    page.get_by_label(re.compile(r"^Sector")).select_option("water")
    page.get_by_label("Description", exact=True).fill("The pump handle is broken; photos of it attached.")
    page.locator("input[name=files]").first.set_input_files(photos)
    if original:
        page.get_by_label(re.compile("^Send the original photos")).first.check()
    expect(page.locator("input[name=files]").first).to_have_attribute(
        "data-photos-ready", "1", timeout=120_000
    )
    body = page.evaluate(BODY_SIZE)  # the multipart body exactly as the browser encodes it
    shrinking = 0.0 if original else page.evaluate(SHRINK_TIME)
    started = time.perf_counter()
    with page.expect_navigation(url=re.compile(r"/issues/[0-9a-f-]{20,}$"), timeout=120_000):
        page.get_by_role("button", name="Save issue").click()
    return body, shrinking, time.perf_counter() - started


def stored(data_dir: Path, title: str) -> str:
    conn = sqlite3.connect(data_dir / "fieldkit.db")
    try:
        rows = conn.execute(
            "SELECT a.width, a.height, a.size FROM attachments a JOIN issues i ON i.id = a.issue_id "
            "WHERE i.title = ? ORDER BY a.filename",
            (title,),
        ).fetchall()
    finally:
        conn.close()
    sizes = ", ".join(f"{w}x{h}" for w, h, _ in rows)
    return f"{sizes}; {sum(s for *_, s in rows) / 1e6:.2f} MB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=3, help="photos attached to the record")
    parser.add_argument("--width", type=int, default=4000, help="camera photo width, pixels")
    parser.add_argument("--height", type=int, default=3000, help="camera photo height, pixels")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    print_machine()
    data_dir = Path(tempfile.mkdtemp(prefix="fieldkit-photo-bench-"))
    photos = []
    for seed in range(args.photos):
        photos.append(data_dir.parent / f"{data_dir.name}-IMG_{seed:04d}.jpg")
        photos[-1].write_bytes(camera_photo(args.width, args.height, seed))
    port = free_port(HOST)
    process, pin = start_hub(data_dir, port)
    base = f"https://{HOST}:{port}"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, args=["--no-sandbox", "--headless=new", "--disable-gpu"]
            )
            context = browser.new_context(
                viewport={"width": 390, "height": 844},
                is_mobile=True,
                has_touch=True,
                ignore_https_errors=True,
            )
            page = context.new_page()
            page.goto(base + "/hub/join")
            page.get_by_label(re.compile("^Session PIN")).fill(pin)
            page.get_by_label(re.compile("^Your name")).fill("Bench phone")
            with page.expect_navigation():
                page.get_by_role("button", name="Join").click()
            whole_bytes, whole_ready, whole_sent = record(page, base, "Sent whole", photos, original=True)
            small_bytes, small_ready, small_sent = record(page, base, "Made smaller", photos, original=False)
            browser.close()
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
        process.stdout.close()
    print()
    print_table(
        [
            (
                "Record with photos",
                "Bytes the phone sends",
                "Making photos smaller",
                "Save to issue page",
                "Stored on the hub",
            ),
            (
                f"{args.photos} photos of {args.width}x{args.height}, original (ticked)",
                f"{whole_bytes / 1e6:.2f} MB",
                "—",
                f"{whole_sent:.1f} s",
                stored(data_dir, "Sent whole"),
            ),
            (
                f"{args.photos} photos, made smaller on the phone (default)",
                f"{small_bytes / 1e6:.2f} MB",
                f"{small_ready:.1f} s",
                f"{small_sent:.1f} s",
                stored(data_dir, "Made smaller"),
            ),
        ]
    )
    print(f"\nThe phone sent {whole_bytes / small_bytes:.1f} times fewer bytes with photos made smaller.")
    shutil.rmtree(data_dir, ignore_errors=True)
    for photo in photos:
        photo.unlink()


if __name__ == "__main__":
    main()
