"""Fixtures for sync: a central app and devices that talk to it in-process over httpx.WSGITransport."""

from __future__ import annotations

import httpx
import pytest

from fieldkit import create_app
from fieldkit.central import queries as central_queries
from fieldkit.db import connect
from fieldkit.views.sync import open_client


class Device:
    """A field device: its own data folder and app, enrolled with the central app."""

    def __init__(self, path, central_app, name):
        self.app = create_app(
            {
                "DATA_DIR": path / name,
                "TESTING": True,
                "COUNTRY": "KE",
                "SYNC_TRANSPORT": httpx.WSGITransport(app=central_app),
            }
        )
        self.conn = connect(self.app.config["DATABASE"])
        self.central = central_app

    def client(self, **kwargs):
        return open_client(self.app.config, self.conn, **kwargs)

    def enroll(self, org="kolwa-youth", country="KE"):
        hub = connect(self.central.config["DATABASE"])
        code = central_queries.create_code(hub, org, country)
        hub.close()
        return self.client(server_url="http://central.test").enroll(code, "http://central.test")

    def sync(self):
        return self.client().sync()


@pytest.fixture
def central_app(tmp_path):
    return create_app({"DATA_DIR": tmp_path / "central", "TESTING": True, "ROLE": "central"})


@pytest.fixture
def hub(central_app):
    conn = connect(central_app.config["DATABASE"])
    yield conn
    conn.close()


@pytest.fixture
def make_device(tmp_path, central_app):
    made = []

    def make(name="device"):
        device = Device(tmp_path, central_app, name)
        made.append(device)
        return device

    yield make
    for device in made:
        device.conn.close()
