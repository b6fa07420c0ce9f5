"""The Django side of jobs: launching, running, progress, heartbeat, cancel, resume, failure, reaping.

Modelled on Read the Docs' build tasks: the row is the source of truth (status, step, heartbeat),
the Celery task only carries an id, a worker claims a job with a conditional UPDATE (so a redelivered
message never runs a job twice), a thread stamps a heartbeat while the job runs, and a periodic task
marks jobs whose heartbeat stopped as failed and resumable.

ML imports (torch, transformers, training.qlora) happen inside the functions that run on the worker.
"""

from __future__ import annotations

import json
import logging
import shutil
import socket
import threading
import time
import traceback as tb
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from .job_data import SplitData, character_spec, snapshot_conversations, split_held_out  # noqa: F401
from .job_metrics import flat_metrics, headline_metrics  # noqa: F401
from .models import GenerationJob, Job, TrainingJob

log = logging.getLogger(__name__)

# Mirrors training.qlora.TrainConfig's defaults, so the web process can show and validate them without
# importing the ML core (which imports torch). Only these keys are taken from a user.
TRAIN_PARAM_DEFAULTS: dict[str, Any] = {
    "num_train_epochs": 1.0,
    "max_steps": -1,
    "learning_rate": 2e-4,
    "lora_r": 64,
    "lora_alpha": 16,
    "lora_dropout": 0.1,
    "per_device_batch_size": 4,
    "gradient_accumulation_steps": 1,
    "gradient_checkpointing": False,
    "group_by_length": True,
    "packing": False,
    "seed": 42,
    "save_steps": 50,
    "logging_steps": 1,
}
ProgressListener = Callable[[dict], None]


def default_train_params() -> dict[str, Any]:
    """Defaults with the deployment's settings folded in (4-bit, sequence length, target modules)."""
    params = dict(TRAIN_PARAM_DEFAULTS)
    params["load_in_4bit"] = settings.MARISA_LOAD_IN_4BIT
    params["max_seq_length"] = settings.MARISA_MAX_SEQ_LENGTH
    modules = settings.MARISA_LORA_TARGET_MODULES
    params["target_modules"] = modules[0] if modules == ["all-linear"] else list(modules)
    return params


def job_dir(job: TrainingJob) -> Path:
    return Path(settings.DATA_DIR) / "models" / str(job.pk)


def _checkpoints(output_dir: str | Path | None) -> list[Path]:
    if not output_dir or not Path(output_dir).is_dir():
        return []
    found = [p for p in Path(output_dir).rglob("checkpoint-*") if p.is_dir() and p.name[11:].isdigit()]
    return sorted(found, key=lambda p: int(p.name[11:]))


