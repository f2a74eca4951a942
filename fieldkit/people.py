"""Who made a change, in words: a person's name and a device's description, never a hex id.

An op carries the author's name as it was typed (Settings → Your name on the laptop, the name a
phone gave when it joined the hub). A laptop edit made before a name was set has no author: it
is this laptop's owner, so pages say their name now, or "this device". A device is "this
device", or at central the partner it was enrolled for and when.
"""

from __future__ import annotations

from flask import current_app, g

from sync import journal

from .db import get_db
from .i18n import format_date
from .i18n import gettext as _


def _own_devices() -> set[str]:
    if "own_devices" not in g:
        g.own_devices = set(journal.replica_ids(get_db()))
    return g.own_devices


def _registry() -> dict[str, dict]:
    if "device_registry" not in g:
        registry: dict[str, dict] = {}
        if current_app.config.get("ROLE") == "central":
            from .central.queries import device_registry

            registry = device_registry(get_db())
        g.device_registry = registry
    return g.device_registry


def is_this_device(device_id: str) -> bool:
    """Whether an op was made on this device (laptop or one of its hub's phones)."""
    return device_id in _own_devices()


def device_name(device_id: str) -> str:
    """A device as a person knows it: "this device", or the partner it was enrolled for and when."""
    if is_this_device(device_id):
        return _("this device")
    known = _registry().get(device_id)
    if known and known.get("name"):
        return known["name"]
    if known:
        return _(
            "a device of %(org)s, enrolled %(date)s", org=known["org"], date=format_date(known["enrolled_at"])
        )
    return _("another device")


def author_name(author: str, device_id: str) -> str:
    """Who made a change: their name; for a nameless edit on this laptop its owner's name or "this device"."""
    if author:
        return author
    if is_this_device(device_id):
        return current_app.config.get("AUTHOR", "") or _("this device")
    return device_name(device_id)


def changed_by(author: str, device_id: str) -> str:
    """Who made a change and, if elsewhere, on which device: "Awa Diop, on a device of CSO-Kisumu…"."""
    if not author or is_this_device(device_id):
        return author_name(author, device_id)
    return _("%(person)s, on %(device)s", person=author, device=device_name(device_id))


def init_app(app) -> None:
    """``author_name``, ``device_name`` and ``changed_by`` for every template."""
    app.jinja_env.globals.update(author_name=author_name, device_name=device_name, changed_by=changed_by)
