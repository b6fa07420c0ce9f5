"""Questions harvested from dialogue, as ChatHaruhi does: what was said to her, and what she really said.

Plain Python (no Django). The rule: every line of the character that follows another speaker's line makes
one pair. That other line is the question (asked as the user's line, as generation asks every question),
the turns before it are its context, and her real line is the reference a reply is compared with. Her
line that opens a conversation, or follows her own, answers nobody and makes no pair.

From held-out (pinned) conversations the pairs are evaluation questions with references; from training
conversations they seed a question set for generation. Accepted corrections held out of training (a share
chosen by `holds_out_correction`) join the evaluation set as exchanges the same rule reads.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from training.core.textformat import CharacterSpec, Turn

HISTORY_TURNS = 4  # context turns kept before a question: what the prompt of a reply would hold
CORRECTION_SHARE = 0.1  # of accepted corrections, held out for evaluation (fixed: a change would leak)


@dataclass(frozen=True)
class Pair:
    """One harvested question: context turns, the line said to her (and who said it), her real line."""

    context: tuple[Turn, ...]
    question: str
    asker: str
    reference: str

    def context_dicts(self) -> list[dict[str, str]]:
        return [{"speaker": t.speaker, "text": t.text} for t in self.context]

    def as_dict(self) -> dict[str, object]:
        return {"question": self.question, "context": self.context_dicts(), "reference": self.reference}


def harvest_pairs(
    conversations: Iterable[Sequence[Turn]],
    character: CharacterSpec,
    history_turns: int = HISTORY_TURNS,
    limit: int | None = None,
) -> list[Pair]:
    """Every (context, question, reference) of the rule above, in conversation and line order."""
    pairs: list[Pair] = []
    for turns in conversations:
        for i in range(1, len(turns)):
            if limit is not None and len(pairs) >= limit:
                return pairs
            asked, answer = turns[i - 1], turns[i]
            if not character.is_character(answer.speaker) or character.is_character(asked.speaker):
                continue
            if not asked.text.strip() or not answer.text.strip():
                continue  # an empty line asks or answers nothing
            context = tuple(turns[max(0, i - 1 - history_turns) : i - 1])
            pairs.append(Pair(context, asked.text, asked.speaker, answer.text))
    return pairs


def pair_prompt(pair: Pair, character: CharacterSpec, sep: str) -> str:
    """The prompt a model answers the pair's question from: its context, the question, then her name."""
    from training.core.textformat import chat_prompt

    return chat_prompt(list(pair.context), pair.question, character, sep)


def holds_out_correction(record_id: str, share: float = CORRECTION_SHARE) -> bool:
    """Whether an accepted correction (its snapshot record id, e.g. "cand-7") is kept for evaluation.

    A hash of the id, not a random draw: every round and every process decides the same, so a correction
    held out once is never trained on later.
    """
    digest = hashlib.sha256(f"eval-correction:{record_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < share
