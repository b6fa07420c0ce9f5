"""Helpers the novel-rule tests share: the speakers the parser gives a text, and a first-person narration."""

from annotation.corpus.formats.aozora import parse_aozora

# Narration that makes 私 the narrator (enough first-person topics for the density rule).
FIRST_PERSON = "　私は朝早く家を出た。私は駅まで歩いた。私は少し疲れていた。\n"


def novel_speakers(text: str) -> list[str]:
    """The speaker of every quote of `text` (lines joined by \\n), in order; "" where unknown."""
    return [line.speaker for conv in parse_aozora(text.split("\n")) for line in conv.lines]
