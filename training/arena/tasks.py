"""The Celery task that fills the arena, on the gpu queue (it loads models, one at a time)."""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task

log = logging.getLogger(__name__)
TASK_NAME = "training.arena.tasks.fill_arena_task"


@shared_task(name=TASK_NAME, acks_late=True)
def fill_arena_task(
    version_a_id: int,
    version_b_id: int,
    question_set_id: int,
    questions: int | None = None,
    seed: int | None = None,
    sampling: dict[str, Any] | None = None,
) -> dict[str, Any]:
    from annotation.review.models import QuestionSet
    from training.arena.fill import fill_arena, pick_questions
    from training.train.models import ModelVersion

    version_a = ModelVersion.objects.get(pk=version_a_id)
    version_b = ModelVersion.objects.get(pk=version_b_id)
    picked = pick_questions(QuestionSet.objects.get(pk=question_set_id), questions, seed)
    result = fill_arena(version_a, version_b, picked, sampling={**(sampling or {}), "seed": seed})
    log.info("arena filled: %s", result.as_dict())
    return result.as_dict()
