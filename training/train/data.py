"""What a training job reads: the snapshot's conversations as turns, split on the evaluation set."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from training.train.eval_set import ensure_eval_set, held_out_keys, text_digest


@dataclass
class SplitData:
    train: list[list[Any]]
    held_out: list[list[Any]]
    train_ids: list[str]
    held_out_ids: list[str]
    # Held-out corrections not in the evaluation set yet: neither trained on nor measured.
    withheld_ids: list[str] = field(default_factory=list)


def split_on_eval_set(
    items: Iterable[tuple[str, list[Any]]],
    ids: set[str],
    digests: set[str],
    questions: dict[str, bool] | None = None,
) -> SplitData:
    """Hold out exactly the evaluation set's conversations; train on everything else.

    A corpus record is held out when its id is a pinned conversation's row today, or when its words match
    a pinned conversation (an older snapshot names rows that a re-import has since replaced). A correction
    in `questions` (record id -> in the set) is never trained on: measured when in the set, else withheld.
    """
    questions = questions or {}
    split = SplitData([], [], [], [])
    for cid, turns in items:
        if cid in questions and not questions[cid]:
            split.withheld_ids.append(cid)
            continue
        pinned = cid in questions or cid in ids
        pinned = pinned or (cid.startswith("conv-") and text_digest(t.text for t in turns) in digests)
        (split.held_out if pinned else split.train).append(turns)
        (split.held_out_ids if pinned else split.train_ids).append(cid)
    return split


def split_snapshot(snapshot: Any) -> SplitData:
    """The snapshot split on its character's evaluation set (chosen here the first time it is needed).

    The share of its corrections that the held-out rule picks is set aside first, so it is never trained on.
    """
    from annotation.corpus.models import Character
    from annotation.datasets.snapshots import iter_conversations
    from training.train.harvested import hold_out_corrections, withheld_ids

    character = snapshot.character or Character.default()
    ensure_eval_set(character)
    hold_out_corrections(character, iter_conversations(snapshot))
    ids, digests = held_out_keys(character)
    return split_on_eval_set(snapshot_conversations(snapshot), ids, digests, withheld_ids(character))


def snapshot_conversations(snapshot: Any) -> list[tuple[str, list[Any]]]:
    """(id, turns) for every conversation in the snapshot, in its order."""
    from annotation.datasets.snapshots import iter_conversations
    from training.core.textformat import Turn

    return [
        (str(c["id"]), [Turn(speaker=line["speaker"], text=line["text"]) for line in c["lines"]])
        for c in iter_conversations(snapshot)
    ]


def character_spec(character: Any = None) -> Any:
    from annotation.corpus.models import Character

    return (character or Character.default()).spec()
