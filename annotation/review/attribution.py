"""The attribution queue: lines whose speaker the importer left unknown, leased like candidates."""

from __future__ import annotations

import random
from collections import Counter

from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Q
from django.utils import timezone

from annotation.corpus.formats.merges import merge_offers
from annotation.corpus.limits import SPEAKER_MAX, SPEAKER_TOO_LONG
from annotation.corpus.models import Line
from annotation.review.models import LineSkip
from annotation.review.queue import CLAIM_ATTEMPTS, Conflict, _expiry

UNKNOWN = ""


def _claim_sql() -> str:
    table = connection.ops.quote_name(Line._meta.db_table)
    skips = connection.ops.quote_name(LineSkip._meta.db_table)
    # Same shape as the candidate claim: the partial index `line_unknown_speaker` keeps the scan
    # short (the literal '' repeats the index's WHERE term, which SQLite needs to use it).
    hint = " INDEXED BY line_unknown_speaker" if connection.vendor == "sqlite" else ""
    return (
        f"UPDATE {table} SET lease_owner_id = %s, lease_expires_at = %s "
        f"WHERE id = (SELECT l.id FROM {table} l{hint} WHERE l.speaker = '' "
        f"AND (l.lease_expires_at IS NULL OR l.lease_expires_at < %s) "
        f"AND NOT EXISTS (SELECT 1 FROM {skips} s WHERE s.line_id = l.id AND s.user_id = %s) "
        f"ORDER BY l.id LIMIT 1 OFFSET %s) "
        f"AND speaker = '' AND (lease_expires_at IS NULL OR lease_expires_at < %s) "
        f"RETURNING id"
    )


def _free(user_id: int) -> bool:
    now = timezone.now()
    skipped = LineSkip.objects.filter(user_id=user_id).values("line_id")
    return (
        Line.objects.filter(speaker=UNKNOWN)
        .filter(Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lt=now))
        .exclude(pk__in=skipped)
        .exists()
    )


def claim_line(user) -> Line | None:
    """Lease the next unknown-speaker line to `user` (their live lease first); None when none is left."""
    now = timezone.now()
    held = Line.objects.filter(lease_owner=user, speaker=UNKNOWN, lease_expires_at__gte=now).first()
    if held is not None:
        Line.objects.filter(pk=held.pk, lease_owner=user).update(lease_expires_at=_expiry(now))
        return held
    adapt = connection.ops.adapt_datetimefield_value
    for attempt in range(CLAIM_ATTEMPTS):
        offset = 0 if attempt == 0 else random.randrange(0, 4 * attempt)
        now = timezone.now()
        params = [user.pk, adapt(_expiry(now)), adapt(now), user.pk, offset, adapt(now)]
        with connection.cursor() as cursor:
            cursor.execute(_claim_sql(), params)
            rows = cursor.fetchall()
        if rows:
            return Line.objects.select_related("conversation__source").get(pk=rows[0][0])
        if not _free(user.pk):
            return None
    return None


def assign(line_id: int, user, speaker: str) -> Line:
    """Set the speaker of a leased line; Conflict when it is not (any more) this reviewer's to set."""
    speaker = speaker.strip()
    if not speaker:
        raise ValueError("choose a speaker or type a name")
    if len(speaker) > SPEAKER_MAX:
        raise ValueError(SPEAKER_TOO_LONG)
    if "\x00" in speaker:
        raise ValueError("a speaker name must not contain NUL characters")
    updated = Line.objects.filter(pk=line_id, speaker=UNKNOWN, lease_owner=user).update(
        speaker=speaker, speaker_by=Line.SpeakerBy.REVIEWER, lease_owner=None, lease_expires_at=None
    )
    if not updated:
        line = Line.objects.filter(pk=line_id).first()
        if line is not None and line.speaker:
            raise Conflict(f"someone already attributed this line to {line.speaker}")
        raise Conflict("your lease on this line ended; it went back to the queue")
    return Line.objects.get(pk=line_id)


def skip_line(line_id: int, user) -> None:
    """Not offered to this reviewer again; a line that does not exist (any more) needs no skip."""
    Line.objects.filter(pk=line_id, lease_owner=user).update(lease_owner=None, lease_expires_at=None)
    if not Line.objects.filter(pk=line_id).exists():
        return
    try:
        with transaction.atomic():
            LineSkip.objects.get_or_create(line_id=line_id, user=user)
    except IntegrityError:  # its source was deleted meanwhile
        pass


def speakers_for(line: Line, limit: int = 9) -> list[str]:
    """The named speakers of the line's source, most frequent first (keys 1-9 pick them)."""
    rows = (
        Line.objects.filter(conversation__source_id=line.conversation.source_id)
        .exclude(speaker=UNKNOWN)
        .values("speaker")
        .annotate(n=Count("id"))
        .order_by("-n", "speaker")[:limit]
    )
    return [r["speaker"] for r in rows]


def neighbours(line: Line, around: int = 3) -> list[Line]:
    """The lines just before and after, so the reviewer reads the quote in its scene. The line itself
    comes with `narration_after` (the narration after the quote: 「…」 / と申しますと、 names its speaker)
    and `merge_offers` (names of its source that may be one person, offered, never merged)."""
    scene = list(
        Line.objects.filter(
            conversation_id=line.conversation_id,
            position__gte=line.position - around,
            position__lte=line.position + around,
        ).order_by("position")
    )
    for other in scene:
        if other.pk == line.pk:
            other.narration_after = context_parts(other)[1]  # type: ignore[attr-defined]
            other.merge_offers = merges_for(other)  # type: ignore[attr-defined]
    return scene


def guess_from_context(line: Line, names: list[str]) -> str | None:
    """A hint only: a known speaker named in the narration around the quote."""
    found = Counter(name for name in names if name and name in (line.context or ""))
    return found.most_common(1)[0][0] if found else None


def merges_for(line: Line, limit: int = 200) -> list[list[str]]:
    """Names of the line's source that may be one person, for the reviewer to keep in mind (not merged)."""
    names = (
        Line.objects.filter(conversation__source_id=line.conversation.source_id)
        .exclude(speaker=UNKNOWN)
        .values_list("speaker", flat=True)
        .distinct()[:limit]
    )
    return merge_offers(names)


def context_parts(line: Line) -> tuple[str, str]:
    """The narration before and after the quote (the context is `before「…」after`), so the page can show
    the narration after the quote too: 「…」 / と申しますと、 is where its speaker is named."""
    before, sep, after = (line.context or "").partition("「…」")
    return (before, after) if sep else (line.context or "", "")


def unknown_count() -> int:
    return Line.objects.filter(speaker=UNKNOWN).count()
