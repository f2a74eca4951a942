"""No input ever yields a 500: the reported cases one by one, then a Hypothesis pass over every
GET and POST route of the device app and of the central app, with every query and form parameter
the code reads, filled with existing ids and junk (NUL, lone surrogates, huge numbers, ...)."""

from __future__ import annotations

import inspect
import re
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fieldkit
from fieldkit import create_app
from fieldkit.central import accounts
from fieldkit.central import queries as central_queries
from fieldkit.db import connect
from sync import protocol
from tests.conftest import create_issue, issue_form
from tests.test_meetings import action_form, create_meeting

SOURCE = Path(fieldkit.__file__).parent
#: Every parameter name the code reads from a query string or form, or a template names in a form.
PARAMETERS = sorted(
    {
        *re.findall(
            r"request\.(?:args|form|values)\.get(?:list)?\(\s*[\"'](\w+)[\"']",
            "\n".join(p.read_text(encoding="utf-8") for p in SOURCE.rglob("*.py")),
        ),
        *re.findall(
            r"\bname=\"(\w+)\"",
            "\n".join(p.read_text(encoding="utf-8") for p in (SOURCE / "templates").rglob("*.html")),
        ),
    }
    - {"csrf_token"}
)
NASTY = [
    "",
    "\x00",
    "a\x00b",
    "\ud800",
    "\udfff x",
    "-1",
    "0",
    "10" + "0" * 30,
    "9" * 40,
    "-" + "9" * 40,
    "1e309",
    "NaN",
    "١٢",
    "²",
    "../../etc/passwd",
    "//evil.example",
    "/%09/evil.example",
    "\r\nSet-Cookie: x=1",
    '"',
    "*",
    "NEAR(",
    "a OR",
    "'; DROP TABLE issues; --",
    "<script>alert(1)</script>",
    "x" * 5000,
]


def encode(value: str) -> str:
    """Percent-encode text as a client would send it; a lone surrogate goes as its raw UTF-8 bytes."""
    return quote(value.encode("utf-8", "surrogatepass"), safe="")


def values(ids: list[str]):
    return st.one_of(
        st.sampled_from(NASTY),
        st.sampled_from(NASTY),
        st.sampled_from(ids or [""]),
        st.text(max_size=40),
        st.integers().map(str),
    )


READS = re.compile(r"request\.(?:args|form|values)\.get(?:list)?\(\s*[\"'](\w+)[\"']|[\"'](\w+)[\"']")


def parameters_of(app, rule) -> list[str]:
    """Names the route's view reads (and any quoted word in it that is also a parameter name)."""
    view = app.view_functions[rule.endpoint]
    try:
        source = inspect.getsource(inspect.unwrap(view))
    except (OSError, TypeError):
        return []
    found = {a or b for a, b in READS.findall(source)}
    return sorted(found & set(PARAMETERS))


#: Routes left out: they write a backup into whatever server folder the form names, so junk
#: like "//evil.example" would write outside the test's folder. Their folder check has its own tests.
NOT_FUZZED = {"/settings/backup", "/settings/backup-folder"}
#: A central server that is never reached: sync and enrolment get "unavailable", no network.
OFFLINE = httpx.MockTransport(lambda request: httpx.Response(503, json={"title": "down"}))


def make_app(tmp_path, **config):
    return create_app(
        {"TESTING": True, "WTF_CSRF_ENABLED": False, "SYNC_TRANSPORT": OFFLINE, "COUNTRY": "KE", **config}
    )


