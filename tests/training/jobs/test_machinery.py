"""Job machinery without a model: claim, progress hooks, cancel, resume, failure, reaper (the split: tests/training/train/test_eval_set.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta

import pytest
import redis
from django.test import override_settings
from django.utils import timezone

from tests import servers
from tests.factories import make_generation_job, make_job, make_snapshot, make_version
from training.jobs.models import Job
from training.jobs.tasks import reap_stale_jobs, send_unsent_jobs
from training.train.checkpoints import discard_incomplete_checkpoints, find_checkpoint
from training.train.launch import launch_training_job
from training.train.models import ModelVersion, TrainingJob
from training.train.progress import JobHooks

pytestmark = pytest.mark.django_db


def test_claim_takes_a_queued_job_once() -> None:
    job = make_job(celery_task_id="task-1")
    assert TrainingJob.claim(job.pk, "other-task") is None
    claimed = TrainingJob.claim(job.pk, "task-1", worker="gpu@host")
    assert claimed is not None and claimed.status == Job.Status.RUNNING
    assert claimed.worker == "gpu@host" and claimed.attempts == 1 and claimed.heartbeat_at
    assert TrainingJob.claim(job.pk, "task-1") is None  # a redelivered message finds nothing


def test_hooks_write_progress_at_a_bounded_rate_and_keep_the_loss_curve() -> None:
    job = make_job(status=Job.Status.RUNNING)
    hooks = JobHooks(job, min_interval=3600)
    progress = {"total_steps": 10, "learning_rate": 1e-4, "tokens_per_second": 250.0, "eta_seconds": 9}
    hooks.on_progress({**progress, "step": 1, "loss": 3.5})  # the first write goes through
    hooks.on_progress({**progress, "step": 2, "loss": 3.1})  # within the interval: held back
    job.refresh_from_db()
    assert job.step == 1 and job.loss == 3.5 and job.total_steps == 10
    assert job.tokens_per_second == 250.0 and job.heartbeat_at is not None
    hooks.on_progress({**progress, "step": 10, "loss": 2.0})  # the last step always writes
    job.refresh_from_db()
    assert job.step == 10 and job.loss == 2.0 and job.percent == 100
    assert job.loss_history == [[1, 3.5], [2, 3.1], [10, 2.0]]


def test_hooks_replace_replayed_steps_after_a_resume() -> None:
    job = make_job(status=Job.Status.RUNNING, loss_history=[[1, 3.0], [2, 2.8], [3, 2.7]])
    hooks = JobHooks(job, min_interval=0)
    hooks.on_progress({"step": 3, "total_steps": 5, "loss": 2.6})
    hooks.on_progress({"step": 4, "total_steps": 5, "loss": float("nan")})
    job.refresh_from_db()
    assert job.loss_history == [[1, 3.0], [2, 2.8], [3, 2.6]]


def test_hooks_bound_the_stored_curve() -> None:
    job = make_job(status=Job.Status.RUNNING)
    hooks = JobHooks(job, min_interval=3600, history_limit=100)
    for step in range(1, 1001):
        hooks.on_progress({"step": step, "total_steps": 1000, "loss": 1000.0 / step})
    job.refresh_from_db()
    assert 50 <= len(job.loss_history) <= 101
    assert job.loss_history[0][0] == 1 and job.loss_history[-1] == [1000, 1.0]


def test_cancel_stops_a_running_job_at_the_next_check() -> None:
    job = make_job(status=Job.Status.RUNNING)
    hooks = JobHooks(job, min_interval=0)
    assert hooks.should_stop() is False
    assert job.request_cancel() == "cancelling"
    hooks._last_cancel_check = float("-inf")
    assert hooks.should_stop() is True
    job.refresh_from_db()
    assert job.status == Job.Status.RUNNING and job.cancel_requested


def test_cancel_of_a_queued_job_is_immediate_and_a_worker_then_skips_it() -> None:
    job = make_job()
    assert job.request_cancel() == "cancelled"
    job.refresh_from_db()
    assert job.status == Job.Status.CANCELLED and job.finished_at
    assert TrainingJob.claim(job.pk) is None
    assert job.request_cancel() == "finished"


def test_failure_in_words_names_an_out_of_memory_fix(tmp_path) -> None:
    job = make_job(status=Job.Status.RUNNING)
    try:
        raise RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB")
    except RuntimeError as exc:
        job.fail(exc, resumable=False)
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert "ran out of memory" in job.error and "per_device_batch_size" in job.error
    assert "Traceback" in job.traceback and "RuntimeError" in job.traceback


def test_resume_requeues_a_resumable_failed_job_only(django_capture_on_commit_callbacks) -> None:
    job = make_job(status=Job.Status.FAILED, resumable=False, error="boom")
    assert job.resume(send=False) is False
    TrainingJob.objects.filter(pk=job.pk).update(resumable=True)
    job.refresh_from_db()
    assert job.resume(send=False) is True
    job.refresh_from_db()
    assert job.status == Job.Status.QUEUED and job.error == "" and job.params["resume"] is True
    assert job.params["max_steps"] == 10


def test_find_checkpoint_picks_the_newest_complete_one(tmp_path) -> None:
    assert find_checkpoint(tmp_path) is None
    for step in (2, 10, 4):
        (tmp_path / f"checkpoint-{step}").mkdir()
        (tmp_path / f"checkpoint-{step}" / "trainer_state.json").write_text(json.dumps({"global_step": step}))
    (tmp_path / "checkpoint-12").mkdir()  # a kill during the save: weights maybe, no state yet
    (tmp_path / "checkpoint-14").mkdir()
    (tmp_path / "checkpoint-14" / "trainer_state.json").write_text('{"global_st')  # cut mid-write
    assert find_checkpoint(tmp_path).name == "checkpoint-10"
    removed = discard_incomplete_checkpoints(tmp_path)
    assert sorted(p.name for p in removed) == ["checkpoint-12", "checkpoint-14"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checkpoint-10", "checkpoint-2", "checkpoint-4"]


@override_settings(MARISA_JOB_STALE_SECONDS=60)
def test_reaper_fails_jobs_without_a_heartbeat_and_leaves_live_ones() -> None:
    now = timezone.now()
    snapshot = make_snapshot()
    dead = make_job(
        snapshot, status=Job.Status.RUNNING, heartbeat_at=now - timedelta(seconds=120), worker="w1"
    )
    live = make_job(snapshot, status=Job.Status.RUNNING, heartbeat_at=now - timedelta(seconds=5))
    queued = make_job(snapshot, created_at=now - timedelta(hours=1))
    gen = make_generation_job(status=Job.Status.RUNNING, heartbeat_at=now - timedelta(seconds=600))
    assert reap_stale_jobs(now) == 2
    dead.refresh_from_db(), live.refresh_from_db(), queued.refresh_from_db(), gen.refresh_from_db()
    assert dead.status == Job.Status.FAILED and dead.resumable
    assert "worker stopped responding" in dead.error and "w1" in dead.error
    assert gen.status == Job.Status.FAILED and gen.resumable
    assert live.status == Job.Status.RUNNING and queued.status == Job.Status.QUEUED
    assert reap_stale_jobs(now) == 0


def test_activate_leaves_exactly_one_active_version() -> None:
    first, second = make_version(name="a"), make_version(name="b")
    first.activate()
    second.activate()
    assert list(ModelVersion.objects.filter(is_active=True)) == [second]
    assert ModelVersion.active() == second
    second.activate()
    assert ModelVersion.objects.filter(is_active=True).count() == 1


def test_launch_fills_defaults_and_rejects_unknown_parameters() -> None:
    snapshot = make_snapshot()
    job = launch_training_job(snapshot, "", {"max_steps": 3}, None, send=False)
    assert job.status == Job.Status.QUEUED and job.params["max_steps"] == 3
    # The demo model (base "") trains long enough to learn; a real base gets the QLoRA paper's defaults.
    assert job.params["lora_r"] == 64 and job.params["learning_rate"] == 1e-3
    assert job.params["num_train_epochs"] == 10
    assert job.params["load_in_4bit"] is True
    real = launch_training_job(snapshot, "Qwen/Qwen2.5-7B-Instruct", {}, None, send=False)
    assert real.params["learning_rate"] == 2e-4 and real.params["num_train_epochs"] == 1
    with pytest.raises(ValueError, match="bogus"):
        launch_training_job(snapshot, "", {"bogus": 1}, None, send=False)


@pytest.mark.django_db(transaction=True)
def test_launch_sends_the_task_to_the_gpu_queue(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    client.delete("gpu")
    job = launch_training_job(make_snapshot(), "", {"max_steps": 3}, None)
    messages = client.lrange("gpu", 0, -1)
    assert len(messages) == 1
    assert job.celery_task_id.encode() in messages[0]
    assert b"training.train.tasks.run_training_job" in messages[0]
    client.delete("gpu")


@pytest.mark.django_db(transaction=True)
def test_a_job_launched_while_the_broker_is_down_says_so_and_is_sent_later(redis_url: str) -> None:
    from django.conf import settings

    from marisa_site.celery import app

    client = redis.Redis.from_url(redis_url)
    client.delete("gpu")
    snapshot = make_snapshot()
    dead = "redis://127.0.0.1:1/0"
    with override_settings(CELERY_BROKER_URL=dead):
        app.conf.broker_url = dead
        try:
            job = launch_training_job(snapshot, "", {"max_steps": 3}, None)
        finally:
            app.conf.broker_url = settings.CELERY_BROKER_URL
    job.refresh_from_db()
    assert job.status == Job.Status.QUEUED and job.phase.startswith("not sent")
    assert client.llen("gpu") == 0
    assert send_unsent_jobs() == 1
    job.refresh_from_db()
    assert client.llen("gpu") == 1 and job.celery_task_id.encode() in client.lindex("gpu", 0)
    assert not job.phase.startswith("not sent")
    client.delete("gpu")


def test_the_web_side_of_jobs_imports_no_torch() -> None:
    code = (
        "import django, sys; django.setup();"
        "import training.urls, training.admin, training.jobs.queueing, training.jobs.tasks,"
        " training.train.views, training.train.forms, training.train.run, training.train.tasks,"
        " training.generate.views, training.generate.forms, training.generate.run, training.generate.tasks;"
        "from django.core.management import load_command_class;"
        "[load_command_class('training', c) for c in ('train', 'chat', 'generate')];"
        "heavy = sorted(m for m in ('torch', 'transformers', 'peft', 'bitsandbytes') if m in sys.modules);"
        "print(heavy); sys.exit(1 if heavy else 0)"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "marisa_site.test_settings"}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=servers.REPO, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
