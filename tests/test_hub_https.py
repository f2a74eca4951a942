"""The hub over HTTPS: a certificate made per install, checked by its fingerprint, served by a real
hub process on the same port as plain HTTP; phones' uploads and downloads work over TLS."""

from __future__ import annotations

import io
import os
import re
import socket
import ssl
import stat
import subprocess
import sys
import time
from ipaddress import ip_address

import httpx
import pytest
from cryptography import x509
from PIL import Image

from fieldkit import certificate, hub
from fieldkit.server import free_port

from .conftest import CSRF, issue_form
from .test_hub import Phone

HOST = "127.0.0.2"


def names(path):
    cert = x509.load_pem_x509_certificate(path.read_bytes())
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    return set(map(str, san.get_values_for_type(x509.IPAddress))), set(san.get_values_for_type(x509.DNSName))


def test_the_certificate_is_made_once_owner_only_and_names_the_lan_addresses(tmp_path):
    made = certificate.ensure(tmp_path, ["192.168.43.1", "10.0.0.7", "8.8.8.8"])
    ips, dns = names(made.cert_path)
    assert {"192.168.43.1", "10.0.0.7", "127.0.0.1"} <= ips
    assert (
        "8.8.8.8" not in ips
    )  # a public address is no laptop's hotspot, and the authority may not vouch for it
    assert "localhost" in dns and (certificate.host_name() in dns or not certificate.host_name())
    for name in (certificate.CA_FILE, certificate.CA_KEY, certificate.CERT_FILE, certificate.CERT_KEY):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    again = certificate.ensure(tmp_path, ["10.0.0.7"])
    assert again.fingerprint == made.fingerprint
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_a_new_address_renews_the_server_certificate_but_phones_keep_trusting_the_same_authority(tmp_path):
    first = certificate.ensure(tmp_path, ["192.168.1.20"])
    authority = first.ca_pem()
    second = certificate.ensure(tmp_path, ["192.168.8.100"])
    assert second.ca_pem() == authority and second.fingerprint == first.fingerprint
    assert {"192.168.1.20", "192.168.8.100"} <= names(second.cert_path)[0]


def test_the_fingerprint_is_the_sha256_of_the_authority_as_browsers_show_it(tmp_path):
    made = certificate.ensure(tmp_path, [])
    assert re.fullmatch(r"([0-9A-F]{2}:){31}[0-9A-F]{2}", made.fingerprint)
    der = ssl.PEM_cert_to_DER_cert(made.ca_pem().decode())
    assert made.fingerprint.replace(":", "").lower() == __import__("hashlib").sha256(der).hexdigest()


def test_settings_show_the_fingerprint_as_text_and_qr_and_phones_can_fetch_the_authority(app, client):
    state = hub.of(app)
    state.tls_context(app, HOST)
    state.serve_on(HOST, 8080)
    page = client.get("/settings/").get_data(as_text=True)
    assert state.certificate.fingerprint in page and "https://127.0.0.2:8080/" in page
    qr = client.get("/hub/fingerprint.svg")
    assert qr.status_code == 200 and qr.mimetype == "image/svg+xml" and b"<svg" in qr.data
    phone = Phone(app)
    assert phone.get("/hub/fingerprint.svg").status_code in {302, 303}  # the laptop's, not a phone's
    pem = phone.get("/hub/certificate.pem")
    assert pem.status_code == 200 and pem.mimetype == "application/x-x509-ca-cert"
    assert pem.data == state.certificate.ca_pem() and b"PRIVATE" not in pem.data
    join = phone.get("/hub/join").get_data(as_text=True)
    assert "Once per phone: trust this hub" in join and "/hub/certificate.pem" in join
    assert "https://127.0.0.2:8080/" in join  # opened over http: it points to the secure address


