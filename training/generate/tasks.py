"""The Celery task that runs a GenerationJob: the JobTask base claims, beats and records failure."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from training.generate.models import GenerationJob
from training.jobs.tasks import JobTask


@shared_task(
    bind=True, base=JobTask, job_model=GenerationJob, name="training.generate.tasks.run_generation_job"
)
def run_generation_job(self: JobTask, job_id: int, listener: Any = None) -> str | None:
    from training.generate.run import run_generation

    return self.run_job(run_generation, listener)
