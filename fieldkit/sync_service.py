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


#: A failed sync or enrolment in words, by the error's code (central's problem code, or the sync
#: library's class code); central's own English explanation goes to the log, not to the page.
ERRORS = {
    "unreachable": _l("Central could not be reached. Check the connection and the address, then try again."),
    "enrolment-code": _l(
        "The enrolment code is wrong, expired or already used: ask your country team for a new one."
    ),
    "already-enrolled": _l(
        "This device is already enrolled at this server and an enrolment code works only once: "
        "ask a central admin to re-enrol it."
    ),
    "revoked": _l("This device was revoked at central: ask your country team for a new enrolment code."),
    "auth": _l("Central does not know this device's token: enrol the device again."),
    "forbidden": _l("Central refused this device's request: it is outside what the device may do."),
    "protocol-version": _l("Central speaks another version of the sync protocol: update FieldKit."),
    "too-large": _l("Central refused a request as too large."),
}


def error_key(error: Exception) -> dict:
    """What a sync error was, as data to keep (its code and status), worded later by :func:`error_text`."""
    code = "unreachable" if isinstance(error, sync_client.Unreachable) else getattr(error, "code", "")
    return {"code": str(code or ""), "status": int(getattr(error, "status", 0) or 0)}


def error_text(key: dict) -> str:
    """A sync error in the user's language, from :func:`error_key`'s data."""
    known = ERRORS.get(str(key.get("code", "")))
    if known is not None:
        return str(known)
    return _(
        "Central could not complete the request (error %(status)s). Try again later.",
        status=key.get("status") or "?",
    )


def reason(error: Exception) -> str:
    """A sync error for the command line: in the user's language when central named what it was,
    else the library's own words (an unusual failure keeps its detail)."""
    key = error_key(error)
    return error_text(key) if key["code"] in ERRORS else str(error)


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
    if isinstance(summary.get("error"), dict):
        lines.append(_("Still pending: %(reason)s", reason=error_text(summary["error"])))
    for problem in summary.get("problems", [])[:5]:
        lines.append(_("Still pending: %(reason)s", reason=problem))
    return lines


def _label(table: str, field: str | None) -> str:
    if table in SCHEMA and field and field in SCHEMA[table].by_name:
        return str(SCHEMA[table][field].label)
    return field or ""


def _record_label(table: str) -> str:
    return str(SCHEMA[table].label) if table in SCHEMA else table


def _announced_again(conn, refusal: dict) -> bool:
    """Whether a later create of the same row (a record moved into scope) replaced a refused op."""
    return (
        conn.execute(
            "SELECT 1 FROM sync_ops o WHERE o.tbl = ? AND o.row_id = ? AND o.kind = 'create' "
            "AND o.device_id = ? AND o.dseq > ? AND NOT EXISTS (SELECT 1 FROM sync_refusals r "
            "WHERE r.device_id = o.device_id AND r.dseq = o.dseq) LIMIT 1",
            (refusal["tbl"], refusal["row_id"], refusal["device_id"], refusal["dseq"]),
        ).fetchone()
        is not None
    )


def refusal_rows(conn) -> list[dict]:
    """This device's changes central refused: what, which record, why (in the user's language)."""
    rows = []
    for refusal in sync_client.refusals(conn):
        if _announced_again(conn, refusal):
            continue
        words = REFUSALS.get(refusal["code"])
        reason = (
            str(words) % {"field": _label(refusal["tbl"], refusal["field"])}
            if words
            else _("Central could not accept it: %(reason)s", reason=refusal["reason"])
        )
        rows.append({**refusal, "what": _record_label(refusal["tbl"]), "why": reason})
    return rows


def stored_problem(problem: dict) -> str:
    """Why a stored value breaks its declaration, in words (``problem`` from ``broken_rows``)."""
    words = REFUSALS.get(problem["code"])
    if words is None:
        return problem["reason"]
    return str(words) % {"field": _label(problem["table"], problem["field"])}


def set_aside_rows(conn) -> list[dict]:
    """Received changes this device could not apply yet, with the record type in words."""
    return [{**row, "what": _record_label(row["tbl"])} for row in sync_client.set_aside(conn)]
