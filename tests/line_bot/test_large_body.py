"""A body of many events is handled in one transaction with bulk statements: each event stored once,
one quota step per message (still exact), every task handed to the publisher in one call."""

from __future__ import annotations

import json

import pytest

from line_bot import publish, replies
from line_bot.models import Chat, LineUser, Message, MonthlyUsage, UserMonthlyUsage, WebhookEvent
from line_bot.simulator import event
from tests.line_bot.conftest import body_of, post_signed, text_event

pytestmark = pytest.mark.django_db


@pytest.fixture
def handed_over(monkeypatch) -> list[list[publish.Job]]:
    """What the webhook gives the background publisher, one list per call (nothing is published)."""
    calls: list[list[publish.Job]] = []
    monkeypatch.setattr(publish, "submit", calls.append)
    return calls


def _post(client, body: bytes, capture) -> list[str]:
    with capture(execute=True):
        response = post_signed(client, body)
    assert response.status_code == 200, response.content
    return json.loads(response.content)["events"]


def test_a_body_of_a_thousand_events_is_stored_once_with_a_few_statements_per_event(
    client, line_settings, handed_over, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    line_settings.MARISA_MONTHLY_LIMIT = 600
    events = [text_event(f"Ubulk{i % 250:04d}", f"質問{i}") for i in range(1000)]
    body = body_of(*events)
    # Two statements per message are its quota step (the month, then the user or the refusal); the rest
    # is per body or per batch of rows.
    with django_assert_max_num_queries(2 * 1000 + 80):
        outcomes = _post(client, body, django_capture_on_commit_callbacks)
    assert outcomes == ["queued"] * 600 + ["closed"] * 400  # the quota, in body order
    assert WebhookEvent.objects.count() == 1000
    assert sorted(WebhookEvent.objects.values_list("webhook_event_id", flat=True)) == sorted(
        e["webhookEventId"] for e in events
    )
    inbound = Message.objects.filter(direction="in")
    assert inbound.count() == 1000 and inbound.filter(status="queued").count() == 600
    assert LineUser.objects.count() == Chat.objects.count() == 250
    usage = MonthlyUsage.objects.get()
    assert (usage.used, usage.closed_replies) == (600, 400)
    assert sum(UserMonthlyUsage.objects.values_list("used", flat=True)) == 600
    closed = Message.objects.filter(direction="out", kind="closed")
    assert closed.count() == 400 and set(closed.values_list("text", flat=True)) == {replies.CLOSED}
    assert set(closed.values_list("in_reply_to__status", flat=True)) == {"closed"}
    assert set(WebhookEvent.objects.filter(outcome="closed").values_list("pk", flat=True)) == set(
        inbound.filter(status="closed").values_list("event_id", flat=True)
    )

    [jobs] = handed_over  # one hand-over for the whole body
    assert sorted((j.task.name, j.args[0]) for j in jobs) == sorted(
        [
            ("line_bot.tasks.generate_reply", pk)
            for pk in inbound.filter(status="queued").values_list("pk", flat=True)
        ]
        + [("line_bot.tasks.send_message", pk) for pk in closed.values_list("pk", flat=True)]
    )

    # LINE delivers the same body again: nothing changes.
    assert _post(client, body, django_capture_on_commit_callbacks) == ["duplicate"] * 1000
    assert Message.objects.count() == 1400 and MonthlyUsage.objects.get().used == 600
    assert len(handed_over) == 1


def test_a_body_mixing_known_new_and_repeated_events(
    client, line_settings, handed_over, django_capture_on_commit_callbacks
):
    known = text_event("Umix", "前の質問")
    assert _post(client, body_of(known), django_capture_on_commit_callbacks) == ["queued"]
    new = text_event("Umix", "次の質問")
    follow = event("follow", "Unewcomer")
    group = text_event("Umix", "霊夢はどこ？", group_id="Cmix")
    outcomes = _post(client, body_of(known, new, new, follow, group), django_capture_on_commit_callbacks)
    assert outcomes == ["duplicate", "queued", "duplicate", "greeted", "not_addressed"]
    assert WebhookEvent.objects.count() == 4
    assert list(Message.objects.filter(direction="in").values_list("text", flat=True)) == [
        "前の質問",
        "次の質問",
    ]
    assert Message.objects.get(direction="out").chat.line_id == "Unewcomer"
    assert MonthlyUsage.objects.get().used == 2


def test_a_reset_in_a_body_forgets_what_came_before_it_and_keeps_what_came_after(
    client, line_settings, handed_over, django_capture_on_commit_callbacks
):
    from line_bot.history import history_turns

    bodies = [
        text_event("Ureset", "忘れてほしい話"),
        text_event("Ureset", "リセット"),
        text_event("Ureset", "覚えてて"),
    ]
    outcomes = _post(client, body_of(*bodies), django_capture_on_commit_callbacks)
    assert outcomes == ["queued", "command:reset", "queued"]
    later = Message.objects.filter(direction="in", text="覚えてて").get()
    chat = Chat.objects.get(line_id="Ureset")
    assert chat.history_reset_at is not None
    _post(client, body_of(text_event("Ureset", "今の話")), django_capture_on_commit_callbacks)
    last = Message.objects.filter(direction="in").last()

    class Character:
        user_name, prompt_name = "user", "bot"

    assert [turn.text for turn in history_turns(last, Character())] == [later.text]


@pytest.mark.django_db(transaction=True)
def test_a_remembered_chat_deleted_meanwhile_is_created_again(client, line_settings, handed_over):
    """Outside a test's transaction the webhook remembers chats and users; the admin may delete them."""
    from line_bot import handling

    for text in ("よう", "元気？"):  # created by the first, read (and remembered) by the second
        response = post_signed(client, body_of(text_event("Uforgotten", text)))
        assert json.loads(response.content)["events"] == ["queued"]
    assert "Uforgotten" in handling._known[Chat]
    Chat.objects.filter(line_id="Uforgotten").delete()
    LineUser.objects.filter(line_id="Uforgotten").delete()
    again = post_signed(client, body_of(text_event("Uforgotten", "また来たぜ")))
    assert json.loads(again.content)["events"] == ["queued"]
    message = Message.objects.get(direction="in")  # the others went with the chat
    assert message.text == "また来たぜ" and message.chat.line_id == message.sender.line_id == "Uforgotten"
