"""Browser fixtures: the real app served by waitress in its own process, one headless Chromium
for the whole session, guarded pages, and axe-core.

- ``live_server`` (per test module): ``fieldkit --data DIR serve --port P`` in a subprocess on
  127.0.0.1, with a fresh data folder. ``start_live_server(data_dir)`` starts another one.
- ``browser`` (per session): Debian's Chromium driven by Playwright. Never downloads a browser.
- ``open_page(**context_options)``: a page in a new browser context (viewport, ``java_script_enabled``
  ...). Every guarded page aborts and reports any request that would leave 127.0.0.1, and reports
  Content-Security-Policy violations; the test fails at teardown if either happened.
- ``page``: ``open_page()`` with a 1280 x 800 viewport.
- ``axe(page)``: runs the vendored axe-core on the page and returns its violations;
  helpers.py has what tests share besides fixtures.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from fieldkit.server import free_port

CHROMIUM = os.environ.get("FIELDKIT_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless=new",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VENDOR = Path(__file__).parent / "vendor"
AXE_JS = VENDOR / "axe.min.js"
LOCAL_HOSTS = {"127.0.0.1"}
LOCAL_SCHEMES = {"data", "blob", "about", "chrome-error"}
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 320, "height": 640}


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.browser)


# --- the app, served for real ---------------------------------------------------------------------


class LiveServer:
    """``fieldkit --data DIR serve --port P`` running in its own process."""

    def __init__(self, data_dir: Path):
        self.data_dir = Path(data_dir)
        self.process: subprocess.Popen | None = None
        self.port = 0

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str = "/") -> str:
        """The full address of a path on this server."""
        return self.base + path

    def start(self, attempts: int = 3) -> LiveServer:
        """Start the server and wait until it answers; retry if the free port was taken meanwhile."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("FIELDKIT_")}
        env["PYTHONUNBUFFERED"] = "1"
        program = [sys.executable, "-c", "import sys; from fieldkit.cli import main; sys.exit(main())"]
        # Output goes to a file, not a pipe: nobody reads a pipe while tests run, and a full one
        # would block the server mid-test.
        self.log_path = self.data_dir.parent / f"{self.data_dir.name}-serve.log"
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        for _attempt in range(attempts):
            self.port = free_port()
            with open(self.log_path, "ab") as log:
                self.process = subprocess.Popen(
                    [*program, "--data", str(self.data_dir), "serve", "--port", str(self.port)],
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    env=env,
                )
            if self._wait_until_up(timeout=30):
                return self
        raise RuntimeError(f"fieldkit serve did not start:\n{self.log()}")

    def log(self) -> str:
        """What the server printed so far."""
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""

    def _wait_until_up(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            try:
                with urllib.request.urlopen(self.url("/"), timeout=2) as response:  # noqa: S310
                    if response.status == 200:
                        return True
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.05)
        self.stop()
        return False

    def stop(self) -> None:
        """Stop the server process (and only it)."""
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


@pytest.fixture(scope="session")
def start_live_server():
    """Start ``fieldkit serve`` on a data folder; every server started is stopped at session end."""
    started: list[LiveServer] = []

    def start(data_dir: Path) -> LiveServer:
        server = LiveServer(data_dir).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="module")
def live_server(start_live_server, tmp_path_factory):
    """The real app on 127.0.0.1 with a fresh data folder, shared by the tests of one module."""
    server = start_live_server(tmp_path_factory.mktemp("live-data"))
    yield server
    server.stop()


# --- the browser ----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser():
    """One headless Debian Chromium for the whole session."""
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}; scripts/test installs Debian's chromium.")
    from playwright.sync_api import expect, sync_playwright

    # The machine is shared and small: give assertions the same patience as actions.
    expect.set_options(timeout=10_000)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


def _is_local(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in LOCAL_SCHEMES or parts.hostname in LOCAL_HOSTS


class Guard:
    """What a page did that it must not: requests off this machine, CSP violations."""

    CSP_WORDS = ("Content Security Policy", "Content-Security-Policy")
    # Recorded by the page itself, before any of its own scripts run (init scripts are not subject to CSP).
    LISTEN = """
      window.__cspViolations = [];
      document.addEventListener("securitypolicyviolation", function (e) {
        window.__cspViolations.push(e.violatedDirective + " blocked " + (e.blockedURI || "inline"));
      });
    """

    def __init__(self):
        self.requested: list[str] = []
        self.offsite: list[str] = []
        self.csp: list[str] = []
        self.page_errors: list[str] = []

    def watch(self, context) -> None:
        context.add_init_script(self.LISTEN)
        context.on("request", lambda request: self.requested.append(request.url))
        context.route(lambda url: not _is_local(url), self._block)
        context.on("page", self.watch_page)

    def watch_page(self, page) -> None:
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.page_errors.append(str(error)))

    def _block(self, route) -> None:
        self.offsite.append(route.request.url)
        route.abort("blockedbyclient")

    def _console(self, message) -> None:
        if any(word in message.text for word in self.CSP_WORDS):
            self.csp.append(message.text)

    def collect(self, page) -> None:
        """Read the violations the page recorded itself."""
        try:
            self.csp.extend(page.evaluate("window.__cspViolations || []"))
        except Exception:  # noqa: BLE001 - a closed or navigating page has nothing more to tell
            return

    def problems(self) -> list[str]:
        found = [f"request left 127.0.0.1: {url}" for url in self.offsite]
        found += [f"CSP violation: {text}" for text in dict.fromkeys(self.csp)]
        found += [f"script error: {text}" for text in self.page_errors]
        return found


@pytest.fixture
def open_page(browser):
    """Open a guarded page in its own browser context: ``open_page(viewport=..., java_script_enabled=False)``.

    The test fails if any page it opened requested anything off 127.0.0.1, violated the CSP or
    raised a script error. Each page has ``page.guard`` (its :class:`Guard`).
    """
    opened = []

    def open_(**options):
        options.setdefault("viewport", DESKTOP)
        options.setdefault("locale", "en-GB")
        options.setdefault("service_workers", "block")
        context = browser.new_context(**options)
        context.set_default_timeout(10_000)
        guard = Guard()
        guard.watch(context)
        page = context.new_page()
        page.guard = guard
        opened.append((context, page, guard))
        return page

    yield open_
    problems = []
    for context, page, guard in opened:
        if not page.is_closed():
            guard.collect(page)
        problems += guard.problems()
        context.close()
    assert not problems, "\n".join(problems)


@pytest.fixture
def page(open_page):
    """A guarded desktop-sized page (1280 x 800)."""
    return open_page()


# --- accessibility --------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def axe_source() -> str:
    return AXE_JS.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def axe(axe_source):
    """``axe(page)`` runs axe-core on the page as it is now and returns the violations (list of dicts).

    axe is evaluated through the DevTools protocol, which the page's strict CSP does not block,
    so the page under test keeps its real CSP. It is never served by the app.
    """

    def run(page, options: dict | None = None) -> list[dict]:
        if not page.evaluate("typeof window.axe === 'object'"):
            page.evaluate(axe_source + "\n;void 0")
        options = options or {"resultTypes": ["violations"]}
        result = page.evaluate("options => window.axe.run(document, options)", options)
        return result["violations"]

    return run
