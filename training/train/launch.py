"""Launching a training job from a snapshot: complete parameters, then the gpu queue."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from training.train.models import TrainingJob
from training.train.params import check_train_params, default_train_params

# Taken at launch only: what to do with the result, and the base model's line separator.
LAUNCH_ONLY_PARAMS = frozenset({"activate_when_done", "line_separator"})


def launch_training_job(
    snapshot: Any,
    base_model: str | None,
    params: dict[str, Any] | None,
    user: Any = None,
    *,
    send: bool = True,
) -> TrainingJob:
    """Create a queued TrainingJob with complete parameters and send it to the gpu queue."""
    check_train_params(params or {}, LAUNCH_ONLY_PARAMS)
    full = default_train_params()
    full.update(params or {})
    job = TrainingJob.objects.create(
        snapshot=snapshot,
        base_model=(base_model or settings.MARISA_BASE_MODEL or "").strip(),
        params=full,
        created_by=user if getattr(user, "is_authenticated", False) else None,
        phase="waiting for a worker on the gpu queue",
    )
    if send:
        job.send()
    return job
