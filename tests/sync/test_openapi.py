"""The sync API's OpenAPI description (served at /api/v1/openapi.json) names every route of
the API and nothing else, and Schemathesis, driving every operation it describes with drawn
valid and invalid requests and a real device token, never gets a 5xx from central."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from fieldkit.central.api import OPENAPI
from sync import journal, protocol

from .replicas import new_issue
from .test_api import api

MEDIA = "image/jpeg"


def route_of(rule: str) -> str:
    return rule.removeprefix(protocol.PREFIX).replace("<sha256>", "{sha256}")


@pytest.fixture
def central_with_a_device(tmp_path, make_device, central_app):
    """Central with an enrolled device that has pushed an issue and a photo record."""
    from fieldkit.queries import attachments

    device = make_device("field")
    device.enroll()
    issue = new_issue(device.conn, "Clinic without medicine")
    row = dict(device.conn.execute("SELECT * FROM issues WHERE id = ?", (issue,)).fetchone())
    attachments.add_attachments(
        device.conn, row, [{"sha256": "ab" * 32, "filename": "a.jpg", "media_type": MEDIA, "size": 10}]
    )
    device.sync()
    return central_app, journal.replica_value(device.conn, "sync_token"), journal.device_id(device.conn)


def test_the_description_is_served_and_names_every_sync_route_and_method(central_app):
    answer = api(central_app, "GET", "/openapi.json")
    assert answer.status_code == 200 and answer.headers["Content-Type"].startswith("application/json")
    described = {
        (path, method.upper())
        for path, operations in answer.json()["paths"].items()
        for method in operations
        if method in ("get", "post", "put", "patch", "delete")
    }
    routed = {
        (route_of(rule.rule), method)
        for rule in central_app.url_map.iter_rules()
        if rule.endpoint.startswith("sync_api.")  # the read API has its own description
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert described == routed


# Loaded from the file central serves (the test above shows it is that file).
schema = schemathesis.openapi.from_path(str(OPENAPI))


@schema.parametrize()
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_operation_of_the_sync_api_answers_5xx(case, central_with_a_device):
    app, token, device_id = central_with_a_device
    if case.path == "/push" and isinstance(case.body, dict):
        # Most drawn pushes would stop at "an op names another device": speak as this device,
        # and number its ops after what central acknowledged, so they are not replays.
        case.body["device_id"] = device_id
        acked = api(app, "GET", "/state", token=token).json()["acked"]
        for n, op in enumerate(case.body.get("ops") if isinstance(case.body.get("ops"), list) else []):
            if isinstance(op, dict):
                op["device_id"] = device_id
                if isinstance(op.get("dseq"), int):
                    op["dseq"] = acked + 1 + n
    case.call_and_validate(
        app=app,
        headers={"Authorization": f"Bearer {token}", protocol.HEADER_VERSION: "1"},
        checks=[not_a_server_error],
    )
