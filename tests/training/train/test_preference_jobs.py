"""Rounds that build on each other and the DPO / KTO stages as training jobs: `manage.py train`, the API, the
launch form, the pages, and one DPO job on a real Celery worker."""

from __future__ import annotations

import json
import time
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from annotation.datasets.models import DatasetSnapshot
from tests import servers
from tests.factories import client_for, make_preference_snapshot, make_staff, make_version
from training.jobs.models import Job
from training.jobs.tasks import run_here
from training.train.launch import launch_training_job
from training.train.models import ModelVersion, TrainingJob
from training.train.tasks import run_training_job

TINY = {"max_steps": 3, "per_device_batch_size": 2, "max_seq_length": 128, "lora_r": 8, "save_steps": 100}


def last_json(text: str) -> dict:
    return json.loads(text.strip().splitlines()[-1])


def sft_version(snapshot: DatasetSnapshot, demo_model_dir: Path) -> ModelVersion:
    """A short SFT round run in this process through the job's task: the version later rounds continue."""
    job = launch_training_job(snapshot, str(demo_model_dir), dict(TINY), send=False)
    job = run_here(run_training_job, job.pk)
    assert job.status == Job.Status.SUCCEEDED, job.error
    return ModelVersion.objects.get(training_job=job)


@pytest.mark.django_db
def test_dpo_dry_run_counts_the_pairs_drops_identical_ones_and_shows_them_decoded(
    demo_model_dir: Path,
) -> None:
    snapshot = make_preference_snapshot(questions=12, identical=2)
    out = StringIO()
    call_command(
        "train", "--dry-run", "--json", "--stage", "dpo", "--snapshot", str(snapshot.pk),
        "--base-model", str(demo_model_dir), stdout=out,
    )  # fmt: skip
    report = last_json(out.getvalue())
    assert report["stage"] == "dpo" and report["identical_dropped"] == 2
    assert report["train"] + report["held_out"] == 12 + 12 == report["from_edit"] + report["from_rejected"]
    assert report["held_out"] >= 1
    sample = report["samples"][0]
    # Exactly the generation prompt, and completions that end with the separator (the stop rule).
    assert sample["prompt"].endswith("はどう？\n魔理沙: ") and sample["prompt"].startswith("<s>")
    assert sample["chosen"].endswith("だぜ\n") and sample["rejected"].endswith("\n")
    assert not TrainingJob.objects.exists()


@pytest.mark.django_db
def test_too_little_preference_data_is_refused_at_launch_with_the_count_needed(demo_model_dir: Path) -> None:
    snapshot = make_preference_snapshot(questions=3)
    parent = make_version(base_model=str(demo_model_dir))
    with pytest.raises(CommandError, match=r"\d+ preference pairs to train on; DPO needs at least 32"):
        call_command(
            "train", "--stage", "dpo", "--from-version", str(parent.pk), "--snapshot", str(snapshot.pk),
            stdout=StringIO(),
        )  # fmt: skip
    with pytest.raises(CommandError, match="no model version 999"):
        call_command("train", "--stage", "kto", "--from-version", "999", stdout=StringIO())
    assert not TrainingJob.objects.exists()


@pytest.mark.django_db
def test_the_api_launches_a_kto_stage_from_a_version_and_versions_show_their_parent(
    staff_api: APIClient, demo_model_dir: Path
) -> None:
    snapshot = make_preference_snapshot(questions=12)
    parent = make_version(name="v-parent", base_model=str(demo_model_dir), is_active=True)
    body = {"snapshot": snapshot.pk, "stage": "kto", "params": {"min_examples": 8}}
    response = staff_api.post("/api/training-jobs/", body, format="json")
    assert response.status_code == 201, response.content
    assert (
        response.json()["stage"] == "kto" and response.json()["from_version"] == parent.pk
    )  # the active one
    job = TrainingJob.objects.get(pk=response.json()["id"])
    assert (
        job.base_model == parent.base_model and job.params["learning_rate"] == 2e-4
    )  # the demo's KTO default

    few = staff_api.post("/api/training-jobs/", {"snapshot": snapshot.pk, "stage": "dpo"}, format="json")
    assert few.status_code == 400 and "DPO needs at least 32" in json.dumps(few.json())
    other = {"snapshot": snapshot.pk, "stage": "dpo", "base_model": "someone/else", "from_version": parent.pk}
    assert staff_api.post("/api/training-jobs/", other, format="json").status_code == 400
    missing = {"snapshot": snapshot.pk, "stage": "dpo", "from_version": 999}
    assert staff_api.post("/api/training-jobs/", missing, format="json").status_code == 400

    child = make_version(name="v-child", base_model=parent.base_model, parent=parent, stage="kto")
    listed = staff_api.get(f"/api/model-versions/{child.pk}/").json()
    assert listed["parent"] == parent.pk and listed["stage"] == "kto"


