"""The role table (fieldkit/roles.py): every endpoint of every app role has a decision, and the one
hook keeps to it for every kind of caller — walked over the whole URL map with the test client."""

from __future__ import annotations

import re

import pytest
from markupsafe import escape

from fieldkit import create_app, hub, roles
from fieldkit.central import accounts
from fieldkit.central import queries as central_queries
from fieldkit.db import connect
from sync import keys

from .conftest import CSRF

PHONE_ADDRESS = {"REMOTE_ADDR": "192.168.8.20"}
HUB_URL = "http://192.168.8.1:8080"


def make_app(tmp_path, role: str, **config):
    config = {"DATA_DIR": tmp_path / role, "TESTING": True, "COUNTRY": "KE", **config}
    if role == roles.CENTRAL:
        config["ROLE"] = "central"
    app = create_app(config)
    if role == roles.HUB:
        hub.of(app).enabled = True
    return app


def apps(tmp_path, **config):
    return {role: make_app(tmp_path, role, **config) for role in roles.APP_ROLES}


def sample_url(rule) -> str:
    def value(match):
        name = match.group(2)
        if match.group(1) == "path:":
            return "app.css"
        return "a" * 64 if name == "sha256" else "x"

    return re.sub(r"<(\w+:)?(\w+)>", value, rule.rule)


@pytest.mark.parametrize("role", roles.APP_ROLES)
def test_every_endpoint_of_every_role_has_a_decision_in_the_table(tmp_path, role):
    app = make_app(tmp_path, role)
    undecided = [rule.endpoint for rule in app.url_map.iter_rules() if rule.endpoint not in roles.ROUTES]
    assert undecided == [], f"endpoints with no decision in fieldkit/roles.py: {undecided}"
    outside = [
        rule.endpoint for rule in app.url_map.iter_rules() if role not in roles.ROUTES[rule.endpoint].roles
    ]
    assert outside == [], f"mounted in the {role} role although the table says not: {outside}"
    mounted = {rule.endpoint for rule in app.url_map.iter_rules()}
    stale = [e for e, access in roles.ROUTES.items() if role in access.roles and e not in mounted]
    assert stale == [], f"the table opens endpoints this role does not have: {stale}"


def test_central_mounts_no_device_sync_no_settings_and_no_hub(tmp_path):
    app = make_app(tmp_path, roles.CENTRAL)
    rules = {rule.rule for rule in app.url_map.iter_rules()}
    assert not [r for r in rules if r.startswith(("/settings", "/hub", "/instance"))]
    assert "/sync/enroll" not in rules and "/sync/run" not in rules


# --- who is asking ---------------------------------------------------------------------------------


def _sign_in(app, username, role, country):
    conn = connect(app.config["DATABASE"])
    accounts.add_user(conn, username, "long password", country=country, role=role)
    conn.close()
    web = app.test_client()
    found = CSRF.search(web.get("/central/login").get_data(as_text=True))
    form = {"username": username, "password": "long password", "csrf_token": found.group(1) if found else ""}
    answer = web.post("/central/login", data=form)
    assert answer.status_code == 303, answer.get_data(as_text=True)
    return web


def _device_token(app) -> str:
    conn = connect(app.config["DATABASE"])
    code = central_queries.create_code(conn, "kolwa-youth", "KE")
    granted = central_queries.redeem_code(conn, code, "d" * 26, keys.public_key(keys.new_private_key()), "")
    conn.close()
    return granted["token"]


def callers(app, role):
    """(kind, client, extra request arguments) for every kind of caller this role has."""
    if role == roles.DEVICE:
        yield roles.OWNER, app.test_client(), {}
        return
    if role == roles.HUB:
        yield roles.OWNER, app.test_client(), {}
        stranger = app.test_client()
        yield roles.ANYONE, stranger, {"base_url": HUB_URL, "environ_base": PHONE_ADDRESS}
        phone = app.test_client()
        joined = phone.post(
            "/hub/join",
            data={"pin": hub.of(app).pin, "name": "Wanjiru"},
            base_url=HUB_URL,
            environ_base=PHONE_ADDRESS,
        )
        assert joined.status_code == 303
        yield roles.PHONE, phone, {"base_url": HUB_URL, "environ_base": PHONE_ADDRESS}
        return
    yield roles.ANYONE, app.test_client(), {}
    yield roles.ADMIN, _sign_in(app, "ada", "admin", "*"), {}
    yield roles.MEMBER, _sign_in(app, "amina", "member", "KE"), {}
    yield roles.VIEWER, _sign_in(app, "victor", "viewer", "KE"), {}
    yield roles.TOKEN, app.test_client(), {"headers": {"Authorization": f"Bearer {_device_token(app)}"}}


#: Forms about the account's own credentials, open to a viewer.
OWN_CREDENTIALS = ("accounts.password", "accounts.time_zone", "read_tokens.create", "read_tokens.revoke")

REFUSED_BY_TABLE = [form for text in roles.REFUSALS.values() for form in (str(text), str(escape(str(text))))]


def outcome(response) -> str:
    """What the table made of a request: refused, sent to sign in / join, or let through."""
    body = response.get_data(as_text=True)
    location = response.headers.get("Location", "")
    if response.status_code == 403 and any(text in body for text in REFUSED_BY_TABLE):
        return "refused"
    if response.status_code in (302, 303) and ("/central/login" in location or "/hub/join" in location):
        return "challenged"
    if response.status_code == 401:
        return "challenged"  # a device API call without a token; a phone's form after the PIN changed
    return "through"


