"""Queueing through the background publisher: the task on Redis, a broker outage, a full publisher, beat."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.db import IntegrityError
from django.utils import timezone

from line_bot import handling, publish, tasks
from line_bot.models import Chat, Message, WebhookEvent
from marisa_site.celery import app
from tests.line_bot.conftest import body_of, post_event, post_signed, queued_tasks, text_event

pytestmark = pytest.mark.django_db

DEAD_BROKER = "redis://127.0.0.1:1/0"


def test_a_queued_message_is_published_as_a_celery_task(
    client, line_settings, queue, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assert post_event(client, text_event("Upublish", "よう")) == "queued"
        assert post_event(client, text_event("Upublish", "もう一回")) == "queued"
    assert publish.publisher().flush(10)
    inbound = list(Message.objects.filter(direction="in").order_by("pk").values_list("pk", flat=True))
    assert sorted(queued_tasks(queue)) == [("line_bot.tasks.generate_reply", pk) for pk in inbound]


def test_a_broker_outage_does_not_hold_the_webhook_and_the_publisher_sends_once_it_is_back(
    client, line_settings, queue, redis_url, django_capture_on_commit_callbacks
):
    app.conf.broker_url = DEAD_BROKER
    try:
        started = time.monotonic()
        with django_capture_on_commit_callbacks(execute=True):
            assert post_event(client, text_event("Uoutage", "聞こえる？")) == "queued"
        assert time.monotonic() - started < 0.5  # the request never touched the broker
        assert not publish.publisher().flush(1)  # held: the broker does not answer
    finally:
        app.conf.broker_url = redis_url
    assert publish.publisher().flush(10)  # the broker is back: the held task goes out
    inbound = Message.objects.get(direction="in")
    assert inbound.status == "queued" and queued_tasks(queue) == [
        ("line_bot.tasks.generate_reply", inbound.pk)
    ]


def test_what_does_not_fit_the_publisher_stays_queued_for_beats_requeue(line_settings, queue, caplog):
    full = publish.Publisher(capacity=2)
    app.conf.broker_url, saved = DEAD_BROKER, app.conf.broker_url
    try:
        full.submit([publish.Job(tasks.generate_reply, (n,)) for n in range(5)])  # one in hand, two waiting
    finally:
        app.conf.broker_url = saved
    assert full.dropped >= 2 and "left to beat's requeue" in caplog.text
    assert full.flush(10)


def test_stuck_messages_are_queued_again_by_beat(line_settings, queue):
    chat = Chat.objects.create(line_id="Ubeat", kind="user")
    inbound = Message.objects.create(chat=chat, direction="in", kind="text", status="queued", text="よう")
    old = timezone.now() - timedelta(seconds=line_settings.LINE_REQUEUE_AFTER_SECONDS + 5)
    Message.objects.filter(pk=inbound.pk).update(created_at=old)
    assert tasks.requeue_stuck() == 1
    assert queued_tasks(queue) == [("line_bot.tasks.generate_reply", inbound.pk)]
    assert tasks.requeue_stuck() == 0  # marked: not queued again before another LINE_REQUEUE_AFTER_SECONDS
    inbound.refresh_from_db()
    assert inbound.requeues == 1 and inbound.requeued_at is not None


def test_eager_mode_runs_the_task_in_process(settings, monkeypatch):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    ran = []
    monkeypatch.setattr(tasks.send_message, "run", lambda message_id: ran.append(message_id))
    publish.enqueue(tasks.send_message, 42)
    publish.submit([publish.Job(tasks.send_message, (43,))])  # eager: runs at once, no thread
    assert ran == [42, 43]


def test_an_integrity_error_that_is_not_a_redelivery_is_raised(client, line_settings, monkeypatch):
    def broken(event, record, plan):
        raise IntegrityError("a bug, not a second copy of the event")

    monkeypatch.setattr(handling, "dispatch", broken)
    with pytest.raises(IntegrityError):  # a 500: LINE delivers the event again
        post_signed(client, body_of(text_event("Ubug", "よう")))
    assert not WebhookEvent.objects.exists()
