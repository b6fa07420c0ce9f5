"""The arena's queue: matches leased like the review queue, one vote per match.

A claim is a conditional UPDATE on the match's own lease columns ("open and lease free, or mine"), so of
two reviewers racing for one match exactly one gets it, on SQLite and PostgreSQL alike, with no lock
table and no transaction held open while the reviewer reads. An abandoned lease runs out and the match
goes back to the queue. What a reviewer is shown never names the versions: the arena is blind.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext

from annotation.review.arena_models import ArenaMatch
from annotation.review.limits import REASON_MAX, REASON_TOO_LONG
from annotation.review.models import context_turns
from annotation.review.queue import Conflict
from marisa_site.formats import time_label

OPEN = ArenaMatch.Status.OPEN
OUTCOMES = tuple(ArenaMatch.Outcome.values)
CLAIM_ATTEMPTS = 8


class InvalidVote(ValueError):
    """An unknown outcome or a too long note: HTTP 400."""


def lease_seconds() -> int:
    return int(getattr(settings, "MARISA_REVIEW_LEASE_SECONDS", 600))


def _free(now: datetime) -> Q:
    return Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lt=now)


def current_lease(user: Any) -> ArenaMatch | None:
    return (
        ArenaMatch.objects.filter(lease_owner=user, status=OPEN, lease_expires_at__gte=timezone.now())
        .order_by("id")
        .first()
    )


def _try_claim(user: Any, offset: int) -> ArenaMatch | None:
    now = timezone.now()
    free_ids = ArenaMatch.objects.filter(status=OPEN).filter(_free(now)).order_by("id")
    pk = free_ids.values_list("id", flat=True)[offset : offset + 1].first()
    if pk is None:
        return None
    # The UPDATE re-checks "open and free" on the row itself: of two racing reviewers one changes it.
    won = (
        ArenaMatch.objects.filter(pk=pk, status=OPEN)
        .filter(_free(now))
        .update(lease_owner=user, lease_expires_at=now + timedelta(seconds=lease_seconds()))
    )
    return ArenaMatch.objects.select_related("character").get(pk=pk) if won else None


def claim(user: Any) -> ArenaMatch | None:
    """The match this reviewer already holds, else lease the next open one; None when none is left."""
    held = current_lease(user)
    if held is not None:
        renew(held.pk, user)
        return ArenaMatch.objects.select_related("character").get(pk=held.pk)
    for attempt in range(CLAIM_ATTEMPTS):
        # After a lost race aim a little further down, so reviewers who arrive together spread out.
        offset = 0 if attempt == 0 else random.randrange(0, 4 * attempt)
        match = _try_claim(user, offset)
        if match is not None:
            return match
        if not ArenaMatch.objects.filter(status=OPEN).filter(_free(timezone.now())).exists():
            return None
    return None


def _why_refused(match_id: int, user: Any) -> str:
    match = ArenaMatch.objects.filter(pk=match_id).select_related("voted_by").first()
    if match is None:
        return gettext("this match no longer exists")
    if match.status != OPEN:
        who = match.voted_by.username if match.voted_by else gettext("someone")
        return gettext("already voted by %(who)s") % {"who": who}
    if match.lease_owner_id and match.lease_owner_id != user.pk:
        return gettext("another reviewer holds this match now")
    return gettext("your lease on this match ended")


def _mine_or_free(user: Any, now: datetime) -> Q:
    return Q(lease_owner=user) | Q(lease_owner__isnull=True) | Q(lease_expires_at__lt=now)


def renew(match_id: int, user: Any) -> datetime:
    """Extend the lease (or take back a match nobody took since); Conflict when someone else holds it."""
    now = timezone.now()
    expires = now + timedelta(seconds=lease_seconds())
    updated = (
        ArenaMatch.objects.filter(pk=match_id, status=OPEN)
        .filter(_mine_or_free(user, now))
        .update(lease_owner=user, lease_expires_at=expires)
    )
    if not updated:
        raise Conflict(_why_refused(match_id, user))
    return expires


def release(match_id: int, user: Any) -> bool:
    """Give a leased match back at once (the reviewer closed the page)."""
    return bool(
        ArenaMatch.objects.filter(pk=match_id, lease_owner=user, status=OPEN).update(
            lease_owner=None, lease_expires_at=None
        )
    )


def vote(match_id: int, user: Any, outcome: str, note: str = "") -> ArenaMatch:
    """Record the one vote of a match; Conflict when it was voted already or another reviewer holds it."""
    if outcome not in OUTCOMES:
        raise InvalidVote(f"unknown outcome {outcome!r}: use one of {', '.join(OUTCOMES)}")
    if len(note) > REASON_MAX:
        raise InvalidVote(REASON_TOO_LONG)
    now = timezone.now()
    updated = (
        ArenaMatch.objects.filter(pk=match_id, status=OPEN)
        .filter(_mine_or_free(user, now))
        .update(
            status=ArenaMatch.Status.VOTED,
            outcome=outcome,
            note=note,
            voted_by=user,
            voted_at=now,
            lease_owner=None,
            lease_expires_at=None,
        )
    )
    if not updated:
        raise Conflict(_why_refused(match_id, user))
    return ArenaMatch.objects.get(pk=match_id)


def progress(user: Any) -> dict[str, int]:
    start = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    voted = ArenaMatch.objects.filter(status=ArenaMatch.Status.VOTED)
    return {
        "voted_today": voted.filter(voted_by=user, voted_at__gte=start).count(),
        "voted_by_you": voted.filter(voted_by=user).count(),
        "remaining": ArenaMatch.objects.filter(status=OPEN).count(),
    }


def match_payload(match: ArenaMatch) -> dict[str, Any]:
    """What the reviewer sees: the question, its context and the two replies, never the versions."""
    left = 0
    if match.lease_expires_at:
        left = max(0, int((match.lease_expires_at - timezone.now()).total_seconds()))
    return {
        "id": match.pk,
        "question": match.question_text,
        "context": context_turns(match.context),
        "source": match.source,
        "reply_a": match.reply_a,
        "reply_b": match.reply_b,
        "prompt_name": match.character.prompt_name,
        "character": match.character.name,
        "guidelines": match.character.guidelines,
        "lease_expires_at": match.lease_expires_at.isoformat() if match.lease_expires_at else None,
        "lease_expires_label": time_label(match.lease_expires_at) if match.lease_expires_at else "",
        "lease_seconds_left": left,
    }
