"""Handing line_bot tasks to the broker, off the request path: one background publisher per process.

The webhook stores its rows (inbound `queued`, outgoing `pending`) and, after the commit, gives their
ids to `submit`, which only puts them on a bounded in-memory queue: a request never waits for the
broker, whether it is up, down or hung. A daemon thread publishes them with Celery's `apply_async`
on its own producer. When the broker cannot be reached, the thread keeps the task at the head of the
queue and tries it again with a growing pause while new ids wait behind it; ids that no longer fit
are dropped with a warning. A dropped id, or one still waiting when the process ends, is not lost:
its row stays `queued` or `pending` and beat's `requeue_stuck` queues it again after
LINE_REQUEUE_AFTER_SECONDS. A task that reaches the worker twice is answered once (tasks.py).

`enqueue` publishes at once on the calling thread's producer and raises when the broker cannot be
reached: the publisher's thread and `requeue_stuck` (in the worker) use it.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import queue
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from kombu import Producer
from kombu.exceptions import OperationalError
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

# Seconds; a broker that does not answer within these is treated as down.
CONNECT_TIMEOUT = 2
SOCKET_TIMEOUT = 5
CAPACITY = 10_000  # ids waiting in one process; beyond it they are left to beat's requeue
FIRST_PAUSE, LONGEST_PAUSE = 0.25, 5.0  # between two tries of a publish while the broker is away
SHUTDOWN_SECONDS = 3  # how long a stopping process keeps publishing what it still holds
QUIET_WAIT = 0.05  # the longest the thread waits for a gap between webhooks before publishing
BROKER_ERRORS = (OperationalError, RedisError, OSError)

_local = threading.local()


def _producer(app) -> Producer:
    url = app.conf.broker_write_url or app.conf.broker_url
    producer = getattr(_local, "producer", None)
    if producer is None or _local.url != url:
        _discard()
        connection = app.connection_for_write(
            url,
            connect_timeout=CONNECT_TIMEOUT,
            transport_options={
                "max_retries": 0,  # one connection attempt, then the error
                "socket_connect_timeout": CONNECT_TIMEOUT,
                "socket_timeout": SOCKET_TIMEOUT,
            },
        )
        producer = Producer(connection)
        _local.producer, _local.url = producer, url
    return producer


def _discard() -> None:
    """Drop this thread's producer (after a failure, or when the broker URL changed)."""
    producer = getattr(_local, "producer", None)
    _local.producer = None
    if producer is not None:
        try:
            producer.connection.release()
        except Exception:  # a connection that is already broken has nothing left to close
            pass


def enqueue(task: Any, *args: int) -> None:
    """Publish `task(*args)` now; raises when the broker cannot be reached (eager mode: runs it here)."""
    if task.app.conf.task_always_eager:
        task.apply_async(args)  # runs in this process; no broker involved
        return
    try:
        task.apply_async(args, producer=_producer(task.app), retry=False)
    except Exception:
        _discard()  # the next publish connects afresh rather than reusing a broken connection
        raise


@dataclass(frozen=True)
class Job:
    task: Any  # a Celery task of line_bot.tasks
    args: tuple[int, ...]


class Publisher:
    """A bounded queue of jobs and the daemon thread that publishes them, started on first use."""

    def __init__(self, capacity: int = CAPACITY) -> None:
        self._jobs: queue.Queue[Job] = queue.Queue(capacity)
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self.dropped = 0  # jobs that did not fit, left to beat's requeue
        self._webhooks = 0  # webhooks this process is handling right now
        self._quiet = threading.Condition()

    @contextlib.contextmanager
    def webhook(self) -> Iterator[None]:
        """Around a webhook's work: the thread publishes in the gaps between them (see `_run`)."""
        with self._quiet:
            self._webhooks += 1
        try:
            yield
        finally:
            with self._quiet:
                self._webhooks -= 1
                if not self._webhooks:
                    self._quiet.notify_all()

    def submit(self, jobs: list[Job]) -> None:
        """Queue `jobs` for publishing and return at once; never blocks, never raises for the broker."""
        if jobs and jobs[0].task.app.conf.task_always_eager:
            for job in jobs:
                enqueue(job.task, *job.args)
            return
        self._start()
        lost = 0
        for job in jobs:
            try:
                self._jobs.put_nowait(job)
            except queue.Full:
                lost += 1
        if lost:
            self.dropped += lost
            log.warning("LINE publisher full (%d waiting): %d task(s) left to beat's requeue", CAPACITY, lost)

    def flush(self, timeout: float) -> bool:
        """Wait until every submitted job was published (or given up); False when `timeout` ran out."""
        deadline = time.monotonic() + timeout
        with self._jobs.all_tasks_done:
            while self._jobs.unfinished_tasks:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._jobs.all_tasks_done.wait(left)
        return True

    def waiting(self) -> int:
        return self._jobs.unfinished_tasks

    def _start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="line-publisher", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        """Publish what is queued, in the gaps between webhooks: the process runs one thread at a time
        (the GIL), so publishing while a webhook is handled would lengthen it. The thread waits for a
        moment with no webhook in hand, but never longer than QUIET_WAIT, then publishes what is there."""
        while True:
            first = self._jobs.get()
            self._wait_for_quiet()
            batch = [first]
            for _ in range(self._jobs.qsize()):
                batch.append(self._jobs.get_nowait())
            for job in batch:
                try:
                    self._publish(job)
                finally:
                    self._jobs.task_done()

    def _wait_for_quiet(self) -> None:
        deadline = time.monotonic() + QUIET_WAIT
        with self._quiet:
            while self._webhooks and (left := deadline - time.monotonic()) > 0:
                self._quiet.wait(left)

    def _publish(self, job: Job) -> None:
        pause, failed_since = FIRST_PAUSE, None
        while True:
            try:
                enqueue(job.task, *job.args)
            except BROKER_ERRORS as exc:
                if failed_since is None:
                    failed_since = time.monotonic()
                    log.warning("broker unreachable (%s); holding LINE tasks until it answers", exc)
                time.sleep(pause)
                pause = min(pause * 2, LONGEST_PAUSE)
                continue
            except Exception:  # not the broker: a bug; the row stays waiting for beat's requeue
                log.exception("could not queue %s%s", job.task.name, job.args)
                return
            if failed_since is not None:
                log.warning("broker back after %.1fs; LINE tasks published", time.monotonic() - failed_since)
            return


_publisher = Publisher()


def publisher() -> Publisher:
    return _publisher


def submit(jobs: list[Job]) -> None:
    _publisher.submit(jobs)


def _after_fork_in_child() -> None:
    """A forked child shares neither its parent's broker socket nor its publisher (nor its thread)."""
    global _publisher
    _local.__dict__.clear()
    _publisher = Publisher()


os.register_at_fork(after_in_child=_after_fork_in_child)
# A stopping web process (gunicorn's graceful stop) publishes what it still holds, for a short while.
atexit.register(lambda: _publisher.flush(SHUTDOWN_SECONDS))
