"""Celery tasks for training and generation: thin wrappers that load ids and call the job modules.

The gpu-queue routing lives in settings.CELERY_TASK_ROUTES; the reaper runs from CELERY_BEAT_SCHEDULE.
The job modules import torch only inside the functions that train or generate.
"""

from __future__ import annotations

import gc
import sys

from celery import shared_task


def _release_gpu_memory() -> None:
    """Give the job's cached GPU memory back: the next job in this worker process needs all of it."""
    gc.collect()
    torch = sys.modules.get("torch")
    if torch is not None and torch.cuda.is_available():
        torch.cuda.empty_cache()


@shared_task(bind=True, name="training.tasks.run_training_job", acks_late=True)
def run_training_job(self, job_id: int) -> str | None:  # noqa: ANN001
    from .train_job import run_training

    try:
        job = run_training(job_id, task_id=self.request.id, worker=self.request.hostname or "")
    finally:
        _release_gpu_memory()
    return job.status if job else None


@shared_task(bind=True, name="training.tasks.run_generation_job", acks_late=True)
def run_generation_job(self, job_id: int) -> str | None:  # noqa: ANN001
    from .generation_job import run_generation

    try:
        job = run_generation(job_id, task_id=self.request.id, worker=self.request.hostname or "")
    finally:
        _release_gpu_memory()
    return job.status if job else None


@shared_task(name="training.tasks.reap_stale_jobs")
def reap_stale_jobs() -> int:
    """Every minute (beat): fail jobs whose worker died; send jobs launched while the broker was down."""
    from .jobs import reap_stale_jobs as reap
    from .jobs import send_unsent_jobs

    send_unsent_jobs()
    return reap()
