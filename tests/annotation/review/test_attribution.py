"""The attribution queue: unknown-speaker lines leased like candidates, assigned by a reviewer."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from annotation.corpus.models import Line, Source
from annotation.review import attribution, queue
from tests.factories import make_conversation, make_lines, make_reviewer, make_source

pytestmark = pytest.mark.django_db


def make_unknown_lines(unknown: int) -> list[Line]:
    """A novel's conversation: three attributed lines, then `unknown` lines of no known speaker."""
    conversation = make_conversation(make_source([], title="小説", kind=Source.Kind.AOZORA))
    make_lines(conversation, [("霊夢", "来たわね"), ("霊夢", "またなの"), ("魔理沙", "よう")])
    narrated = {"speaker": "", "speaker_by": "unknown", "context": "魔理沙は笑った。"}
    return make_lines(conversation, [{**narrated, "text": f"台詞{i}"} for i in range(unknown)], start=3)


def test_two_reviewers_get_different_lines_and_expiry_returns_one() -> None:
    first, second = make_unknown_lines(2)
    a, b, c = make_reviewer("a"), make_reviewer("b"), make_reviewer("c")
    assert attribution.claim_line(a).pk == first.pk
    assert attribution.claim_line(b).pk == second.pk
    assert attribution.claim_line(c) is None
    Line.objects.filter(pk=first.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))
    assert attribution.claim_line(c).pk == first.pk
    with pytest.raises(queue.Conflict):
        attribution.assign(first.pk, a, "魔理沙")


def test_assign_sets_speaker_by_reviewer_and_only_once() -> None:
    (line,) = make_unknown_lines(1)
    a = make_reviewer("a")
    attribution.claim_line(a)
    with pytest.raises(ValueError):
        attribution.assign(line.pk, a, "  ")
    got = attribution.assign(line.pk, a, "魔理沙")
    assert (got.speaker, got.speaker_by, got.lease_owner_id) == ("魔理沙", "reviewer", None)
    with pytest.raises(queue.Conflict, match="already attributed"):
        attribution.assign(line.pk, a, "霊夢")
    assert attribution.unknown_count() == 0


def test_speakers_by_frequency_hint_and_skip() -> None:
    (line,) = make_unknown_lines(1)
    assert attribution.speakers_for(line) == ["霊夢", "魔理沙"]
    assert attribution.guess_from_context(line, ["霊夢", "魔理沙"]) == "魔理沙"
    a = make_reviewer("a")
    attribution.claim_line(a)
    attribution.skip_line(line.pk, a)
    assert attribution.claim_line(a) is None
    assert attribution.claim_line(make_reviewer("b")).pk == line.pk
