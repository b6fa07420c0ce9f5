"""Beat's requeue_stuck: oldest first, each stuck message once per attempt, all of them, two beats at once;
and the claims that keep two copies of one task from answering twice."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from line_bot import tasks
from line_bot.models import Chat, Message
from marisa_site.celery import app
from tests.line_bot.conftest import queued_tasks

GENERATE, SEND = "line_bot.tasks.generate_reply", "line_bot.tasks.send_message"


def _stuck(n: int, direction: str = "in", age: float = 3600, chat_id: str = "Ustuck") -> list[int]:
    """`n` messages stored as waiting long ago, the first the oldest (one second apart)."""
    chat, _ = Chat.objects.get_or_create(line_id=chat_id, defaults={"kind": "user"})
    status = "queued" if direction == "in" else "pending"
    rows = Message.objects.bulk_create(
        [Message(chat=chat, direction=direction, kind="text", status=status, text=f"{i}") for i in range(n)]
    )
    now = timezone.now()
    for i, row in enumerate(rows):
        row.created_at = now - timedelta(seconds=age + n - i)
    Message.objects.bulk_update(rows, ["created_at"], batch_size=500)
    return [row.pk for row in rows]


@pytest.mark.django_db
def test_a_thousand_stuck_messages_are_each_queued_once_over_two_runs(line_settings, queue):
    stuck = _stuck(1000)
    assert tasks.requeue_stuck() == 1000
    assert tasks.requeue_stuck() == 0  # the second beat finds them marked
    queued = queued_tasks(queue)
    assert Counter(queued) == Counter({(GENERATE, pk): 1 for pk in stuck})
    assert [pk for _, pk in queued] == stuck  # oldest first
    assert set(Message.objects.values_list("requeues", flat=True)) == {1}


@pytest.mark.django_db
def test_everything_stuck_is_recovered_in_one_run_in_batches(line_settings, queue, monkeypatch):
    monkeypatch.setattr(tasks, "REQUEUE_BATCH", 100)
    inbound = _stuck(1200)
    outgoing = _stuck(300, direction="out")
    fresh = _stuck(5, age=-5)  # stored a moment ago: waiting, not stuck
    assert tasks.requeue_stuck() == 1500
    queued = queued_tasks(queue)
    assert queued == [(GENERATE, pk) for pk in inbound] + [(SEND, pk) for pk in outgoing]
    assert not any(pk in fresh for _, pk in queued)


@pytest.mark.django_db
def test_a_requeued_message_still_stuck_is_queued_again_after_the_interval(line_settings, queue):
    [pk] = _stuck(1)
    assert tasks.requeue_stuck() == 1
    later = timezone.now() - timedelta(seconds=line_settings.LINE_REQUEUE_AFTER_SECONDS + 1)
    Message.objects.filter(pk=pk).update(requeued_at=later)  # its task was lost again
    assert tasks.requeue_stuck() == 1
    assert queued_tasks(queue) == [(GENERATE, pk), (GENERATE, pk)]
    assert Message.objects.get(pk=pk).requeues == 2


@pytest.mark.django_db
def test_an_unreachable_broker_stops_the_run_without_failing_it(line_settings, queue):
    _stuck(3)
    saved, app.conf.broker_url = app.conf.broker_url, "redis://127.0.0.1:1/0"
    try:
        assert tasks.requeue_stuck() == 0
    finally:
        app.conf.broker_url = saved


@pytest.mark.django_db(transaction=True)
def test_two_beats_at_once_never_queue_one_message_twice(line_settings, queue, monkeypatch):
    monkeypatch.setattr(tasks, "REQUEUE_BATCH", 50)
    stuck = _stuck(600)
    counts: list[int] = []
    start = threading.Barrier(2)

    def beat() -> None:
        start.wait()
        try:
            counts.append(tasks.requeue_stuck())
        finally:
            connection.close()

    threads = [threading.Thread(target=beat) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert sum(counts) == 600
    assert Counter(queued_tasks(queue)) == Counter({(GENERATE, pk): 1 for pk in stuck})


@pytest.mark.django_db
def test_a_message_being_sent_by_another_run_is_left_alone(line_settings, line_standin):
    [pk] = _stuck(1, direction="out", age=0)
    Message.objects.filter(pk=pk).update(status="sending", claimed_at=timezone.now())
    assert tasks.send_message(pk) == "being sent elsewhere"
    assert not line_standin.recorded()


@pytest.mark.django_db
def test_an_abandoned_sending_claim_is_given_back_and_queued_again(line_settings, queue):
    [pk] = _stuck(1, direction="out")
    old = timezone.now() - timedelta(seconds=line_settings.LINE_REQUEUE_AFTER_SECONDS + 5)
    Message.objects.filter(pk=pk).update(status="sending", claimed_at=old)
    assert tasks.requeue_stuck() == 1
    assert Message.objects.get(pk=pk).status == "pending"
    assert queued_tasks(queue) == [(SEND, pk)]
