"""Every issue value the declaration allows round-trips, in all eight UI languages: the edit form
shows it, submitting that form unchanged changes nothing, and a CSV export of it imports back the same.

The generated values are those the declaration allows *and* a person can type: text without
surrounding white space, tags in lower case without commas, canonical language tags (the form
tidies anything else, so it would not come back unchanged).
"""

from __future__ import annotations

import csv
import io
import unicodedata
from datetime import date
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from fieldkit import create_app, fields
from fieldkit.db import connect
from fieldkit.queries.issues import create_issue
from fieldkit.transfer import export_issues, import_issues
from tests.conftest import FormClient

LANGUAGES = ("en", "fr", "sw", "hi", "id", "wo", "zu", "ak")
CURRENCIES = ("", "KES", "GHS", "INR", "IDR", "XOF", "ZAR", "USD")
HIDDEN = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"


def _tidy(text: str) -> bool:
    return text == text.strip() and unicodedata.is_normalized("NFC", text)


def _text(declared, multiline=False):
    alphabet = st.characters(
        blacklist_categories=("Cs", "Cc"), blacklist_characters=HIDDEN, **({} if not multiline else {})
    )
    if multiline:
        alphabet = st.one_of(alphabet, st.just("\n"))
    limit = min(declared.max_length or 200, 60)
    strategy = st.text(alphabet, min_size=1 if declared.required else 0, max_size=limit).filter(_tidy)
    if declared.required:
        strategy = strategy.filter(bool)
    return strategy


def _tags():
    word = st.text(
        st.characters(blacklist_categories=("Cs", "Cc", "Z"), blacklist_characters=HIDDEN + ","),
        min_size=1,
        max_size=12,
    )
    word = word.filter(lambda t: t == unicodedata.normalize("NFC", t.lower()) and t == t.strip())
    return st.lists(word, max_size=5, unique=True)


def _value(declared):
    kind = declared.type
    if declared.name == "budget_currency":
        return st.sampled_from(CURRENCIES)
    if declared.name == "language":
        return st.sampled_from(("en", "fr", "sw", "hi", "id", "wo", "zu", "ak", "dag"))
    if kind == "text":
        return _text(declared, declared.multiline)
    if kind == "integer":
        integers = st.integers(int(declared.minimum), int(declared.maximum))
        return integers if declared.required else st.none() | integers
    if kind == "amount":
        amounts = st.decimals(0, 10**15, places=2) | st.integers(0, 10**15).map(Decimal)
        return st.none() | amounts.map(lambda d: format(d, "f"))
    if kind == "date":
        return st.none() | st.dates(date(1900, 1, 1), date.today()).map(date.isoformat)
    if kind == "enum":
        return st.sampled_from(declared.choices)
    if kind == "list":
        return _tags()
    raise AssertionError(f"no strategy for {declared.name} ({kind})")


@st.composite
def issues(draw):
    """Values of every issue form field, as the declaration allows them."""
    values = {}
    for declared in fields.form_fields("issues"):
        if declared.type == "decimal":
            continue
        values[declared.name] = draw(_value(declared))
    if draw(st.booleans()):  # both coordinates or neither
        values["lat"] = draw(st.floats(-90, 90, allow_nan=False))
        values["lon"] = draw(st.floats(-180, 180, allow_nan=False))
    else:
        values["lat"] = values["lon"] = None
    values["gps_accuracy"] = draw(st.none() | st.floats(0, 100_000, allow_nan=False))
    return values


class FormReader(HTMLParser):
    """What a browser would submit from the page's record form, untouched."""

    def __init__(self):
        super().__init__()
        self.inside = False
        self.values: dict[str, str] = {}
        self._textarea = self._select = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.inside = "record" in (a.get("class") or "")
        if not self.inside:
            return
        if tag == "input" and a.get("name") and a.get("type") not in ("file", "submit"):
            if a.get("type") in ("radio", "checkbox") and "checked" not in a:
                return
            self.values[a["name"]] = a.get("value") or ""
        elif tag == "textarea":
            self._textarea = a["name"]
            self.values[self._textarea] = ""
        elif tag == "select":
            self._select = a["name"]
        elif tag == "option" and self._select and "selected" in a:
            self.values[self._select] = a.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None
        elif tag == "form":
            self.inside = False

    def handle_data(self, data):
        if self._textarea:
            self.values[self._textarea] += data


@pytest.fixture(scope="module")
def apps(tmp_path_factory):
    base = tmp_path_factory.mktemp("round-trip")
    device = create_app({"DATA_DIR": base / "device", "TESTING": True, "COUNTRY": "KE"})
    other = create_app({"DATA_DIR": base / "other", "TESTING": True, "COUNTRY": "KE"})
    conns = connect(device.config["DATABASE"]), connect(other.config["DATABASE"])
    yield device, other, conns
    for conn in conns:
        conn.close()


def _row(conn, issue_id: str) -> dict:
    names = [f.name for f in fields.form_fields("issues")]
    row = conn.execute(f"SELECT {', '.join(names)} FROM issues WHERE id = ?", (issue_id,)).fetchone()
    return dict(zip(names, row, strict=True))


@pytest.mark.parametrize("lang", LANGUAGES)
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=issues())
@example(values={"title": "Pump", "sector": "water", "country": "KE", "lat": -5.6e-05, "lon": 1e-07})
@example(values={"title": "Grant", "sector": "grants", "country": "IN", "budget_allocated": "1500000.50"})
def test_every_allowed_issue_round_trips_through_form_export_and_import(apps, lang, values):
    device, other, (conn, other_conn) = apps
    with device.app_context():
        issue_id = create_issue(conn, dict(values, tags=values.get("tags") or []))
    stored = _row(conn, issue_id)
    ops = conn.execute("SELECT COUNT(*) FROM sync_ops WHERE tbl = 'issues'").fetchone()[0]

    web = FormClient(device.test_client())
    page = web.get(f"/issues/{issue_id}/edit?lang={lang}")
    assert page.status_code == 200
    form = FormReader()
    form.feed(page.get_data(as_text=True))
    saved = web.submit(f"/issues/{issue_id}/edit?lang={lang}", form.values)
    assert saved.status_code == 303, (form.values, saved.get_data(as_text=True)[:3000])
    assert _row(conn, issue_id) == stored
    # Nothing about the issue changed (its places may be learnt for the pick-lists, which is not an edit).
    assert conn.execute("SELECT COUNT(*) FROM sync_ops WHERE tbl = 'issues'").fetchone()[0] == ops

    out = io.StringIO()
    with device.test_request_context(f"/?lang={lang}"):
        export_issues(conn, out, "csv")
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    mine = next(r for r in rows if r["id"] == issue_id)
    path = device.config["DATA_DIR"] + f"/one-{lang}.csv"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(mine))
        writer.writeheader()
        writer.writerow(mine)
    with other.test_request_context(f"/?lang={lang}"):
        report = import_issues(other_conn, __import__("pathlib").Path(path))
    assert report.problems == [] and report.imported == 1
    assert _row(other_conn, issue_id) == stored
