"""The seed's training text format: `[speaker]: [utterance][separator]`, one line per turn.

This module is the single definition of what the model sees, at training and at inference, so that the
prompt built for a reply (`chat_prompt`) ends exactly where the trained text of a reply begins.
No Django, no torch: usable from anywhere.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

# Written between a speaker's name and the utterance. The demo tokenizer's pre-tokenizer splits after it,
# and labels.py makes the end of it a token boundary for every other tokenizer.
NAME_DELIMITER = ": "
# Written for a line whose speaker the importer could not tell (the same mark as the text export).
UNKNOWN_SPEAKER = "？"


@lru_cache(maxsize=4096)
def match_key(name: str) -> str:
    """Key for comparing speaker names: NFKC (only for matching, never stored) without outer spaces."""
    return unicodedata.normalize("NFKC", name).strip()


@dataclass(frozen=True)
class Turn:
    speaker: str
    text: str


@dataclass(frozen=True)
class CharacterSpec:
    """The character being trained: her name in prompts, the other names she goes by, the user's name."""

    prompt_name: str
    aliases: frozenset[str] = field(default_factory=frozenset)
    user_name: str = "ユーザー"

    @cached_property
    def _keys(self) -> frozenset[str]:
        return frozenset(match_key(name) for name in (self.prompt_name, *self.aliases))

    def is_character(self, speaker: str) -> bool:
        return match_key(speaker) in self._keys


@dataclass(frozen=True)
class Rendered:
    """Rendered text and the character spans to train: each utterance of the character plus its separator."""

    text: str
    target_spans: tuple[tuple[int, int], ...]
    # Where each line starts, plus the end of the text (len(turns) + 1 entries); and, for each target
    # span, the index of its line. Both derive from the turns; labels.py uses them to avoid re-rendering.
    line_starts: tuple[int, ...] = ()
    span_lines: tuple[int, ...] = ()


def speaker_label(speaker: str, character: CharacterSpec) -> str:
    """The name written before a turn: the character's aliases all become her prompt name."""
    return character.prompt_name if character.is_character(speaker) else speaker


def one_line(text: str, sep: str) -> str:
    """The text with any occurrence of the separator made a space: a corrected reply typed with a line
    break must not end its line early (the model would learn to stop there). Only the rendered copy changes."""
    return text.replace(sep, " ") if sep in text else text


def render(turns: Sequence[Turn], character: CharacterSpec, sep: str) -> Rendered:
    if not sep:
        raise ValueError("the line separator must not be empty")
    parts: list[str] = []
    spans: list[tuple[int, int]] = []
    starts = [0]
    span_lines: list[int] = []
    pos = 0
    for i, turn in enumerate(turns):
        is_her = character.is_character(turn.speaker)
        name = character.prompt_name if is_her else one_line(turn.speaker, sep) or UNKNOWN_SPEAKER
        prefix = name + NAME_DELIMITER
        line = prefix + one_line(turn.text, sep) + sep
        if is_her:
            # The span starts right after "名前: " and ends after the separator, so the model learns to stop.
            spans.append((pos + len(prefix), pos + len(line)))
            span_lines.append(i)
        parts.append(line)
        pos += len(line)
        starts.append(pos)
    return Rendered("".join(parts), tuple(spans), tuple(starts), tuple(span_lines))


def chat_prompt(history: Sequence[Turn], user_text: str, character: CharacterSpec, sep: str) -> str:
    """History, the user's line, then `魔理沙: ` — the exact text that precedes a trained utterance."""
    head = render(history, character, sep).text
    user = one_line(user_text, sep)
    return f"{head}{character.user_name}{NAME_DELIMITER}{user}{sep}{character.prompt_name}{NAME_DELIMITER}"
