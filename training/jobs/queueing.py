"""Sending a job's task to the broker, and asking whether a gpu worker listens.

The web process names tasks by string and uses Celery's current app, so it imports neither the task
modules (nor torch through them) nor the site's Celery module.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from celery import current_app
from django.db import transaction

from marisa_site.broker import broker_reachable

log = logging.getLogger(__name__)


def send_on_commit(job: Any) -> None:
    """Queue `job.task_name` for the job once the row is committed; when the broker is down the phase says so."""
    task_id = str(uuid.uuid4())
    type(job).objects.filter(pk=job.pk).update(celery_task_id=task_id)
    job.celery_task_id = task_id

    def publish() -> None:
        try:
            # A quick ping first: kombu would spend seconds retrying a dead broker inside a web request.
            if not broker_reachable(timeout=1.0):
                raise ConnectionError(f"no answer from {current_app.conf.broker_url}")
            current_app.send_task(job.task_name, args=[job.pk], task_id=task_id, retry=False)
        except Exception as exc:  # broker down: the job stays queued and says so
            log.warning("could not queue %s %s: %s", job.task_name, job.pk, exc)
            type(job).objects.filter(pk=job.pk, status=job.Status.QUEUED).update(
                phase=f"not sent: the broker is unreachable ({exc})"[:200]
            )

    transaction.on_commit(publish)


def gpu_worker_available(timeout: float = 1.0) -> bool:
    """Whether some Celery worker consumes the gpu queue right now (a broadcast ping over the broker)."""
    if not broker_reachable(timeout):
        return False
    try:
        queues = current_app.control.inspect(timeout=timeout).active_queues() or {}
    except Exception:
        return False
    return any(q.get("name") == "gpu" for worker in queues.values() for q in worker or [])
