"""Webhook events from the SDK's own fixture, each handled by its type; redelivery; follow/unfollow."""

from __future__ import annotations

import copy
import json

import pytest

from line_bot import replies
from line_bot.models import Chat, LineUser, Message, MonthlyUsage, WebhookEvent
from tests.line_bot.conftest import body_of, post_event, post_signed, text_event

pytestmark = pytest.mark.django_db

EXPECTED_BY_INDEX = {
    0: "queued",  # text from a user
    1: "ignored",  # image in a room: not addressed, not text
    2: "non_text",  # video
    3: "non_text",  # audio
    4: "non_text",  # location
    5: "non_text",  # sticker
    6: "greeted",  # follow
    7: "unfollowed",
    8: "greeted",  # join a group
    9: "ignored",  # leave
    14: "not_addressed",  # group text "Hello, world"
    15: "not_addressed",  # room text
    21: "non_text",  # file
    25: "queued",  # text (a redelivery from LINE's point of view, but new to us)
    26: "ignored",  # messageEdited
    27: "ignored",  # unknown type
}


def _fixture(corpora) -> dict:
    return json.loads((corpora / "line_webhooks" / "python_sdk_v3_webhook.json").read_bytes())


def test_sdk_fixture_parses_and_its_shared_event_id_is_recorded_once(client, settings, corpora):
    """All 28 events share one webhookEventId: the first is handled, the rest are duplicates of it."""
    settings.LINE_CHANNEL_SECRET = "channel_secret"
    body = (corpora / "line_webhooks" / "python_sdk_v3_webhook.json").read_bytes()
    response = client.post(
        "/line/webhook/",
        data=body,
        content_type="application/json",
        headers={"X-Line-Signature": "Ay5km4RvdSHwBk4SxsPtjeTNSHvZV7frV7Z7kVGAEKc="},
    )
    assert response.status_code == 200
    outcomes = json.loads(response.content)["events"]
    assert len(outcomes) == 28
    assert outcomes[0] == "queued" and set(outcomes[1:]) == {"duplicate"}
    assert WebhookEvent.objects.get().webhook_event_id == "testwebhookeventid"
    assert Message.objects.get().text == "Hello, world"


def test_each_event_of_the_sdk_fixture_is_handled_by_its_type(client, line_settings, corpora):
    events = _fixture(corpora)["events"]
    outcomes = {}
    for index, event in enumerate(events):
        event = copy.deepcopy(event)
        event["webhookEventId"] = f"01FIXTURE{index:02d}"
        outcomes[index] = post_event(client, event)
    for index, expected in EXPECTED_BY_INDEX.items():
        assert outcomes[index] == expected, (index, events[index]["type"])
    assert {outcomes[i] for i in (10, 11, 12, 13, 16, 17, 18, 19, 20, 22, 23)} == {"ignored"}
    assert WebhookEvent.objects.count() == 28
    user = LineUser.objects.get(line_id="U206d25c2ea6bd87c17655609a1c37cb8")
    assert user.is_following is False  # the unfollow came after the follow
    assert Message.objects.filter(direction="in", status="queued").count() == 2
    assert MonthlyUsage.objects.get().used == 2
    greetings = Message.objects.filter(direction="out", kind="greeting")
    assert greetings.count() == 2 and greetings.filter(chat__kind="group").count() == 1


def test_nodejs_fixture_group_message_not_addressed_to_the_bot_is_left_alone(client, settings, corpora):
    settings.LINE_CHANNEL_SECRET = "test_channel_secret"
    body = (corpora / "line_webhooks" / "nodejs_sdk_middleware_signed_body.json").read_bytes()
    response = client.post(
        "/line/webhook/",
        data=body,
        content_type="application/json",
        headers={"X-Line-Signature": "eRdWYcVCzZV3MVZ3M9/rHJCl/a3oSbsRb04cLovpVwM="},
    )
    assert response.status_code == 200
    assert json.loads(response.content)["events"] == ["not_addressed"]
    assert not Message.objects.exists()
    assert not MonthlyUsage.objects.filter(used__gt=0).exists()


def test_redelivered_event_changes_nothing(client, line_settings):
    body = body_of(text_event("Uredeliver", "魔法って何？"))
    first = post_signed(client, body)
    again = post_signed(client, body)
    assert json.loads(first.content)["events"] == ["queued"]
    assert again.status_code == 200 and json.loads(again.content)["events"] == ["duplicate"]
    assert Message.objects.count() == 1
    assert MonthlyUsage.objects.get().used == 1


def test_follow_greets_in_character_and_unfollow_marks_the_user(client, line_settings):
    from line_bot.simulator import event

    assert post_event(client, event("follow", "Ufollower")) == "greeted"
    greeting = Message.objects.get(direction="out")
    assert greeting.kind == "greeting" and "魔理沙" in greeting.text and greeting.reply_token
    assert LineUser.objects.get(line_id="Ufollower").is_following
    assert post_event(client, event("unfollow", "Ufollower")) == "unfollowed"
    user = LineUser.objects.get(line_id="Ufollower")
    assert user.is_following is False and user.unfollowed_at is not None
    assert Message.objects.count() == 1  # nothing is sent to someone who blocked the bot


def test_non_text_message_gets_a_short_answer_without_using_the_quota(client, line_settings):
    from line_bot.simulator import event

    assert post_event(client, event("sticker", "Usticker")) == "non_text"
    answer = Message.objects.get(direction="out")
    assert answer.kind == "non_text" and answer.text == replies.NON_TEXT
    assert not MonthlyUsage.objects.filter(used__gt=0).exists()


@pytest.mark.parametrize(
    ("text", "expected", "stored"),
    [
        ("魔理沙、弾幕って何？", "queued", "弾幕って何？"),
        ("まりさ 今日は何してた？", "queued", "今日は何してた？"),
        ("霊夢はどこ？", "not_addressed", None),
    ],
)
def test_group_messages_are_answered_only_when_addressed(client, line_settings, text, expected, stored):
    assert post_event(client, text_event("Ugroupmember", text, group_id="Cgroup1")) == expected
    inbound = Message.objects.filter(direction="in").first()
    assert (inbound.text if inbound else None) == stored
    if inbound:
        assert inbound.chat.kind == Chat.Kind.GROUP and inbound.sender.line_id == "Ugroupmember"


def test_group_message_mentioning_the_bot_is_addressed(client, line_settings):
    event = text_event("Ugroupmember", "@魔理沙 ほうきで飛べる？", group_id="Cgroup2")
    event["message"]["mention"] = {"mentionees": [{"index": 0, "length": 4, "type": "user", "isSelf": True}]}
    assert post_event(client, event) == "queued"
    assert Message.objects.get().text == "ほうきで飛べる？"


def test_group_mode_never_ignores_even_addressed_messages(client, line_settings):
    line_settings.LINE_GROUP_MODE = "never"
    assert post_event(client, text_event("Ugm", "魔理沙、よう", group_id="Cg3")) == "not_addressed"
