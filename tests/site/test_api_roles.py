"""Who may do what over the REST API: anonymous, a plain user, reviewer, exporter, staff."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from annotation.datasets.models import DatasetSnapshot
from annotation.datasets.snapshots import create_snapshot
from annotation.review.models import Candidate
from tests.factories import make_user, seed_corpus, token_client_for

pytestmark = pytest.mark.django_db

READS = [
    "/api/characters/",
    "/api/sources/",
    "/api/question-sets/",
    "/api/questions/",
    "/api/training-jobs/",
    "/api/generation-jobs/",
    "/api/model-versions/",
]
# Bulk reading of the corpus, the candidates and the snapshots: the export permission or staff.
BULK_READS = [
    "/api/conversations/",
    "/api/lines/",
    "/api/lines/?page_size=1000",
    "/api/candidates/",
    "/api/snapshots/",
]


def _client(role: str) -> APIClient:
    if role == "anonymous":
        return APIClient()
    return token_client_for(make_user(f"u-{role}", role))


@pytest.mark.parametrize("url", READS + BULK_READS)
def test_anonymous_gets_401_everywhere(url: str) -> None:
    assert APIClient().get(url).status_code == 401


@pytest.mark.parametrize("url", READS + BULK_READS)
def test_user_outside_reviewers_is_forbidden(url: str) -> None:
    response = _client("plain").get(url)
    assert response.status_code == 403
    assert "an admin grants it" in response.json()["detail"]  # says which role, and who grants it


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


@pytest.mark.parametrize("url", BULK_READS)
def test_reviewer_without_the_export_permission_cannot_page_through_the_corpus(url: str) -> None:
    response = _client("reviewer").get(url)
    assert response.status_code == 403
    assert "annotation.export_dataset" in response.json()["detail"]


@pytest.mark.parametrize("role", ["exporter", "staff"])
@pytest.mark.parametrize("url", BULK_READS)
def test_the_export_permission_or_staff_read_the_corpus_in_bulk(url: str, role: str) -> None:
    response = _client(role).get(url)
    assert response.status_code == 200, response.content
    assert "results" in response.json() and "next" in response.json()


@pytest.mark.parametrize("role,expected", [("reviewer", 403), ("exporter", 200), ("staff", 200)])
def test_single_corpus_rows_need_the_export_permission_too(role: str, expected: int) -> None:
    from annotation.corpus.models import Conversation, Line
    from annotation.review.models import Candidate
    from tests.factories import make_candidates

    seed_corpus()
    make_candidates(1)
    snap = create_snapshot()
    client = _client(role)
    for url in (
        f"/api/conversations/{Conversation.objects.first().pk}/",
        f"/api/lines/{Line.objects.first().pk}/",
        f"/api/candidates/{Candidate.objects.first().pk}/",
        f"/api/snapshots/{snap.pk}/",
    ):
        assert client.get(url).status_code == expected, url  # else ids 1..N rebuild the data set


def test_reviewer_gets_what_the_review_queue_hands_out() -> None:
    from tests.factories import make_candidates

    make_candidates(4, per_question=2)
    client = _client("reviewer")
    claimed = client.post("/api/review/claim/")
    assert claimed.status_code == 200
    item = claimed.json()
    assert item["context"] and len(item["candidates"]) == 2  # the question's context and the siblings
    assert client.get(f"/api/review/{item['id']}/").status_code == 200
    others = Candidate.objects.exclude(pk__in=[c["id"] for c in item["candidates"]]).exclude(pk=item["id"])
    # Not handed out to this reviewer: the item is not theirs to read (the same answer as a missing id).
    assert client.get(f"/api/review/{others.first().pk}/").status_code == 404


def test_a_decided_item_stays_readable_by_its_reviewer_for_undo() -> None:
    from tests.factories import make_candidates

    make_candidates(1)
    client = _client("reviewer")
    item = client.post("/api/review/claim/").json()
    submitted = client.post(
        f"/api/review/{item['id']}/submit/", {"action": "accept", "version": item["version"]}, format="json"
    )
    assert submitted.status_code == 200, submitted.content
    assert client.get(f"/api/review/{item['id']}/").status_code == 200
    assert (
        token_client_for(make_user("stranger", "reviewer")).get(f"/api/review/{item['id']}/").status_code
        == 404
    )


def test_session_login_works_for_the_api(client) -> None:  # noqa: ANN001
    user = make_user("sess", "reviewer")
    client.force_login(user)
    assert client.get("/api/model-versions/").status_code == 200


def test_drf_create_token_command_makes_a_working_token(capsys: pytest.CaptureFixture) -> None:
    make_user("tok", "reviewer")
    call_command("drf_create_token", "tok")
    key = capsys.readouterr().out.split()[2]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/characters/").status_code == 200
