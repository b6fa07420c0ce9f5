"""The arena's queue: leases like the review queue, one vote per match, expired leases come back."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from annotation.review import arena_queue
from annotation.review.arena_models import ArenaMatch
from annotation.review.queue import Conflict
from tests.factories import make_arena_matches, make_reviewer

pytestmark = pytest.mark.django_db


def test_two_reviewers_never_get_the_same_match() -> None:
    first, second, _ = make_arena_matches(3)
    alice, bob = make_reviewer("alice"), make_reviewer("bob")
    got_a, got_b = arena_queue.claim(alice), arena_queue.claim(bob)
    assert (got_a.pk, got_b.pk) == (first.pk, second.pk)
    assert arena_queue.claim(alice).pk == first.pk  # claiming again returns the match you hold
    held = dict(
        ArenaMatch.objects.filter(lease_owner__isnull=False).values_list("pk", "lease_owner__username")
    )
    assert held == {first.pk: "alice", second.pk: "bob"}


def test_an_expired_lease_returns_the_match_to_the_queue() -> None:
    (match,) = make_arena_matches(1)
    alice, bob = make_reviewer("alice"), make_reviewer("bob")
    assert arena_queue.claim(alice).pk == match.pk
    assert arena_queue.claim(bob) is None  # alice holds the only match
    ArenaMatch.objects.filter(pk=match.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))
    assert arena_queue.claim(bob).pk == match.pk
    with pytest.raises(Conflict, match="another reviewer holds"):
        arena_queue.vote(match.pk, alice, "a")  # alice came back too late


def test_a_match_takes_one_vote_and_a_second_is_refused() -> None:
    (match,) = make_arena_matches(1)
    alice, bob = make_reviewer("alice"), make_reviewer("bob")
    arena_queue.claim(alice)
    voted = arena_queue.vote(match.pk, alice, "both_bad", "二人とも敬語だ")
    assert (voted.status, voted.outcome, voted.note, voted.voted_by) == (
        "voted",
        "both_bad",
        "二人とも敬語だ",
        alice,
    )
    assert voted.lease_owner is None
    with pytest.raises(Conflict, match="already voted by alice"):
        arena_queue.vote(match.pk, bob, "a")
    assert arena_queue.claim(bob) is None
    assert arena_queue.progress(alice) == {"voted_today": 1, "voted_by_you": 1, "remaining": 0}


def test_release_gives_the_match_back_at_once() -> None:
    (match,) = make_arena_matches(1)
    alice, bob = make_reviewer("alice"), make_reviewer("bob")
    arena_queue.claim(alice)
    assert arena_queue.release(match.pk, alice)
    assert arena_queue.claim(bob).pk == match.pk
    with pytest.raises(Conflict):
        arena_queue.renew(match.pk, alice)


def test_unknown_outcomes_and_long_notes_are_refused() -> None:
    (match,) = make_arena_matches(1)
    alice = make_reviewer("alice")
    with pytest.raises(arena_queue.InvalidVote, match="unknown outcome"):
        arena_queue.vote(match.pk, alice, "left")
    with pytest.raises(arena_queue.InvalidVote, match="at most"):
        arena_queue.vote(match.pk, alice, "a", "長" * 1001)
    assert ArenaMatch.objects.get(pk=match.pk).status == "open"


def test_what_a_reviewer_sees_never_names_the_versions() -> None:
    (match,) = make_arena_matches(1)
    payload = arena_queue.match_payload(arena_queue.claim(make_reviewer("alice")))
    assert payload["reply_a"] == match.reply_a and payload["reply_b"] == match.reply_b
    assert payload["context"] == [{"speaker": "霊夢", "text": "また来たの？"}]
    shown = repr(payload)
    assert "v1" not in shown and "v2" not in shown and "version" not in shown
