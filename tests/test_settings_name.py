"""Settings → Your name: the laptop owner's name becomes the author of edits made on the laptop."""

from __future__ import annotations

import json
import re

import pytest

from fieldkit import create_app

from .conftest import FormClient, create_issue
from .test_hub import Phone


def history_authors(client, issue_id) -> list[str]:
    page = client.get(f"/issues/{issue_id}/history").get_data(as_text=True)
    return [m.strip() for m in re.findall(r'<p class="meta">[^·]*·([^<]*)</p>', page)]


def test_without_a_name_history_says_this_device(client):
    issue_id = create_issue(client)
    assert history_authors(client, issue_id) == ["this device"]


def test_a_name_set_later_is_shown_for_laptop_edits_made_before(client):
    issue_id = create_issue(client)
    client.submit("/settings/name", {"author": "Awa Diop"})
    assert history_authors(client, issue_id) == ["Awa Diop"]


def test_the_name_set_in_settings_is_the_author_of_laptop_edits(client, db, data_dir):
    page = client.get("/settings/").get_data(as_text=True)
    assert 'name="author"' in page and "Your name" in page
    response = client.submit("/settings/name", {"author": "  Wanjiru   Achieng "})
    assert response.status_code == 303
    assert "Your name was saved" in client.get(response.headers["Location"]).get_data(as_text=True)
    issue_id = create_issue(client)
    assert history_authors(client, issue_id) == ["Wanjiru Achieng"]
    authors = {r[0] for r in db.execute("SELECT author FROM sync_ops WHERE row_id = ?", (issue_id,))}
    assert authors == {"Wanjiru Achieng"}
    assert json.loads((data_dir / "settings.json").read_text())["AUTHOR"] == "Wanjiru Achieng"
    assert 'value="Wanjiru Achieng"' in client.get("/settings/").get_data(as_text=True)


def test_the_name_is_kept_when_fieldkit_starts_again(client, data_dir):
    client.submit("/settings/name", {"author": "Awa Diop"})
    restarted = FormClient(create_app({"DATA_DIR": data_dir, "TESTING": True}).test_client())
    issue_id = create_issue(restarted)
    assert history_authors(restarted, issue_id) == ["Awa Diop"]


def test_an_empty_name_clears_it(client):
    client.submit("/settings/name", {"author": "Awa Diop"})
    assert client.submit("/settings/name", {"author": "  "}).status_code == 303
    issue_id = create_issue(client)
    assert history_authors(client, issue_id) == ["this device"]


@pytest.mark.parametrize(
    ("typed", "message"),
    [("A" * 61, "Keep this under 60 characters"), ("Awa\x07Diop", "invisible control characters")],
)
def test_a_bad_name_is_refused_beside_the_field_and_nothing_changes(client, data_dir, typed, message):
    client.submit("/settings/name", {"author": "Awa Diop"})
    response = client.submit("/settings/name", {"author": typed})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page and 'aria-invalid="true"' in page.split('name="author"')[1].split(">")[0]
    assert json.loads((data_dir / "settings.json").read_text())["AUTHOR"] == "Awa Diop"


def test_a_phone_on_the_hub_cannot_set_the_laptops_name(app, data_dir):
    from fieldkit import hub

    state = hub.of(app)
    state.serve_on("127.0.0.2", 8080)
    phone = Phone(app)
    phone.join(state.pin)
    response = phone.post("/settings/name", {"csrf_token": phone.csrf("/"), "author": "Intruder"})
    assert response.status_code == 403
    assert not (data_dir / "settings.json").exists()
