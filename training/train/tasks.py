"""The Celery task that runs a TrainingJob: the JobTask base claims, beats and records failure."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from training.jobs.tasks import JobTask
from training.train.models import TrainingJob


@shared_task(bind=True, base=JobTask, job_model=TrainingJob, name="training.train.tasks.run_training_job")
def run_training_job(self: JobTask, job_id: int, listener: Any = None) -> str | None:
    from training.train.run import run_training

    return self.run_job(run_training, listener)
