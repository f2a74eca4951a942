"""Central's accounts: roles from the migration, the admin's accounts page, limited sign-in, sessions
that really end, one safe ``next``, the audit log, and meeting drafts kept in their country."""

from __future__ import annotations

import re
import sqlite3
import threading

import pytest
from click.testing import CliRunner

from fieldkit.central import accounts, sessions
from fieldkit.cli import main
from fieldkit.db import connect
from fieldkit.migrations import MIGRATIONS
from fieldkit.security import safe_next

from ..conftest import issue_form
from .test_pages import token

PASSWORD = "long password"


class Browser:
    """A test client that signs in and sends forms with their CSRF token, like a browser."""

    def __init__(self, app):
        self.web = app.test_client()

    def csrf(self, path="/central/login") -> str:
        return token(self.web.get(path))

    def sign_in(self, username, password=PASSWORD, **kwargs):
        form = {"csrf_token": self.csrf(), "username": username, "password": password}
        return self.web.post("/central/login", data=form, **kwargs)

    def submit(self, path, data=None, **kwargs):
        form = {"csrf_token": self.csrf(), **(data or {})}
        return self.web.post(path, data=form, **kwargs)


def account(hub, username, role, country):
    accounts.add_user(hub, username, PASSWORD, country=country, role=role)


def signed_in(central_app, hub, username="amina", role="member", country="KE"):
    account(hub, username, role, country)
    browser = Browser(central_app)
    assert browser.sign_in(username).status_code == 303
    return browser


# --- roles from the migration ------------------------------------------------------------------------


