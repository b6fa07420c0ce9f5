"""The playground's Celery task: thin, the work is in training.playground.answer."""

from __future__ import annotations

from celery import shared_task

from training.playground.models import PlaygroundTurn


@shared_task
def answer_playground_turn(turn_id: int) -> str:
    from training.playground.answer import answer_turn

    turn = PlaygroundTurn.objects.select_related("version").filter(pk=turn_id).first()
    if turn is None or turn.status != PlaygroundTurn.Status.QUEUED:
        return "nothing to do"
    answer_turn(turn)
    return "answered"
