"""Community hub: phones need the PIN, wrong PINs are limited, names become authors; Settings is the laptop's."""

from __future__ import annotations

import re

import pytest

from fieldkit import hub

from .conftest import CSRF, issue_form

PHONE = {"base_url": "http://127.0.0.2:8080", "environ_base": {"REMOTE_ADDR": "127.0.0.3"}}


class Phone:
    """A phone on the hub's network, as the test client sees it."""

    def __init__(self, app):
        self.client = app.test_client()

    def get(self, path, **kwargs):
        return self.client.get(path, **PHONE, **kwargs)

    def post(self, path, data, **kwargs):
        return self.client.post(path, data=data, **PHONE, **kwargs)

    def csrf(self, path="/hub/join") -> str:
        return CSRF.search(self.get(path).get_data(as_text=True)).group(1)

    def join(self, pin, name="Amina"):
        return self.post("/hub/join", {"csrf_token": self.csrf(), "pin": pin, "name": name, "next": "/"})


@pytest.fixture
def hub_on(app):
    state = hub.of(app)
    state.serve_on("127.0.0.2", 8080)
    return state


def test_hub_is_off_by_default_and_phones_are_turned_away(app):
    response = Phone(app).get("/")
    assert response.status_code == 403
    assert "hub is off" in response.get_data(as_text=True)


def test_laptop_needs_no_pin(client, hub_on):
    assert client.get("/").status_code == 200
    assert client.get("/settings/").status_code == 200


def test_phone_is_asked_for_the_pin_first(app, hub_on):
    phone = Phone(app)
    response = phone.get("/issues/")
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/hub/join?next=/issues/")
    page = phone.get(response.headers["Location"]).get_data(as_text=True)
    assert "Session PIN" in page and "Your name" in page


def test_right_pin_and_name_let_the_phone_in(app, hub_on):
    phone = Phone(app)
    response = phone.join(hub_on.pin)
    assert response.status_code == 303
    assert phone.get("/").status_code == 200
    assert "Recording as Amina" in phone.get("/").get_data(as_text=True)


def test_wrong_pin_is_refused_beside_the_field(app, hub_on):
    phone = Phone(app)
    wrong = "1" if hub_on.pin != "1" * 6 else "2"
    response = phone.join(wrong * 6)
    assert response.status_code == 422
    assert "That PIN is not right" in response.get_data(as_text=True)
    assert phone.get("/").status_code == 303


def test_a_name_is_required(app, hub_on):
    response = Phone(app).join(hub_on.pin, name="  ")
    assert response.status_code == 422
    assert "Type your name" in response.get_data(as_text=True)


def test_wrong_pins_are_rate_limited_even_the_right_one_after(app, hub_on):
    phone = Phone(app)
    wrong = "000000" if hub_on.pin != "000000" else "111111"
    for _ in range(hub.MAX_FAILURES):
        assert phone.join(wrong).status_code == 422
    response = phone.join(hub_on.pin)
    assert response.status_code == 429
    assert "Too many wrong PINs" in response.get_data(as_text=True)
    assert phone.get("/").status_code == 303


def test_lockout_ends_after_the_window(hub_on):
    for second in range(hub.MAX_FAILURES):
        assert hub_on.check_pin("127.0.0.9", "x", now=1000.0 + second) is False
    assert hub_on.check_pin("127.0.0.9", hub_on.pin, now=1010.0) is None
    assert hub_on.check_pin("127.0.0.9", hub_on.pin, now=1000.0 + hub.FAILURE_WINDOW + 5) is True


def test_changing_the_pin_signs_phones_out(app, client, hub_on):
    phone = Phone(app)
    phone.join(hub_on.pin)
    assert phone.get("/").status_code == 200
    response = client.submit("/settings/pin", {"pin": "4242"})
    assert response.status_code == 303
    assert hub_on.pin == "4242"
    assert phone.get("/").status_code == 303
    assert phone.join("4242").status_code == 303


def test_a_bad_new_pin_is_refused(client, hub_on):
    old = hub_on.pin
    response = client.submit("/settings/pin", {"pin": "12ab"})
    assert response.status_code == 422
    assert "4 to 12 digits" in response.get_data(as_text=True)
    assert hub_on.pin == old


def test_phones_cannot_open_settings(app, hub_on):
    phone = Phone(app)
    phone.join(hub_on.pin)
    assert phone.get("/settings/").status_code == 403
    assert phone.get("/hub/qr.svg").status_code == 403


