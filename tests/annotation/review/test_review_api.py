"""The review queue over the API: token auth, claim 200/204, submit 200/409, undo, schema."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from annotation.review.models import Candidate
from tests.factories import make_candidates, make_reviewer, token_client_for

pytestmark = pytest.mark.django_db


def reviewer_api(name: str) -> APIClient:
    return token_client_for(make_reviewer(name))


def test_claim_submit_and_nothing_left() -> None:
    make_candidates(1)
    api = reviewer_api("a")
    item = api.post("/api/review/claim/").json()
    assert {"id", "question", "text", "version", "lease_expires_at", "candidates", "guidelines"} <= set(item)
    assert item["question"].startswith("質問0")
    done = api.post(
        f"/api/review/{item['id']}/submit/",
        {"action": "edit", "text": "直したぜ", "version": item["version"]},
        format="json",
    )
    assert done.status_code == 200 and done.json()["status"] == "edited"
    assert api.post("/api/review/claim/").status_code == 204


def test_stale_submit_is_409_with_the_current_text() -> None:
    make_candidates(1)
    api = reviewer_api("a")
    item = api.post("/api/review/claim/").json()
    body = {"action": "edit", "text": "一回目", "version": item["version"]}
    assert api.post(f"/api/review/{item['id']}/submit/", body, format="json").status_code == 200
    again = api.post(f"/api/review/{item['id']}/submit/", {**body, "text": "二回目"}, format="json")
    assert again.status_code == 409
    assert again.json()["current_text"] == "一回目"
    assert Candidate.objects.get(pk=item["id"]).final_text == "一回目"


def test_submit_on_someone_elses_item_is_409() -> None:
    make_candidates(1)
    a, b = reviewer_api("a"), reviewer_api("b")
    item = a.post("/api/review/claim/").json()
    res = b.post(f"/api/review/{item['id']}/submit/", {"action": "accept", "version": 0}, format="json")
    assert res.status_code == 409
    assert Candidate.objects.get(pk=item["id"]).status == "pending"


def test_bad_action_is_400_and_anonymous_is_refused() -> None:
    make_candidates(1)
    api = reviewer_api("a")
    item = api.post("/api/review/claim/").json()
    res = api.post(f"/api/review/{item['id']}/submit/", {"action": "approve", "version": 0}, format="json")
    assert res.status_code == 400
    assert APIClient().post("/api/review/claim/").status_code in (401, 403)


def test_undo_and_renew_over_the_api() -> None:
    make_candidates(2)
    api = reviewer_api("a")
    item = api.post("/api/review/claim/").json()
    assert api.post(f"/api/review/{item['id']}/renew/").status_code == 200
    api.post(
        f"/api/review/{item['id']}/submit/",
        {"action": "reject", "version": 0, "reason": "敬語"},
        format="json",
    )
    back = api.post("/api/review/undo/")
    assert back.status_code == 200 and back.json()["id"] == item["id"] and back.json()["status"] == "pending"
    assert [h["action"] for h in back.json()["history"]] == ["reject", "undo"]
    assert api.post("/api/review/undo/").status_code == 409
    progress = api.get("/api/review/progress/").json()
    assert progress == {"decided_today": 0, "remaining": 2, "can_undo": False}


def test_schema_describes_the_review_endpoints() -> None:
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.validation import validate_schema

    schema = SchemaGenerator().get_schema(request=None, public=True)
    validate_schema(schema)
    assert "409" in schema["paths"]["/api/review/{id}/submit/"]["post"]["responses"]
