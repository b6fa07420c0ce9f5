"""Queueing a line_bot task from the webhook: `apply_async` on one Celery producer per thread.

Each gunicorn thread keeps its own producer (kombu connections are not thread-safe), so a webhook
pays for one publish, not for a connection. The producer's connection gives up on a dead broker at
once instead of retrying: the webhook still answers LINE within its time limit, the message stays
queued or pending, and beat's `requeue_stuck` queues it again after LINE_REQUEUE_AFTER_SECONDS.
"""

from __future__ import annotations

import os
import threading

from kombu import Producer

# Seconds; a broker that does not answer within these is treated as down (see the module docstring).
CONNECT_TIMEOUT = 2
SOCKET_TIMEOUT = 5

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


# A forked child must not share its parent's broker socket; it connects on its first publish.
os.register_at_fork(after_in_child=lambda: _local.__dict__.clear())


def enqueue(task_name: str, *args: int) -> None:
    """Queue `line_bot.tasks.<task_name>(*args)`; raises when the broker cannot be reached."""
    from line_bot import tasks

    task = getattr(tasks, task_name)
    if task.app.conf.task_always_eager:
        task.apply_async(args)  # runs in this process; no broker involved
        return
    try:
        task.apply_async(args, producer=_producer(task.app), retry=False)
    except Exception:
        _discard()  # the next webhook connects afresh rather than reusing a broken connection
        raise
