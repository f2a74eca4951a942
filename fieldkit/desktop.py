"""Running FieldKit: ``fieldkit start`` (a native window, else the browser) and ``fieldkit serve``.

Both serve the app with waitress, write a log file in the data folder, run the daily backup,
and stop cleanly: the listener closes, requests in progress finish their transaction, the
write-ahead log is folded into the database, and only then does the process exit.
Nothing heavy (Qt, pywebview, PIL) is imported before the first page is served.
"""

from __future__ import annotations

import contextvars
import logging
import os
import secrets
import signal
import sys
import threading
import time
import urllib.error
import urllib.request
import webbrowser
from logging.handlers import RotatingFileHandler
from pathlib import Path

import click

from .i18n import gettext as _
from .resources import STATIC_DIR
from .server import make_server, server_url

log = logging.getLogger("fieldkit")

LOG_FILE = "fieldkit.log"
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def log_path(data_dir) -> Path:
    """Where this data folder's log file is."""
    return Path(data_dir) / LOG_FILE


def setup_logging(data_dir) -> Path:
    """Send FieldKit's log (and waitress's warnings) to ``<data>/fieldkit.log``, rotated at 1 MB."""
    path = log_path(data_dir)
    root = logging.getLogger()
    if not any(getattr(h, "baseFilename", None) == str(path) for h in root.handlers):
        handler = RotatingFileHandler(path, maxBytes=1 << 20, backupCount=3, encoding="utf-8", delay=True)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
    root.setLevel(logging.INFO)
    return path


def gui_available() -> bool:
    """Whether a pywebview window could be opened here (a display, and pywebview installed)."""
    if sys.platform.startswith("linux") and not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    ):
        return False
    try:
        import webview  # noqa: F401
    except ImportError:
        return False
    return True


class Running:
    """A served app: its waitress server in a thread, the daily backup, a clean stop."""

    def __init__(self, app, lock, *, host: str, port: int, tls=None):
        from .backup import DailyBackup

        self.app = app
        self.lock = lock
        self.server = make_server(app, host=host, port=port, tls=tls)
        self.url = server_url(self.server)
        self.token = secrets.token_urlsafe(24)
        app.extensions["fieldkit_window_token"] = self.token
        lock.announce(self.url, self.token)
        self.thread = threading.Thread(target=self.server.run, name="fieldkit-server", daemon=True)
        self.backups = DailyBackup(app)
        self.stopped = False

    def start(self) -> Running:
        self.thread.start()
        self.backups.start()
        log.info(
            "FieldKit %s serving %s at %s",
            self.app.config.get("VERSION"),
            self.app.config["DATA_DIR"],
            self.url,
        )
        return self

    def stop(self) -> None:
        """Stop accepting, let requests in progress finish, fold the WAL into the database."""
        if self.stopped:
            return
        self.stopped = True
        from . import hub

        hub.of(self.app).stop()
        self.server.trigger.pull_trigger(self.server.close)
        self.server.task_dispatcher.shutdown(cancel_pending=False, timeout=15)
        self.backups.stop()  # a backup in progress finishes (its folder is renamed only when complete)
        checkpoint(self.app.config["DATABASE"])
        log.info("FieldKit stopped cleanly")


def checkpoint(database: str) -> None:
    """Fold the write-ahead log into the database file so a copied file is complete."""
    import sqlite3

    try:
        conn = sqlite3.connect(database, timeout=10)
        try:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            conn.close()
    except sqlite3.Error:
        log.warning("could not checkpoint %s", database, exc_info=True)


def _stop_on_sigterm() -> None:
    def handler(_signum, _frame):
        raise KeyboardInterrupt

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, handler)


def open_window(running: Running, *, title: str = "FieldKit") -> bool:
    """Show the app in a native window; blocks until it is closed. False if no GUI backend works."""
    try:
        import webview
    except ImportError:
        click.echo(_("No desktop window: pywebview is not installed; opening the browser."), err=True)
        return False
    app = running.app
    data_dir = Path(app.config["DATA_DIR"])
    started = time.perf_counter()
    # pywebview calls back on its own thread: print in this command's language.
    language = contextvars.copy_context()
    window = webview.create_window(
        title, running.url, width=1100, height=800, min_size=(320, 480), text_select=True
    )

    def bring_to_front():
        window.restore()
        window.show()
        window.on_top = True
        window.on_top = False

    def loaded():
        log.info("window ready")
        seconds = f"{time.perf_counter() - started:.2f}"
        language.run(
            lambda: click.echo(_("FieldKit window ready (%(seconds)s s after opening it)", seconds=seconds))
        )

    app.extensions["fieldkit_window"] = bring_to_front
    app.extensions["fieldkit_close_window"] = window.destroy
    window.events.loaded += loaded
    icon = STATIC_DIR / "icon.png"
    try:
        webview.start(
            gui=os.environ.get("PYWEBVIEW_GUI") or None,
            private_mode=False,
            storage_path=str(data_dir / "window"),
            icon=str(icon),
        )
    except Exception as error:  # noqa: BLE001 - any backend failure falls back to the browser
        app.extensions.pop("fieldkit_window", None)
        app.extensions.pop("fieldkit_close_window", None)
        log.warning("no desktop window: %s", error)
        click.echo(
            _(
                "No desktop window could be opened here (%(reason)s); opening the browser instead. "
                "On Linux install the window support with: %(command)s",
                reason=str(error),
                command="pip install 'fieldkit[desktop]'",
            ),
            err=True,
        )
        return False
    app.extensions.pop("fieldkit_window", None)
    app.extensions.pop("fieldkit_close_window", None)
    return True


