"""The lease queue: claims, expiry, renew, versioned submits (409), undo, the action log."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from annotation.review import queue
from annotation.review.models import Candidate, CandidateSkip, ReviewAction
from tests.factories import make_candidates, make_reviewer

pytestmark = pytest.mark.django_db


def test_two_reviewers_claim_different_items() -> None:
    make_candidates(3)
    a, b = make_reviewer("a"), make_reviewer("b")
    first, second = queue.claim(a), queue.claim(b)
    assert first.pk != second.pk
    assert Candidate.objects.get(pk=first.pk).lease_owner == a


def test_claim_returns_the_reviewers_live_lease_first() -> None:
    make_candidates(3)
    a = make_reviewer("a")
    assert queue.claim(a).pk == queue.claim(a).pk
    assert Candidate.objects.filter(lease_owner=a).count() == 1


def test_claim_returns_none_when_everything_is_leased() -> None:
    make_candidates(1)
    queue.claim(make_reviewer("a"))
    assert queue.claim(make_reviewer("b")) is None


def test_expired_lease_goes_back_to_the_queue() -> None:
    (cand,) = make_candidates(1)
    a, b = make_reviewer("a"), make_reviewer("b")
    queue.claim(a)
    Candidate.objects.filter(pk=cand.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))
    assert queue.claim(b).pk == cand.pk
    with pytest.raises(queue.Conflict, match="another reviewer"):
        queue.submit(cand.pk, a, "accept", None, 0)


def test_renew_extends_the_lease_and_refuses_a_lost_one(settings) -> None:
    settings.MARISA_REVIEW_LEASE_SECONDS = 30
    (cand,) = make_candidates(1)
    a, b = make_reviewer("a"), make_reviewer("b")
    queue.claim(a)
    Candidate.objects.filter(pk=cand.pk).update(lease_expires_at=timezone.now() + timedelta(seconds=1))
    expires = queue.renew(cand.pk, a)
    assert expires > timezone.now() + timedelta(seconds=25)
    with pytest.raises(queue.Conflict):
        queue.renew(cand.pk, b)


def test_submit_accept_edit_reject_set_status_and_log_actions() -> None:
    cands = make_candidates(3)
    a = make_reviewer("a")
    queue.submit(queue.claim(a).pk, a, "accept", None, 0)
    queue.submit(queue.claim(a).pk, a, "edit", "そうだぜ。", 0)
    queue.submit(queue.claim(a).pk, a, "reject", None, 0, reason="丁寧語")
    got = {c.pk: c for c in Candidate.objects.all()}
    assert [got[c.pk].status for c in cands] == ["accepted", "edited", "rejected"]
    assert got[cands[1].pk].final_text == "そうだぜ。"
    assert got[cands[2].pk].reject_reason == "丁寧語"
    log = ReviewAction.objects.order_by("id")
    assert [x.action for x in log] == ["accept", "edit", "reject"]
    assert log[1].text_after == "そうだぜ。" and log[1].user == a


def test_stale_and_repeated_submits_are_conflicts() -> None:
    (cand,) = make_candidates(1)
    a = make_reviewer("a")
    queue.claim(a)
    with pytest.raises(queue.Conflict, match="changed since"):
        queue.submit(cand.pk, a, "accept", None, 5)
    queue.submit(cand.pk, a, "edit", "直した", 0)
    with pytest.raises(queue.Conflict, match="already decided") as err:
        queue.submit(cand.pk, a, "edit", "もう一度", 0)
    assert err.value.candidate.final_text == "直した"
    assert Candidate.objects.get(pk=cand.pk).final_text == "直した"


def test_submit_without_lease_is_a_conflict() -> None:
    (cand,) = make_candidates(1)
    with pytest.raises(queue.Conflict):
        queue.submit(cand.pk, make_reviewer("a"), "accept", None, 0)
    assert Candidate.objects.get(pk=cand.pk).status == "pending"


def test_multiline_or_empty_reply_is_refused() -> None:
    (cand,) = make_candidates(1)
    a = make_reviewer("a")
    queue.claim(a)
    for bad in ["", "　 ", "一行目\n二行目"]:
        with pytest.raises(queue.InvalidSubmit):
            queue.submit(cand.pk, a, "edit", bad, 0)


def test_undo_restores_the_item_and_leases_it_back() -> None:
    first, second = make_candidates(2)
    a = make_reviewer("a")
    queue.submit(queue.claim(a).pk, a, "edit", "直したぜ", 0)
    assert queue.claim(a).pk == second.pk
    cand, undone = queue.undo(a)
    assert cand.pk == first.pk and cand.status == "pending" and cand.final_text == ""
    assert cand.lease_owner == a and cand.version == 2
    assert undone.text_after == "直したぜ"
    assert Candidate.objects.get(pk=second.pk).lease_owner is None  # one item at a time
    assert [x.action for x in ReviewAction.objects.order_by("id")] == ["edit", "undo"]
    queue.submit(first.pk, a, "accept", None, 2)
    assert Candidate.objects.get(pk=first.pk).status == "accepted"


def test_undo_refused_when_someone_else_took_the_item() -> None:
    (cand,) = make_candidates(1)
    a, b = make_reviewer("a"), make_reviewer("b")
    queue.submit(queue.claim(a).pk, a, "skip", None, 0)
    assert CandidateSkip.objects.filter(user=a).count() == 1
    assert queue.claim(a) is None  # skipped items are not offered again to the same reviewer
    assert queue.claim(b).pk == cand.pk
    with pytest.raises(queue.Conflict):
        queue.undo(a)


def test_undo_of_skip_offers_the_item_again() -> None:
    (cand,) = make_candidates(1)
    a = make_reviewer("a")
    queue.submit(queue.claim(a).pk, a, "skip", None, 0)
    got, _ = queue.undo(a)
    assert got.pk == cand.pk and not CandidateSkip.objects.exists()
    with pytest.raises(queue.Conflict, match="nothing to undo"):
        queue.undo(a)


def test_progress_counts_todays_decisions() -> None:
    make_candidates(3)
    a = make_reviewer("a")
    queue.submit(queue.claim(a).pk, a, "accept", None, 0)
    queue.submit(queue.claim(a).pk, a, "skip", None, 0)
    assert queue.decided_today(a) == 1
    assert queue.remaining() == 2


def test_claimed_item_matches_the_stored_row() -> None:
    (cand,) = make_candidates(1)
    Candidate.objects.filter(pk=cand.pk).update(sampling={"temperature": 0.1})
    got = queue.claim(make_reviewer("a"))
    stored = Candidate.objects.get(pk=cand.pk)
    assert got.lease_expires_at == stored.lease_expires_at and got.lease_expires_at.tzinfo is not None
    assert (got.sampling, got.text, got.version, got.question_id) == (
        {"temperature": 0.1},
        stored.text,
        0,
        cand.question_id,
    )


def test_claim_sql_uses_the_partial_index() -> None:
    from django.db import connection

    make_candidates(1)
    sql = queue._claim_sql()
    inner = sql[sql.index("(SELECT c.id") + 1 : sql.index(") AND status")].rstrip(")")
    with connection.cursor() as cur:
        cur.execute("EXPLAIN QUERY PLAN " + inner, [timezone.now().isoformat(" "), 1, 0])
        plan = " ".join(str(r[-1]) for r in cur.fetchall())
    assert "candidate_pending" in plan and "TEMP B-TREE" not in plan, plan


def test_renew_takes_back_an_item_nobody_else_took() -> None:
    (cand,) = make_candidates(1)
    a, b = make_reviewer("a"), make_reviewer("b")
    queue.claim(a)
    queue.release(cand.pk, a)  # e.g. a second tab of the same reviewer was closed
    queue.renew(cand.pk, a)
    assert Candidate.objects.get(pk=cand.pk).lease_owner == a
    assert queue.claim(b) is None
    queue.submit(cand.pk, a, "accept", None, 0)
