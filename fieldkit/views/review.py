"""The review queue of the Sync blueprint: disputed fields a page at a time, filtered by record
type, field, device and person; each candidate value with who made it, when, and what it replaced;
one decision, or one answer for several selected disputes in one transaction.
"""

from __future__ import annotations

from flask import abort, current_app, redirect, render_template, request, url_for

from sync import merge
from sync.schema import Refused

from .. import people, scope
from ..db import get_db, transaction
from ..fields import label as field_label
from ..i18n import gettext as _
from ..queries import disputes
from ..records import SCHEMA
from . import author, page_number
from .sync import RECORD_PAGES, _record, bp

#: How many disputes a review page lists.
REVIEW_PAGE = 25

#: The most disputes one bulk decision takes (a page shows REVIEW_PAGE; more is not a browser's form).
MAX_PICKED = 200

#: What a bulk decision takes for every selected dispute.
SIDES = ("mine", "theirs", "latest")


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
            for k in ("what", "title", "name", "note", "said", "caption", "filename", "msgid", "endonym")
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
    check_row = SCHEMA[table].check_row if table in SCHEMA else None
    if check_row and choice == "custom":
        try:  # a combined translation is checked as central checks one a device sends
            check_row(conn, {**dict(_record(conn, table, row_id, country)), field: value})
        except Refused as refusal:
            return _review_page({"pick": _("Not decided: %(reason)s", reason=refusal.reason)}, status=422)
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
    if side not in SIDES or len(picked) > MAX_PICKED:
        abort(400)
    if not picked:
        return _review_page({"pick": _("Select the disputes this answer is for.")}, status=422)
    keys = [key.split(":", 2) for key in picked]
    if any(len(parts) != 3 for parts in keys):
        abort(400)
    unclear = []
    # Checked and applied in one transaction: another reviewer's decision cannot slip in between.
    with transaction(conn):
        decisions = []
        for table, row_id, field in keys:
            current = disputes.one(conn, country, table, row_id, field)
            if current is None:
                continue  # decided already (a double submit, or another reviewer)
            chosen = _pick(current["candidates"], side)
            if chosen is None:
                unclear.append(_record_words(table, _record(conn, table, row_id, country))[1])
            else:
                decisions.append((table, row_id, field, chosen["value"]))
        if not unclear:
            for table, row_id, field, value in decisions:
                merge.resolve(conn, table, row_id, field, value, author=author())
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
    return _back()