def _watch_sigterm(on_stop) -> bool:
    """Call ``on_stop`` from a thread on SIGTERM or Ctrl+C, even while a GUI loop owns the main thread.

    Python runs signal handlers only between bytecodes of the main thread, which never come
    while Qt's event loop runs; the wakeup fd is written by the C-level handler in whichever
    thread the signal lands (native threads of libraries included). POSIX only.
    """
    if os.name != "posix" or threading.current_thread() is not threading.main_thread():
        return False
    read, write = os.pipe()
    os.set_blocking(write, False)
    signal.signal(signal.SIGTERM, lambda _signum, _frame: None)
    signal.set_wakeup_fd(write, warn_on_full_buffer=False)
    wanted = {int(signal.SIGTERM), int(signal.SIGINT)}

    def wait():
        while not wanted.intersection(os.read(read, 64)):
            pass
        log.info("asked to stop")
        on_stop()

    threading.Thread(target=wait, name="fieldkit-signals", daemon=True).start()
    return True


def run(app, lock, *, window: bool = True, host: str = "127.0.0.1", port: int = 0) -> None:
    """``fieldkit start``: serve on 127.0.0.1 and show it; returns when the window closes."""
    setup_logging(app.config["DATA_DIR"])
    stop_requested = threading.Event()

    def on_stop():
        stop_requested.set()
        close = app.extensions.get("fieldkit_close_window")
        if close:
            close()

    if not _watch_sigterm(on_stop):
        _stop_on_sigterm()
    running = Running(app, lock, host=host, port=port).start()
    click.echo(_("FieldKit is running at %(url)s", url=running.url))
    sys.stdout.flush()
    try:
        if window and gui_available():
            if open_window(running):
                return
        elif window:
            click.echo(_("No desktop window is possible here (no display); opening the browser."), err=True)
        webbrowser.open(running.url)
        click.echo(_("Press Ctrl+C to stop."))
        while running.thread.is_alive() and not stop_requested.is_set():
            running.thread.join(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        running.stop()


def serve(app, lock, *, host: str | None = None, port: int = 8080, lan: bool = False) -> None:
    """``fieldkit serve``: serve headless; with ``lan``, as a community hub."""
    from . import hub

    if host is None:
        host = app.config.get("HUB_HOST", "0.0.0.0") if lan else "127.0.0.1"  # noqa: S104
    if not lan and host not in LOOPBACK and not host.startswith("127."):
        raise click.ClickException(
            _(
                "Without %(option)s, FieldKit only listens on 127.0.0.1. "
                "Add %(option)s to let phones on this network join.",
                option="--lan",
            )
        )
    setup_logging(app.config["DATA_DIR"])
    # A hub answers HTTPS too (phones need it for their location), on the same port.
    tls = hub.of(app).tls_context(app, host) if lan else None
    running = Running(app, lock, host=host, port=port, tls=tls).start()
    _stop_on_sigterm()  # from here a stop (SIGTERM, Ctrl+C) ends the server cleanly
    try:
        click.echo(
            _(
                "FieldKit is serving %(folder)s at %(url)s",
                folder=str(app.config["DATA_DIR"]),
                url=running.url,
            )
        )
        if lan:
            state = hub.of(app)
            urls = state.serve_on(host, running.server.effective_port)
            click.echo(_("Community hub: phones on this Wi-Fi open"))
            for url in urls:
                click.echo(f"  {url}")
            click.echo(hub.qr_text(urls[0]))
            click.echo(
                _(
                    "Phones check the hub's certificate against this fingerprint (SHA-256): %(fingerprint)s",
                    fingerprint=state.certificate.fingerprint,
                )
            )
            click.echo(_("Session PIN for phones: %(pin)s  (change it on the Settings page)", pin=state.pin))
        sys.stdout.flush()
        while running.thread.is_alive():
            running.thread.join(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        running.stop()


def bring_up(data_dir, running) -> None:
    """A second ``fieldkit start``: raise the running window, or open its address in the browser."""
    url, token = running.url, running.token
    if url and token:
        request = urllib.request.Request(  # noqa: S310 - our own loopback URL
            url + "instance/focus", method="POST", data=b"", headers={"X-FieldKit-Token": token}
        )
        try:
            with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 - our own loopback URL
                if response.status == 204:
                    click.echo(
                        _(
                            "FieldKit is already open for %(folder)s; its window is now in front.",
                            folder=str(data_dir),
                        )
                    )
                    return
        except (urllib.error.URLError, OSError):
            pass
    if url:
        click.echo(_("FieldKit is already running for %(folder)s: %(url)s", folder=str(data_dir), url=url))
    else:
        click.echo(_("FieldKit is already running for %(folder)s: starting up", folder=str(data_dir)))
    if url:
        webbrowser.open(url)
