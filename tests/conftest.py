"""Shared fixtures: an app on a fresh data folder, its test client, CLI runner and database."""

from __future__ import annotations

import os
import re

import pytest
from click.testing import CliRunner

from fieldkit import create_app
from fieldkit.db import connect

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')

# Tests assert English command-line output (in process and in ``fieldkit`` subprocesses),
# whatever this machine's locale is; tests/test_cli_i18n.py chooses other languages itself.
os.environ["FIELDKIT_LANGUAGE"] = "en"


@pytest.fixture
def data_dir(tmp_path):
    return tmp_path / "data"


@pytest.fixture
def app(data_dir):
    return create_app({"DATA_DIR": data_dir, "TESTING": True, "COUNTRY": "KE"})


@pytest.fixture
def client(app):
    return FormClient(app.test_client())


@pytest.fixture
def db(app):
    conn = connect(app.config["DATABASE"])
    conn.row_factory = __import__("sqlite3").Row
    yield conn
    conn.close()


@pytest.fixture
def runner(data_dir):
    def invoke(*args, **kwargs):
        from fieldkit.cli import main

        return CliRunner().invoke(main, ["--data", str(data_dir), *args], catch_exceptions=False, **kwargs)

    return invoke


class FormClient:
    """The Flask test client, plus ``submit`` that posts a form the way a browser would:
    with the page's CSRF token (CSRF stays on in tests)."""

    def __init__(self, client):
        self._client = client
        self._token = None

    def __getattr__(self, name):
        return getattr(self._client, name)

    def csrf_token(self) -> str:
        if self._token is None:
            page = self._client.get("/").get_data(as_text=True)
            self._token = CSRF.search(page).group(1)
        return self._token

    def submit(self, url, data=None, **kwargs):
        data = dict(data or {})
        data.setdefault("csrf_token", self.csrf_token())
        return self._client.post(url, data=data, **kwargs)


def issue_form(**overrides) -> dict:
    """A valid new-issue form; override any field."""
    form = {
        "title": "Borehole broken since March",
        "sector": "water",
        "description": "The hand pump no longer works.",
        "language": "en",
        "observed_on": "2026-03-01",
        "severity": "3",
        "country": "KE",
        "district": "Kisumu East",
        "community": "Kolwa",
        "people_affected": "250",
        "anonymous": "1",
    }
    form.update(overrides)
    return form


def create_issue(client, **overrides) -> str:
    """Record an issue through the real form; returns its id."""
    response = client.submit("/issues/new", issue_form(**overrides))
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    return response.headers["Location"].rsplit("/", 1)[1]
