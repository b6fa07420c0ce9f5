"""The job base shared by training and generation jobs: its state and every change of it.

The row is the source of truth, as for Read the Docs' builds: a Celery task carries only the id; a worker
takes a job with a conditional UPDATE (so a redelivered message never runs a job twice); a thread stamps
the heartbeat while it runs; a periodic task fails jobs whose heartbeat stopped (`reap_stale`).
"""

from __future__ import annotations

import logging
import socket
import traceback as tb
from datetime import datetime, timedelta
from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from training.jobs.failures import describe_failure

log = logging.getLogger(__name__)
WAITING = "waiting for a worker on the gpu queue"


class JobQuerySet(models.QuerySet):
    def stale(self, now: datetime | None = None) -> JobQuerySet:
        """Running jobs whose heartbeat is older than MARISA_JOB_STALE_SECONDS."""
        limit = (now or timezone.now()) - timedelta(seconds=settings.MARISA_JOB_STALE_SECONDS)
        return self.filter(
            Q(status=Job.Status.RUNNING)
            & (Q(heartbeat_at__lt=limit) | Q(heartbeat_at__isnull=True, started_at__lt=limit))
        )

    def reap_stale(self, now: datetime | None = None) -> int:
        """Fail the stale jobs (their worker died), resumable from the last checkpoint; the count reaped."""
        now = now or timezone.now()
        reaped = 0
        for job in self.stale(now):
            since = timezone.localtime(job.heartbeat_at or job.started_at)
            where = f" on {job.worker}" if job.worker else ""
            message = (
                f"The worker stopped responding (no heartbeat since {since:%Y-%m-%d %H:%M:%S %Z}{where}). "
                "Resume continues from the last checkpoint."
            )
            # Conditional on the heartbeat we read: a job that beat in the meantime is left alone.
            reaped += (
                self.stale(now)
                .filter(pk=job.pk, heartbeat_at=job.heartbeat_at)
                .update(
                    status=Job.Status.FAILED,
                    error=message,
                    resumable=True,
                    finished_at=now,
                    phase="failed: worker lost",
                )
            )
        if reaped:
            log.warning("marked %d stale %s(s) failed", reaped, self.model.__name__)
        return reaped

    def unsent(self) -> JobQuerySet:
        """Queued jobs whose message never reached the broker (it was down at launch)."""
        return self.filter(status=Job.Status.QUEUED, phase__startswith="not sent")


