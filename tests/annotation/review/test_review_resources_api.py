"""Question sets, questions and candidates over the REST API: filters, history, questions in order."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from annotation.review.models import Candidate, ReviewAction
from tests.factories import make_candidate, make_question, make_version

pytestmark = pytest.mark.django_db


def _results(response) -> list[dict]:  # noqa: ANN001
    assert response.status_code == 200, response.content
    return response.json()["results"]


def test_candidates_filter_by_status_model_version_and_date_with_history(staff_api: APIClient) -> None:
    version = make_version(name="v1", adapter_dir="/x")
    q = make_question("好き？")
    good = make_candidate(q, "好きだぜ", status=Candidate.Status.ACCEPTED)
    Candidate.objects.filter(pk=good.pk).update(model_version=version)
    make_candidate(q, "いいえ", status=Candidate.Status.REJECTED)
    ReviewAction.objects.create(
        candidate=good,
        user=None,
        action="accept",
        status_before="pending",
        status_after="accepted",
        version=0,
    )
    assert [c["id"] for c in _results(staff_api.get("/api/candidates/?status=accepted"))] == [good.pk]
    assert [c["id"] for c in _results(staff_api.get(f"/api/candidates/?model_version={version.pk}"))] == [
        good.pk
    ]
    assert len(_results(staff_api.get("/api/candidates/?created_after=2000-01-01"))) == 2
    assert _results(staff_api.get("/api/candidates/?created_before=2000-01-01")) == []
    assert staff_api.get("/api/candidates/?status=nonsense").status_code == 400
    assert staff_api.get("/api/candidates/?created_after=yesterday").status_code == 400
    history = staff_api.get(f"/api/candidates/{good.pk}/").json()["history"]
    assert [h["action"] for h in history] == ["accept"]


def test_question_set_lists_its_questions_in_order(staff_api: APIClient) -> None:
    first = make_question("一つ目", set_name="セットA")
    make_question("二つ目", set_name="セットA")
    make_question("別のセット", set_name="セットB")
    body = staff_api.get(f"/api/question-sets/{first.question_set_id}/questions/").json()
    assert [q["text"] for q in body["results"]] == ["一つ目", "二つ目"]
    created = staff_api.post(
        "/api/questions/",
        {
            "question_set": first.question_set_id,
            "text": "三つ目",
            "context": [{"speaker": "ユーザー", "text": "やあ"}],
        },
        format="json",
    )
    assert created.status_code == 201 and created.json()["context"][0]["text"] == "やあ"
    assert (
        staff_api.post(
            "/api/questions/", {"question_set": first.question_set_id, "text": "  "}, format="json"
        ).status_code
        == 400
    )
