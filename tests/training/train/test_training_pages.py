"""Training pages through the Django test client: who may launch, what the live partial shows."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from annotation.datasets.models import DatasetSnapshot
from tests.factories import (
    client_for,
    make_generation_job,
    make_job,
    make_snapshot,
    make_source,
    make_staff,
    make_user,
    make_version,
)
from training.jobs.models import Job
from training.train.models import ModelVersion, TrainingJob

pytestmark = pytest.mark.django_db


def test_pages_need_a_login() -> None:
    response = Client().get(reverse("training:jobs"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_launching_requires_staff() -> None:
    snapshot = make_snapshot()
    reviewer = client_for(make_user("reviewer", "reviewer"))
    assert reviewer.get(reverse("training:jobs")).status_code == 200
    refused = reviewer.get(reverse("training:launch"))
    assert refused.status_code == 403
    assert "Launching a training job needs staff status" in refused.content.decode()  # says why
    response = reviewer.post(reverse("training:launch"), {"snapshot": snapshot.pk})
    assert response.status_code == 403
    assert reviewer.post(reverse("training:create_snapshot")).status_code == 403
    assert not TrainingJob.objects.exists()


def test_staff_launches_a_job_with_the_form_defaults() -> None:
    snapshot = make_snapshot()
    staff = client_for(make_staff())
    page = staff.get(reverse("training:launch"))
    assert page.status_code == 200
    form = page.context["form"]
    data = {name: form[name].value() for name in form.fields if form[name].value() not in (None, False)}
    data.update(snapshot=snapshot.pk, max_steps=5)
    response = staff.post(reverse("training:launch"), data)
    job = TrainingJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("training:job", args=[job.pk])
    assert job.status == Job.Status.QUEUED and job.params["max_steps"] == 5
    assert job.params["lora_r"] == 64 and job.params["load_in_4bit"] is True
    assert job.created_by.username == "staff"


def test_snapshot_button_creates_a_snapshot_and_preselects_it() -> None:
    make_source()
    staff = client_for(make_staff())
    response = staff.post(reverse("training:create_snapshot"))
    snapshot = DatasetSnapshot.objects.get()
    assert response["Location"] == f"{reverse('training:launch')}?snapshot={snapshot.pk}"
    page = staff.get(response["Location"])
    assert page.context["form"].initial["snapshot"] == str(snapshot.pk)


def test_progress_partial_polls_while_running_and_draws_the_loss_curve() -> None:
    job = make_job(
        status=Job.Status.RUNNING,
        step=3,
        total_steps=12,
        loss=2.5,
        eta_seconds=125,
        loss_history=[[1, 3.2], [2, 2.9], [3, 2.5]],
    )
    client = client_for(make_user("viewer", "reviewer"))
    html = client.get(reverse("training:job_progress", args=[job.pk])).content.decode()
    assert 'hx-trigger="every 1s"' in html
    assert 'aria-valuenow="25"' in html and 'value="25"' in html and "2 min 05 s" in html
    assert "<svg" in html and "<polyline" in html
    assert "Cancel" not in html  # the viewer is not staff
    staff_html = client_for(make_staff()).get(reverse("training:job", args=[job.pk])).content.decode()
    assert "Cancel" in staff_html and "hx-get" in staff_html


def test_finished_partial_stops_polling_and_shows_the_error_and_traceback() -> None:
    job = make_job(
        status=Job.Status.FAILED,
        error="The GPU ran out of memory (CUDA out of memory). Lower per_device_batch_size",
        traceback="Traceback (most recent call last):\n  boom",
        resumable=True,
    )
    html = client_for(make_staff()).get(reverse("training:job_progress", args=[job.pk])).content.decode()
    assert "hx-trigger" not in html
    assert "ran out of memory" in html and "Traceback (most recent call last)" in html
    assert "Resume from the last checkpoint" in html
    reviewer_html = client_for(make_user("viewer", "reviewer")).get(reverse("training:job", args=[job.pk]))
    assert "ran out of memory" in reviewer_html.content.decode()  # the reason in words: for everyone
    assert "Traceback (most recent call last)" not in reviewer_html.content.decode()  # staff only


def test_cancel_and_resume_buttons_change_the_job() -> None:
    job = make_job(status=Job.Status.RUNNING)
    staff = client_for(make_staff())
    staff.post(reverse("training:job_cancel", args=[job.pk]))
    job.refresh_from_db()
    assert job.cancel_requested
    TrainingJob.objects.filter(pk=job.pk).update(status=Job.Status.CANCELLED, resumable=True)
    staff.post(reverse("training:job_resume", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == Job.Status.QUEUED and job.params["resume"] is True


def test_versions_page_shows_metrics_and_activates() -> None:
    old = make_version(name="v-old", metrics={"train_loss": 2.0, "eval": {"loss": 1.75, "perplexity": 5.75}})
    old.activate()
    samples = [{"prompt": "霊夢: よう\n魔理沙: ", "reply": "元気だぜ", "base_reply": "ですわ"}]
    new = make_version(name="v-new", metrics={"train_loss": 1.5, "eval": {"loss": 1.25, "samples": samples}})
    staff = client_for(make_staff())
    html = staff.get(reverse("training:versions")).content.decode()
    assert "v-old" in html and "v-new" in html and "1.75" in html and "5.75" in html
    assert "元気だぜ" in html and "ですわ" in html
    response = staff.post(reverse("training:version_activate", args=[new.pk]))
    assert response.status_code == 302
    assert ModelVersion.active() == new
    reviewer = client_for(make_user("r", "reviewer"))
    assert reviewer.post(reverse("training:version_activate", args=[old.pk])).status_code == 403
    assert ModelVersion.active() == new


def test_admin_lists_jobs_and_activates_a_version() -> None:
    admin = make_user("root", "superuser")
    client = client_for(admin)
    job = make_job(status=Job.Status.FAILED, resumable=True)
    version = make_version(job, name="v-admin")
    make_generation_job(version)
    for name in ("trainingjob", "modelversion", "generationjob"):
        assert client.get(reverse(f"admin:training_{name}_changelist")).status_code == 200
    assert client.get(reverse("admin:training_trainingjob_change", args=[job.pk])).status_code == 200
    response = client.post(
        reverse("admin:training_modelversion_changelist"),
        {"action": "activate_version", "_selected_action": [version.pk]},
    )
    assert response.status_code == 302 and ModelVersion.active() == version
    client.post(
        reverse("admin:training_trainingjob_changelist"),
        {"action": "resume_jobs", "_selected_action": [job.pk]},
    )
    job.refresh_from_db()
    assert job.status == Job.Status.QUEUED