class HubProcess:
    """``fieldkit serve --lan`` on 127.0.0.2 in its own process."""

    def __init__(self, data_dir):
        self.data_dir = data_dir
        self.port = free_port(HOST)
        env = {k: v for k, v in os.environ.items() if not k.startswith("FIELDKIT_")}
        env.update(PYTHONUNBUFFERED="1", FIELDKIT_LANGUAGE="en")
        command = "import sys; from fieldkit.cli import main; sys.exit(main())"
        self.process = subprocess.Popen(
            [sys.executable, "-c", command, "--data", str(data_dir), "serve", "--lan", "--host", HOST]
            + ["--port", str(self.port)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            text=True,
        )
        self.output, self.pin = [], None
        deadline = time.monotonic() + 30
        while self.pin is None and time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line:
                break
            self.output.append(line)
            if match := re.search(r"Session PIN for phones: (\d+)", line):
                self.pin = match.group(1)
        if self.pin is None:
            self.stop()
            raise RuntimeError("the hub did not start:\n" + "".join(self.output))

    def url(self, path="/", scheme="https"):
        return f"{scheme}://{HOST}:{self.port}{path}"

    def pinned(self) -> ssl.SSLContext:
        """Trust this hub's authority only, after checking its fingerprint against what it printed."""
        pem = (self.data_dir / certificate.CA_FILE).read_bytes()
        assert certificate.fingerprint_of(pem) in "".join(self.output)
        return ssl.create_default_context(cadata=pem.decode())

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=15)
        self.process.stdout.close()


@pytest.fixture(scope="module")
def real_hub(tmp_path_factory):
    server = HubProcess(tmp_path_factory.mktemp("https-hub"))
    yield server
    server.stop()


@pytest.mark.slow
def test_a_real_hub_answers_https_with_its_own_certificate_and_plain_http_on_the_same_port(real_hub):
    assert real_hub.url("/") in "".join(real_hub.output)  # the address phones are told is https
    response = httpx.get(real_hub.url("/hub/ping"), verify=real_hub.pinned(), timeout=10)
    assert response.status_code == 200 and response.json()["ok"] is True
    assert httpx.get(real_hub.url("/hub/ping", scheme="http"), timeout=10).status_code == 200
    with pytest.raises(httpx.ConnectError):  # not trusted by a phone that was not set up
        httpx.get(real_hub.url("/hub/ping"), verify=ssl.create_default_context(), timeout=10)


@pytest.mark.slow
def test_a_phone_sends_a_photo_over_https_and_gets_it_back_whole(real_hub):
    picture = io.BytesIO()
    Image.effect_noise((1400, 1000), 80).convert("RGB").save(picture, "PNG")  # ~4 MB: many TLS records
    photo = picture.getvalue()
    # Over HTTPS, forms are only taken with a Referer of this hub (as browsers send it).
    headers = {"Referer": real_hub.url("/")}
    with httpx.Client(
        base_url=real_hub.url(""), verify=real_hub.pinned(), timeout=30, headers=headers
    ) as phone:
        token = CSRF.search(phone.get("/hub/join").text).group(1)
        joined = phone.post("/hub/join", data={"csrf_token": token, "pin": real_hub.pin, "name": "Amina"})
        assert joined.status_code == 303
        token = CSRF.search(phone.get("/issues/new").text).group(1)
        form = issue_form(title="Photo over HTTPS", csrf_token=token)
        saved = phone.post("/issues/new", data=form, files={"files": ("pump.png", photo, "image/png")})
        assert saved.status_code == 303, saved.text[:500]
        page = phone.get(saved.headers["Location"]).text
        link = re.search(r'href="(/files/[0-9a-f]{64}[^"]*)"', page).group(1)
        back = phone.get(link)
        assert back.status_code == 200 and Image.open(io.BytesIO(back.content)).size == (1400, 1000)


@pytest.mark.slow
def test_a_stalled_handshake_does_not_hold_up_other_phones(real_hub):
    stalled = socket.create_connection((HOST, real_hub.port), timeout=10)
    try:
        stalled.sendall(b"\x16\x03\x01")  # the start of a TLS record, then nothing
        started = time.monotonic()
        response = httpx.get(real_hub.url("/hub/ping"), verify=real_hub.pinned(), timeout=10)
        assert response.status_code == 200 and time.monotonic() - started < 5
    finally:
        stalled.close()


def test_the_server_certificate_is_valid_for_the_hub_address(real_hub):
    ips, _dns = names(real_hub.data_dir / certificate.CERT_FILE)
    assert ip_address(HOST) in {ip_address(a) for a in ips}
