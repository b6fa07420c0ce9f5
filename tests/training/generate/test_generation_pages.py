"""Generation pages through the Django test client: the launch form, the live partial, the job list, a job's page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import (
    client_for,
    make_candidate,
    make_generation_job,
    make_job,
    make_questions,
    make_staff,
    make_user,
    make_version,
)
from training.generate.models import GenerationJob
from training.jobs.models import Job

pytestmark = pytest.mark.django_db


def test_generation_launch_stores_sampling_and_shows_progress() -> None:
    version = make_version(name="v-gen")
    questions = make_questions()
    staff = client_for(make_staff())
    page = staff.get(reverse("training:generation_launch") + f"?version={version.pk}")
    assert page.status_code == 200
    response = staff.post(
        reverse("training:generation_launch"),
        {
            "model_version": version.pk,
            "question_set": questions.pk,
            "only_unanswered": "on",
            "n": 3,
            "batch_size": 8,
            "temperature": 0.7,
            "top_p": 0.9,
            "top_k": 20,
            "no_repeat_ngram_size": 2,
            "repetition_penalty": 1.05,
            "max_new_tokens": 32,
        },
    )
    job = GenerationJob.objects.get()
    assert response["Location"] == reverse("training:generation", args=[job.pk])
    assert job.candidates_per_question == 3 and job.only_unanswered
    assert job.sampling["temperature"] == 0.7 and job.sampling["do_sample"] is True
    html = staff.get(reverse("training:generation_progress", args=[job.pk])).content.decode()
    assert 'hx-trigger="every 1s"' in html and "candidates" in html
    assert (
        client_for(make_user("r", "reviewer")).get(reverse("training:generation_launch")).status_code == 403
    )


def test_job_list_shows_both_kinds_of_job() -> None:
    job = make_job(status=Job.Status.SUCCEEDED, loss=1.25)
    gen = make_generation_job()
    html = client_for(make_staff()).get(reverse("training:jobs")).content.decode()
    assert reverse("training:job", args=[job.pk]) in html
    assert reverse("training:generation", args=[gen.pk]) in html
    assert "hx-get" in html  # a queued generation job keeps the list live


def test_generation_page_shows_the_first_candidates_and_sampling() -> None:
    version = make_version(name="v-page")
    questions = make_questions(texts=("キノコは好き？",))
    job = make_generation_job(
        version,
        questions,
        status=Job.Status.SUCCEEDED,
        step=1,
        total_steps=1,
        candidates_created=1,
        sampling={"temperature": 0.1, "top_k": 20},
    )
    make_candidate(questions.questions.get(), "大好きだぜ", model_version=version, generation_job=job)
    html = client_for(make_user("viewer", "reviewer")).get(reverse("training:generation", args=[job.pk]))
    text = html.content.decode()
    assert "キノコは好き？" in text and "大好きだぜ" in text and "top_k" in text
    assert "hx-trigger" not in text  # finished: no polling
