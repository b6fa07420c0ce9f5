"""`manage.py generate`: a GenerationJob run inline (no worker), N candidates per question with sampling."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from annotation.review.models import Candidate
from tests.factories import make_questions, make_version
from training.generate.models import GenerationJob
from training.generate.tasks import run_generation_job
from training.jobs.models import Job
from training.jobs.tasks import run_here

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_generate_waits_inline_and_stores_candidates_with_sampling(demo_model_dir: Path) -> None:
    # The bare demo base model (no adapter) stands in for a trained version: same code path, faster.
    version = make_version(name="demo-base", base_model=str(demo_model_dir), adapter_dir="")
    questions = make_questions(texts=("好きなものは？", "今日は何をする？", "霊夢をどう思う？"))
    out = StringIO()
    call_command(
        "generate",
        "--question-set",
        questions.name,
        "--version",
        str(version.pk),
        "--n",
        "2",
        "--batch-size",
        "4",
        "--temperature",
        "0.9",
        "--max-new-tokens",
        "16",
        "--seed",
        "7",
        "--wait",
        "--inline",
        "--json",
        stdout=out,
        stderr=StringIO(),
    )
    summary = json.loads(out.getvalue().strip().splitlines()[-1])
    assert summary["status"] == Job.Status.SUCCEEDED and summary["candidates"] == 6
    job = GenerationJob.objects.get(pk=summary["job"])
    assert job.step == job.total_steps == 3
    per_question = {q.pk: q.candidates.count() for q in questions.questions.all()}
    assert set(per_question.values()) == {2}
    sampling = Candidate.objects.first().sampling
    assert sampling["temperature"] == 0.9 and sampling["max_new_tokens"] == 16 and sampling["seed"] == 7


def test_generate_names_the_question_sets_when_one_is_missing() -> None:
    make_questions(name="demo")
    with pytest.raises(CommandError, match="there are: demo"):
        call_command("generate", "--question-set", "nope", stdout=StringIO())


def test_generation_cancelled_mid_run_resumes_with_the_remaining_questions(demo_model_dir: Path) -> None:
    from training.generate.run import launch_generation_job

    version = make_version(name="demo-base", base_model=str(demo_model_dir), adapter_dir="")
    questions = make_questions(texts=("一つ目？", "二つ目？", "三つ目？"))
    job = launch_generation_job(
        version, questions, n=2, batch_size=2, sampling={"max_new_tokens": 8}, send=False
    )
    # One question per chunk (batch 2 / n 2); the cancel lands after the first chunk.
    job = run_here(run_generation_job, job.pk, listener=lambda progress: job.request_cancel())
    assert job.status == Job.Status.CANCELLED and job.resumable
    assert job.step == 1 and job.candidates_created == 2
    assert job.resume(send=False)
    job = run_here(run_generation_job, job.pk)
    assert job.status == Job.Status.SUCCEEDED and job.attempts == 2
    counts = [q.candidates.count() for q in questions.questions.all()]
    # Every question answered once; an exact duplicate reply is left out (test_duplicates.py), and counted.
    assert all(count >= 1 for count in counts)
    assert job.candidates_created == sum(counts) == 6 - job.params["duplicates"]["left_out"]


def test_generation_failure_is_stored_in_words_with_the_traceback(tmp_path: Path) -> None:
    from training.generate.run import launch_generation_job

    version = make_version(name="broken", base_model=str(tmp_path / "no-such-model"), adapter_dir="")
    job = launch_generation_job(version, make_questions(), n=1, send=False)
    job = run_here(run_generation_job, job.pk)
    assert job.status == Job.Status.FAILED and job.resumable
    assert "no-such-model" in job.error and "Traceback" in job.traceback
    assert not Candidate.objects.exists()