def checkpoint_complete(path: Path) -> bool:
    """HF Trainer writes trainer_state.json last: a checkpoint without a readable one was cut short."""
    try:
        json.loads((path / "trainer_state.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return True


def find_checkpoint(output_dir: str | Path | None) -> Path | None:
    """The newest complete HF Trainer checkpoint (checkpoint-<step>) under the job's directory, if any."""
    complete = [p for p in _checkpoints(output_dir) if checkpoint_complete(p)]
    return complete[-1] if complete else None


def discard_incomplete_checkpoints(output_dir: str | Path | None) -> list[Path]:
    """Remove checkpoints a killed worker left half-written, so a resume starts from a whole one.

    (The Trainer resumes from the highest-numbered directory and fails on a partial one.)
    """
    removed = [p for p in _checkpoints(output_dir) if not checkpoint_complete(p)]
    for path in removed:
        log.warning("removing incomplete checkpoint %s", path)
        shutil.rmtree(path, ignore_errors=True)
    return removed


# --- launching -------------------------------------------------------------------------------------


def _send(task_name: str, job: Job) -> bool:
    """Queue the job's task once the row is committed; False (and a phase saying why) when unreachable."""
    from marisa_site.celery import app

    task_id = str(uuid.uuid4())
    type(job).objects.filter(pk=job.pk).update(celery_task_id=task_id)
    job.celery_task_id = task_id

    def publish() -> None:
        from marisa_site.broker import broker_reachable

        try:
            # A quick ping first: kombu would spend seconds retrying a dead broker inside a web request.
            if not broker_reachable(timeout=1.0):
                raise ConnectionError(f"no answer from {app.conf.broker_url}")
            app.send_task(task_name, args=[job.pk], task_id=task_id, retry=False)
        except Exception as exc:  # broker down: the job stays queued and says so
            log.warning("could not queue %s %s: %s", task_name, job.pk, exc)
            type(job).objects.filter(pk=job.pk, status=Job.Status.QUEUED).update(
                phase=f"not sent: the broker is unreachable ({exc})"[:200]
            )

    transaction.on_commit(publish)
    return True


def launch_training_job(
    snapshot: Any,
    base_model: str | None,
    params: dict[str, Any] | None,
    user: Any = None,
    *,
    send: bool = True,
) -> TrainingJob:
    """Create a queued TrainingJob with complete parameters and send it to the gpu queue."""
    full = default_train_params()
    unknown = set(params or {}) - set(full) - {"activate_when_done", "line_separator"}
    if unknown:
        raise ValueError(f"unknown training parameters: {', '.join(sorted(unknown))}")
    full.update(params or {})
    job = TrainingJob.objects.create(
        snapshot=snapshot,
        base_model=(base_model or settings.MARISA_BASE_MODEL or "").strip(),
        params=full,
        created_by=user if getattr(user, "is_authenticated", False) else None,
        phase="waiting for a worker on the gpu queue",
    )
    if send:
        _send("training.tasks.run_training_job", job)
    return job


def resume_job(job: Job, *, send: bool = True, params: dict[str, Any] | None = None) -> bool:
    """Queue a failed or cancelled job again: training continues from its last checkpoint.

    `params` may change training parameters for the rest of the run (e.g. a new max_steps).
    """
    if params and isinstance(job, TrainingJob):
        unknown = set(params) - set(default_train_params())
        if unknown:
            raise ValueError(f"unknown training parameters: {', '.join(sorted(unknown))}")
    fields: dict[str, Any] = {
        "status": Job.Status.QUEUED,
        "cancel_requested": False,
        "error": "",
        "traceback": "",
        "resumable": False,
        "finished_at": None,
        "phase": "waiting for a worker on the gpu queue (resume)",
    }
    done = (
        type(job)
        .objects.filter(pk=job.pk, status__in=[Job.Status.FAILED, Job.Status.CANCELLED], resumable=True)
        .update(**fields)
    )
    if not done:
        return False
    job.refresh_from_db()
    if isinstance(job, TrainingJob):
        job.params = {**job.params, **(params or {}), "resume": True}
        job.save(update_fields=["params"])
    if send:
        _send(_task_name(job), job)
    return True


def _task_name(job: Job) -> str:
    if isinstance(job, TrainingJob):
        return "training.tasks.run_training_job"
    return "training.tasks.run_generation_job"


def request_cancel(job: Job) -> str:
    """A queued job is cancelled at once; a running one stops at its next step."""
    now = timezone.now()
    model = type(job)
    if model.objects.filter(pk=job.pk, status=Job.Status.QUEUED).update(
        status=Job.Status.CANCELLED,
        cancel_requested=True,
        finished_at=now,
        phase="cancelled before it started",
    ):
        return "cancelled"
    if model.objects.filter(pk=job.pk, status=Job.Status.RUNNING).update(
        cancel_requested=True, phase="cancelling: stops at the next step"
    ):
        return "cancelling"
    return "finished"


# --- running: claim, heartbeat, hooks, failure -----------------------------------------------------


def claim(model: type[Job], job_id: int, task_id: str | None = None, worker: str = "") -> Job | None:
    """Take a queued job (conditional UPDATE): a duplicate or stale message finds nothing to take."""
    query = Q(pk=job_id, status=Job.Status.QUEUED)
    if task_id:
        query &= Q(celery_task_id=task_id)
    now = timezone.now()
    taken = model.objects.filter(query).update(
        status=Job.Status.RUNNING,
        started_at=now,
        heartbeat_at=now,
        worker=(worker or socket.gethostname())[:200],
        attempts=F("attempts") + 1,
        phase="starting",
    )
    if not taken:
        log.info("%s %s is not queued for this task: nothing to do", model.__name__, job_id)
        return None
    return model.objects.get(pk=job_id)


class Heartbeat:
    """Stamps heartbeat_at from a daemon thread while the job runs, even through a long model load.

    The thread dies with the process, so a killed worker stops beating and the reaper notices.
    Inside a test's open transaction another connection could not write, so the thread is not started
    there; progress writes still stamp the heartbeat.
    """

    def __init__(self, model: type[Job], pk: int, interval: float | None = None) -> None:
        self.model, self.pk = model, pk
        self.interval = interval or max(1.0, min(30.0, settings.MARISA_JOB_STALE_SECONDS / 4))
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> Heartbeat:
        if not connection.in_atomic_block:
            self._thread = threading.Thread(target=self._run, name=f"heartbeat-{self.pk}", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=10)

    def _run(self) -> None:
        try:
            while not self._stop.wait(self.interval):
                try:
                    self.model.objects.filter(pk=self.pk, status=Job.Status.RUNNING).update(
                        heartbeat_at=timezone.now()
                    )
                except Exception as exc:  # a locked database must not end the job
                    log.warning("heartbeat for %s %s failed: %s", self.model.__name__, self.pk, exc)
        finally:
            connection.close()


class JobHooks:
    """training.qlora.TrainingHooks writing progress to the TrainingJob row at a bounded rate."""

    def __init__(
        self,
        job: TrainingJob,
        min_interval: float = 1.0,
        listener: ProgressListener | None = None,
        history_limit: int = 2000,
    ) -> None:
        self.job_id = job.pk
        self.min_interval = min_interval
        self.listener = listener
        self.history_limit = history_limit
        self.history: list[list[float]] = [list(p) for p in job.loss_history]
        self.pending: dict | None = None
        self._last_write = float("-inf")  # the first progress is written at once
        self._last_cancel_check = float("-inf")
        self._stop = False

    def on_progress(self, progress: dict) -> None:
        step = int(progress.get("step") or 0)
        loss = progress.get("loss")
        if loss is not None and loss == loss:  # NaN != NaN: a NaN loss is not plotted
            # A resumed run replays steps after its checkpoint: drop the abandoned tail first.
            while self.history and self.history[-1][0] >= step:
                self.history.pop()
            self.history.append([step, round(float(loss), 5)])
            self._thin()
        if self.listener:
            self.listener(progress)
        self.pending = progress
        total = int(progress.get("total_steps") or 0)
        now = time.monotonic()
        if now - self._last_write >= self.min_interval or (total and step >= total):
            self.flush()

    def _thin(self) -> None:
        # Keep the curve's shape with bounded storage: halve the resolution when over the limit.
        if len(self.history) > self.history_limit:
            last = self.history[-1]
            self.history = self.history[::2]
            if self.history[-1] != last:
                self.history.append(last)

    def flush(self) -> None:
        progress, self.pending = self.pending, None
        if progress is None:
            return
        self._last_write = time.monotonic()
        fields: dict[str, Any] = {
            "step": int(progress.get("step") or 0),
            "total_steps": int(progress.get("total_steps") or 0),
            "eta_seconds": _num(progress.get("eta_seconds")),
            "tokens_per_second": _num(progress.get("tokens_per_second")),
            "learning_rate": _num(progress.get("learning_rate")),
            "loss_history": self.history,
            "heartbeat_at": timezone.now(),
            "phase": str(progress.get("phase") or "training")[:200],
        }
        loss = _num(progress.get("loss"))
        if loss is not None:
            fields["loss"] = loss
        TrainingJob.objects.filter(pk=self.job_id).update(**fields)

    def should_stop(self) -> bool:
        now = time.monotonic()
        if not self._stop and now - self._last_cancel_check >= min(self.min_interval, 0.5):
            self._last_cancel_check = now
            self._stop = TrainingJob.objects.filter(pk=self.job_id, cancel_requested=True).exists()
        return self._stop


def _num(value: Any) -> float | None:
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return value if value == value and value not in (float("inf"), float("-inf")) else None


OOM_ADVICE = (
    "The GPU ran out of memory (CUDA out of memory). Lower per_device_batch_size (raise "
    "gradient_accumulation_steps to keep the effective batch size), lower max_seq_length, or turn on "
    "gradient_checkpointing; keep 4-bit loading on."
)


def describe_failure(exc: BaseException) -> str:
    """The error in words a user can act on."""
    text = str(exc).strip() or type(exc).__name__
    name = type(exc).__name__
    if "OutOfMemory" in name or "out of memory" in text.lower():
        return f"{OOM_ADVICE}\n\n{name}: {text}"
    if isinstance(exc, FileNotFoundError):
        return f"A file the job needs is missing: {text}"
    return f"{name}: {text}"


def mark_failed(job: Job, exc: BaseException, resumable: bool) -> None:
    type(job).objects.filter(pk=job.pk).update(
        status=Job.Status.FAILED,
        error=describe_failure(exc)[:5000],
        traceback="".join(tb.format_exception(exc))[-20000:],
        resumable=resumable,
        finished_at=timezone.now(),
        phase="failed",
    )


def reap_stale_jobs(now: Any = None) -> int:
    """Running jobs whose heartbeat is older than MARISA_JOB_STALE_SECONDS: failed, resumable."""
    now = now or timezone.now()
    limit = now - timedelta(seconds=settings.MARISA_JOB_STALE_SECONDS)
    stale = Q(status=Job.Status.RUNNING) & (
        Q(heartbeat_at__lt=limit) | Q(heartbeat_at__isnull=True, started_at__lt=limit)
    )
    reaped = 0
    for model in (TrainingJob, GenerationJob):
        for job in model.objects.filter(stale):
            since = timezone.localtime(job.heartbeat_at or job.started_at)
            message = (
                f"The worker stopped responding (no heartbeat since {since:%Y-%m-%d %H:%M:%S %Z}"
                f"{' on ' + job.worker if job.worker else ''}). Resume continues from the last checkpoint."
            )
            # Conditional on the heartbeat we read: a job that beat in the meantime is left alone.
            reaped += model.objects.filter(stale, pk=job.pk, heartbeat_at=job.heartbeat_at).update(
                status=Job.Status.FAILED,
                error=message,
                resumable=True,
                finished_at=now,
                phase="failed: worker lost",
            )
    if reaped:
        log.warning("marked %d stale job(s) failed", reaped)
    return reaped


def send_unsent_jobs() -> int:
    """Queued jobs whose message never reached the broker (it was down at launch): send them now."""
    sent = 0
    for model in (TrainingJob, GenerationJob):
        for job in model.objects.filter(status=Job.Status.QUEUED, phase__startswith="not sent"):
            model.objects.filter(pk=job.pk).update(phase="waiting for a worker on the gpu queue")
            _send(_task_name(job), job)
            sent += 1
    return sent


def gpu_worker_available(timeout: float = 1.0) -> bool:
    """Whether some Celery worker consumes the gpu queue right now (a broadcast ping over the broker)."""
    from marisa_site.broker import broker_reachable

    if not broker_reachable(timeout):
        return False
    from marisa_site.celery import app

    try:
        queues = app.control.inspect(timeout=timeout).active_queues() or {}
    except Exception:
        return False
    return any(q.get("name") == "gpu" for worker in queues.values() for q in worker or [])
