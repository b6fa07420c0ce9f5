"""The review pages as a reviewer sees them: queue shell, dashboard, attribution (the rounds: tests/site)."""

from __future__ import annotations

import pytest

from annotation.corpus.models import Line, Source
from annotation.review import queue
from tests.factories import (
    client_for,
    make_candidates,
    make_conversation,
    make_lines,
    make_reviewer,
    make_source,
    make_user,
)

pytestmark = pytest.mark.django_db


def test_review_page_shows_keys_and_is_for_reviewers_only() -> None:
    page = client_for(make_reviewer("a")).get("/corpus/review/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "js/review.js" in body and "Alt+R" in body and "Review</a>" in body
    outsider = make_user("guest")
    assert client_for(outsider).get("/corpus/review/").status_code == 403


def test_dashboard_counts_per_reviewer_and_round() -> None:
    make_candidates(4)
    a, b = make_reviewer("alice"), make_reviewer("bob")
    queue.submit(queue.claim(a).pk, a, "accept", None, 0)
    queue.submit(queue.claim(a).pk, a, "reject", None, 0)
    queue.submit(queue.claim(b).pk, b, "edit", "直したぜ", 0)
    body = client_for(a).get("/corpus/review/dashboard/").content.decode()
    assert '<span class="num" id="remaining-count">1</span>' in body
    assert '<span class="num" id="decided-count">3</span>' in body
    assert "<td>alice</td><td>1</td><td>0</td><td>1</td><td>0</td><td>2</td><td>50%</td>" in body
    assert "<td>bob</td><td>0</td><td>1</td><td>0</td><td>0</td><td>1</td><td>100%</td>" in body
    assert "imported from demo" in body


def make_scene() -> Line:
    """A scene of a novel whose middle line has no speaker yet; returns that line."""
    conversation = make_conversation(make_source([], title="小説", kind=Source.Kind.AOZORA))
    unknown = {"speaker": "", "text": "よう", "speaker_by": "unknown", "context": "箒に乗った少女が言った。"}
    _, line, _ = make_lines(conversation, [("霊夢", "来たわね"), unknown, ("魔理沙", "遊びに来たぜ")])
    return line


def test_attribution_shows_the_scene_and_assigns_a_speaker() -> None:
    unknown = make_scene()
    a = make_reviewer("a")
    client = client_for(a)
    body = client.get("/corpus/attribution/").content.decode()
    assert "箒に乗った少女が言った。" in body and "遊びに来たぜ" in body
    assert 'data-key="1"' in body and "霊夢" in body
    assert Line.objects.get(pk=unknown.pk).lease_owner == a
    assert client_for(make_reviewer("b")).get("/corpus/attribution/").context["line"] is None  # leased to a
    client.post(f"/corpus/attribution/{unknown.pk}/", {"speaker": "魔理沙", "new_name": ""})
    line = Line.objects.get(pk=unknown.pk)
    assert (line.speaker, line.speaker_by, line.lease_owner) == ("魔理沙", "reviewer", None)


def test_attribution_new_name_and_conflict() -> None:
    unknown = make_scene()
    a, b = make_reviewer("a"), make_reviewer("b")
    client_for(a).get("/corpus/attribution/")
    res = client_for(b).post(f"/corpus/attribution/{unknown.pk}/", {"new_name": "アリス"}, follow=True)
    assert "lease" in res.content.decode()
    assert Line.objects.get(pk=unknown.pk).speaker == ""
    client_for(a).post(f"/corpus/attribution/{unknown.pk}/", {"speaker": "霊夢", "new_name": "アリス"})
    assert Line.objects.get(pk=unknown.pk).speaker == "アリス"
