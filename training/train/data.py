"""What a training job reads: the snapshot's conversations as turns, split into train and held out."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings


@dataclass
class SplitData:
    train: list[list[Any]]
    held_out: list[list[Any]]
    train_ids: list[str]
    held_out_ids: list[str]


def _held_out_key(conversation_id: str) -> float:
    digest = hashlib.sha256(str(conversation_id).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def split_held_out(items: Iterable[tuple[str, list[Any]]], share: float | None = None) -> SplitData:
    """Deterministic by conversation id hash: the same conversation is always on the same side.

    With two or more conversations and a positive share, at least one is held out (the one with the
    smallest hash), so evaluation always has something to measure.
    """
    share = settings.MARISA_HELD_OUT_SHARE if share is None else share
    keyed = [(_held_out_key(cid), cid, turns) for cid, turns in items]
    held = [k for k in keyed if k[0] < share]
    if not held and share > 0 and len(keyed) >= 2:
        held = [min(keyed, key=lambda k: k[0])]
    held_ids = {k[1] for k in held}
    train = [k for k in keyed if k[1] not in held_ids]
    return SplitData(
        train=[k[2] for k in train],
        held_out=[k[2] for k in held],
        train_ids=[k[1] for k in train],
        held_out_ids=[k[1] for k in held],
    )


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
