"""``fieldkit start``: the app in a native window where a GUI exists, else in the browser."""

from __future__ import annotations

import os
import threading
import webbrowser

import click

from .server import make_server, server_url


def gui_available() -> bool:
    """Whether a pywebview window can be opened here (a display and a GUI backend)."""
    if os.name == "posix" and not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        if not os.uname().sysname == "Darwin":
            return False
    try:
        import webview  # noqa: F401
    except ImportError:
        return False
    return True


def open_window(url: str, *, title: str = "FieldKit") -> bool:
    """Show ``url`` in a native window and block until it is closed; False if no GUI backend."""
    try:
        import webview

        webview.create_window(title, url, width=1100, height=800, min_size=(320, 480))
        webview.start()
        return True
    except Exception as error:  # noqa: BLE001 - any backend failure falls back to the browser
        click.echo(f"No desktop window available ({error.__class__.__name__}); using the browser.", err=True)
        return False


def run(app, lock, *, window: bool = True, host: str = "127.0.0.1", port: int = 0) -> None:
    """Serve ``app`` and show it; returns when the window closes (or on Ctrl-C in browser mode)."""
    server = make_server(app, host=host, port=port)
    url = server_url(server)
    lock.announce(url)
    thread = threading.Thread(target=server.run, name="fieldkit-server", daemon=True)
    thread.start()
    click.echo(f"FieldKit is running at {url}")
    try:
        if window and gui_available() and open_window(url):
            return
        webbrowser.open(url)
        click.echo("Press Ctrl+C to stop.")
        thread.join()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
