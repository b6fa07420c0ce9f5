"""The webhook and the worker against a real Redis that hangs (SIGSTOP) or dies (SIGKILL).

Real parts throughout: gunicorn (2 processes x 4 threads) with the background publisher, a Celery
worker answering with the demo model, the LINE API stand-in, and a redis-server of the test's own.
"""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from line_bot import publish, simulator, tasks
from line_bot.models import Message
from marisa_site.celery import app
from tests import servers
from tests.line_bot.conftest import SECRET, body_of, text_event, wait_until

pytestmark = [pytest.mark.slow]
LINE_LIMIT_SECONDS = 2  # LINE gives up on a webhook that has not answered by then


@pytest.fixture
def fault_env(worker_env, line_env, faulty_redis, demo_model_dir) -> dict[str, str]:
    return {
        **worker_env,
        **line_env,
        "REDIS_URL": faulty_redis.url,
        "CELERY_BROKER_URL": faulty_redis.url,
        "MARISA_DEMO_MODEL_DIR": str(demo_model_dir),
        "MARISA_BASE_MODEL": "",
    }


def _post(url: str, body: bytes) -> tuple[list[str], float]:
    started = time.monotonic()
    status, answer = simulator.post_webhook(url + "/line/webhook/", body, SECRET, timeout=60)
    took = time.monotonic() - started
    assert status == 200, answer
    return json.loads(answer)["events"], took


def _all_sent(n: int) -> bool:
    inbound = Message.objects.filter(direction="in")
    answered = Message.objects.filter(direction="out", status="sent", in_reply_to__isnull=False)
    return inbound.count() == n and answered.count() >= n


def _assert_each_answered_once(standin, n: int) -> None:
    inbound = list(Message.objects.filter(direction="in"))
    assert len(inbound) == n
    for message in inbound:
        [answer] = Message.objects.filter(in_reply_to=message, direction="out")
        assert answer.status == "sent" and answer.delivery == "reply", (message.text, answer.status)
    replies = [r for r in standin.recorded("/v2/bot/message/reply") if r["status"] == 200]
    assert sorted(r["body"]["replyToken"] for r in replies) == sorted(m.reply_token for m in inbound)
    assert not standin.recorded("/v2/bot/message/push")  # no second copy went out by push either


def test_a_hung_broker_does_not_hold_the_webhook_and_each_message_is_answered_once_it_resumes(
    fault_env, faulty_redis, line_standin
):
    web = servers.start_web(fault_env)
    worker = servers.start_celery_worker(fault_env, queues="default")
    try:
        url = web.extra["url"]
        for i in range(2):  # the web side has published; the worker has loaded the model
            assert _post(url, body_of(text_event(f"Uwarm{i}", "よう")))[0] == ["queued"]
        wait_until(lambda: _all_sent(2), 180, "the warm-up answers", worker.log)

        faulty_redis.hang()
        for b in range(2):
            outcomes, took = _post(url, body_of(*[text_event(f"Uhung{b}{i}", f"質問{i}") for i in range(4)]))
            assert outcomes == ["queued"] * 4
            assert took < LINE_LIMIT_SECONDS / 2, f"a body of 4 events took {took:.2f}s with the broker hung"
        time.sleep(3)  # the publishers wait on the hung broker meanwhile
        assert Message.objects.filter(direction="in", status="queued").count() == 8
        faulty_redis.resume()

        wait_until(lambda: _all_sent(10), 240, "every answer after the broker resumed", worker.log)
        wait_until(faulty_redis.idle, 60, "the worker emptying the queue", worker.log)
        time.sleep(1)
        _assert_each_answered_once(line_standin, 10)
    finally:
        web.stop()
        worker.stop()


def test_messages_lost_with_a_killed_broker_are_all_answered_once_after_requeue(
    fault_env, faulty_redis, line_standin
):
    """600 closed answers (beyond one batch of 500) and 2 generations were on Redis when it died."""
    n = 602
    web = servers.start_web({**fault_env, "MARISA_MONTHLY_LIMIT": "2"})
    try:
        outcomes, _ = _post(
            web.extra["url"], body_of(*[text_event(f"Ulost{i:04d}", f"質問{i}") for i in range(n)])
        )
        assert outcomes == ["queued"] * 2 + ["closed"] * (n - 2)
        wait_until(lambda: faulty_redis.client().llen("default") == n, 60, "the publisher", web.log)
    finally:
        web.stop()
    faulty_redis.kill()  # every task in it is lost
    faulty_redis.start()  # the same port, empty
    assert faulty_redis.client().llen("default") == 0

    saved, app.conf.broker_url = app.conf.broker_url, faulty_redis.url
    try:
        closed = list(Message.objects.filter(direction="out").order_by("pk").values_list("pk", flat=True))
        for pk in closed[:50]:  # copies that survived (an append-only file): the worker sees two of these
            publish.enqueue(tasks.send_message, pk)
        long_ago = timezone.now() - timedelta(hours=1)
        Message.objects.update(created_at=long_ago)
        assert tasks.requeue_stuck() == n
        assert tasks.requeue_stuck() == 0
    finally:
        app.conf.broker_url = saved

    worker = servers.start_celery_worker(fault_env, queues="default", concurrency=4)
    try:
        wait_until(lambda: _all_sent(n), 300, "every answer after the requeue", worker.log)
        wait_until(faulty_redis.idle, 60, "the worker emptying the queue", worker.log)
        time.sleep(1)
    finally:
        worker.stop()
    _assert_each_answered_once(line_standin, n)
