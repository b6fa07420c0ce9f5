"""Sending through the real line-bot-sdk client to the LINE API stand-in: reply, push fallback, retry keys."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from line_bot import line_api, replies, tasks
from line_bot.models import Chat, LineUser, Message
from tests.line_bot.conftest import TOKEN

pytestmark = pytest.mark.django_db


def _outgoing(
    text: str = "よう、元気だぜ", age_seconds: float = 0, chat_id: str = "Ureceiver", **fields
) -> Message:
    chat, _ = Chat.objects.get_or_create(line_id=chat_id, defaults={"kind": "user"})
    LineUser.objects.get_or_create(line_id=chat_id)
    return Message.objects.create(
        chat=chat,
        direction="out",
        kind="text",
        status="pending",
        text=text,
        reply_token="token-" + str(Message.objects.count()),
        received_at=timezone.now() - timedelta(seconds=age_seconds),
        **fields,
    )


def test_fresh_reply_token_is_used_and_recorded_as_free(line_settings, line_standin):
    message = _outgoing()
    tasks.send_message(message.pk)
    message.refresh_from_db()
    assert (message.status, message.delivery) == ("sent", "reply")
    assert len(message.line_message_ids) == 1
    [call] = line_standin.recorded("/v2/bot/message/reply")
    assert call["body"]["replyToken"] == message.reply_token
    assert call["body"]["messages"] == [{"type": "text", "text": "よう、元気だぜ"}]
    assert not line_standin.recorded("/v2/bot/message/push")


def test_expired_reply_token_falls_back_to_push_with_a_retry_key(line_settings, line_standin):
    message = _outgoing(age_seconds=120)
    tasks.send_message(message.pk)
    message.refresh_from_db()
    assert (message.status, message.delivery) == ("sent", "push")
    assert not line_standin.recorded("/v2/bot/message/reply")  # a stale token is not even tried
    [push] = line_standin.recorded("/v2/bot/message/push")
    assert push["body"]["to"] == "Ureceiver"
    assert push["retry_key"] == str(message.retry_key)


def test_reply_token_refused_by_line_falls_back_to_push(line_settings, line_standin):
    line_standin.state.reply_tokens_invalid = True
    message = _outgoing()
    tasks.send_message(message.pk)
    message.refresh_from_db()
    assert message.delivery == "push"
    [reply] = line_standin.recorded("/v2/bot/message/reply")
    assert reply["status"] == 400 and reply["response"]["message"] == "Invalid reply token"
    assert len(line_standin.recorded("/v2/bot/message/push")) == 1


def test_a_retried_push_never_sends_twice(line_settings, line_standin):
    """The task died after LINE accepted the push but before it was recorded: the retry gets 409."""
    message = _outgoing(age_seconds=120)
    tasks.send_message(message.pk)
    Message.objects.filter(pk=message.pk).update(
        status="pending", delivery="", sent_at=None
    )  # as if never recorded
    tasks.send_message(message.pk)
    message.refresh_from_db()
    assert (message.status, message.delivery) == ("sent", "push")
    pushes = line_standin.recorded("/v2/bot/message/push")
    assert [p["status"] for p in pushes] == [200, 409]
    assert pushes[0]["retry_key"] == pushes[1]["retry_key"]
    assert line_standin.state.pushed == 1


def test_a_sent_message_is_not_sent_again(line_settings, line_standin):
    message = _outgoing()
    tasks.send_message(message.pk)
    tasks.send_message(message.pk)
    assert len(line_standin.recorded()) == 1


def test_server_error_is_retried_with_the_same_key(line_settings, line_standin):
    line_standin.state.fail_next.append({"path": "/v2/bot/message/push", "status": 500, "count": 1})
    message = _outgoing(age_seconds=120)
    with pytest.raises(line_api.TransientError):
        line_api.deliver(message)
    line_api.deliver(Message.objects.select_related("chat").get(pk=message.pk))
    pushes = line_standin.recorded("/v2/bot/message/push")
    assert [p["status"] for p in pushes] == [500, 200]
    assert pushes[0]["retry_key"] == pushes[1]["retry_key"]


def test_a_blocked_user_is_not_pushed_to(line_settings, line_standin):
    message = _outgoing(age_seconds=120, chat_id="Ublocked")
    LineUser.objects.filter(line_id="Ublocked").update(is_following=False)
    tasks.send_message(message.pk)
    message.refresh_from_db()
    assert message.status == "send_failed" and "blocked" in message.error
    assert not line_standin.recorded("/v2/bot/message/push")


def test_long_reply_is_split_within_lines_limits(line_settings, line_standin):
    text = ("魔法の話をしよう。" * 100 + "\n") * 16  # about 14 000 characters in lines of 900
    message = _outgoing(text=text)
    tasks.send_message(message.pk)
    [reply] = line_standin.recorded("/v2/bot/message/reply")
    parts = [m["text"] for m in reply["body"]["messages"]]
    assert reply["status"] == 200
    assert 2 <= len(parts) <= replies.MAX_MESSAGES
    assert all(len(p) <= replies.MAX_CHARS for p in parts)
    assert "".join(parts).replace("\n", "") == text.replace("\n", "")


def test_split_for_line_trims_what_does_not_fit_five_messages():
    parts = replies.split_for_line("あ" * 30000)
    assert len(parts) == 5 and all(len(p) <= 5000 for p in parts)
    assert parts[-1].endswith(replies.ELLIPSIS)
    assert replies.split_for_line("  ") == [replies.EMPTY_ANSWER]


def test_loading_animation_is_shown_for_one_to_one_chats_only(line_settings, line_standin):
    user_chat = Chat.objects.create(line_id="Uloading", kind="user")
    group_chat = Chat.objects.create(line_id="Cloading", kind="group")
    line_api.show_loading(user_chat)
    line_api.show_loading(group_chat)
    [call] = line_standin.recorded("/v2/bot/chat/loading/start")
    assert call["body"] == {"chatId": "Uloading", "loadingSeconds": 20} and call["status"] == 202


def test_line_quota_is_read_through_the_sdk(line_settings, line_standin):
    line_standin.state.quota = 500
    _outgoing(age_seconds=120)
    tasks.send_message(Message.objects.get().pk)
    assert line_api.line_quota() == {"type": "limited", "value": 500, "total_usage": 1}


def test_wrong_access_token_is_refused_by_the_standin(line_settings, line_standin):
    line_settings.LINE_CHANNEL_ACCESS_TOKEN = "wrong-" + TOKEN
    message = _outgoing()
    tasks.send_message(message.pk)
    message.refresh_from_db()
    assert message.status == "send_failed" and "401" in message.error


def test_admin_shows_line_quota_and_usage(admin_client, line_settings, line_standin):
    line_standin.state.quota = 1000
    page = admin_client.get("/admin/line_bot/monthlyusage/line-quota/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "1000" in html and 'id="line-total-usage">0<' in html
    listing = admin_client.get("/admin/line_bot/monthlyusage/")
    assert listing.status_code == 200 and "LINE's own quota" in listing.content.decode()
    assert admin_client.get("/admin/line_bot/usermonthlyusage/").status_code == 200
    assert admin_client.get("/admin/line_bot/message/").status_code == 200


def test_stuck_messages_are_queued_again_after_a_while(line_settings, redis_url):
    import ast
    import json

    import redis as redis_lib

    queue = redis_lib.Redis.from_url(redis_url)
    queue.delete("default")
    stale = _outgoing()
    fresh = _outgoing()
    inbound = Message.objects.create(
        chat=stale.chat, direction="in", kind="text", status="queued", text="よう"
    )
    old = timezone.now() - timedelta(seconds=line_settings.LINE_REQUEUE_AFTER_SECONDS + 5)
    Message.objects.filter(pk__in=[stale.pk, inbound.pk]).update(created_at=old)
    assert tasks.requeue_stuck() == 2
    queued = [json.loads(raw) for raw in queue.lrange("default", 0, -1)]
    names = sorted(q["headers"]["task"].rsplit(".", 1)[-1] for q in queued)
    assert names == ["generate_reply", "send_message"]
    assert sorted(ast.literal_eval(q["headers"]["argsrepr"])[0] for q in queued) == sorted(
        [stale.pk, inbound.pk]
    )
    assert fresh.status == "pending"  # waiting, but not for long: left alone


def test_only_one_run_generates_an_answer(line_settings, line_standin):
    """A second run of generate_reply while the first is generating leaves the message alone."""
    chat = Chat.objects.create(line_id="Uclaim", kind="user")
    inbound = Message.objects.create(chat=chat, direction="in", kind="text", status="generating", text="よう")
    assert tasks.generate_reply(inbound.pk) == "being answered elsewhere"
    assert not Message.objects.filter(direction="out").exists() and not line_standin.recorded()


def test_a_claim_abandoned_by_a_dead_worker_is_given_back(line_settings, redis_url):
    chat = Chat.objects.create(line_id="Uabandoned", kind="user")
    old = timezone.now() - timedelta(seconds=line_settings.LINE_REQUEUE_AFTER_SECONDS + 5)
    inbound = Message.objects.create(chat=chat, direction="in", kind="text", status="generating", text="よう")
    Message.objects.filter(pk=inbound.pk).update(claimed_at=old, created_at=old)
    assert tasks.requeue_stuck() == 1
    inbound.refresh_from_db()
    assert inbound.status == "queued"