@pytest.mark.parametrize("role", roles.APP_ROLES)
def test_every_caller_gets_the_tables_answer_on_every_endpoint_and_never_a_500(tmp_path, role):
    # CSRF is proven elsewhere; here every form must reach the table's hook.
    app = make_app(tmp_path, role, WTF_CSRF_ENABLED=False)
    # Signing out would end the walk; the window endpoint answers only to its own token.
    rules = [r for r in app.url_map.iter_rules() if r.endpoint not in ("instance.focus", "accounts.logout")]
    for kind, client, extra in callers(app, role):
        for rule in rules:
            method = "GET" if "GET" in rule.methods else "POST"
            url = sample_url(rule)
            if role == roles.HUB:
                hub.of(app).enabled = True  # the owner's walk switched it off through Settings
            response = client.open(url, method=method, **extra)
            response.get_data()
            response.close()  # static files stream from an open file
            assert response.status_code < 500, (kind, method, url, response.get_data(as_text=True)[:500])
            access = roles.ROUTES[rule.endpoint]
            effective = kind
            if kind == roles.TOKEN and rule.endpoint.split(".")[0] != "sync_api":
                effective = roles.ANYONE  # a device token opens no page
            if kind in roles.ACCOUNTS and rule.endpoint.startswith("sync_api."):
                effective = roles.ANYONE  # a session cookie opens no API call
            expected = (
                "through"
                if roles.allows(access, effective)
                else ("challenged" if effective == roles.ANYONE else "refused")
            )
            assert outcome(response) == expected, (kind, method, url, response.status_code)
            if kind == roles.VIEWER and method == "POST" and rule.endpoint not in OWN_CREDENTIALS:
                # A viewer's only forms are its own password, time zone and read tokens (and the language
                # picker, open to all): none changes a record.
                assert expected != "through" or roles.ANYONE in access.kinds, rule.endpoint


# --- the cases the issue names, with the test client -------------------------------------------------


def test_a_phone_can_record_and_read_but_never_sync_enrol_back_up_or_change_settings(tmp_path):
    app = make_app(tmp_path, roles.HUB, WTF_CSRF_ENABLED=False)
    (_, _, _), (_, _, _), (_, phone, extra) = list(callers(app, roles.HUB))
    assert phone.get("/issues/", **extra).status_code == 200
    assert phone.get("/issues/new", **extra).status_code == 200
    for path in ("/sync/enroll", "/sync/run", "/settings/backup", "/settings/backup-folder", "/settings/pin"):
        refused = phone.post(path, data={"url": "http://evil.example", "code": "X"}, **extra)
        assert refused.status_code == 403, path
        assert "only on the laptop itself" in refused.get_data(as_text=True)
    assert phone.get("/sync/", **extra).status_code == 403
    assert phone.get("/settings/", **extra).status_code == 403
    page = phone.get("/issues/", **extra).get_data(as_text=True)
    assert 'href="/sync/"' not in page and 'href="/settings/"' not in page


def test_a_country_member_cannot_reach_device_enrolment_or_sync_at_central(tmp_path):
    app = make_app(tmp_path, roles.CENTRAL, WTF_CSRF_ENABLED=False)
    member = _sign_in(app, "amina", "member", "KE")
    for path in ("/sync/enroll", "/sync/run", "/settings/backup", "/settings/"):
        answer = member.post(path, data={"url": "http://127.0.0.1:9/", "code": "ABCD"})
        assert answer.status_code == 404, path
    # Whatever the Host header or address says: central has no settings at all.
    assert member.get("/settings/", headers={"Host": "127.0.0.1"}).status_code == 404


def test_a_viewer_reads_but_cannot_write_anything(tmp_path):
    app = make_app(tmp_path, roles.CENTRAL, WTF_CSRF_ENABLED=False)
    viewer = _sign_in(app, "victor", "viewer", "KE")
    assert viewer.get("/issues/").status_code == 200
    refused = viewer.post("/issues/new", data={"title": "A pump", "country": "KE"})
    assert refused.status_code == 403
    assert "can read records but not change them" in refused.get_data(as_text=True)
    assert viewer.post("/central/codes", data={"org": "x", "country": "KE"}).status_code == 403
    assert viewer.post("/sync/conflicts/resolve", data={}).status_code == 403
    assert 'href="/issues/new"' not in viewer.get("/issues/").get_data(as_text=True)


def test_a_member_cannot_manage_accounts_or_read_the_audit_log(tmp_path):
    app = make_app(tmp_path, roles.CENTRAL, WTF_CSRF_ENABLED=False)
    member = _sign_in(app, "amina", "member", "KE")
    for path in ("/central/users", "/central/audit"):
        answer = member.get(path)
        assert answer.status_code == 403 and "Only a central admin" in answer.get_data(as_text=True)
    answer = member.post(
        "/central/users", data={"username": "mallory", "password": "x" * 12, "role": "admin"}
    )
    assert answer.status_code == 403


def test_a_session_cookie_opens_no_sync_api_call(tmp_path):
    app = make_app(tmp_path, roles.CENTRAL)
    admin = _sign_in(app, "ada", "admin", "*")
    answer = admin.get("/api/v1/ops")
    assert answer.status_code == 401
    assert answer.mimetype == "application/problem+json"


def test_refusals_of_the_api_are_json_problems(tmp_path):
    app = make_app(tmp_path, roles.CENTRAL)
    answer = app.test_client().get("/api/v1/state", headers={"Authorization": "Bearer nope"})
    assert answer.status_code == 401 and answer.get_json()["code"]
