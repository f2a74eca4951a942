"""Community hub: phones need the PIN, wrong PINs are limited, names become authors; Settings is the laptop's."""

from __future__ import annotations

import re

import pytest

from fieldkit import hub

from .conftest import CSRF, issue_form

PHONE = {"base_url": "http://127.0.0.2:8080", "environ_base": {"REMOTE_ADDR": "127.0.0.3"}}


class Phone:
    """A phone on the hub's network, as the test client sees it."""

    def __init__(self, app, address="127.0.0.3"):
        self.client = app.test_client()
        self.where = {**PHONE, "environ_base": {"REMOTE_ADDR": address}}

    def get(self, path, **kwargs):
        return self.client.get(path, **self.where, **kwargs)

    def post(self, path, data, **kwargs):
        return self.client.post(path, data=data, **self.where, **kwargs)

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


def wrong_pin(state) -> str:
    return "000000" if state.pin != "000000" else "111111"


def test_wrong_pins_are_slowed_down_even_the_right_one_after(app, hub_on):
    phone = Phone(app)
    for _ in range(hub.FREE_TRIES):
        assert phone.join(wrong_pin(hub_on)).status_code == 422
    response = phone.join(hub_on.pin)
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) >= 1
    assert "Too many wrong PINs were typed on this hub. Wait" in response.get_data(as_text=True)
    assert phone.get("/").status_code == 303


def test_rotating_addresses_share_the_hub_wide_budget(app, hub_on):
    for n in range(hub.FREE_TRIES):
        assert Phone(app, f"10.0.{n}.7").join(wrong_pin(hub_on)).status_code == 422
    # A client with an address never seen before gets no fresh tries.
    assert Phone(app, "10.9.9.9").join(wrong_pin(hub_on)).status_code == 429
    assert Phone(app, "10.9.9.10").join(hub_on.pin).status_code == 429


def test_the_delay_doubles_with_each_wrong_pin_then_the_hub_locks(hub_on):
    now, waits = 1000.0, []
    for n in range(hub.LOCKOUT_AFTER):
        assert hub_on.check_pin(f"10.0.0.{n}", wrong_pin(hub_on), now=now) is False
        waits.append(hub_on.wait_seconds(now=now))
        now += waits[-1]
    assert waits[: hub.FREE_TRIES - 1] == [0] * (hub.FREE_TRIES - 1)
    growing = waits[hub.FREE_TRIES - 1 : hub.FREE_TRIES + 3]
    assert growing == sorted(growing) and growing[-1] >= 4 * growing[0] > 0
    assert hub_on.locked
    # Locked: no PIN is taken however long a phone waits, the right one neither.
    assert hub_on.check_pin("10.0.0.1", hub_on.pin, now=now + 10 * 86400) is None


def test_after_the_delay_the_right_pin_joins(hub_on):
    for second in range(hub.FREE_TRIES):
        assert hub_on.check_pin("127.0.0.9", "x", now=1000.0 + second) is False
    assert hub_on.check_pin("127.0.0.9", hub_on.pin, now=1004.5) is None
    assert hub_on.check_pin("127.0.0.9", hub_on.pin, now=1004.0 + hub.FIRST_DELAY + 0.1) is True


def test_the_laptop_clears_the_lockout_and_a_phone_with_the_right_pin_joins(app, client, hub_on):
    joined = Phone(app, "10.1.0.99")
    assert joined.join(hub_on.pin).status_code == 303
    for n in range(hub.LOCKOUT_AFTER):
        hub_on.check_pin(f"10.1.0.{n}", wrong_pin(hub_on), now=float(n * 1000))
    assert hub_on.locked
    phone = Phone(app, "10.1.0.3")
    page = phone.get("/hub/join").get_data(as_text=True)
    assert "Ask the person at the laptop to let phones try again" in page
    assert phone.join(hub_on.pin).status_code == 429
    settings = client.get("/settings/").get_data(as_text=True)
    assert "phones cannot join until you let them try again" in settings
    # A phone cannot clear it, even one that joined before: only the laptop.
    assert joined.post("/settings/pin/unlock", {"csrf_token": joined.csrf("/")}).status_code == 403
    assert hub_on.locked
    response = client.submit("/settings/pin/unlock")
    assert response.status_code == 303
    assert "Phones can try the PIN again" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert not hub_on.locked
    assert phone.join(hub_on.pin).status_code == 303
    assert phone.get("/").status_code == 200


