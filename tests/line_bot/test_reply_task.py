"""The reply task in-process: the real tiny demo model, the real SDK client, the LINE API stand-in."""

from __future__ import annotations

import pytest

from line_bot import replies, tasks
from line_bot.models import Message
from tests.line_bot.conftest import post_event, text_event

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


@pytest.fixture
def demo_settings(line_settings, demo_model_dir):
    line_settings.MARISA_BASE_MODEL = ""
    line_settings.MARISA_DEMO_MODEL_DIR = demo_model_dir
    line_settings.MARISA_LINE_SEPARATOR = ""
    return line_settings


def test_text_is_answered_by_the_demo_model_with_the_reply_token(client, demo_settings, line_standin):
    assert post_event(client, text_event("Ureply", "魔法って何？")) == "queued"
    inbound = Message.objects.get(direction="in")
    assert tasks.generate_reply(inbound.pk) == "sent"
    answer = Message.objects.get(direction="out")
    inbound.refresh_from_db()
    assert inbound.status == "answered"
    assert answer.kind == "text" and answer.text and answer.delivery == "reply"
    assert answer.model_version.endswith("(no adapter)") and answer.generation_seconds > 0
    paths = [r["path"] for r in line_standin.recorded()]
    assert paths == ["/v2/bot/chat/loading/start", "/v2/bot/message/reply"]
    reply = line_standin.recorded("/v2/bot/message/reply")[0]
    assert reply["body"]["replyToken"] == inbound.reply_token
    assert reply["body"]["messages"][0]["text"] == answer.text

    assert tasks.generate_reply(inbound.pk) == "sent"  # a second run (redelivered task) sends nothing more
    assert len(line_standin.recorded("/v2/bot/message/reply")) == 1


def test_the_active_model_version_answers(client, demo_settings, line_standin, demo_model_dir):
    from training.train.models import ModelVersion

    ModelVersion.objects.create(
        name="marisa-v7", base_model=str(demo_model_dir), adapter_dir="", line_separator="\n", is_active=True
    )
    post_event(client, text_event("Uactive", "よう"))
    tasks.generate_reply(Message.objects.get(direction="in").pk)
    assert Message.objects.get(direction="out").model_version == "marisa-v7"


def test_a_failed_generation_is_recorded_and_the_user_gets_an_apology(
    client, line_settings, line_standin, tmp_path
):
    line_settings.MARISA_BASE_MODEL = ""
    line_settings.MARISA_DEMO_MODEL_DIR = tmp_path / "no-model-here"
    post_event(client, text_event("Ufail", "よう"))
    inbound = Message.objects.get(direction="in")
    tasks.generate_reply(inbound.pk)
    inbound.refresh_from_db()
    assert inbound.status == "failed" and inbound.error
    answer = Message.objects.get(direction="out")
    assert (answer.kind, answer.text, answer.status) == ("apology", replies.APOLOGY, "sent")
    assert line_standin.recorded("/v2/bot/message/reply")[0]["body"]["messages"][0]["text"] == replies.APOLOGY
