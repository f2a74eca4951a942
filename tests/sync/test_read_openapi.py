"""The read API's OpenAPI description names its routes, and Schemathesis, driving every operation
with a read token of a Kenya account, never gets a 5xx nor a Ghana record."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from fieldkit.central import accounts, read_api, read_tokens
from fieldkit.db import connect
from tests.export_data import seed

PREFIX = read_api.bp.url_prefix


@pytest.fixture
def central_with_records(central_app):
    conn = connect(central_app.config["DATABASE"])
    seed(conn, "KE")
    ghana = seed(conn, "GH")
    accounts.add_user(conn, "amina", "long enough 1", country="KE", role="viewer")
    token = read_tokens.create(conn, "amina", "fuzz")
    conn.close()
    return central_app, token, set(ghana.values())


def test_the_description_names_every_read_route(central_app):
    described = set(central_app.test_client().get(PREFIX + "/openapi.json").get_json()["paths"])
    routed = {
        rule.rule.removeprefix(PREFIX)
        for rule in central_app.url_map.iter_rules()
        if rule.endpoint.startswith("read_api.")
    }
    assert described == routed


schema = schemathesis.openapi.from_path(str(read_api.OPENAPI))


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_operation_of_the_read_api_answers_5xx_or_shows_another_country(case, central_with_records):
    app, token, ghana = central_with_records
    response = case.call_and_validate(
        app=app,
        headers={"Authorization": f"Bearer {token}", "Accept-Encoding": "identity"},
        checks=[not_a_server_error],
    )
    assert not any(row_id in response.text for row_id in ghana)
