"""Community hub: one laptop serves the phones in the room over its Wi-Fi.

Without hub mode FieldKit only listens on 127.0.0.1. In hub mode (``fieldkit serve --lan``
or the switch on the Settings page) it also answers the local network, and every client that
is not this laptop must first enter the short session PIN shown on the laptop, plus a display
name that is recorded as the author of what that phone saves. Changing the PIN signs every phone
out.

Wrong PINs are counted for the whole hub, not per phone: a client that changes its address
gets no fresh tries. After :data:`FREE_TRIES` wrong PINs every try waits a delay that doubles
with each wrong PIN (a right PIN sent too early is refused too, or the delay would teach
nothing); after :data:`LOCKOUT_AFTER` the hub takes no PIN at all until the laptop lets phones
try again from Settings (or sets a new PIN). With a 6-digit PIN that is at most 20 guesses
out of a million.

A client counts as *this laptop* only when it connects over loopback **and** addresses the
server by a loopback name (127.0.0.1, localhost, ::1). A hub listening on another loopback
address (127.0.0.2) therefore treats every client as a phone, which is how tests stand in for
a real network without leaving the machine.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import secrets
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, session, url_for
from flask_wtf.csrf import generate_csrf

from . import certificate
from .certificate import HubCertificate
from .i18n import gettext as _
from .security import safe_next

log = logging.getLogger(__name__)

bp = Blueprint("hub", __name__, url_prefix="/hub")

PIN_DIGITS = 6
#: The shortest PIN the laptop may type (a random PIN always has PIN_DIGITS digits).
PIN_MIN_DIGITS = 6
FREE_TRIES = 5  # wrong PINs on the whole hub before tries are slowed down ...
FIRST_DELAY = 2.0  # ... the 6th try waits this many seconds, each further one twice as long ...
MAX_DELAY = 300.0  # ... up to this
LOCKOUT_AFTER = 20  # wrong PINs after which only the laptop can let phones try again
NAME_MAX = 60
LOCAL_NAMES = {"127.0.0.1", "localhost", "::1", "[::1]"}


def new_pin() -> str:
    """A fresh random session PIN."""
    return f"{secrets.randbelow(10**PIN_DIGITS):0{PIN_DIGITS}d}"


@dataclass
class Hub:
    """Hub state of one running app: on/off, the PIN, failed attempts, the LAN listener."""

    enabled: bool = False
    pin: str = field(default_factory=new_pin)
    epoch: str = field(default_factory=lambda: secrets.token_hex(8))
    urls: list[str] = field(default_factory=list)
    main_urls: list[str] = field(default_factory=list)
    failures: list[float] = field(default_factory=list)  # times of wrong PINs since the last clear
    listener: object | None = None
    certificate: HubCertificate | None = None  # once the hub has served over HTTPS
    lock: threading.Lock = field(default_factory=threading.Lock)

    def set_pin(self, pin: str | None = None) -> str:
        """Change the PIN (random if none given); every phone must enter the new one.

        Wrong guesses at the old PIN tell nothing about the new one, so the count starts again.
        """
        with self.lock:
            self.pin = pin or new_pin()
            self.epoch = secrets.token_hex(8)
            self.failures = []
        log.info("hub PIN changed")
        return self.pin

    def clear_lockout(self) -> None:
        """Let phones try the PIN again at once (the laptop's Settings page)."""
        with self.lock:
            self.failures = []
        log.info("hub PIN lockout cleared on the laptop")

    @property
    def locked(self) -> bool:
        """Whether so many wrong PINs were sent that only the laptop can let phones try again."""
        return len(self.failures) >= LOCKOUT_AFTER

    def _wait(self, now: float) -> float:
        wrong = len(self.failures)
        if wrong < FREE_TRIES:
            return 0.0
        delay = min(FIRST_DELAY * 2 ** (wrong - FREE_TRIES), MAX_DELAY)
        return max(0.0, self.failures[-1] + delay - now)

    def check_pin(self, client: str, pin: str, now: float | None = None) -> bool | None:
        """True if right, False if wrong, None if no PIN is taken now (wait, or locked out)."""
        now = time.monotonic() if now is None else now
        with self.lock:
            if self.locked or self._wait(now) > 0:
                return None
            if hmac.compare_digest(pin.strip().encode(), self.pin.encode()):
                return True
            self.failures.append(now)
            log.warning("wrong hub PIN from %s (%d on this hub)", client, len(self.failures))
            if self.locked:
                log.warning("hub PIN locked: only the laptop can let phones try again")
            return False

    def wait_seconds(self, now: float | None = None) -> int:
        """How many seconds every phone must wait before its next try (0: try now)."""
        now = time.monotonic() if now is None else now
        with self.lock:
            wait = self._wait(now)
        return int(wait) + 1 if wait > 0 else 0

    # --- listening on the network ----------------------------------------------------------------

    def start(self, app, host: str, port: int) -> list[str]:
        """Turn hub mode on with an extra listener on ``host:port`` (the Settings switch)."""
        from .server import make_server

        with self.lock:
            if self.main_urls:  # ``serve --lan``: the main server already listens on the network
                self.urls, self.enabled = list(self.main_urls), True
                return self.urls
            if self.listener is None:
                server = make_server(app, host=host, port=port, tls=self.tls_context(app, host))
                thread = threading.Thread(target=server.run, name="fieldkit-hub", daemon=True)
                thread.start()
                self.listener = server
                self.urls = addresses(host, server.effective_port)
            self.enabled = True
        log.info("hub mode on: %s", ", ".join(self.urls))
        return self.urls

    def tls_context(self, app, host: str):
        """The TLS context phones get, its certificate made or renewed for ``host``'s addresses."""
        hosts = _interface_addresses() if _any_address(host) else [host]
        self.certificate = certificate.ensure(Path(app.config["DATA_DIR"]), hosts)
        return self.certificate.server_context()

    def serve_on(self, host: str, port: int) -> list[str]:
        """Turn hub mode on for a main server already listening on ``host:port`` (``--lan``)."""
        self.urls = self.main_urls = addresses(host, port)
        self.enabled = True
        log.info("hub mode on: %s", ", ".join(self.urls))
        return self.urls

    def stop(self) -> None:
        """Hub mode off: the extra listener closes; phones get a page saying the hub is off."""
        with self.lock:
            listener, self.listener = self.listener, None
            was_on, self.enabled = self.enabled, False
        if not was_on and listener is None:
            return
        if listener is not None:
            # Closed by its own loop thread; requests in progress finish first.
            listener.trigger.pull_trigger(listener.close)
            listener.task_dispatcher.shutdown(cancel_pending=False, timeout=5)
        log.info("hub mode off")


def of(app=None) -> Hub:
    """The hub state of ``app`` (the current app by default)."""
    return (app or current_app).extensions["fieldkit_hub"]


# --- who is asking ---------------------------------------------------------------------------------


def _is_loopback(address: str | None) -> bool:
    try:
        return ipaddress.ip_address((address or "").split("%")[0]).is_loopback
    except ValueError:
        return False


def is_local_request() -> bool:
    """Whether this request comes from the laptop itself (no PIN, may use Settings)."""
    host = urlsplit("//" + (request.host or "")).hostname or ""
    return _is_loopback(request.remote_addr) and host in LOCAL_NAMES


def client_name() -> str:
    """The display name a phone gave when it joined, or ''."""
    return session.get("hub_name", "") if not is_local_request() else ""


def is_phone() -> bool:
    """Whether this request comes from a phone on the hub (never sees device-only data)."""
    return g.get("hub_local") is False


def _joined(hub: Hub) -> bool:
    return session.get("hub_epoch") == hub.epoch and bool(session.get("hub_name"))


class Guard:
    """Who is asking a device (roles.enforce): its owner on the laptop, a joined phone, or a
    phone that must first join; phones are turned away while hub mode is off."""

    def identify(self, access):
        from . import roles

        if is_local_request():
            g.hub_local = True
            return roles.Caller(roles.OWNER)
        g.hub_local = False
        hub = of()
        if not hub.enabled:
            # The header tells a phone's outbox "not now" (try again later), not "refused".
            return render_template("hub/off.html"), 403, {"X-FieldKit-Hub": "off"}
        if not _joined(hub):
            return roles.Caller(roles.ANYONE)
        return roles.Caller(roles.PHONE, name=session["hub_name"])

    def challenge(self):
        """A phone not (or no longer) joined: the join page, keeping where it was going."""
        if request.method != "GET":
            # A form sent after the PIN changed: nothing is saved; the phone keeps its draft.
            return render_template(
                "hub/join.html", errors={}, name="", next=_safe_next(request.path), wait=0, locked=False
            ), 401
        return redirect(url_for("hub.join", next=request.full_path.rstrip("?")), code=303)


def hub_context():
    """Templates show Settings only to this laptop, and a phone the name it records under."""
    local = is_local_request()
    state = current_app.extensions.get("fieldkit_hub")
    return {
        "hub_local": local,
        "hub_name": "" if local else session.get("hub_name", ""),
        "hub_certified": bool(state and state.certificate),
    }


def _safe_next(target: str | None) -> str:
    target = safe_next(target)
    return "/" if target.startswith("/hub/") else target


# --- the join page ---------------------------------------------------------------------------------


@bp.route("/join", methods=["GET", "POST"])
def join():
    """A phone enters the session PIN and its display name."""
    hub = of()
    if getattr(g, "hub_local", False):
        return redirect("/", code=303)
    client = request.remote_addr or "?"
    next_url = _safe_next(request.values.get("next"))
    if request.method == "GET":
        return render_template(
            "hub/join.html",
            errors={},
            name=session.get("hub_name", ""),
            next=next_url,
            wait=hub.wait_seconds(),
            locked=hub.locked,
        )
    name = " ".join(request.form.get("name", "").split())[:NAME_MAX]
    errors = {}
    if not name:
        errors["name"] = _("Type your name: it is recorded with what you save from this phone.")
    result = hub.check_pin(client, request.form.get("pin", ""))
    if result is None:
        wait, locked = hub.wait_seconds(), hub.locked
        page = render_template("hub/join.html", errors={}, name=name, next=next_url, wait=wait, locked=locked)
        return page, 429, {"Retry-After": str(wait)} if wait else {}
    if result is False:
        errors["pin"] = _("That PIN is not right. Look at the laptop screen and type the PIN shown there.")
    if errors:
        page = render_template("hub/join.html", errors=errors, name=name, next=next_url, wait=0, locked=False)
        return page, 422
    session["hub_epoch"] = hub.epoch
    session["hub_name"] = name
    session.permanent = True
    log.info("phone %s joined the hub as %r", client, name)
    return redirect(next_url, code=303)


@bp.get("/ping")
def ping():
    """Cheap reachability check for phones holding unsaved drafts. It also carries this session's
    CSRF token, so a record kept in a phone's outbox under an older token can still be sent."""
    return {"ok": True, "csrf": generate_csrf()}


@bp.get("/qr.svg")
def qr_svg():
    """The hub address as a QR code (for this laptop's Settings page)."""
    hub = of()
    if not hub.urls:
        abort(404)
    return current_app.response_class(
        qr_svg_bytes(hub.urls[0]), mimetype="image/svg+xml", headers={"Cache-Control": "no-store"}
    )


@bp.get("/certificate.pem")
def certificate_pem():
    """This hub's certificate authority, for a phone to trust once (public: no key in it)."""
    state = of()
    if state.certificate is None:
        abort(404)
    return current_app.response_class(
        state.certificate.ca_pem(),
        mimetype="application/x-x509-ca-cert",
        headers={
            "Content-Disposition": 'attachment; filename="fieldkit-hub.crt"',
            "Cache-Control": "no-store",
        },
    )


@bp.get("/fingerprint.svg")
def fingerprint_svg():
    """The certificate's SHA-256 fingerprint as a QR code, for a phone to compare (Settings page)."""
    state = of()
    if state.certificate is None:
        abort(404)
    return current_app.response_class(
        qr_svg_bytes(f"SHA-256 {state.certificate.fingerprint}"),
        mimetype="image/svg+xml",
        headers={"Cache-Control": "no-store"},
    )


@bp.get("/sw.js")
def service_worker():
    """The service worker that keeps the record forms on a phone (static/sw.js), for scope "/"."""
    from .resources import STATIC_DIR

    return current_app.response_class(
        (STATIC_DIR / "sw.js").read_bytes(),
        mimetype="text/javascript",
        # A new FieldKit version reaches phones at the next page they open.
        headers={"Service-Worker-Allowed": "/", "Cache-Control": "no-cache"},
    )


@bp.get("/offline")
def offline():
    """What a phone out of the hub's reach shows for a page it has not kept (cached by sw.js)."""
    return render_template("hub/offline.html")


# --- addresses and QR codes ------------------------------------------------------------------------


def _interface_addresses() -> list[str]:
    """IPv4 addresses of this machine's network interfaces (Linux ioctl; else the host name)."""
    found: list[str] = []
    try:
        import fcntl

        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            for _index, name in socket.if_nameindex():
                try:
                    packed = fcntl.ioctl(
                        probe.fileno(),
                        0x8915,  # SIOCGIFADDR
                        struct.pack("256s", name[:15].encode()),
                    )
                except OSError:
                    continue
                found.append(socket.inet_ntoa(packed[20:24]))
    except (ImportError, OSError):
        pass
    if not found:
        try:
            found = [info[4][0] for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)]
        except OSError:
            found = []
    return [a for a in dict.fromkeys(found) if not _is_loopback(a)]


def _any_address(host: str) -> bool:
    return host in {"0.0.0.0", "::", ""}  # noqa: S104


def addresses(host: str, port: int) -> list[str]:
    """The HTTPS URLs phones can use to reach a listener on ``host:port``."""
    hosts = _interface_addresses() if _any_address(host) else [host]
    return [f"https://{h}:{port}/" for h in hosts] or [f"https://{host}:{port}/"]


def qr_svg_bytes(text: str) -> bytes:
    """``text`` as an SVG QR code (no image library needed)."""
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathFillImage, box_size=10, border=2)
    return image.to_string()


def qr_text(text: str) -> str:
    """``text`` as a QR code drawn with block characters, for the terminal."""
    import io

    import qrcode

    code = qrcode.QRCode(border=2)
    code.add_data(text)
    out = io.StringIO()
    code.print_ascii(out=out, invert=True)
    return out.getvalue()


def init_app(app) -> None:
    """Attach hub state, the PIN gate (the device's guard of the role table) and the join page."""
    from . import roles

    app.extensions["fieldkit_hub"] = Hub()
    roles.init_app(app, Guard())
    app.context_processor(hub_context)
    app.register_blueprint(bp)
