"""Sending an arena fill to the gpu queue from the web process (by task name: no task module, no torch)."""

from __future__ import annotations

from celery import current_app

from marisa_site.broker import broker_reachable
from training.arena.fill import check_versions
from training.arena.tasks import TASK_NAME
from training.train.models import ModelVersion


class NotQueued(RuntimeError):
    """The broker did not answer: nothing was queued."""


def queue_fill(
    version_a: ModelVersion,
    version_b: ModelVersion,
    question_set_id: int,
    questions: int | None = None,
    seed: int | None = None,
    sampling: dict | None = None,
) -> str:
    """Queue the fill on the gpu queue; the Celery task id. NotQueued when the broker is unreachable."""
    check_versions(version_a, version_b)
    if not broker_reachable(timeout=1.0):
        raise NotQueued(f"no answer from the broker ({current_app.conf.broker_url}): nothing was queued")
    result = current_app.send_task(
        TASK_NAME,
        args=[version_a.pk, version_b.pk, question_set_id, questions, seed, sampling],
        queue="gpu",
        retry=False,
    )
    return str(result.id)