def test_records_from_a_phone_name_who_recorded_them(app, db, hub_on):
    phone = Phone(app)
    phone.join(hub_on.pin, name="Wanjiru K.")
    form = phone.get("/issues/new").get_data(as_text=True)
    data = issue_form(
        csrf_token=CSRF.search(form).group(1),
        form_token=re.search(r'name="form_token" value="([^"]+)"', form).group(1),
    )
    response = phone.post("/issues/new", data)
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    authors = {row[0] for row in db.execute("SELECT author FROM sync_ops WHERE tbl = 'issues'")}
    assert authors == {"Wanjiru K."}


def test_a_form_sent_after_the_pin_changed_saves_nothing(app, db, hub_on):
    phone = Phone(app)
    phone.join(hub_on.pin)
    form = phone.get("/issues/new").get_data(as_text=True)
    hub_on.set_pin("9999")
    data = issue_form(csrf_token=CSRF.search(form).group(1))
    response = phone.post("/issues/new", data)
    assert response.status_code == 401
    assert db.execute("SELECT count(*) FROM issues").fetchone()[0] == 0


def test_turning_the_hub_off_turns_phones_away(app, client, hub_on):
    phone = Phone(app)
    phone.join(hub_on.pin)
    assert client.submit("/settings/hub", {"hub": "off"}).status_code == 303
    assert phone.get("/").status_code == 403


def test_settings_switch_listens_on_the_hub_address(app, client):
    from fieldkit.server import free_port

    app.config.update(HUB_HOST="127.0.0.2", HUB_PORT=free_port("127.0.0.2"))
    response = client.submit("/settings/hub", {"hub": "on"})
    assert response.status_code == 303
    state = hub.of(app)
    try:
        page = client.get("/settings/").get_data(as_text=True)
        assert f"http://127.0.0.2:{app.config['HUB_PORT']}/" in page
        assert state.pin in page
        qr = client.get("/hub/qr.svg")
        assert qr.status_code == 200 and qr.mimetype == "image/svg+xml" and b"<svg" in qr.data
        import urllib.request

        with urllib.request.urlopen(f"http://127.0.0.2:{app.config['HUB_PORT']}/hub/ping", timeout=5) as r:
            assert r.status == 200
    finally:
        client.submit("/settings/hub", {"hub": "off"})
    assert state.listener is None and not state.enabled


def test_loopback_client_naming_another_host_counts_as_a_phone(app, hub_on):
    response = app.test_client().get("/", base_url="http://127.0.0.2:8080")
    assert response.status_code == 303


def test_terminal_qr_code_is_text():
    drawing = hub.qr_text("http://127.0.0.2:8080/")
    assert len(drawing.splitlines()) > 10


def test_serve_without_lan_refuses_a_network_address(data_dir):
    from click.testing import CliRunner

    from fieldkit.cli import main

    result = CliRunner().invoke(main, ["--data", str(data_dir), "serve", "--host", "0.0.0.0"])
    assert result.exit_code != 0
    assert "--lan" in result.output


def test_settings_page_says_where_the_data_and_the_log_are(client, data_dir):
    page = client.get("/settings/").get_data(as_text=True)
    assert str(data_dir) in page
    assert str(data_dir / "fieldkit.log") in page
    assert 'href="/settings/"' in client.get("/").get_data(as_text=True)


def test_raising_the_window_needs_the_instance_token(app, client):
    raised = []
    app.extensions["fieldkit_window_token"] = "s3cret"
    app.extensions["fieldkit_window"] = lambda: raised.append(True)
    assert client.post("/instance/focus").status_code == 403
    assert client.post("/instance/focus", headers={"X-FieldKit-Token": "wrong"}).status_code == 403
    assert client.post("/instance/focus", headers={"X-FieldKit-Token": "s3cret"}).status_code == 204
    assert raised == [True]


def test_without_a_window_the_focus_request_says_so(app, client):
    app.extensions["fieldkit_window_token"] = "s3cret"
    assert client.post("/instance/focus", headers={"X-FieldKit-Token": "s3cret"}).status_code == 404


def test_a_lan_hub_turned_off_can_be_turned_on_again(app, client, hub_on):
    assert client.submit("/settings/hub", {"hub": "off"}).status_code == 303
    assert Phone(app).get("/").status_code == 403
    assert client.submit("/settings/hub", {"hub": "on"}).status_code == 303
    assert hub_on.enabled and hub_on.listener is None  # the main server already listens
    assert Phone(app).get("/").status_code == 303
