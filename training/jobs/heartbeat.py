"""The heartbeat of a running job, stamped from a daemon thread."""

from __future__ import annotations

import logging
import threading
from typing import Any

from django.conf import settings
from django.db import connection

log = logging.getLogger(__name__)


class Heartbeat:
    """Stamps the job's heartbeat from a daemon thread while it runs, even through a long model load.

    The thread dies with the process, so a killed worker stops beating and the reaper notices.
    Inside a test's open transaction another connection could not write, so the thread is not started
    there; progress writes still stamp the heartbeat.
    """

    def __init__(self, job: Any, interval: float | None = None) -> None:
        self.job = job
        self.interval = interval or max(1.0, min(30.0, settings.MARISA_JOB_STALE_SECONDS / 4))
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> Heartbeat:
        if not connection.in_atomic_block:
            self._thread = threading.Thread(target=self._run, name=f"heartbeat-{self.job.pk}", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=10)

    def __enter__(self) -> Heartbeat:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _run(self) -> None:
        try:
            while not self._stop.wait(self.interval):
                try:
                    self.job.beat()
                except Exception as exc:  # a locked database must not end the job
                    log.warning("heartbeat for %s %s failed: %s", type(self.job).__name__, self.job.pk, exc)
        finally:
            connection.close()
