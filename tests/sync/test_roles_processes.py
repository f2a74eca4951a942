"""The role table against a real ``fieldkit central serve`` process over HTTP: a country member
cannot reach a device's enrolment or sync, a viewer cannot write, sign-in is limited across the
server's threads, a copied cookie dies at sign-out, and a spent enrolment code stays spent."""

from __future__ import annotations

import math
import os
import re
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from fieldkit.db import connect
from sync import keys

from . import test_end_to_end
from .test_end_to_end import CLI, fieldkit

central_server = test_end_to_end.central_server

pytestmark = pytest.mark.slow

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


OPEN: list[httpx.Client] = []


@pytest.fixture(autouse=True)
def close_browsers():
    yield
    while OPEN:
        OPEN.pop().close()


def browser(url: str) -> httpx.Client:
    OPEN.append(httpx.Client(base_url=url, follow_redirects=False, timeout=30))
    return OPEN[-1]


def form_token(web: httpx.Client, path: str) -> str:
    return CSRF.search(web.get(path).text).group(1)


def sign_in(url: str, username: str, password: str) -> httpx.Client:
    web = browser(url)
    answer = web.post(
        "/central/login",
        data={"csrf_token": form_token(web, "/central/login"), "username": username, "password": password},
    )
    assert answer.status_code == 303, answer.text[-500:]
    return web


def add_user(data, username, role, country):
    done = subprocess.run(
        [*CLI, "--data", str(data), "central", "add-user", username, "--role", role, "--country", country],
        env={**os.environ, "FIELDKIT_USER_PASSWORD": "long password"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr


def test_a_member_and_a_viewer_at_a_running_central_get_only_their_roles(central_server):
    data, url = central_server
    add_user(data, "amina", "member", "KE")
    add_user(data, "victor", "viewer", "KE")
    member = sign_in(url, "amina", "long password")
    token = form_token(member, "/issues/")
    for path in ("/sync/enroll", "/sync/run", "/settings/backup"):
        answer = member.post(path, data={"csrf_token": token, "url": "http://127.0.0.1:9/", "code": "X"})
        assert answer.status_code == 404, path
    assert member.get("/settings/", headers={"Host": "localhost"}).status_code == 404
    assert member.get("/central/users").status_code == 403
    viewer = sign_in(url, "victor", "long password")
    refused = viewer.post(
        "/issues/new",
        data={
            "csrf_token": form_token(viewer, "/issues/"),
            "title": "Pump",
            "sector": "water",
            "country": "KE",
        },
    )
    assert refused.status_code == 403 and "can read records but not change them" in refused.text
    assert viewer.get("/issues/").status_code == 200


def test_guessing_a_password_in_parallel_at_a_running_central_is_held_to_the_limit(central_server):
    data, url = central_server
    add_user(data, "amina", "member", "KE")

    def guess(n):
        web = browser(url)
        answer = web.post(
            "/central/login",
            data={
                "csrf_token": form_token(web, "/central/login"),
                "username": "amina",
                "password": f"guess {n}",
            },
        )
        return answer.status_code

    started = time.monotonic()
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(guess, range(24)))
    elapsed = time.monotonic() - started
    # Five free wrong guesses and the one that starts the wait; then one more each time a wait
    # (1, 2, 4 … s) runs out while the others are still guessing. Every other guess waits.
    checked = answers.count(422)
    assert 6 <= checked <= 6 + math.ceil(math.log2(elapsed + 1)) + 1, (answers, elapsed)
    assert answers.count(429) == 24 - checked
    right = browser(url)
    locked = right.post(
        "/central/login",
        data={
            "csrf_token": form_token(right, "/central/login"),
            "username": "amina",
            "password": "long password",
        },
    )
    assert locked.status_code == 429 and int(locked.headers["Retry-After"]) >= 1


def test_a_copied_cookie_dies_when_its_owner_signs_out_of_a_running_central(central_server):
    _data, url = central_server
    owner = sign_in(url, "admin", "correct horse")
    thief = browser(url)
    thief.cookies.set("session", owner.cookies.get("session"))
    assert thief.get("/issues/").status_code == 200
    out = owner.post("/central/logout", data={"csrf_token": form_token(owner, "/issues/")})
    assert out.status_code == 303
    assert thief.get("/issues/").status_code == 302


def test_a_spent_code_replayed_to_a_running_central_issues_no_token(central_server):
    data, url = central_server
    code = fieldkit(data, "central", "enroll-code", "--org", "kolwa-youth", "--country", "KE").stdout.split()[
        0
    ]
    body = {"code": code, "device_id": "0" * 26, "public_key": keys.public_key(keys.new_private_key())}
    first = httpx.post(f"{url}/api/v1/enroll", json=body, timeout=30)
    assert first.status_code == 200 and first.json()["token"]
    again = httpx.post(f"{url}/api/v1/enroll", json=body, timeout=30)
    assert again.status_code == 403 and "token" not in again.json()
    conn = connect(data / "fieldkit.db")
    assert conn.execute("SELECT COUNT(*) FROM central_devices").fetchone()[0] == 1
    conn.close()
    state = httpx.get(f"{url}/api/v1/state", headers={"Authorization": f"Bearer {first.json()['token']}"})
    assert state.status_code == 200
