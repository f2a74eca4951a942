"""Lighthouse (mobile) on the pages a phone uses most, and the form's first paint with no hub.

    .venv/bin/python bench/lighthouse.py [--lighthouse PATH] [--chromium /usr/bin/chromium]

1. Fills a throwaway data folder with ``fieldkit demo`` and serves it with ``fieldkit serve``.
2. Runs Lighthouse's mobile preset (a mid-range phone, slow 4G, 4x CPU slow-down) on the
   home page, the new-issue form, the new-meeting form, an issue page and the issues list, and
   prints the performance and accessibility scores with first contentful paint and layout shift.
3. In Chromium (Playwright) with a 360x740 touch screen, joins the hub as a phone (PIN and name;
   on 127.0.0.2, a loopback address, so a secure context without the hub's certificate), opens the
   new-issue form, goes offline and reloads: the form the service worker kept is painted with no
   hub; prints its first paint.

Lighthouse is not a Python package: install it once with npm (it comes from the npm registry,
it downloads no browser), e.g. ``npm install --prefix ~/.cache/fieldkit-lighthouse lighthouse@12``
and pass ``--lighthouse ~/.cache/fieldkit-lighthouse/node_modules/.bin/lighthouse``.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import FIELDKIT, Served, print_machine, print_table, require_fieldkit, run_fieldkit  # noqa: E402

require_fieldkit()

from fieldkit.server import free_port  # noqa: E402

PAGES = [
    ("home", "/"),
    ("new issue (form in steps)", "/issues/new"),
    ("new meeting", "/meetings/new"),
    ("issues list", "/issues/"),
]


def lighthouse(binary: str, chromium: str, url: str, out: Path) -> dict:
    """One mobile Lighthouse run; returns its report."""
    subprocess.run(
        [
            binary,
            url,
            "--quiet",
            "--only-categories=performance,accessibility",
            "--output=json",
            f"--output-path={out}",
            "--chrome-flags=--headless=new --no-sandbox --disable-gpu",
        ],
        check=True,
        env={"CHROME_PATH": chromium, "PATH": "/usr/bin:/bin"},
        timeout=300,
    )
    return json.loads(out.read_text())


HUB_HOST = "127.0.0.2"  # a loopback address: a secure context, so the phone's service worker runs


def offline_first_paint(chromium: str, data: Path) -> float:
    """First paint (ms) of the new-issue form on a phone reloaded with the hub gone."""
    import os

    from playwright.sync_api import sync_playwright

    port = free_port(HUB_HOST)
    hub = subprocess.Popen(
        [*FIELDKIT, "--data", str(data), "serve", "--lan", "--host", HUB_HOST, "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        env={k: v for k, v in os.environ.items() if not k.startswith("FIELDKIT_")},
        text=True,
    )
    try:
        pin = None
        for line in hub.stdout:
            if match := re.search(r"Session PIN for phones: (\d+)", line):
                pin = match.group(1)
                break
        if pin is None:
            sys.exit("fieldkit serve --lan printed no PIN")
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
            context = browser.new_context(
                viewport={"width": 360, "height": 740},
                has_touch=True,
                is_mobile=True,
                service_workers="allow",
            )
            page = context.new_page()
            page.goto(f"http://{HUB_HOST}:{port}/hub/join?next=/issues/new")
            page.get_by_label(re.compile("^Session PIN")).fill(pin)
            page.get_by_label(re.compile("^Your name")).fill("Amina")
            with page.expect_navigation():
                page.get_by_role("button", name="Join").click()
            page.evaluate("navigator.serviceWorker.ready.then(() => true)")
            page.reload()
            page.wait_for_function("!!navigator.serviceWorker.controller")
            context.set_offline(True)
            page.reload()
            page.wait_for_selector("form")
            paint = page.evaluate(
                "performance.getEntriesByType('paint')"
                ".find(e => e.name === 'first-contentful-paint')?.startTime ?? -1"
            )
            browser.close()
        return paint
    finally:
        hub.terminate()
        hub.wait(timeout=15)
        hub.stdout.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lighthouse", default=shutil.which("lighthouse") or "lighthouse")
    parser.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    args = parser.parse_args()
    if not shutil.which(args.lighthouse) and not Path(args.lighthouse).exists():
        sys.exit(f"Lighthouse not found at {args.lighthouse}: see this script's first lines to install it.")

    print_machine()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        run_fieldkit(data, "demo", "--no-start")
        with Served(data, free_port()) as served:
            issue = re.search(r'href="/issues/([0-9a-f-]{36})"', served.get("/issues/").text).group(1)
            rows = [
                (
                    "page (mobile preset)",
                    "performance",
                    "accessibility",
                    "first contentful paint",
                    "layout shift",
                )
            ]
            for name, path in [*PAGES, ("an issue's page", f"/issues/{issue}")]:
                report = lighthouse(args.lighthouse, args.chromium, served.url + path, Path(tmp) / "lh.json")
                categories, audits = report["categories"], report["audits"]
                rows.append(
                    (
                        name,
                        f"{categories['performance']['score'] * 100:.0f}",
                        f"{categories['accessibility']['score'] * 100:.0f}",
                        audits["first-contentful-paint"]["displayValue"].replace("\xa0", " "),
                        audits["cumulative-layout-shift"]["displayValue"],
                    )
                )
        print_table(rows)
        paint = offline_first_paint(args.chromium, data)
        print(
            f"New-issue form reloaded on a phone with the hub gone (service worker): first paint {paint:.0f} ms"
        )


if __name__ == "__main__":
    main()
