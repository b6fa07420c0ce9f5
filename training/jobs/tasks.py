"""The Celery side of jobs: one task base class whose hooks record the job's state, and the reaper.

As Read the Docs' build task does: `before_start` claims the job and starts its heartbeat, the task
body runs the work, `on_failure` records the error on the row, `after_return` stops the heartbeat and
gives GPU memory back. A task of this base carries only the job id.
"""

from __future__ import annotations

import gc
import logging
import sys
from collections.abc import Callable
from typing import Any

from celery import Task, shared_task

from training.jobs.heartbeat import Heartbeat
from training.jobs.models import WAITING, Job

log = logging.getLogger(__name__)


def release_gpu_memory() -> None:
    """Give the job's cached GPU memory back: the next job in this worker process needs all of it."""
    gc.collect()
    torch = sys.modules.get("torch")
    if torch is not None and torch.cuda.is_available():
        torch.cuda.empty_cache()


class JobTask(Task):
    """Base of the tasks that run one job (`job_model`) by id; state lives on the job's row."""

    job_model: type[Job]
    acks_late = True

    def before_start(self, task_id: str, args: tuple, kwargs: dict) -> None:
        job = self.job_model.claim(args[0], task_id, self.request.hostname or "")
        self.request.job = job
        self.request.heartbeat = Heartbeat(job).start() if job else None

    def run_job(self, work: Callable[[Any, Any], None], listener: Any = None) -> str | None:
        """Run `work(job, listener)` on the job this task claimed; its status after, None if nothing to run."""
        job = getattr(self.request, "job", None)
        if job is None:
            return None
        work(job, listener)
        job.refresh_from_db()
        return job.status

    def on_failure(self, exc: BaseException, task_id: str, args: tuple, kwargs: dict, einfo: Any) -> None:
        job = getattr(self.request, "job", None)
        if job is not None:
            log.error("%s %s failed", type(job).__name__, job.pk, exc_info=exc)
            job.fail(exc, resumable=job.resumable_after_failure())

    def after_return(self, *args: Any, **kwargs: Any) -> None:
        heartbeat = getattr(self.request, "heartbeat", None)
        if heartbeat is not None:
            heartbeat.stop()
        release_gpu_memory()


def run_here(task: Any, job_id: int, listener: Any = None) -> Job | None:
    """Run a job task in this process (`--wait --inline`, tests) through the same hooks as a worker."""
    model = task.job_model
    before = model.objects.get(pk=job_id)
    task.apply(args=[job_id], kwargs={"listener": listener}, task_id=before.celery_task_id or None)
    job = model.objects.get(pk=job_id)
    return job if job.attempts > before.attempts else None


def job_models() -> list[type[Job]]:
    from django.apps import apps

    return [m for m in apps.get_models() if issubclass(m, Job)]


def send_unsent_jobs() -> int:
    """Send the jobs launched while the broker was down; how many."""
    sent = 0
    for model in job_models():
        for job in model.objects.unsent():
            job.set_phase(WAITING)
            job.send()
            sent += 1
    return sent


@shared_task(name="training.jobs.tasks.reap_stale_jobs")
def reap_stale_jobs(now: Any = None) -> int:
    """Every minute (beat): send jobs launched while the broker was down; fail jobs whose worker died."""
    send_unsent_jobs()
    return sum(model.objects.reap_stale(now) for model in job_models())
