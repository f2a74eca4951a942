"""What changed and why, and the evidence packs, in a real browser against ``fieldkit central serve``:
axe on a desktop and a 320 px screen, a finding marked with JavaScript off, and the issue's and
meeting's evidence packs printed to PDF by Chromium and read back, in English and in French."""

from __future__ import annotations

import io
import re
import subprocess
import sys
import unicodedata

import pytest

from fieldkit import create_app
from fieldkit.central import accounts
from fieldkit.db import connect
from fieldkit.server import free_port
from tests.export_data import INTERNAL, PRIVATE, REPORTER, seed
from tests.sync.test_learning import learned

from .conftest import PHONE, LiveServer
from .helpers import describe, no_horizontal_scroll, serious

pypdf = pytest.importorskip("pypdf")


class CentralServer(LiveServer):
    """``fieldkit --data DIR central serve --port P`` in its own process."""

    def start(self, attempts: int = 3) -> CentralServer:
        program = [sys.executable, "-c", "import sys; from fieldkit.cli import main; sys.exit(main())"]
        self.log_path = self.data_dir.parent / f"{self.data_dir.name}-serve.log"
        for _attempt in range(attempts):
            self.port = free_port()
            with open(self.log_path, "ab") as log:
                self.process = subprocess.Popen(
                    [*program, "--data", str(self.data_dir), "central", "serve", "--port", str(self.port)],
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                )
            if self._wait_until_up(timeout=30):
                return self
        raise RuntimeError(f"fieldkit central serve did not start:\n{self.log()}")


@pytest.fixture(scope="module")
def central(tmp_path_factory):
    data = tmp_path_factory.mktemp("central") / "data"
    app = create_app({"DATA_DIR": data, "ROLE": "central"})
    conn = connect(app.config["DATABASE"])
    ids = {c: learned(conn, c, seed(conn, c)) for c in ("KE", "GH")}
    accounts.add_user(conn, "amina", "long enough 1", country="KE", role="member")
    conn.close()
    server = CentralServer(data).start()
    yield server, ids
    server.stop()


def sign_in(page, server) -> None:
    page.goto(server.url("/central/login"))
    page.locator("input[name=username]").fill("amina")
    page.locator("input[name=password]").fill("long enough 1")
    with page.expect_navigation():
        page.locator("main button[type=submit]").click()


def printed(page) -> str:
    pdf = page.pdf(format="A4", print_background=False)
    text = " ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf)).pages)
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text))


@pytest.mark.parametrize(("viewport", "locale"), [(None, "en-GB"), (PHONE, "en-GB"), (PHONE, "fr-SN")])
@pytest.mark.parametrize(
    "path", ["/central/learning/", "/issues/{issue}/evidence", "/meetings/{meeting}/evidence"]
)
def test_learning_and_evidence_pages_pass_axe_and_fit_320px(open_page, axe, central, viewport, locale, path):
    server, ids = central
    page = open_page(locale=locale, **({"viewport": viewport} if viewport else {}))
    sign_in(page, server)
    page.goto(server.url(path.format(**ids["KE"])))
    page.locator("details").evaluate_all("all => all.forEach(d => d.open = true)")
    found = serious(axe(page))
    assert not found, describe(found)
    if viewport:
        fits, why = no_horizontal_scroll(page, viewport["width"])
        assert fits, why


def test_a_finding_is_marked_with_javascript_off(open_page, central):
    server, _ids = central
    page = open_page(java_script_enabled=False)
    sign_in(page, server)
    page.goto(server.url("/central/learning/?q=audience"))
    entry = page.locator(".learning-entry.change-reflected", has_text="Session de réflexion KE")
    entry.locator("summary", has_text="Mark as a finding").click()
    entry.get_by_label("Note for the learning report (optional)").fill("Hearing before the repair")
    with page.expect_navigation():
        entry.get_by_role("button", name="Mark as a finding").click()
    assert "q=audience" in page.url
    entry = page.locator(".learning-entry.change-reflected", has_text="Session de réflexion KE")
    assert "Finding for the learning report" in entry.inner_text()
    page.goto(server.url("/central/learning/findings"))
    assert "Hearing before the repair" in page.locator("main").inner_text()


@pytest.mark.parametrize(
    ("locale", "labels"),
    [
        ("en-GB", ("Timeline", "Commitment:", "Government response")),
        ("fr-SN", ("Chronologie", "Engagement", "Réponse des autorités")),
    ],
)
def test_the_issue_evidence_pack_prints_to_a_clean_pdf(open_page, central, locale, labels):
    server, ids = central
    page = open_page(locale=locale)
    sign_in(page, server)
    page.goto(server.url(f"/issues/{ids['KE']['issue']}/evidence"))
    assert page.locator("html").get_attribute("lang") == locale[:2]
    text = printed(page)
    for expected in ('=HYPERLINK("x") borehole KE', "We will repair it", "Repair by April", *labels):
        assert expected in text, f"{expected!r} missing from the printed pack: {text[:1500]}"
    for never in (REPORTER, PRIVATE, INTERNAL, "Sign out", "Print or save as PDF"):
        assert never not in text, never


def test_the_meeting_evidence_pack_prints_decisions_actions_and_issues(open_page, central):
    server, ids = central
    page = open_page(locale="fr-SN")
    sign_in(page, server)
    page.goto(server.url(f"/meetings/{ids['KE']['meeting']}/evidence"))
    text = printed(page)
    for expected in (
        "Budget hearing KE",
        "Décisions",
        "Follow up in April",
        "Write to the water board",
        "borehole KE",
    ):
        assert expected in text, f"{expected!r} missing from the printed pack: {text[:1500]}"
    assert INTERNAL not in text


def test_a_ghana_evidence_pack_is_not_found_for_a_kenya_account(open_page, central):
    server, ids = central
    page = open_page()
    sign_in(page, server)
    answer = page.goto(server.url(f"/issues/{ids['GH']['issue']}/evidence"))
    assert answer.status == 404
