"""Queueing from the webhook through Celery: the message on Redis, a broker outage, non-redelivery errors."""

from __future__ import annotations

import ast
import json
import time
from datetime import timedelta

import pytest
import redis as redis_lib
from django.db import IntegrityError
from django.utils import timezone

from line_bot import handling, tasks
from line_bot.models import Message, WebhookEvent
from marisa_site.celery import app
from tests.line_bot.conftest import body_of, post_event, post_signed, text_event

pytestmark = pytest.mark.django_db

DEAD_BROKER = "redis://127.0.0.1:1/0"


def _queued(queue: redis_lib.Redis) -> list[tuple[str, int]]:
    """(task name, first argument) of each Celery message waiting on the default queue."""
    messages = [json.loads(raw) for raw in queue.lrange("default", 0, -1)]
    return [(m["headers"]["task"], ast.literal_eval(m["headers"]["argsrepr"])[0]) for m in messages]


@pytest.fixture
def queue(redis_url: str) -> redis_lib.Redis:
    client = redis_lib.Redis.from_url(redis_url)
    client.delete("default")
    yield client
    client.delete("default")


def test_a_queued_message_is_published_as_a_celery_task(
    client, line_settings, queue, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assert post_event(client, text_event("Upublish", "よう")) == "queued"
        assert post_event(client, text_event("Upublish", "もう一回")) == "queued"
    inbound = list(Message.objects.filter(direction="in").order_by("pk").values_list("pk", flat=True))
    assert sorted(_queued(queue)) == [("line_bot.tasks.generate_reply", pk) for pk in inbound]


def test_a_broker_outage_does_not_fail_the_webhook_and_beat_queues_the_message_later(
    client, line_settings, queue, redis_url, django_capture_on_commit_callbacks
):
    app.conf.broker_url = DEAD_BROKER
    try:
        started = time.monotonic()
        with django_capture_on_commit_callbacks(execute=True):
            assert post_event(client, text_event("Uoutage", "聞こえる？")) == "queued"
        assert time.monotonic() - started < 2  # no connection retries inside the request
    finally:
        app.conf.broker_url = redis_url
    inbound = Message.objects.get(direction="in")
    assert inbound.status == "queued" and _queued(queue) == []

    old = timezone.now() - timedelta(seconds=line_settings.LINE_REQUEUE_AFTER_SECONDS + 5)
    Message.objects.filter(pk=inbound.pk).update(created_at=old)
    assert tasks.requeue_stuck() == 1
    assert _queued(queue) == [("line_bot.tasks.generate_reply", inbound.pk)]

    # The broker is back: the next webhook publishes at once (the broken connection was dropped).
    with django_capture_on_commit_callbacks(execute=True):
        assert post_event(client, text_event("Uoutage", "今度は？")) == "queued"
    assert len(_queued(queue)) == 2


def test_eager_mode_runs_the_task_in_process(settings, monkeypatch):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    ran = []
    monkeypatch.setattr(tasks.send_message, "run", lambda message_id: ran.append(message_id))
    from line_bot.publish import enqueue

    enqueue("send_message", 42)
    assert ran == [42]


def test_an_integrity_error_that_is_not_a_redelivery_is_raised(client, line_settings, monkeypatch):
    def broken(event, record):
        raise IntegrityError("a bug, not a second copy of the event")

    monkeypatch.setattr(handling, "_dispatch", broken)
    with pytest.raises(IntegrityError):  # a 500: LINE delivers the event again
        post_signed(client, body_of(text_event("Ubug", "よう")))
    assert not WebhookEvent.objects.exists()
