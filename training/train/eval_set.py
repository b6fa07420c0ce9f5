"""The evaluation set: the held-out conversations pinned per character, chosen where she speaks.

Chosen once, on first use (the first training job or dry run, or `manage.py eval_set`), from every
source imported then, by the rule in training.core.eval_choice (per source, ~MARISA_HELD_OUT_SHARE of
her lines). Stored by (source sha256, conversation position), so a re-import of the same file keeps it.
After that it changes only through `grow` (`manage.py eval_set --grow`): a source imported later is
trained on until then, so every version is measured on the same conversations. Accepted corrections held
out of training (EvalQuestion, training.train.harvested) wait outside the set until `grow` adds them too.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q, Sum
from django.utils.translation import gettext

from annotation.corpus.models import Character, Conversation, Line
from training.core.eval_choice import MIN_LINES_TO_MEASURE, choose_positions
from training.train.models import EvalConversation, EvalQuestion, EvalSource


def text_digest(texts: Iterable[str]) -> str:
    """The digest that finds a pinned conversation by its words (speakers may be re-attributed later)."""
    return hashlib.sha256("\n".join(texts).encode()).hexdigest()


@dataclass
class _Scene:
    conversation_id: int
    position: int
    title: str
    her_lines: int


def _scenes_by_source(character: Character) -> dict[str, list[_Scene]]:
    """Every imported conversation with her line count, grouped by source sha256 (one grouped query)."""
    rows = Conversation.objects.annotate(
        her=Count("lines", filter=Q(lines__speaker__in=sorted(character.names())))
    ).values_list("id", "source__sha256", "position", "title", "her")
    out: dict[str, list[_Scene]] = defaultdict(list)
    for conv_id, sha, position, title, her in rows.iterator(chunk_size=5000):
        out[sha].append(_Scene(conv_id, position, title, her))
    return out


@dataclass
class GrowResult:
    added: list[EvalConversation] = field(default_factory=list)
    sources: int = 0  # sources chosen from for the first time
    questions: int = 0  # held-out corrections added to the set


def is_pinned(character: Character) -> bool:
    return EvalSource.objects.filter(character=character).exists()


def ensure_eval_set(character: Character) -> None:
    """Choose the set the first time it is needed; afterwards leave it as it is."""
    if not is_pinned(character):
        grow(character)


@transaction.atomic
def grow(character: Character, share: float | None = None) -> GrowResult:
    """Add the sources not chosen from yet, and more of each source when `share` is above its own, and the
    held-out corrections waiting outside the set.

    Only ever adds: a larger share takes a longer prefix of the same hash order.
    """
    share = settings.MARISA_HELD_OUT_SHARE if share is None else share
    list(Character.objects.select_for_update().filter(pk=character.pk).values_list("pk", flat=True))
    known = {s.source_sha256: s for s in EvalSource.objects.filter(character=character)}
    pinned = set(
        EvalConversation.objects.filter(character=character).values_list("source_sha256", "position")
    )
    result = GrowResult()
    for sha, scenes in _scenes_by_source(character).items():
        earlier = known.get(sha)
        if earlier is not None and earlier.share >= share:
            continue
        positions = set(choose_positions(sha, [(s.position, s.her_lines) for s in scenes], share))
        new = [s for s in scenes if s.position in positions and (sha, s.position) not in pinned]
        result.added.extend(_pin(character, sha, new))
        total = sum(s.her_lines for s in scenes)
        EvalSource.objects.update_or_create(
            character=character, source_sha256=sha, defaults={"share": share, "her_lines_total": total}
        )
        result.sources += earlier is None
    pending = EvalQuestion.objects.filter(character=character, in_set=False)
    result.questions = pending.update(in_set=True)
    return result


def _pin(character: Character, sha: str, scenes: Sequence[_Scene]) -> list[EvalConversation]:
    texts: dict[int, list[str]] = defaultdict(list)
    lines = Line.objects.filter(conversation_id__in=[s.conversation_id for s in scenes])
    for conv_id, text in lines.order_by("conversation_id", "position").values_list("conversation_id", "text"):
        texts[conv_id].append(text)
    return EvalConversation.objects.bulk_create(
        EvalConversation(
            character=character,
            source_sha256=sha,
            position=s.position,
            title=s.title,
            her_lines=s.her_lines,
            text_digest=text_digest(texts[s.conversation_id]),
        )
        for s in scenes
    )


def held_out_keys(character: Character) -> tuple[set[str], set[str]]:
    """(snapshot record ids of today's rows, text digests) of the pinned conversations."""
    rows = list(EvalConversation.objects.filter(character=character).values_list("source_sha256", "position"))
    pairs = set(rows)
    convs = Conversation.objects.filter(source__sha256__in={sha for sha, _ in pairs}).values_list(
        "id", "source__sha256", "position"
    )
    ids = {f"conv-{cid}" for cid, sha, pos in convs if (sha, pos) in pairs}
    digests = set(EvalConversation.objects.filter(character=character).values_list("text_digest", flat=True))
    return ids, digests


def pinned_turns(character: Character) -> list[list[Any]]:
    """The pinned conversations as turns, read from today's rows (a source no longer imported is skipped)."""
    from training.core.textformat import Turn

    pairs = set(EvalConversation.objects.filter(character=character).values_list("source_sha256", "position"))
    convs = Conversation.objects.filter(source__sha256__in={sha for sha, _ in pairs}).values_list(
        "id", "source__sha256", "position"
    )
    ids = [cid for cid, sha, pos in convs if (sha, pos) in pairs]
    turns: dict[int, list[Any]] = defaultdict(list)
    rows = Line.objects.filter(conversation_id__in=ids).order_by("conversation_id", "position")
    for conv_id, speaker, text in rows.values_list("conversation_id", "speaker", "text"):
        turns[conv_id].append(Turn(speaker=speaker, text=text))
    return [turns[cid] for cid in sorted(turns)]


def her_held_lines(character: Character) -> int:
    """Her lines in the evaluation set: the pinned set, or the one that the first use would choose."""
    if is_pinned(character):
        total = EvalConversation.objects.filter(character=character).aggregate(n=Sum("her_lines"))["n"]
        return int(total or 0)
    share = settings.MARISA_HELD_OUT_SHARE
    count = 0
    for sha, scenes in _scenes_by_source(character).items():
        positions = set(choose_positions(sha, [(s.position, s.her_lines) for s in scenes], share))
        count += sum(s.her_lines for s in scenes if s.position in positions)
    return count


def measure_warning(character: Character | None = None) -> str | None:
    """The sentence a launch or job page shows when the set is too small to measure her by."""
    character = character or Character.default()
    held = her_held_lines(character)
    if held >= MIN_LINES_TO_MEASURE:
        return None
    return gettext(
        "the evaluation set holds %(held)s of %(name)s's lines; at least %(needed)s are needed to measure"
    ) % {"held": held, "name": character.prompt_name, "needed": MIN_LINES_TO_MEASURE}


def uncovered_sources(character: Character) -> list[Any]:
    """Sources imported since the set was pinned: trained on, not measured, until `eval_set --grow`."""
    from annotation.corpus.models import Source

    known = EvalSource.objects.filter(character=character).values_list("source_sha256", flat=True)
    return list(Source.objects.exclude(sha256__in=list(known)))
