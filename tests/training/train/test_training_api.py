"""Training over the REST API: staff launch a job and activate a version; reviewers and bad parameters are refused."""

from __future__ import annotations

import json

import pytest
from rest_framework.test import APIClient

from tests.factories import make_reviewed_snapshot, make_reviewer, make_version
from training.train.models import ModelVersion, TrainingJob

pytestmark = pytest.mark.django_db


def test_staff_launch_a_training_job_and_activate_a_version(staff_api: APIClient) -> None:
    snap = make_reviewed_snapshot()
    response = staff_api.post(
        "/api/training-jobs/", {"snapshot": snap.pk, "params": {"max_steps": 2}}, format="json"
    )
    assert response.status_code == 201, response.content
    job = TrainingJob.objects.get(pk=response.json()["id"])
    assert job.status == "queued" and job.params["max_steps"] == 2
    bad = staff_api.post("/api/training-jobs/", {"snapshot": snap.pk, "params": {"bogus": 1}}, format="json")
    assert bad.status_code == 400 and "bogus" in json.dumps(bad.json())
    v1 = make_version(name="v1", adapter_dir="/x", is_active=True)
    v2 = make_version(name="v2", adapter_dir="/y")
    assert staff_api.post(f"/api/model-versions/{v2.pk}/activate/").json()["is_active"] is True
    v1.refresh_from_db()
    assert not v1.is_active and ModelVersion.objects.get(is_active=True).pk == v2.pk


def test_reviewer_cannot_launch_jobs() -> None:
    snap = make_reviewed_snapshot()
    client = APIClient()
    client.force_authenticate(make_reviewer("rev"))
    assert client.post("/api/training-jobs/", {"snapshot": snap.pk}, format="json").status_code == 403
    assert TrainingJob.objects.count() == 0


def test_bad_training_parameters_are_refused_before_a_job_exists(staff_api: APIClient) -> None:
    snap = make_reviewed_snapshot()
    for params in ({"learning_rate": "fast"}, {"max_steps": 1.5}, {"packing": "yes"}):
        response = staff_api.post(
            "/api/training-jobs/", {"snapshot": snap.pk, "params": params}, format="json"
        )
        assert response.status_code == 400, params
    assert staff_api.post("/api/training-jobs/", {"snapshot": 999}, format="json").status_code == 400
    assert TrainingJob.objects.count() == 0
