"""The rounds page (marisa_site/rounds.py): model version -> generation -> reviews -> snapshot -> next training."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from annotation.datasets.models import DatasetSnapshot
from annotation.review import queue
from annotation.review.models import Candidate, QuestionSet
from tests.factories import (
    client_for,
    make_candidates,
    make_character,
    make_generation_job,
    make_job,
    make_reviewer,
    make_version,
)

pytestmark = pytest.mark.django_db


def test_rounds_page_lists_imported_round_with_acceptance() -> None:
    make_candidates(2)
    a = make_reviewer("a")
    queue.submit(queue.claim(a).pk, a, "accept", None, 0)
    queue.submit(queue.claim(a).pk, a, "reject", None, 0)
    body = client_for(a).get("/corpus/rounds/").content.decode()
    assert "imported from demo" in body and '<b class="acceptance">50%</b>' in body


def test_round_view_follows_model_generation_reviews_snapshot_next_training() -> None:
    character = make_character()
    first = DatasetSnapshot.objects.create(sha256="a" * 64, path="/x/a.jsonl", character=character)
    job1 = make_job(first, base_model="demo", status="succeeded")
    v1 = make_version(job1, name="v1", adapter_dir="/x/v1")
    cands = make_candidates(3)
    gen = make_generation_job(v1, QuestionSet.objects.get(), status="succeeded")
    Candidate.objects.update(generation_job=gen, model_version=v1)
    a = make_reviewer("a")
    for action in ["accept", "edit", "reject"]:
        queue.submit(queue.claim(a).pk, a, action, "直したぜ" if action == "edit" else None, 0)
    second = DatasetSnapshot.objects.create(
        sha256="b" * 64, path="/x/b.jsonl", character=character, parent=first, correction_count=2
    )
    DatasetSnapshot.objects.filter(pk=second.pk).update(created_at=timezone.now() + timedelta(seconds=1))
    job2 = make_job(second, base_model="demo")
    make_version(job2, name="v2", adapter_dir="/x/v2")
    assert len(cands) == 3

    page = client_for(a).get("/corpus/rounds/")
    round_one = page.context["rounds"][0]
    assert round_one["model"] == v1 and [j["job"] for j in round_one["jobs"]] == [gen]
    assert (round_one["decided"], round_one["acceptance"]) == (3, "67%")
    assert round_one["snapshot"] == second and round_one["next_job"] == job2
    assert round_one["next_model"].name == "v2"
    body = page.content.decode()
    assert '<b class="acceptance">67%</b>' in body and "→ v2" in body
    assert f'href="/corpus/snapshots/{second.pk}/"' in body and f'href="/training/jobs/{job2.pk}/"' in body
    assert f'href="/training/generate/{gen.pk}/"' in body
    dashboard = client_for(a).get("/corpus/review/dashboard/").content.decode()
    assert f"generation job {gen.pk} (v1)" in dashboard
