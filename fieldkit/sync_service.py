"""What sync means to a person: the client for this data folder, a sync's summary in words,
and central's refusals and the changes set aside, explained with the declared labels.

Shared by the Sync page and the ``fieldkit sync`` command (neither imports the other).
"""

from __future__ import annotations

from pathlib import Path

import httpx

from sync import client as sync_client
from sync import journal

from .i18n import gettext as _
from .i18n import lazy_gettext as _l
from .i18n import ngettext
from .records import SCHEMA

#: What each refusal code of central means, for a person; ``%(field)s`` is the field's label.
REFUSALS = {
    "scope": _l("It is outside the partner organisation or country this device is enrolled for."),
    "unknown-record": _l("It belongs to a record central does not have, or that this device may not see."),
    "depends-on-refused": _l("It depends on another change that central refused."),
    "text": _l("%(field)s holds invisible control characters or text-direction marks."),
    "length": _l("%(field)s is too long."),
    "required": _l("%(field)s is missing."),
    "type": _l("%(field)s does not hold a value of the right kind."),
    "range": _l("%(field)s is outside the allowed range."),
    "choice": _l("%(field)s is not one of the allowed choices."),
    "pattern": _l("%(field)s is not in the expected form."),
    "immutable": _l("%(field)s cannot be changed once recorded."),
    "file-scope": _l("The file belongs to records outside this device's scope."),
    "op-id-reused": _l("This change was sent before with different content."),
}


def open_client(config, conn, server_url: str | None = None, progress=None) -> sync_client.Client:
    """A sync client for this data folder's database, talking to its enrolled server."""
    url = server_url or journal.replica_value(conn, "sync_server", "")
    transport = config.get("SYNC_TRANSPORT")  # tests: an httpx.WSGITransport to a central app
    http = httpx.Client(
        base_url=url.rstrip("/"),
        transport=transport,
        timeout=httpx.Timeout(60.0, connect=15.0),
        follow_redirects=False,
    )
    return sync_client.Client(
        conn,
        http,
        blob_root=Path(config["DATA_DIR"]) / "blobs",
        app_version=config.get("VERSION", ""),
        progress=progress,
    )


def summary_lines(summary: dict) -> list[str]:
    """A plain account of one sync: sent, received, conflicts, what is still pending and why."""
    lines = [
        _(
            "Sent %(sent)s changes and received %(received)s.",
            sent=summary.get("sent", 0),
            received=summary.get("received", 0),
        ),
        _(
            "Photos and files: %(sent)s sent, %(received)s received.",
            sent=summary.get("blobs_sent", 0),
            received=summary.get("blobs_received", 0),
        ),
    ]
    if summary.get("conflicts"):
        lines.append(_("%(num)s disputed fields wait for review.", num=summary["conflicts"]))
    if summary.get("blobs_pending"):
        lines.append(
            _(
                "%(num)s files are still waiting; they will be sent at the next sync.",
                num=summary["blobs_pending"],
            )
        )
    if summary.get("refused"):
        lines.append(
            ngettext(
                "Central refused %(num)s change; the Sync page says why. Everything else was sent.",
                "Central refused %(num)s changes; the Sync page says why. Everything else was sent.",
                summary["refused"],
            )
        )
    if summary.get("set_aside"):
        lines.append(
            ngettext(
                "%(num)s change received could not be applied on this device; it is kept and tried again.",
                "%(num)s changes received could not be applied on this device; they are kept and tried again.",
                summary["set_aside"],
            )
        )
    for problem in summary.get("problems", [])[:5]:
        lines.append(_("Still pending: %(reason)s", reason=problem))
    return lines


def _label(table: str, field: str | None) -> str:
    if table in SCHEMA and field and field in SCHEMA[table].by_name:
        return str(SCHEMA[table][field].label)
    return field or ""


def _record_label(table: str) -> str:
    return str(SCHEMA[table].label) if table in SCHEMA else table


def refusal_rows(conn) -> list[dict]:
    """This device's changes central refused: what, which record, why (in the user's language)."""
    rows = []
    for refusal in sync_client.refusals(conn):
        words = REFUSALS.get(refusal["code"])
        reason = (
            str(words) % {"field": _label(refusal["tbl"], refusal["field"])}
            if words
            else _("Central could not accept it: %(reason)s", reason=refusal["reason"])
        )
        rows.append({**refusal, "what": _record_label(refusal["tbl"]), "why": reason})
    return rows


def set_aside_rows(conn) -> list[dict]:
    """Received changes this device could not apply yet, with the record type in words."""
    return [{**row, "what": _record_label(row["tbl"])} for row in sync_client.set_aside(conn)]
