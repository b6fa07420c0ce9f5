"""Generation over the REST API: staff launch a generation job for a version and a question set."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests.factories import make_question, make_version

pytestmark = pytest.mark.django_db


def test_staff_launch_a_generation_job(staff_api: APIClient) -> None:
    version = make_version(name="v1", adapter_dir="/x")
    q = make_question("元気？")
    body = {"model_version": version.pk, "question_set": q.question_set_id, "n": 3}
    response = staff_api.post("/api/generation-jobs/", body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["candidates_per_question"] == 3 and response.json()["status"] == "queued"