def test_existing_star_accounts_become_admins_and_country_accounts_members(tmp_path):
    conn = connect(tmp_path / "old.db")
    conn.execute("CREATE TABLE _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
    for function in MIGRATIONS:
        if function.__name__ == "m10_central_roles":
            break
        function(conn)
    conn.execute("INSERT INTO central_users VALUES ('boss', 'x', '*', '2026-01-01T00:00:00Z')")
    conn.execute("INSERT INTO central_users VALUES ('amina', 'x', 'KE', '2026-01-01T00:00:00Z')")
    next(f for f in MIGRATIONS if f.__name__ == "m10_central_roles")(conn)
    roles = dict(conn.execute("SELECT username, role FROM central_users").fetchall())
    assert roles == {"boss": "admin", "amina": "member"}
    conn.close()


# --- the accounts page ----------------------------------------------------------------------------------


def test_an_admin_adds_disables_enables_and_resets_accounts_from_the_page(central_app, hub):
    admin = signed_in(central_app, hub, "ada", "admin", "*")
    added = admin.submit(
        "/central/users", {"username": "victor", "password": PASSWORD, "role": "viewer", "country": "GH"}
    )
    assert added.status_code == 303
    assert accounts.get(hub, "victor")["role"] == "viewer"
    again = admin.submit(
        "/central/users", {"username": "victor", "password": PASSWORD, "role": "viewer", "country": "GH"}
    )
    assert again.status_code == 422 and "exists already" in again.get_data(as_text=True)
    victor = Browser(central_app)
    assert victor.sign_in("victor").status_code == 303
    assert admin.submit("/central/users/victor/disable").status_code == 303
    assert victor.web.get("/issues/").headers["Location"].startswith("/central/login")
    assert victor.sign_in("victor").status_code == 403
    assert admin.submit("/central/users/victor/enable").status_code == 303
    assert admin.submit("/central/users/victor/reset", {"password": "a new password"}).status_code == 303
    assert victor.sign_in("victor").status_code == 422
    assert victor.sign_in("victor", "a new password").status_code == 303


def test_the_accounts_page_refuses_bad_names_roles_countries_and_short_passwords(central_app, hub):
    admin = signed_in(central_app, hub, "ada", "admin", "*")
    cases = [
        ({"username": "<script>", "role": "member", "country": "KE"}, "account name"),
        ({"username": "kim", "role": "owner", "country": "KE"}, "admin, member, viewer or translator"),
        ({"username": "kim", "role": "member", "country": "<script>"}, "programme&#39;s countries"),
        ({"username": "kim", "role": "admin", "country": "KE"}, "An admin manages every country"),
    ]
    for form, message in cases:
        answer = admin.submit("/central/users", {"password": PASSWORD, **form})
        assert answer.status_code == 422 and message in answer.get_data(as_text=True), form
    short = admin.submit(
        "/central/users", {"username": "kim", "password": "short", "role": "member", "country": "KE"}
    )
    assert short.status_code == 422 and "at least 8 characters" in short.get_data(as_text=True)
    assert not accounts.exists(hub, "kim")
    own = admin.submit("/central/users/ada/disable")
    assert own.status_code == 422 and "your own account" in own.get_data(as_text=True)


def test_add_user_on_the_command_line_takes_a_role_and_refuses_a_country_that_is_markup(tmp_path):
    data = str(tmp_path / "central")
    run = CliRunner().invoke
    env = {"FIELDKIT_USER_PASSWORD": PASSWORD}
    done = run(
        main,
        ["--data", data, "central", "add-user", "victor", "--role", "viewer", "--country", "ke"],
        env=env,
    )
    assert done.exit_code == 0, done.output
    bad = run(main, ["--data", data, "central", "add-user", "eve", "--country", "<script>"], env=env)
    assert bad.exit_code == 1 and "programme's countries" in bad.output
    admin_of_one = run(
        main, ["--data", data, "central", "add-user", "eve", "--role", "admin", "--country", "KE"], env=env
    )
    assert admin_of_one.exit_code == 1 and "every country" in admin_of_one.output
    conn = connect(tmp_path / "central" / "fieldkit.db")
    assert (
        accounts.get(conn, "victor")["role"] == "viewer" and accounts.get(conn, "victor")["country"] == "KE"
    )
    assert not accounts.exists(conn, "eve")
    conn.close()


# --- limited sign-in ---------------------------------------------------------------------------------


def test_wrong_passwords_lock_the_account_with_a_growing_wait_even_for_the_right_one(central_app, hub):
    account(hub, "amina", "member", "KE")
    browser = Browser(central_app)
    for _attempt in range(accounts.FREE_PER_ACCOUNT + 1):
        assert browser.sign_in("amina", "wrong guess").status_code == 422
    locked = browser.sign_in("amina")
    assert locked.status_code == 429 and int(locked.headers["Retry-After"]) >= 1
    assert "Wait 1 second" in locked.get_data(as_text=True)
    # Someone else from the same address may still sign in to their own account.
    account(hub, "kwame", "member", "GH")
    assert Browser(central_app).sign_in("kwame").status_code == 303


def test_the_wait_doubles_with_each_failure_and_is_forgotten_after_a_quiet_while(hub):
    limits = [("user:amina", 5)]
    now = 1000.0
    waits = []
    for _attempt in range(10):
        wait = accounts.claim_attempt(hub, limits, now)
        while wait:
            now += wait
            wait = accounts.claim_attempt(hub, limits, now)
        waits.append(
            accounts.wait_after(hub.execute("SELECT failures FROM central_login_limits").fetchone()[0], 5)
        )
    assert waits == [0, 0, 0, 0, 0, 1, 2, 4, 8, 16]
    assert accounts.claim_attempt(hub, limits, now + 16 + accounts.FAILURE_WINDOW) == 0
    assert hub.execute("SELECT failures FROM central_login_limits").fetchone()[0] == 1


def test_many_addresses_cannot_share_out_guesses_at_one_account_and_one_address_cannot_spray_accounts(hub):
    for n in range(accounts.FREE_PER_ACCOUNT + 1):
        assert accounts.claim_attempt(hub, [("user:amina", 5), (f"addr:10.0.0.{n}", 20)], 50.0) == 0
    assert accounts.claim_attempt(hub, [("user:amina", 5), ("addr:10.0.0.99", 20)], 50.0) > 0
    for n in range(accounts.FREE_PER_ADDRESS + 1):
        assert accounts.claim_attempt(hub, [(f"user:name{n}", 5), ("addr:10.9.9.9", 20)], 50.0) == 0
    assert accounts.claim_attempt(hub, [("user:someone-else", 5), ("addr:10.9.9.9", 20)], 50.0) > 0


def test_server_threads_agree_on_the_limit_because_it_lives_in_sqlite(central_app):
    counted = []
    barrier = threading.Barrier(12)

    def guess():
        conn = connect(central_app.config["DATABASE"])
        barrier.wait()
        counted.append(accounts.claim_attempt(conn, [("user:amina", 5)], 500.0) == 0)
        conn.close()

    threads = [threading.Thread(target=guess) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Five free attempts, a sixth that starts the wait; the other six were turned away.
    assert counted.count(True) == accounts.FREE_PER_ACCOUNT + 1


def test_an_unknown_name_costs_a_password_hash_like_a_known_one(central_app, hub, monkeypatch):
    account(hub, "amina", "member", "KE")
    hashed = []
    real = accounts.check_password_hash
    monkeypatch.setattr(accounts, "check_password_hash", lambda h, p: hashed.append(h) or real(h, p))
    assert accounts.check_password(hub, "nobody", PASSWORD) is None
    assert accounts.check_password(hub, "amina", "wrong") is None
    assert len(hashed) == 2
    assert hashed[0].split("$")[0] == hashed[1].split("$")[0]  # the same method and cost


# --- sessions that end ------------------------------------------------------------------------------


def copy_of(browser, central_app):
    """Another client holding a copy of the browser's session cookie (a stolen or kept cookie)."""
    thief = central_app.test_client()
    cookie = browser.web.get_cookie("session")
    thief.set_cookie(cookie.key, cookie.value)
    return thief


def test_signing_out_ends_the_session_even_for_a_copy_of_the_cookie(central_app, hub):
    browser = signed_in(central_app, hub)
    thief = copy_of(browser, central_app)
    assert thief.get("/issues/").status_code == 200
    out = browser.web.post("/central/logout", data={"csrf_token": token(browser.web.get("/issues/"))})
    assert out.status_code == 303
    answer = thief.get("/issues/")
    assert answer.status_code == 302 and "ended=changed" in answer.headers["Location"]
    assert "You were signed out" in thief.get(answer.headers["Location"]).get_data(as_text=True)


def test_changing_the_password_ends_other_sessions_and_keeps_this_one(central_app, hub):
    browser = signed_in(central_app, hub)
    other = copy_of(browser, central_app)
    form = {
        "csrf_token": token(browser.web.get("/central/password")),
        "current": PASSWORD,
        "new": "another long one",
        "repeat": "another long one",
    }
    assert browser.web.post("/central/password", data=form).status_code == 303
    assert browser.web.get("/issues/").status_code == 200
    assert other.get("/issues/").status_code == 302
    fresh = token(browser.web.get("/central/password"))  # a new session: a new form token
    wrong = browser.web.post("/central/password", data={**form, "csrf_token": fresh, "current": "nope"})
    assert wrong.status_code == 422 and "not your current password" in wrong.get_data(as_text=True)


def test_a_session_idle_longer_than_the_limit_ends(central_app, hub):
    browser = signed_in(central_app, hub)
    with browser.web.session_transaction() as session:
        session["central_seen"] -= central_app.config["SESSION_IDLE_MINUTES"] * 60 + 1
    answer = browser.web.get("/issues/")
    assert answer.status_code == 302 and "ended=idle" in answer.headers["Location"]
    assert browser.web.get("/issues/").status_code == 302  # the session is gone, not just refused once


def test_an_active_session_records_when_it_was_last_seen(central_app, hub):
    browser = signed_in(central_app, hub)
    with browser.web.session_transaction() as session:
        session["central_seen"] -= sessions.TOUCH_EVERY + 1
    browser.web.get("/issues/")
    assert accounts.get(hub, "amina")["last_seen_at"]


# --- one safe next ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example",
        "/\t/evil.example",
        "/%09/evil.example",
        "/\\evil.example",
        "/%5Cevil.example",
        "/%2F/evil.example",
        "https://evil.example/",
        "javascript:alert(1)",
        "/issues\r\nSet-Cookie: x=1",
        "/issues%0d%0aSet-Cookie:%20x=1",
        "/\x00",
        "issues/",
        "",
        None,
        "/" + "a" * 5000,
    ],
)
def test_safe_next_refuses_every_way_off_this_site(target):
    assert safe_next(target) == "/"


