"""Sync: the Sync page and the conflict review queue, on devices and at central alike; a
device's own enrolment and "Sync now" (``device_sync``), which only a device mounts."""

from __future__ import annotations

import json
from pathlib import Path

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for

from sync import client as sync_client
from sync import journal, merge
from sync.errors import SyncError

from .. import out_of_scope, people, scope
from ..db import connect, get_db, transaction
from ..fields import label as field_label
from ..i18n import gettext as _
from ..queries import disputes, in_country
from ..records import SCHEMA
from ..sync_service import open_client, refusal_rows, set_aside_rows, summary_lines  # noqa: F401
from . import author, page_number

bp = Blueprint("sync", __name__, url_prefix="/sync")
#: A device's own sync: central never mounts it (it must never become another server's device).
device_bp = Blueprint("device_sync", __name__, url_prefix="/sync")

#: Tables whose disputes link to a page, by table: endpoint and its id argument.
RECORD_PAGES = {"issues": ("issues.show", "issue_id"), "meetings": ("meetings.show", "meeting_id")}


@bp.get("/")
def index():
    conn = get_db()
    status = sync_client.status(conn)
    # The count the Review page pages through: disputes of records here, in the reader's country.
    status["conflicts"] = disputes.count(conn, scope.current())
    last = journal.replica_value(conn, "last_summary")
    central = current_app.config.get("ROLE") == "central"
    return render_template(
        "sync/index.html",
        status=status,
        errors={},
        values={"url": "", "code": ""},
        central=central,
        summary=summary_lines(json.loads(last)) if last else [],
        refusals=refusal_rows(conn),
        set_aside=set_aside_rows(conn),
        **({} if central else _scope_lists(conn, status)),
    )


def _with_links(records: list[dict]) -> list[dict]:
    for record in records:
        page = RECORD_PAGES.get(record["table"])
        record["url"] = url_for(page[0], **{page[1]: record["id"]}) if page else None
    return records


def _scope_lists(conn, status: dict) -> dict:
    """Records outside the enrolled scope, and those kept on this device, with links to them."""
    if not status["enrolled"]:
        return {"outside": [], "kept": []}
    return {
        "outside": _with_links(out_of_scope.outside(conn, status["org"], status["country"])),
        "kept": _with_links(out_of_scope.kept(conn)),
    }


def _scoped_record(conn) -> tuple[str, str]:
    """The record a move/keep form names; 404 unless it is a top-level synced record here."""
    table, row_id = request.form.get("tbl", ""), request.form.get("row_id", "")
    if table not in RECORD_PAGES or _record(conn, table, row_id, None) is None:
        abort(404)
    return table, row_id


@device_bp.post("/scope/move")
def move_into_scope():
    """Move a record outside the enrolled scope (and its children) into it, so it syncs."""
    conn = get_db()
    if current_app.config.get("ROLE") == "central" or not sync_client.enrolled(conn):
        abort(400)
    table, row_id = _scoped_record(conn)
    status = sync_client.status(conn)
    out_of_scope.move(conn, table, row_id, org=status["org"], country=status["country"], author=author())
    return redirect(url_for("sync.index"), 303)


@device_bp.post("/scope/keep")
def keep_on_device():
    """Keep a record outside the enrolled scope on this device only: it is never sent."""
    conn = get_db()
    if current_app.config.get("ROLE") == "central":
        abort(400)
    table, row_id = _scoped_record(conn)
    out_of_scope.keep(conn, table, row_id)
    return redirect(url_for("sync.index"), 303)


def _fresh_conn():
    # Sync commits page by page; use a connection of its own, not the request's.
    return connect(current_app.config["DATABASE"])


@device_bp.post("/enroll")
def enroll():
    values = {"url": request.form.get("url", "").strip(), "code": request.form.get("code", "").strip()}
    errors = {}
    if not values["url"].startswith(("http://", "https://")):
        errors["url"] = _("Enter the central server's address, starting with http:// or https://.")
    if not values["code"]:
        errors["code"] = _("Enter the enrolment code your country team gave you.")
    if not errors:
        conn = _fresh_conn()
        try:
            with open_client(current_app.config, conn, values["url"]) as client:
                answer = client.enroll(values["code"], values["url"])
            from .. import settings

            settings.save(
                Path(current_app.config["DATA_DIR"]), {"ORG": answer["org"], "COUNTRY": answer["country"]}
            )
            current_app.config.update(ORG=answer["org"], COUNTRY=answer["country"])
            return redirect(url_for("sync.index"), 303)
        except SyncError as error:
            errors["code"] = _("Enrolment failed: %(reason)s", reason=str(error))
        finally:
            conn.close()
    conn = get_db()
    return render_template(
        "sync/index.html",
        status=sync_client.status(conn),
        errors=errors,
        values=values,
        central=False,
        summary=[],
        outside=[],
        kept=[],
    ), 422


