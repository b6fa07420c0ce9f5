"""Schemathesis against the live OpenAPI schema, over every endpoint, as staff (token auth):
no server error and no response that breaks the schema."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from annotation.datasets.snapshots import create_snapshot
from annotation.review.models import Candidate
from marisa_site.wsgi import application
from tests.factories import make_candidate, make_question, make_staff, make_version, seed_corpus


@pytest.fixture
def staff_headers(db) -> dict[str, str]:  # noqa: ANN001
    """A staff token plus a little of everything, so generated ids sometimes hit real rows."""
    seed_corpus()
    q = make_question("好きな食べ物は？")
    make_candidate(q, "きのこ", status=Candidate.Status.EDITED, final_text="きのこだぜ")
    make_candidate(q, "まだ")
    snap = create_snapshot()
    make_version(name="v1", snapshot=snap)
    user = make_staff("fuzz-staff")
    token, _ = Token.objects.get_or_create(user=user)
    return {"Authorization": f"Token {token.key}"}


# Loaded at collection: schema generation needs no database.
schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)


@pytest.fixture
def keep_test_connection(db) -> Iterator[None]:  # noqa: ANN001
    """As Django's test client does: the test's transaction must survive the start and end of a WSGI request."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@schema.parametrize()
@settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_schema(case, keep_test_connection: None, staff_headers: dict[str, str]) -> None:  # noqa: ANN001
    case.call_and_validate(headers=staff_headers, checks=[not_a_server_error, response_schema_conformance])


def test_schema_is_served_as_json_and_docs_use_local_assets(client) -> None:  # noqa: ANN001
    response = client.get("/api/schema/?format=json")
    assert response.status_code == 200 and response.json()["openapi"].startswith("3.")
    assert "/api/snapshots/{id}/export/{fmt}/" in response.json()["paths"]
    docs = client.get("/api/docs/").content.decode()
    assert "swagger-ui" in docs and "cdn" not in docs.lower() and "/static/drf_spectacular_sidecar/" in docs
    from django.contrib.staticfiles import finders

    for asset in ("swagger-ui-bundle.js", "swagger-ui-standalone-preset.js", "swagger-ui.css"):
        assert f"drf_spectacular_sidecar/swagger-ui-dist/{asset}" in docs
        assert finders.find(f"drf_spectacular_sidecar/swagger-ui-dist/{asset}"), (
            asset
        )  # shipped, served by us