def test_safe_next_keeps_a_path_with_its_query():
    assert safe_next("/issues/?q=water%20pump&page=2") == "/issues/?q=water%20pump&page=2"


@pytest.mark.parametrize(
    "target", ["/%09/evil.example", "/\t/evil.example", "/x\r\nSet-Cookie: a=b", "//evil.example"]
)
def test_signing_in_with_a_hostile_next_stays_here_and_never_fails(central_app, hub, target):
    account(hub, "amina", "member", "KE")
    answer = Browser(central_app).sign_in("amina", query_string={"next": target})
    assert answer.status_code == 303
    assert answer.headers["Location"] == "/central/"


# --- the audit log -------------------------------------------------------------------------------------


def test_the_audit_log_shows_who_did_what_when_to_which_record(central_app, hub):
    member = signed_in(central_app, hub)
    created = member.web.post(
        "/issues/new", data={**issue_form(), "csrf_token": token(member.web.get("/issues/new"))}
    )
    issue_id = created.headers["Location"].rsplit("/", 1)[1]
    code = member.submit("/central/codes", {"org": "kolwa-youth", "country": "KE", "hours": "24"})
    assert code.status_code == 200
    admin = signed_in(central_app, hub, "ada", "admin", "*")
    admin.submit(
        "/central/users", {"username": "victor", "password": PASSWORD, "role": "viewer", "country": "KE"}
    )
    page = admin.web.get("/central/audit").get_data(as_text=True)
    assert re.search(rf"amina \(member\).*Recorded an issue.*{issue_id}", page, re.S)
    assert "Code for kolwa-youth in Kenya, valid for 24 hours" in page
    assert re.search(r"ada \(admin\).*Added an account.*victor.*viewer, Kenya", page, re.S)
    rows = hub.execute("SELECT actor, action, record, at FROM central_audit ORDER BY id").fetchall()
    assert ("amina", "issues.new", issue_id) in [tuple(r[:3]) for r in rows]
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", r[3]) for r in rows)


