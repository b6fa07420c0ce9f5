"""Who may do what over the REST API: anonymous, a plain user, reviewer, exporter, staff."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from annotation.datasets.models import DatasetSnapshot
from annotation.datasets.snapshots import create_snapshot
from tests.factories import make_user, seed_corpus, token_client_for

pytestmark = pytest.mark.django_db

READS = [
    "/api/characters/",
    "/api/sources/",
    "/api/conversations/",
    "/api/lines/",
    "/api/question-sets/",
    "/api/questions/",
    "/api/candidates/",
    "/api/snapshots/",
    "/api/training-jobs/",
    "/api/generation-jobs/",
    "/api/model-versions/",
]


def _client(role: str) -> APIClient:
    if role == "anonymous":
        return APIClient()
    return token_client_for(make_user(f"u-{role}", role))


@pytest.mark.parametrize("url", READS)
def test_anonymous_gets_401_everywhere(url: str) -> None:
    assert APIClient().get(url).status_code == 401


@pytest.mark.parametrize("url", READS)
def test_user_outside_reviewers_is_forbidden(url: str) -> None:
    assert _client("plain").get(url).status_code == 403


@pytest.mark.parametrize("role", ["reviewer", "exporter", "staff"])
@pytest.mark.parametrize("url", READS)
def test_reviewers_and_staff_read(url: str, role: str) -> None:
    response = _client(role).get(url)
    assert response.status_code == 200, response.content
    assert "results" in response.json() and "next" in response.json()


@pytest.mark.parametrize(
    "role,expected",
    [("anonymous", 401), ("plain", 403), ("reviewer", 403), ("exporter", 403), ("staff", 201)],
)
def test_only_staff_create_snapshots(role: str, expected: int) -> None:
    seed_corpus()
    response = _client(role).post("/api/snapshots/")
    assert response.status_code == expected
    assert DatasetSnapshot.objects.count() == (1 if expected == 201 else 0)


@pytest.mark.parametrize(
    "role,expected",
    [("anonymous", 401), ("plain", 403), ("reviewer", 403), ("exporter", 200), ("staff", 200)],
)
def test_downloads_need_the_export_permission(role: str, expected: int) -> None:
    seed_corpus()
    snap = create_snapshot()
    response = _client(role).get(f"/api/snapshots/{snap.pk}/export/jsonl/")
    assert response.status_code == expected
    if expected == 200:
        assert b"".join(response.streaming_content).count(b"\n") == snap.conversation_count


@pytest.mark.parametrize("role,expected", [("reviewer", 403), ("exporter", 403), ("staff", 201)])
def test_only_staff_write_corpus_resources(role: str, expected: int) -> None:
    response = _client(role).post("/api/question-sets/", {"name": "新しい質問"}, format="json")
    assert response.status_code == expected


def test_session_login_works_for_the_api(client) -> None:  # noqa: ANN001
    user = make_user("sess", "reviewer")
    client.force_login(user)
    assert client.get("/api/snapshots/").status_code == 200


def test_drf_create_token_command_makes_a_working_token(capsys: pytest.CaptureFixture) -> None:
    make_user("tok", "reviewer")
    call_command("drf_create_token", "tok")
    key = capsys.readouterr().out.split()[2]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/characters/").status_code == 200