@pytest.mark.django_db
def test_the_launch_page_continues_the_active_version_by_default_and_a_stage_needs_one(
    demo_model_dir: Path,
) -> None:
    snapshot = make_preference_snapshot(questions=2)
    active = make_version(name="v-active", base_model="", is_active=True)
    client = client_for(make_staff())
    page = client.get("/training/new/").content.decode()
    assert "Continue from" in page and f'<option value="{active.pk}" selected>' in page
    form = client.get("/training/new/").context["form"]
    data = {k: v for k, v in form.initial.items() if v is not None and not isinstance(v, bool)}
    data.update(snapshot=snapshot.pk, stage="dpo", from_version="")
    refused = client.post("/training/new/", data)
    assert refused.status_code == 200 and "continues a model version" in refused.content.decode()
    data["from_version"] = active.pk
    few = client.post("/training/new/", data)
    assert "DPO needs at least 32" in few.content.decode() and not TrainingJob.objects.exists()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_round_continues_the_previous_version_and_the_pages_show_the_lineage(demo_model_dir: Path) -> None:
    snapshot = make_preference_snapshot(questions=4)
    parent = sft_version(snapshot, demo_model_dir)
    out = StringIO()
    call_command(
        "train", "--snapshot", str(snapshot.pk), "--from-version", str(parent.pk), "--max-steps", "2",
        "--batch-size", "2", "--max-seq-length", "128", "--wait", "--inline", "--json", stdout=out, stderr=StringIO(),
    )  # fmt: skip
    summary = last_json(out.getvalue())
    assert summary["status"] == "succeeded" and summary["from_version"] == parent.pk, summary
    child = ModelVersion.objects.get(pk=summary["model_version"])
    assert (
        child.parent == parent and child.stage == "sft" and child.config["from_adapter"] == parent.adapter_dir
    )
    assert child.config["lora_r"] == 8  # the parent's adapter came along, whatever the job's own r said

    client = client_for(make_staff())
    versions = client.get("/training/versions/").content.decode()
    assert f'<strong>v{child.pk}</strong> (sft) ← <a href="#v{parent.pk}">v{parent.pk}</a> (sft)' in versions
    job_page = client.get(f"/training/jobs/{child.training_job_id}/").content.decode()
    assert "continues" in job_page and parent.name in job_page


@pytest.mark.slow
def test_a_dpo_stage_on_a_celery_worker_makes_a_child_version_with_held_out_figures(
    celery_worker: servers.Process, demo_model_dir: Path
) -> None:
    snapshot = make_preference_snapshot(questions=12)
    parent = sft_version(snapshot, demo_model_dir)
    params = {**TINY, "max_steps": 4, "min_examples": 8, "logging_steps": 1}
    job = launch_training_job(snapshot, "", params, stage="dpo", from_version=parent)
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and not job.is_finished:
        time.sleep(0.5)
        job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED, job.error + job.traceback + celery_worker.log()[-4000:]
    assert job.worker and job.step == job.total_steps == 4 and job.loss_history
    child = ModelVersion.objects.get(training_job=job)
    assert child.parent == parent and child.stage == "dpo" and "dpo" in child.name
    figures = child.metrics["preference_eval"]
    assert figures["held_out"] >= 1 and figures["margin"] is not None and figures["parent_margin"] is not None
    assert child.metrics["eval"]["loss"] is not None  # scored on the pinned evaluation set too
    assert Path(child.adapter_dir, "adapter_model.safetensors").is_file()
    page = client_for(make_staff()).get(f"/training/jobs/{job.pk}/").content.decode()
    assert "log-prob margin" in page and "DPO (preference pairs)" in page
