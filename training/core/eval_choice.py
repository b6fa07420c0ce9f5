"""Which conversations of one source go into the evaluation set: one deterministic rule, no Django.

The rule lives here, in the ML core, because two callers must agree on it exactly: the training stage,
which pins the evaluation set in the database, and the demo model builder, which must not pretrain on
the demo corpus's evaluation scenes and imports no Django.

The rule, per source: order the conversations in which the character speaks by a hash of
(source sha256, conversation position) — stable across re-imports of the same file, and independent of
database ids — and take them in that order until at least `share` of her lines in the source are held
out. Scenes without her lines are never taken: nothing in them is measured. With two or more scenes in
which she speaks at least one is taken, and never all of them, so training always keeps some of her.
A larger share takes a longer prefix of the same order, so growing never drops a chosen conversation.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

DEFAULT_SHARE = 0.1
MIN_LINES_TO_MEASURE = 20  # fewer of her lines than this and the held-out figures are noise


def order_key(source_sha256: str, position: int) -> str:
    return hashlib.sha256(f"{source_sha256}:{position}".encode()).hexdigest()


def choose_positions(source_sha256: str, her_lines: Iterable[tuple[int, int]], share: float) -> list[int]:
    """Positions to hold out, given (position, her line count) for the source's conversations."""
    speaking = sorted(
        ((order_key(source_sha256, pos), pos, n) for pos, n in her_lines if n > 0), key=lambda k: k[0]
    )
    if share <= 0 or len(speaking) < 2:
        return []
    total = sum(n for _, _, n in speaking)
    chosen: list[int] = []
    held = 0
    for _, position, n in speaking[:-1]:  # never the last: training keeps some of her lines
        if chosen and held >= share * total:
            break
        chosen.append(position)
        held += n
    return sorted(chosen)
