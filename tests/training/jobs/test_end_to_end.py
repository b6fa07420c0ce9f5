"""End to end on the CPU: the demo model trained in 4-bit by a real Celery worker over a real Redis.

Also: `chat` answering with the result, a generation job on the worker, cancel keeping a checkpoint,
a worker killed mid-run (SIGKILL) reaped as failed and resumable, and the resume finishing the job.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from annotation.review.models import Candidate
from tests import servers
from tests.factories import make_questions, make_snapshot
from training.generate.models import GenerationJob
from training.generate.run import launch_generation_job
from training.generate.tasks import run_generation_job
from training.jobs.models import Job
from training.jobs.tasks import reap_stale_jobs, run_here
from training.train.checkpoints import find_checkpoint
from training.train.launch import launch_training_job
from training.train.models import ModelVersion, TrainingJob

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

# A few short steps of real QLoRA: 4-bit NF4 base (bitsandbytes on the CPU), small LoRA rank.
TINY = {
    "max_steps": 4,
    "per_device_batch_size": 2,
    "max_seq_length": 128,
    "lora_r": 8,
    "lora_alpha": 16,
    "save_steps": 2,
    "load_in_4bit": True,
}


def wait_job(
    job: Job, done: Callable[[Job], bool], worker: servers.Process | None, timeout: float = 240
) -> Job:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if done(job):
            return job
        if job.status == Job.Status.FAILED and not done(job):
            break
        time.sleep(0.3)
    log = worker.log()[-6000:] if worker else ""
    pytest.fail(f"{job} stuck at {job.status} step {job.step}: {job.error}\n{job.traceback}\n{log}")


def finished(job: Job) -> bool:
    return job.is_finished


def test_training_job_on_a_worker_makes_an_active_version_that_chats_and_generates(
    celery_worker: servers.Process, demo_model_dir: Path
) -> None:
    snapshot = make_snapshot()
    out = StringIO()
    # `train --wait` sees the worker on the gpu queue, queues the job there and follows its row.
    call_command(
        "train",
        *("--snapshot", str(snapshot.pk), "--base-model", str(demo_model_dir)),
        *("--max-steps", "4", "--batch-size", "2", "--max-seq-length", "128", "--lora-r", "8"),
        *("--save-steps", "2", "--wait", "--json"),
        stdout=out,
        stderr=StringIO(),
    )
    assert "running the job in this process" not in out.getvalue()
    summary = json.loads(out.getvalue().strip().splitlines()[-1])
    job = TrainingJob.objects.get(pk=summary["job"])
    assert job.status == Job.Status.SUCCEEDED, job.error + celery_worker.log()[-4000:]
    assert summary["status"] == "succeeded" and summary["model_version"] is not None
    assert job.step == 4 and job.total_steps == 4 and job.loss is not None
    assert job.loss_history and job.loss_history[-1][0] <= 4
    assert job.worker and job.attempts == 1 and not job.resumable
    version = ModelVersion.objects.get(training_job=job)
    assert version.is_active  # the first version becomes the active one
    assert Path(version.adapter_dir, "adapter_config.json").is_file()
    assert Path(version.adapter_dir).is_relative_to(Path(job.output_dir))
    assert version.metrics["steps"] == 4 and version.metrics["eval"]
    # The evaluation set holds her lines, so the held-out figures are measured (not "—").
    assert version.metrics["held_out_conversations"] >= 1 and version.metrics["eval"]["loss"] is not None
    assert version.config["load_in_4bit"] is True and version.line_separator == "\n"

    out = StringIO()
    call_command("chat", stdin=StringIO("こんにちは\n/reset\n魔法を見せてよ\n/quit\nnot read\n"), stdout=out)
    # Piped input echoes no newline after the `ユーザー> ` prompt, so replies follow it on the line.
    replies = re.findall(r"魔理沙> (.*)", out.getvalue())
    assert len(replies) == 2 and all(reply.strip() for reply in replies), out.getvalue()
    assert "(history cleared)" in out.getvalue()

    questions = make_questions(texts=("好きなものは？", "今日は何をする？", "霊夢をどう思う？"))
    gen = launch_generation_job(version, questions, n=2, sampling={"temperature": 0.8}, batch_size=4)
    gen = wait_job(gen, finished, celery_worker, timeout=120)
    assert gen.status == Job.Status.SUCCEEDED, gen.error
    candidates = list(Candidate.objects.filter(generation_job=gen))
    stored = 6 - gen.params["duplicates"]["left_out"]  # at temperature 0.8 a duplicate is rare, but counted
    assert len(candidates) == stored == gen.candidates_created and gen.step == gen.total_steps == 3
    assert {c.question_id for c in candidates} == set(questions.questions.values_list("id", flat=True))
    assert all(c.model_version == version and c.sampling["temperature"] == 0.8 for c in candidates)
    assert all(c.sampling["top_k"] == 20 and c.status == Candidate.Status.PENDING for c in candidates)

    # Only unanswered: a question whose candidates were all rejected is answered again, the others not.
    first = questions.questions.order_by("position").first()
    Candidate.objects.filter(question=first).update(status=Candidate.Status.REJECTED)
    again = launch_generation_job(version, questions, n=3, only_unanswered=True, send=False)
    again = run_here(run_generation_job, again.pk)
    assert again.status == Job.Status.SUCCEEDED, again.error
    # Three asked for; a reply that stays an exact duplicate after resampling is left out, and counted.
    left_out = again.params["duplicates"]["left_out"]
    assert list(again.candidates.values_list("question_id", flat=True)) == [first.pk] * (3 - left_out)
    texts = list(again.candidates.values_list("text", flat=True))
    assert len(set(texts)) == len(texts)


def test_cancel_then_a_killed_worker_is_reaped_and_resume_finishes(
    celery_worker: servers.Process, worker_env: dict[str, str], demo_model_dir: Path
) -> None:
    params = {**TINY, "max_steps": 2000, "save_steps": 1}
    job = launch_training_job(make_snapshot(), str(demo_model_dir), params, None)
    job = wait_job(job, lambda j: j.step >= 2, celery_worker)

    assert job.request_cancel() == "cancelling"
    job = wait_job(job, finished, celery_worker, timeout=60)
    assert job.status == Job.Status.CANCELLED and job.resumable
    cancelled_at = job.step
    assert find_checkpoint(job.output_dir) is not None
    assert not ModelVersion.objects.filter(training_job=job).exists()

    assert job.resume()
    job = wait_job(job, lambda j: j.status == Job.Status.RUNNING and j.step > cancelled_at + 1, celery_worker)
    celery_worker.kill()  # SIGKILL: no cleanup, no final write; the heartbeat just stops
    # The worker may have saved checkpoints past the last progress it wrote: count from the newest.
    checkpoint = find_checkpoint(job.output_dir)
    assert checkpoint is not None
    target = int(checkpoint.name.removeprefix("checkpoint-")) + 2
    with override_settings(MARISA_JOB_STALE_SECONDS=30):
        assert reap_stale_jobs(timezone.now() + timedelta(seconds=31)) == 1
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED and job.resumable
    assert "worker stopped responding" in job.error

    second = servers.start_celery_worker(worker_env)
    try:
        assert job.resume(params={"max_steps": target})
        job = wait_job(job, finished, second)
    finally:
        second.stop()
    assert job.status == Job.Status.SUCCEEDED, job.error
    assert job.attempts == 3 and job.step == target
    steps = [step for step, _ in job.loss_history]
    assert steps == sorted(set(steps))  # replayed steps replaced, never duplicated
    assert ModelVersion.objects.filter(training_job=job).exists()
    assert not GenerationJob.objects.exists() and TrainingJob.objects.count() == 1