def test_a_refused_or_failed_form_writes_no_audit_row(central_app, hub):
    viewer = signed_in(central_app, hub, "victor", "viewer", "KE")
    viewer.web.post("/issues/new", data={**issue_form(), "csrf_token": token(viewer.web.get("/issues/"))})
    member = signed_in(central_app, hub)
    member.web.post("/issues/new", data={"csrf_token": token(member.web.get("/issues/")), "title": ""})
    actions = [r[0] for r in hub.execute("SELECT action FROM central_audit").fetchall()]
    assert "issues.new" not in actions


# --- meeting drafts in their country -------------------------------------------------------------------


def test_a_kenya_account_cannot_read_overwrite_or_delete_a_ghana_draft_by_its_key(central_app, hub):
    ghana = signed_in(central_app, hub, "kwame", "member", "GH")
    key = "new:0190a0b0-0000-7000-8000-000000000001"
    saved = ghana.web.post(
        "/meetings/drafts",
        data={
            "csrf_token": token(ghana.web.get("/meetings/new")),
            "draft_key": key,
            "title": "Tamale budget hearing",
            "country": "GH",
        },
    )
    assert saved.status_code == 200
    kenya = signed_in(central_app, hub, "amina", "member", "KE")
    csrf = token(kenya.web.get("/meetings/new"))
    page = kenya.web.get("/meetings/new", query_string={"draft": key}).get_data(as_text=True)
    assert "Tamale budget hearing" not in page
    assert "Tamale" not in kenya.web.get("/meetings/").get_data(as_text=True)
    kenya.web.post(
        "/meetings/drafts",
        data={"csrf_token": csrf, "draft_key": key, "title": "Overwritten", "country": "KE"},
    )
    kenya.web.post("/meetings/drafts/discard", data={"csrf_token": csrf, "draft_key": key})
    row = hub.execute(
        "SELECT json_extract(data, '$.title'), country FROM meeting_drafts WHERE key = ?", (key,)
    ).fetchone()
    assert tuple(row) == ("Tamale budget hearing", "GH")
    assert "Tamale budget hearing" in ghana.web.get("/meetings/new", query_string={"draft": key}).get_data(
        as_text=True
    )


def test_the_central_database_keeps_no_session_secret_or_password_in_clear(central_app, hub):
    signed_in(central_app, hub)
    dump = "\n".join(sqlite3.connect(central_app.config["DATABASE"]).iterdump())
    assert PASSWORD not in dump