class Job(models.Model):
    """State shared by long-running jobs: status, progress, heartbeat, failure."""

    # The Celery task that runs this kind of job, by name: the web process never imports the task.
    task_name: ClassVar[str] = ""

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        SUCCEEDED = "succeeded", _("succeeded")
        FAILED = "failed", _("failed")
        CANCELLED = "cancelled", _("cancelled")

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True)
    params = models.JSONField(default=dict, blank=True)
    step = models.PositiveIntegerField(default=0)
    total_steps = models.PositiveIntegerField(default=0)
    eta_seconds = models.FloatField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    cancel_requested = models.BooleanField(default=False)
    celery_task_id = models.CharField(max_length=100, blank=True)
    worker = models.CharField(max_length=200, blank=True)
    error = models.TextField(blank=True)
    traceback = models.TextField(blank=True)
    resumable = models.BooleanField(default=False)
    # What the job is doing right now, in words ("loading the base model", "training", "evaluating").
    phase = models.CharField(max_length=200, blank=True)
    attempts = models.PositiveIntegerField(default=0)  # starts, counting resumes
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = JobQuerySet.as_manager()

    class Meta:
        abstract = True
        ordering = ["-created_at"]

    @property
    def is_finished(self) -> bool:
        return self.status in {self.Status.SUCCEEDED, self.Status.FAILED, self.Status.CANCELLED}

    @property
    def percent(self) -> int:
        return min(100, int(100 * self.step / self.total_steps)) if self.total_steps else 0

    @property
    def is_active_job(self) -> bool:
        return self.status in {self.Status.QUEUED, self.Status.RUNNING}

    def _update(self, **fields: Any) -> int:
        return type(self).objects.filter(pk=self.pk).update(**fields)

    # --- launching ---------------------------------------------------------------------------------

    def send(self) -> None:
        """Queue this job's task once the row is committed; when the broker is down the phase says so."""
        from training.jobs.queueing import send_on_commit

        send_on_commit(self)

    # --- running -----------------------------------------------------------------------------------

    @classmethod
    def claim(cls, pk: int, task_id: str | None = None, worker: str = "") -> Job | None:
        """Take a queued job (conditional UPDATE): a duplicate or stale message finds nothing to take."""
        query = Q(pk=pk, status=cls.Status.QUEUED)
        if task_id:  # a job run here without ever being sent has no task id yet
            query &= Q(celery_task_id=task_id) | Q(celery_task_id="")
        now = timezone.now()
        taken = cls.objects.filter(query).update(
            status=cls.Status.RUNNING,
            started_at=now,
            heartbeat_at=now,
            worker=(worker or socket.gethostname())[:200],
            attempts=F("attempts") + 1,
            phase="starting",
        )
        if not taken:
            log.info("%s %s is not queued for this task: nothing to do", cls.__name__, pk)
            return None
        return cls.objects.get(pk=pk)

    def beat(self) -> None:
        """Stamp the heartbeat of a running job (the reaper fails jobs that stop beating)."""
        type(self).objects.filter(pk=self.pk, status=self.Status.RUNNING).update(heartbeat_at=timezone.now())

    def set_phase(self, text: str, **fields: Any) -> None:
        """Say what the job is doing now (and stamp the heartbeat), with any progress fields."""
        self._update(phase=text[:200], heartbeat_at=timezone.now(), **fields)

    def should_stop(self) -> bool:
        return type(self).objects.filter(pk=self.pk, cancel_requested=True).exists()

    def fail(self, exc: BaseException, resumable: bool) -> None:
        self._update(
            status=self.Status.FAILED,
            error=describe_failure(exc)[:5000],
            traceback="".join(tb.format_exception(exc))[-20000:],
            resumable=resumable,
            finished_at=timezone.now(),
            phase="failed",
        )

    def finish(self, status: str, phase: str, resumable: bool = False, **fields: Any) -> None:
        """End the run: succeeded, or cancelled at a step (resumable when there is something to resume)."""
        self._update(
            status=status, phase=phase[:200], resumable=resumable, finished_at=timezone.now(), **fields
        )

    # --- control from a user -----------------------------------------------------------------------

    def request_cancel(self) -> str:
        """A queued job is cancelled at once; a running one stops at its next step."""
        model = type(self)
        if model.objects.filter(pk=self.pk, status=self.Status.QUEUED).update(
            status=self.Status.CANCELLED,
            cancel_requested=True,
            finished_at=timezone.now(),
            phase="cancelled before it started",
        ):
            return "cancelled"
        if model.objects.filter(pk=self.pk, status=self.Status.RUNNING).update(
            cancel_requested=True, phase="cancelling: stops at the next step"
        ):
            return "cancelling"
        return "finished"

    def check_resume_params(self, params: dict[str, Any]) -> None:
        """Refuse parameter changes this kind of job does not take on resume (ValueError)."""
        if params:
            raise ValueError(f"{type(self).__name__} takes no parameters on resume")

    def resume(self, *, send: bool = True, params: dict[str, Any] | None = None) -> bool:
        """Queue a failed or cancelled job again; False when it is not resumable.

        `params` may change parameters for the rest of the run where the job kind allows (training: max_steps).
        """
        self.check_resume_params(params or {})
        done = (
            type(self)
            .objects.filter(
                pk=self.pk, status__in=[self.Status.FAILED, self.Status.CANCELLED], resumable=True
            )
            .update(
                status=self.Status.QUEUED,
                cancel_requested=False,
                error="",
                traceback="",
                resumable=False,
                finished_at=None,
                phase=f"{WAITING} (resume)",
            )
        )
        if not done:
            return False
        self.refresh_from_db()
        self.prepare_resume(params or {})
        if send:
            self.send()
        return True

    def prepare_resume(self, params: dict[str, Any]) -> None:
        """Hook: note on the row what a resumed run needs (training: continue from the checkpoint)."""

    def resumable_after_failure(self) -> bool:
        """Whether a failed run left something to resume from (generation: the questions answered so far)."""
        return True