@device_bp.post("/run")
def run():
    conn = _fresh_conn()
    try:
        if not sync_client.enrolled(conn):
            abort(400)
        with open_client(current_app.config, conn) as client:
            client.sync()
    except SyncError as error:
        with transaction(conn):
            journal.set_replica_value(conn, "last_summary", json.dumps({"problems": [str(error)]}))
    finally:
        conn.close()
    return redirect(url_for("sync.index"), 303)


#: How many disputes a review page lists.
REVIEW_PAGE = 25

#: What a bulk decision takes for every selected dispute.
SIDES = ("mine", "theirs", "latest")


def _record(conn, table: str, row_id: str, country: str | None):
    """The disputed record, or None if it is gone or outside the signed-in scope."""
    if table not in journal.SYNCED:
        return None
    clause, params = in_country(f"[{table}]", country)
    return conn.execute(f"SELECT * FROM [{table}] WHERE id = ?{clause}", (row_id, *params)).fetchone()


def _filters(source) -> dict:
    """The review filters asked for (record type, field, device, author); nonsense is ignored."""
    return {k: v for k in disputes.FILTERS if (v := source.get(k, "").strip()) and len(v) <= 200}


def _record_words(table: str, record) -> tuple[str, str, str | None]:
    """A disputed record's reference, title and page: children name their type and link to their parent."""
    keys = record.keys()
    page = RECORD_PAGES.get(table)
    if page:
        return record["ref"] or "", record["title"] or "", url_for(page[0], **{page[1]: record["id"]})
    text = next(
        (
            record[k]
            for k in ("what", "title", "note", "said", "caption", "filename")
            if k in keys and record[k]
        ),
        "",
    )
    kind = str(SCHEMA[table].label) if table in SCHEMA else table
    title = _("%(kind)s: %(text)s", kind=kind, text=text) if text else kind
    for parent_field, endpoint in (("issue_id", "issues.show"), ("meeting_id", "meetings.show")):
        if parent_field in keys and record[parent_field]:
            return "", title, url_for(endpoint, **{parent_field: record[parent_field]})
    return "", title, None


#: Field types a reviewer may answer with a value of their own (not a choice, a date or a list).
COMBINABLE = ("text", "integer")


def _field_type(table: str, field: str) -> str | None:
    return SCHEMA[table][field].type if table in SCHEMA and field in SCHEMA[table].by_name else None


def _review_item(conn, dispute: dict, record) -> dict:
    """A dispute as the Review page shows it: record, field, and each candidate with who, when and before."""
    table, field = dispute["tbl"], dispute["field"]
    ref, title, url = _record_words(table, record)
    bases = [c["base"] for c in dispute["candidates"] if isinstance(c.get("base"), str)]
    before = disputes.values_at(conn, bases, field)
    candidates = []
    for c in sorted(
        dispute["candidates"], key=lambda c: (not people.is_this_device(c["device_id"]), c["hlc"])
    ):
        candidates.append(
            {
                **c,
                "mine": people.is_this_device(c["device_id"]),
                "who": people.changed_by(c.get("author", ""), c["device_id"]),
                "started_from": before.get(c.get("base")) if isinstance(c.get("base"), str) else None,
                "was_set": isinstance(c.get("base"), str) and c["base"] in before,
            }
        )
    key = f"{table}:{dispute['row_id']}:{field}"
    return {
        **dispute,
        "candidates": candidates,
        "is_list": _field_type(table, field) == "list",
        "combinable": _field_type(table, field) in COMBINABLE,
        "key": key,
        "html_id": "d-" + "-".join((table, dispute["row_id"], field)).replace("_", "-"),
        "ref": ref,
        "title": title,
        "url": url,
    }


