"""The review pages as a reviewer sees them: queue shell, dashboard, rounds, attribution."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from annotation.corpus.models import Conversation, Line, Source
from annotation.review import queue
from annotation.review.models import Candidate
from tests.annotation.review_factories import make_candidates, make_reviewer

pytestmark = pytest.mark.django_db


def login(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_review_page_shows_keys_and_is_for_reviewers_only() -> None:
    page = login(make_reviewer("a")).get("/corpus/review/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "js/review.js" in body and "Alt+R" in body and "Review</a>" in body
    outsider = User.objects.create_user("guest", password="x-secret-9")
    assert login(outsider).get("/corpus/review/").status_code == 403


def test_dashboard_counts_per_reviewer_and_round() -> None:
    make_candidates(4)
    a, b = make_reviewer("alice"), make_reviewer("bob")
    queue.submit(queue.claim(a).pk, a, "accept", None, 0)
    queue.submit(queue.claim(a).pk, a, "reject", None, 0)
    queue.submit(queue.claim(b).pk, b, "edit", "直したぜ", 0)
    body = login(a).get("/corpus/review/dashboard/").content.decode()
    assert '<span class="num" id="remaining-count">1</span>' in body
    assert '<span class="num" id="decided-count">3</span>' in body
    assert "<td>alice</td><td>1</td><td>0</td><td>1</td><td>0</td><td>2</td><td>50%</td>" in body
    assert "<td>bob</td><td>0</td><td>1</td><td>0</td><td>0</td><td>1</td><td>100%</td>" in body
    assert "imported from demo" in body


def test_rounds_page_lists_imported_round_with_acceptance() -> None:
    make_candidates(2)
    a = make_reviewer("a")
    queue.submit(queue.claim(a).pk, a, "accept", None, 0)
    queue.submit(queue.claim(a).pk, a, "reject", None, 0)
    body = login(a).get("/corpus/rounds/").content.decode()
    assert "imported from demo" in body and '<b class="acceptance">50%</b>' in body


def make_scene() -> Line:
    source = Source.objects.create(title="小説", kind="aozora", encoding="utf-8", sha256="x" * 64)
    conv = Conversation.objects.create(source=source, position=0)
    Line.objects.create(conversation=conv, position=0, speaker="霊夢", text="来たわね")
    unknown = Line.objects.create(
        conversation=conv,
        position=1,
        speaker="",
        text="よう",
        speaker_by="unknown",
        context="箒に乗った少女が言った。",
    )
    Line.objects.create(conversation=conv, position=2, speaker="魔理沙", text="遊びに来たぜ")
    return unknown


def test_attribution_shows_the_scene_and_assigns_a_speaker() -> None:
    unknown = make_scene()
    a = make_reviewer("a")
    client = login(a)
    body = client.get("/corpus/attribution/").content.decode()
    assert "箒に乗った少女が言った。" in body and "遊びに来たぜ" in body
    assert 'data-key="1"' in body and "霊夢" in body
    assert Line.objects.get(pk=unknown.pk).lease_owner == a
    assert login(make_reviewer("b")).get("/corpus/attribution/").context["line"] is None  # leased to a
    client.post(f"/corpus/attribution/{unknown.pk}/", {"speaker": "魔理沙", "new_name": ""})
    line = Line.objects.get(pk=unknown.pk)
    assert (line.speaker, line.speaker_by, line.lease_owner) == ("魔理沙", "reviewer", None)


def test_attribution_new_name_and_conflict() -> None:
    unknown = make_scene()
    a, b = make_reviewer("a"), make_reviewer("b")
    login(a).get("/corpus/attribution/")
    res = login(b).post(f"/corpus/attribution/{unknown.pk}/", {"new_name": "アリス"}, follow=True)
    assert "lease" in res.content.decode()
    assert Line.objects.get(pk=unknown.pk).speaker == ""
    login(a).post(f"/corpus/attribution/{unknown.pk}/", {"speaker": "霊夢", "new_name": "アリス"})
    assert Line.objects.get(pk=unknown.pk).speaker == "アリス"


def test_round_view_follows_model_generation_reviews_snapshot_next_training() -> None:
    from datetime import timedelta

    from django.utils import timezone

    from annotation.corpus.models import Character
    from annotation.datasets.models import DatasetSnapshot
    from annotation.review.models import QuestionSet
    from training.generate.models import GenerationJob
    from training.train.models import ModelVersion, TrainingJob

    character = Character.default()
    first = DatasetSnapshot.objects.create(sha256="a" * 64, path="/x/a.jsonl", character=character)
    job1 = TrainingJob.objects.create(snapshot=first, base_model="demo", status="succeeded")
    v1 = ModelVersion.objects.create(
        name="v1", base_model="demo", adapter_dir="/x/v1", snapshot=first, training_job=job1
    )
    cands = make_candidates(3)
    gen = GenerationJob.objects.create(
        model_version=v1, question_set=QuestionSet.objects.get(), status="succeeded"
    )
    Candidate.objects.update(generation_job=gen, model_version=v1)
    a = make_reviewer("a")
    for action in ["accept", "edit", "reject"]:
        queue.submit(queue.claim(a).pk, a, action, "直したぜ" if action == "edit" else None, 0)
    second = DatasetSnapshot.objects.create(
        sha256="b" * 64, path="/x/b.jsonl", character=character, parent=first, correction_count=2
    )
    DatasetSnapshot.objects.filter(pk=second.pk).update(created_at=timezone.now() + timedelta(seconds=1))
    job2 = TrainingJob.objects.create(snapshot=second, base_model="demo")
    ModelVersion.objects.create(
        name="v2", base_model="demo", adapter_dir="/x/v2", snapshot=second, training_job=job2
    )
    assert len(cands) == 3

    page = login(a).get("/corpus/rounds/")
    round_one = page.context["rounds"][0]
    assert round_one["model"] == v1 and [j["job"] for j in round_one["jobs"]] == [gen]
    assert (round_one["decided"], round_one["acceptance"]) == (3, "67%")
    assert round_one["snapshot"] == second and round_one["next_job"] == job2
    assert round_one["next_model"].name == "v2"
    body = page.content.decode()
    assert '<b class="acceptance">67%</b>' in body and "→ v2" in body
    assert f'href="/corpus/snapshots/{second.pk}/"' in body and f'href="/training/jobs/{job2.pk}/"' in body
    assert f'href="/training/generate/{gen.pk}/"' in body
    dashboard = login(a).get("/corpus/review/dashboard/").content.decode()
    assert f"generation job {gen.pk} (v1)" in dashboard
