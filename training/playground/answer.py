"""Answering a playground turn on a worker: the chosen version (or the base) with the turn's sampling.

torch and the ML core are imported inside functions (through line_bot.answering's one-model cache), never when
the web process imports this module.
"""

from __future__ import annotations

import time
from typing import Any

from annotation.corpus.models import Character
from line_bot.answering import generator_for, spec_for
from training.playground.models import PlaygroundTurn

HISTORY_TURNS = 8  # exchanges of the same side kept in the prompt, most recent first


def history(turn: PlaygroundTurn, character: Any) -> list[Any]:
    """The earlier answered exchanges of this side of the conversation, oldest first."""
    from training.core.textformat import Turn

    earlier = PlaygroundTurn.objects.filter(
        conversation=turn.conversation, side=turn.side, status=PlaygroundTurn.Status.DONE, pk__lt=turn.pk
    ).order_by("-pk")[:HISTORY_TURNS]
    turns: list[Any] = []
    for past in reversed(list(earlier)):
        turns += [Turn(character.user_name, past.message), Turn(character.prompt_name, past.reply)]
    return turns


def answer_turn(turn: PlaygroundTurn) -> None:
    """Generate the reply and store it on the row; a failure is stored as a sentence, not raised to the page."""
    from training.core.sampling import SamplingSettings

    character = Character.default().spec()
    started = time.monotonic()
    try:
        generator = generator_for(spec_for(turn.version))
        text = generator.reply(
            history(turn, character), turn.message, character, SamplingSettings.from_dict(turn.sampling)
        )
    except Exception as error:  # a missing adapter or base model must reach the reviewer, not only the log
        PlaygroundTurn.objects.filter(pk=turn.pk).update(
            status=PlaygroundTurn.Status.FAILED, error=f"{type(error).__name__}: {error}"[:500]
        )
        raise
    PlaygroundTurn.objects.filter(pk=turn.pk).update(
        reply=text.strip(), status=PlaygroundTurn.Status.DONE, seconds=time.monotonic() - started
    )
