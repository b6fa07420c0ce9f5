"""The arena over the API: claim 200/204, vote 200/400/409, roles (401 anonymous, 403 no role), schema."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from annotation.review.arena_models import ArenaMatch
from tests.factories import make_arena_matches, make_reviewer, make_user, token_client_for

pytestmark = pytest.mark.django_db


def test_claim_vote_and_nothing_left() -> None:
    (match,) = make_arena_matches(1)
    api = token_client_for(make_reviewer("alice"))
    shown = api.post("/api/arena/claim/").json()
    assert shown["id"] == match.pk and shown["question"] == "アリーナ質問0"
    assert (shown["reply_a"], shown["reply_b"]) == (match.reply_a, match.reply_b)
    assert "version_a" not in shown and "v1" not in repr(shown)  # blind
    done = api.post(f"/api/arena/{match.pk}/vote/", {"outcome": "b", "note": "Aは敬語"}, format="json")
    assert done.status_code == 200 and done.json()["outcome"] == "b"
    stored = ArenaMatch.objects.get(pk=match.pk)
    assert (stored.outcome, stored.note, stored.voted_by.username) == ("b", "Aは敬語", "alice")
    assert api.post("/api/arena/claim/").status_code == 204
    assert api.get("/api/arena/progress/").json() == {"voted_today": 1, "voted_by_you": 1, "remaining": 0}


def test_a_second_vote_is_409_and_bad_input_is_400() -> None:
    (match,) = make_arena_matches(1)
    alice, bob = token_client_for(make_reviewer("alice")), token_client_for(make_reviewer("bob"))
    assert alice.post("/api/arena/claim/").status_code == 200
    assert bob.post("/api/arena/claim/").status_code == 204  # alice holds the only match
    held = bob.post(f"/api/arena/{match.pk}/vote/", {"outcome": "a"}, format="json")
    assert held.status_code == 409 and "another reviewer" in held.json()["detail"]
    assert alice.post(f"/api/arena/{match.pk}/vote/", {"outcome": "left"}, format="json").status_code == 400
    assert (
        alice.post(
            f"/api/arena/{match.pk}/vote/", {"outcome": "a", "note": "x" * 1001}, format="json"
        ).status_code
        == 400
    )
    assert alice.post(f"/api/arena/{match.pk}/vote/", {"outcome": "tie"}, format="json").status_code == 200
    again = alice.post(f"/api/arena/{match.pk}/vote/", {"outcome": "a"}, format="json")
    assert again.status_code == 409 and "already voted" in again.json()["detail"]
    assert alice.post("/api/arena/999999/vote/", {"outcome": "a"}, format="json").status_code == 409


def test_renew_and_release() -> None:
    (match,) = make_arena_matches(1)
    alice, bob = token_client_for(make_reviewer("alice")), token_client_for(make_reviewer("bob"))
    alice.post("/api/arena/claim/")
    assert alice.post(f"/api/arena/{match.pk}/renew/").status_code == 200
    assert bob.post(f"/api/arena/{match.pk}/renew/").status_code == 409
    assert alice.post(f"/api/arena/{match.pk}/release/").status_code == 204
    assert bob.post("/api/arena/claim/").json()["id"] == match.pk


@pytest.mark.parametrize(
    "path,method",
    [
        ("/api/arena/claim/", "post"),
        ("/api/arena/progress/", "get"),
        ("/api/arena/ratings/", "get"),
        ("/api/arena/1/vote/", "post"),
        ("/api/arena/1/renew/", "post"),
        ("/api/arena/1/release/", "post"),
    ],
)
def test_a_user_without_the_reviewer_role_gets_403_and_anonymous_401(path: str, method: str) -> None:
    make_arena_matches(1)
    plain = token_client_for(make_user("nobody"))
    refused = getattr(plain, method)(path, {"outcome": "a"}, format="json")
    assert refused.status_code == 403 and "reviewer role" in refused.json()["detail"]
    assert getattr(APIClient(), method)(path).status_code == 401
    assert not ArenaMatch.objects.exclude(status="open").exists()


def test_ratings_endpoint_reports_ratings_pairs_and_export_counts() -> None:
    matches = make_arena_matches(5)
    api = token_client_for(make_reviewer("alice"))
    for match, outcome in zip(matches, ["a", "a", "a", "b", "tie"], strict=True):
        api.post(f"/api/arena/{match.pk}/vote/", {"outcome": outcome}, format="json")
    summary = api.get("/api/arena/ratings/").json()
    assert summary["votes"] == 5
    best, worst = summary["ratings"]
    assert best["version"].startswith("v1 (#") and best["rating"] > worst["rating"]
    assert best["low"] < best["rating"] < best["high"]
    assert (best["wins"], best["losses"], best["ties"]) == (3, 1, 1)
    (pair,) = summary["pairs"]
    assert pair["text"].startswith(f"{best['version']} beats {worst['version']}: win rate 70% [")
    assert pair["text"].endswith(", 5 votes")
    assert summary["export"] == {"pairs": 4, "ties": 1, "both_bad": 0}


def test_schema_describes_the_arena_endpoints() -> None:
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.validation import validate_schema

    schema = SchemaGenerator().get_schema(request=None, public=True)
    validate_schema(schema)
    paths = schema["paths"]
    assert {"/api/arena/claim/", "/api/arena/{id}/vote/", "/api/arena/ratings/"} <= set(paths)
    assert "409" in paths["/api/arena/{id}/vote/"]["post"]["responses"]
