"""The whole reply path with real parts: webhook -> Redis -> Celery worker -> demo model -> SDK -> stand-in."""

from __future__ import annotations

import time

import pytest

from line_bot import replies
from line_bot.models import Message
from tests.line_bot.conftest import post_event, text_event

pytestmark = [pytest.mark.slow]


def _wait_for(check, timeout: float, what: str, worker) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"{what} did not happen within {timeout:.0f}s; worker log:\n{worker.log()[-3000:]}")


def test_messages_are_answered_by_the_worker_within_the_quota(
    client, line_settings, line_standin, line_worker
):
    line_settings.MARISA_MONTHLY_LIMIT = 2
    assert post_event(client, text_event("Uworker", "よう、魔理沙")) == "queued"

    def replies_sent(n: int) -> bool:
        return len([r for r in line_standin.recorded("/v2/bot/message/reply") if r["status"] == 200]) >= n

    _wait_for(lambda: replies_sent(1), 120, "the first reply", line_worker)

    line_standin.state.reply_tokens_invalid = True  # the next reply token is refused: push instead
    assert post_event(client, text_event("Uworker", "今日は何してた？")) == "queued"
    _wait_for(lambda: line_standin.recorded("/v2/bot/message/push"), 120, "the push fallback", line_worker)

    line_standin.state.reply_tokens_invalid = False
    assert post_event(client, text_event("Uworker", "三回目だぜ")) == "closed"
    _wait_for(lambda: replies_sent(2), 60, "the closed answer", line_worker)

    answers = list(Message.objects.filter(direction="out").order_by("pk"))
    assert [(a.kind, a.delivery, a.status) for a in answers] == [
        ("text", "reply", "sent"),
        ("text", "push", "sent"),
        ("closed", "reply", "sent"),
    ]
    assert answers[2].text == replies.CLOSED
    # Only the two generations showed the loading animation; the closed answer generated nothing.
    assert len(line_standin.recorded("/v2/bot/chat/loading/start")) == 2
    [push] = line_standin.recorded("/v2/bot/message/push")
    assert push["body"]["to"] == "Uworker" and push["retry_key"] == str(answers[1].retry_key)