@pytest.fixture
def device_app(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return make_app(tmp_path, DATA_DIR=tmp_path / "device")


@pytest.fixture
def central_app(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return make_app(tmp_path, DATA_DIR=tmp_path / "central", ROLE="central")


class Plain:
    """The test client posting forms without a CSRF token (the check is off in these apps)."""

    def __init__(self, client):
        self.client = client

    def submit(self, url, data=None, **kwargs):
        return self.client.post(url, data=data or {}, **kwargs)


def seed(app, client) -> list[str]:
    """Records to aim at: an issue, a meeting, an action item; their ids."""
    plain = Plain(client)
    issue = create_issue(plain)
    meeting = create_meeting(plain)
    client.post(f"/meetings/{meeting}/actions", data=action_form(issue_id=issue))
    conn = connect(app.config["DATABASE"])
    ids = [issue, meeting]
    ids += [
        r[0] for r in conn.execute("SELECT id FROM meeting_actions UNION ALL SELECT id FROM issue_events")
    ]
    conn.close()
    return ids


ADMIN_ADDRESS = {"REMOTE_ADDR": "10.0.0.9"}  # not the fuzz's address, whose sign-in budget it spends


def sign_in(client) -> None:
    form = {"username": "admin", "password": "a long password"}
    signed_in = client.post("/central/login", data=form, environ_base=ADMIN_ADDRESS)
    assert signed_in.status_code == 303


def sign_in_central(app, client) -> str:
    """An admin session and a device token at central; returns the token."""
    conn = connect(app.config["DATABASE"])
    accounts.add_user(conn, "admin", "a long password", country="*")
    token = ""
    for device in ("0190otherdevice", "0190fuzzdevice"):  # the fuzz may revoke the first, not the second
        code = central_queries.create_code(conn, "kolwa-youth", "KE")
        token = central_queries.redeem_code(conn, code, device, "A" * 43, "test")["token"]
    conn.close()
    sign_in(client)
    return token


def routes(app):
    """(rule, method) for every GET and POST route but static files."""
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or rule.rule in NOT_FUZZED:
            continue
        for method in ("GET", "POST"):
            if method in rule.methods:
                found.append((rule, method))
    return sorted(found, key=lambda pair: (pair[0].rule, pair[1]))


def fill(rule, picks: list[str]) -> str:
    """The rule's URL with its variables taken in turn from ``picks`` (existing ids or junk)."""
    url = rule.rule
    for number, name in enumerate(rule.arguments):
        url = re.sub(rf"<(?:[^:<>]+:)?{name}>", encode(picks[number % len(picks)]), url)
    return url


@st.composite
def payloads(draw, ids):
    """Values for every parameter a route reads, a few other parameters, a clock, URL variables."""
    url_value = st.one_of(st.sampled_from(ids), st.sampled_from(ids), values(ids)).filter(
        lambda v: v and "/" not in v
    )
    return {
        "values": draw(st.lists(values(ids), min_size=1, max_size=8)),
        "others": draw(st.lists(st.sampled_from(PARAMETERS), max_size=3)),
        "clock": draw(st.one_of(st.none(), values(ids))),
        "picks": draw(st.lists(url_value, min_size=1, max_size=3)),
    }


def requests_for(app, payload):
    """One request per GET/POST route, every parameter its view reads filled from the payload."""
    values_ = payload["values"]
    headers = {}
    if payload["clock"] is not None:  # a header cannot carry a line break; anything else goes
        headers[protocol.HEADER_CLOCK] = re.sub(r"[\r\n]", "", payload["clock"])
    for rule, method in routes(app):
        names = parameters_of(app, rule) + payload["others"]
        pairs = [(name, values_[number % len(values_)]) for number, name in enumerate(names)]
        encoded = "&".join(f"{encode(k)}={encode(v)}" for k, v in pairs)
        yield method, fill(rule, payload["picks"]), encoded, encoded, dict(headers)


def check(client, method, url, query, form, headers):
    headers = {k: v.encode("utf-8", "surrogatepass").decode("latin-1", "replace") for k, v in headers.items()}
    response = client.open(
        url,
        method=method,
        query_string=query,
        data=form if method == "POST" else None,
        content_type="application/x-www-form-urlencoded" if method == "POST" else None,
        headers=headers,
    )
    assert response.status_code < 500, (
        method,
        url,
        query,
        form,
        headers,
        response.get_data(as_text=True)[:500],
    )


#: Each example sends one request to every route: about 60 routes times 25 examples per app.
FUZZ = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)


@FUZZ
@given(data=st.data())
def test_no_route_of_the_device_app_answers_5xx(device_app, data):
    client = device_app.test_client()
    if not hasattr(device_app, "fuzz_ids"):
        device_app.fuzz_ids = seed(device_app, client)
    for request in requests_for(device_app, data.draw(payloads(device_app.fuzz_ids))):
        check(client, *request)


@FUZZ
@given(data=st.data())
def test_no_route_of_the_central_app_answers_5xx(central_app, data):
    if not hasattr(central_app, "fuzz_client"):
        central_app.fuzz_client = central_app.test_client()
        central_app.fuzz_token = sign_in_central(central_app, central_app.fuzz_client)
    client = central_app.fuzz_client
    if client.get("/central/").status_code != 200:  # an earlier example signed out: sign in again
        sign_in(client)
    payload = data.draw(payloads(["0190otherdevice", "KE", "ab" * 32]))
    for method, url, query, form, headers in requests_for(central_app, payload):
        if url.startswith("/api/"):
            headers["Authorization"] = f"Bearer {central_app.fuzz_token}"
        check(client, method, url, query, form, headers)


# --- the cases reported, one by one --------------------------------------------------------


@pytest.mark.parametrize("path", ["/issues/", "/meetings/", "/search", "/"])
def test_nul_and_lone_surrogates_in_a_search_box_are_no_500(device_app, path):
    client = device_app.test_client()
    seed(device_app, client)
    for query in ["q=%00", "q=a%00b", "q=%ED%A0%80", "q=%ff", "q=%22", "q=NEAR(", "q=a%20OR"]:
        assert client.get(f"{path}?{query}").status_code < 500, query


@pytest.mark.parametrize("page", ["10" + "0" * 30, "-5", "1e9", "٣", "²"])
def test_huge_or_odd_page_numbers_are_no_500(device_app, page):
    client = device_app.test_client()
    for path in ["/issues/", "/meetings/", "/sync/conflicts"]:
        assert client.get(path, query_string={"page": page}).status_code < 500


def test_sync_api_refuses_odd_numbers_and_clocks_as_json_problems(central_app):
    client = central_app.test_client()
    token = sign_in_central(central_app, client)
    auth = {"Authorization": f"Bearer {token}"}
    for after in [str(10**30), "-" + "9" * 40, "²", "1.5", "\x00"]:
        response = client.get("/api/v1/ops", query_string={"after": after}, headers=auth)
        assert response.status_code == 400, after
        assert response.mimetype == "application/problem+json"
        assert response.json["code"] == "protocol"
    for clock in ["9" * 40, "²", "-1", "0"]:
        response = client.get("/api/v1/ops", headers={**auth, protocol.HEADER_CLOCK: clock})
        assert response.status_code == 200, clock


def test_malformed_form_posts_are_no_500(device_app):
    client = device_app.test_client()
    ids = seed(device_app, client)
    bodies = [b"%", b"title=%ZZ", b"\xff\xfe", b"title=" + b"\x00" * 10, b"a=1&a=2&" * 1000]
    for body in bodies:
        for url in ["/issues/new", f"/issues/{ids[0]}/edit", "/meetings/new", f"/meetings/{ids[1]}/actions"]:
            response = client.post(url, data=body, content_type="application/x-www-form-urlencoded")
            assert response.status_code < 500, (url, body[:20])
        response = client.post(
            "/issues/new", data=b"--x\r\nbroken", content_type="multipart/form-data; boundary=x"
        )
        assert response.status_code < 500
    assert client.post("/issues/new", data=issue_form(title="\x00")).status_code == 422