def test_a_new_pin_starts_the_count_again(hub_on):
    for n in range(hub.LOCKOUT_AFTER):
        hub_on.check_pin("10.2.0.1", wrong_pin(hub_on), now=float(n * 1000))
    new = hub_on.set_pin()
    assert not hub_on.locked and hub_on.check_pin("10.2.0.1", new) is True


def test_the_default_pin_has_six_digits(hub_on):
    assert len(hub_on.pin) == 6 and hub_on.pin.isdigit()
    assert all(len(hub.new_pin()) == 6 for _ in range(50))


def test_changing_the_pin_signs_phones_out(app, client, hub_on):
    phone = Phone(app)
    phone.join(hub_on.pin)
    assert phone.get("/").status_code == 200
    response = client.submit("/settings/pin", {"pin": "424242"})
    assert response.status_code == 303
    assert hub_on.pin == "424242"
    assert phone.get("/").status_code == 303
    assert phone.join("424242").status_code == 303


@pytest.mark.parametrize("pin", ["12ab", "4242", "١٢٣٤٥٦", "1234567890123"])
def test_a_bad_or_short_new_pin_is_refused(client, hub_on, pin):
    old = hub_on.pin
    response = client.submit("/settings/pin", {"pin": pin})
    assert response.status_code == 422
    assert "A PIN is 6 to 12 digits." in response.get_data(as_text=True)
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
    hub_on.set_pin("999999")
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
        assert f"https://127.0.0.2:{app.config['HUB_PORT']}/" in page  # phones are sent to HTTPS
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


REPORTER = {"anonymous": "0", "reporter_name": "Zawadi Otieno", "reporter_contact": "+254 700 111222"}


def joined_phone(app, hub_on) -> Phone:
    phone = Phone(app)
    assert phone.join(hub_on.pin).status_code == 303
    return phone


def test_phones_never_see_a_reporter_kept_on_the_laptop(app, client, hub_on):
    from .conftest import create_issue

    issue_id = create_issue(client, **REPORTER)
    assert "Zawadi Otieno" in client.get(f"/issues/{issue_id}").get_data(as_text=True)
    phone = joined_phone(app, hub_on)
    pages = [
        "/",
        "/issues/",
        "/issues/?q=Zawadi",
        f"/issues/{issue_id}",
        f"/issues/{issue_id}/edit",
        f"/issues/{issue_id}/history",
        "/search?q=Zawadi",
    ]
    for path in pages:
        for headers in ({}, {"HX-Request": "true", "HX-Target": "results"}):
            response = phone.get(path, headers=headers)
            page = response.get_data(as_text=True)
            assert response.status_code < 500, path
            assert "Zawadi Otieno" not in page and "111222" not in page, (path, headers)
    detail = phone.get(f"/issues/{issue_id}").get_data(as_text=True)
    assert "Recorded, and kept on one device only: not shown here." in detail


def test_a_phone_saving_the_issue_leaves_the_private_reporter_alone(app, client, db, hub_on):
    from .conftest import create_issue

    issue_id = create_issue(client, **REPORTER)
    phone = joined_phone(app, hub_on)
    form = phone.get(f"/issues/{issue_id}/edit").get_data(as_text=True)
    assert "kept on one device only" in form and 'name="reporter_name"' not in form
    data = issue_form(
        title="Borehole still broken",
        csrf_token=CSRF.search(form).group(1),
        form_token=re.search(r'name="form_token" value="([^"]+)"', form).group(1),
    )
    assert phone.post(f"/issues/{issue_id}/edit", data).status_code == 303
    kept = db.execute(
        "SELECT name, contact FROM private_reporters WHERE issue_id = ?", (issue_id,)
    ).fetchone()
    assert tuple(kept) == ("Zawadi Otieno", "+254 700 111222")
    issue = db.execute("SELECT title, anonymous FROM issues WHERE id = ?", (issue_id,)).fetchone()
    assert tuple(issue) == ("Borehole still broken", 0)


def test_a_wrong_pin_is_logged_without_the_pin_typed(app, hub_on, caplog):
    typed = wrong_pin(hub_on)
    with caplog.at_level("INFO"):
        assert Phone(app).join(typed).status_code == 422
    assert "wrong hub PIN" in caplog.text and typed not in caplog.text and hub_on.pin not in caplog.text