def _review_page(errors: dict | None = None, selected=(), status: int = 200):
    conn = get_db()
    country = scope.current()
    filters = _filters(request.args)
    total = disputes.count(conn, country, filters)
    pages = max(1, -(-total // REVIEW_PAGE))
    number = min(page_number(), pages)
    offset = (number - 1) * REVIEW_PAGE
    items = []
    for dispute in disputes.page(conn, country, filters, limit=REVIEW_PAGE, offset=offset):
        record = _record(conn, dispute["tbl"], dispute["row_id"], country)
        if record is not None:
            items.append(_review_item(conn, dispute, record))
    facets = disputes.facets(conn, country)
    return render_template(
        "sync/conflicts.html",
        items=items,
        total=total,
        everything=disputes.count(conn, country) if filters else total,
        first=offset + 1,
        last=offset + len(items),
        page=number,
        pages=pages,
        filters=filters,
        query=filters | ({"page": number} if number > 1 else {}),
        options={
            "tbl": {t: str(SCHEMA[t].label) if t in SCHEMA else t for t in facets["tbl"]},
            "field": {f: _field_words(f, facets["tbl"]) for f in facets["field"]},
            "device": {d: people.device_name(d) for d in facets["device"]},
            "author": {a: a for a in facets["author"]},
        },
        central=current_app.config.get("ROLE") == "central",
        errors=errors or {},
        selected=set(selected),
    ), status


def _field_words(field: str, tables: list[str]) -> str:
    """A field's label for the filter: the declared label of the first disputed record type that has it."""
    if field == "deleted":
        return _("Deleted or kept")
    return next((field_label(t, field) for t in tables if t in SCHEMA and field in SCHEMA[t].by_name), field)


def _back():
    """The Review page with the filters and page the decision was made from."""
    return redirect(url_for("sync.conflicts", **_filters(request.args), **_page_arg()), 303)


def _page_arg() -> dict:
    number = page_number()
    return {"page": number} if number > 1 else {}


@bp.get("/conflicts")
def conflicts():
    """The review queue: disputes a page at a time, filtered, each with every candidate value."""
    return _review_page()


@bp.post("/conflicts/resolve")
def resolve():
    conn = get_db()
    table, row_id, field = (request.form.get(k, "") for k in ("tbl", "row_id", "field"))
    country = scope.current()
    if country is not None and _record(conn, table, row_id, country) is None:
        abort(404)  # outside the account's country: as if there were no such record
    current = disputes.one(conn, country, table, row_id, field)
    if current is None:
        # Already resolved (a double submit, or another reviewer): nothing to do.
        return _back()
    choice = request.form.get("choice", "")
    if choice == "custom" and _field_type(table, field) in COMBINABLE:
        value = request.form.get("value", "")
        if isinstance(current["candidates"][0]["value"], int):
            try:
                value = int(value)
            except ValueError:
                abort(400)
    else:
        chosen = next((c for c in current["candidates"] if c["dot"] == choice), None)
        if chosen is None:
            abort(400)
        value = chosen["value"]
    with transaction(conn):
        merge.resolve(conn, table, row_id, field, value, author=author())
    return _back()


def _pick(candidates: list[dict], side: str) -> dict | None:
    """The candidate a bulk decision takes, or None when the side does not name exactly one."""
    if side == "latest":
        return max(candidates, key=lambda c: (c["hlc"], c["dot"]))
    mine = [c for c in candidates if people.is_this_device(c["device_id"])]
    found = mine if side == "mine" else [c for c in candidates if c not in mine]
    return found[0] if len(found) == 1 else None


@bp.post("/conflicts/decide")
def resolve_many():
    """One answer for every selected dispute, all in one transaction or none at all."""
    conn = get_db()
    country = scope.current()
    side = request.form.get("side", "")
    picked = list(dict.fromkeys(request.form.getlist("pick")))
    if side not in SIDES:
        abort(400)
    if not picked:
        return _review_page({"pick": _("Select the disputes this answer is for.")}, status=422)
    decisions, unclear = [], []
    for key in picked:
        parts = key.split(":", 2)
        if len(parts) != 3:
            abort(400)
        current = disputes.one(conn, country, *parts)
        if current is None:
            continue  # decided already (a double submit, or another reviewer)
        chosen = _pick(current["candidates"], side)
        if chosen is None:
            record = _record(conn, parts[0], parts[1], country)
            unclear.append(_record_words(parts[0], record)[1] if record is not None else parts[1])
        else:
            decisions.append((*parts, chosen["value"]))
    if unclear:
        message = (
            _(
                "These have no value from this device, or more than one: %(records)s. Nothing was decided.",
                records=", ".join(unclear),
            )
            if side == "mine"
            else _(
                "These have more than one other value: %(records)s. Nothing was decided.",
                records=", ".join(unclear),
            )
        )
        return _review_page({"pick": message}, selected=picked, status=422)
    with transaction(conn):
        for table, row_id, field, value in decisions:
            merge.resolve(conn, table, row_id, field, value, author=author())
    return _back()


def _disputed_fields(table: str, row_id: str) -> dict:
    """Disputed fields of one record, for the notice on its page."""
    return journal.disputed_fields(get_db(), table, row_id)


def init_app(app) -> None:
    """The Sync page and review queue; a device's enrolment and sync, or central's API and admin."""
    app.register_blueprint(bp)
    app.jinja_env.globals["disputed_fields"] = _disputed_fields
    from .. import central

    if central.is_central(app):
        central.init_app(app)
    else:
        app.register_blueprint(device_bp)
