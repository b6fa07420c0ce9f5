"""The monthly quota: limits, months in Asia/Tokyo, the closed answer, commands, reset, line_usage."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from django.core.management import call_command

from line_bot import quota, replies
from line_bot.models import Chat, LineUser, Message, MonthlyUsage, UserMonthlyUsage
from tests.line_bot.conftest import post_event, text_event

pytestmark = pytest.mark.django_db


def test_month_is_the_calendar_month_in_tokyo():
    assert quota.month_key(datetime(2026, 11, 30, 14, 59, tzinfo=UTC)) == "2026-11"
    assert quota.month_key(datetime(2026, 11, 30, 15, 0, tzinfo=UTC)) == "2026-12"  # 00:00 JST on Dec 1
    assert quota.month_key(datetime(2026, 12, 31, 15, 0, tzinfo=UTC)) == "2027-01"


def test_consume_stops_exactly_at_the_global_limit(settings):
    settings.MARISA_MONTHLY_LIMIT = 3
    users = [LineUser.objects.create(line_id=f"U{i}") for i in range(5)]
    decisions = [quota.consume(u) for u in users]
    assert [d.allowed for d in decisions] == [True, True, True, False, False]
    row = MonthlyUsage.objects.get()
    assert (row.used, row.closed_replies) == (3, 2)


def test_per_user_limit_refuses_that_user_only_and_gives_back_the_global_use(settings):
    settings.MARISA_MONTHLY_LIMIT = 10
    settings.MARISA_USER_MONTHLY_LIMIT = 2
    chatty, quiet = LineUser.objects.create(line_id="Uchatty"), LineUser.objects.create(line_id="Uquiet")
    assert [quota.consume(chatty).allowed for _ in range(3)] == [True, True, False]
    assert quota.consume(chatty).reason == "user"
    assert quota.consume(quiet).allowed
    assert MonthlyUsage.objects.get().used == 3
    assert UserMonthlyUsage.objects.get(line_user=chatty).used == 2


def test_months_are_counted_separately(settings):
    settings.MARISA_MONTHLY_LIMIT = 1
    user = LineUser.objects.create(line_id="Umonths")
    november = datetime(2026, 11, 10, tzinfo=UTC)
    december = datetime(2026, 12, 10, tzinfo=UTC)
    assert quota.consume(user, november).allowed
    assert not quota.consume(user, november).allowed
    assert quota.consume(user, december).allowed
    assert sorted(MonthlyUsage.objects.values_list("month", "used")) == [("2026-11", 1), ("2026-12", 1)]


def test_limit_edited_for_this_month_applies_at_once(line_settings):
    line_settings.MARISA_MONTHLY_LIMIT = 1
    user = LineUser.objects.create(line_id="Uedit")
    assert quota.consume(user).allowed and not quota.consume(user).allowed
    MonthlyUsage.objects.update(limit=5)  # what the admin's list_editable does
    assert quota.consume(user).allowed


def test_over_the_limit_the_user_gets_the_closed_answer_and_no_generation(client, line_settings):
    line_settings.MARISA_MONTHLY_LIMIT = 1
    assert post_event(client, text_event("Ulimit", "一回目")) == "queued"
    assert post_event(client, text_event("Ulimit", "二回目")) == "closed"
    refused = Message.objects.get(direction="in", text="二回目")
    assert refused.status == "closed"
    closed = Message.objects.get(direction="out")
    assert closed.kind == "closed" and closed.text == replies.CLOSED and closed.in_reply_to == refused
    assert closed.reply_token == refused.reply_token  # answered by reply token: free for the owner
    assert Message.objects.filter(status="queued").count() == 1


def test_remaining_command_answers_and_uses_nothing(client, line_settings):
    line_settings.MARISA_MONTHLY_LIMIT = 5
    post_event(client, text_event("Urem", "よう"))
    assert post_event(client, text_event("Urem", "残り")) == "command:remaining"
    answer = Message.objects.get(direction="out")
    assert answer.text == replies.remaining_text(4)
    assert MonthlyUsage.objects.get().used == 1


def test_commands_match_full_width_and_case_variants(client, line_settings):
    assert post_event(client, text_event("Ucmd", "ＨＥＬＰ")) == "command:help"
    assert post_event(client, text_event("Ucmd", " リセット！")) == "command:reset"
    line_settings.LINE_COMMAND_HELP = ["たすけて"]
    assert post_event(client, text_event("Ucmd", "たすけて")) == "command:help"
    assert post_event(client, text_event("Ucmd", "ヘルプ")) == "queued"  # no longer a command word


def test_reset_forgets_the_history_before_it(client, line_settings):
    from line_bot.history import history_turns
    from training.core.textformat import CharacterSpec

    post_event(client, text_event("Ureset", "私の名前はアリスだよ"))
    Message.objects.filter(direction="in").update(status="answered")
    first = Message.objects.get(direction="in")
    Message.objects.create(
        chat=first.chat,
        direction="out",
        kind="text",
        status="sent",
        text="覚えたぜ、アリス",
        in_reply_to=first,
    )
    post_event(client, text_event("Ureset", "私の名前、覚えてる？"))
    spec = CharacterSpec(prompt_name="魔理沙", aliases=frozenset({"魔理沙"}))
    before_reset = Message.objects.get(text="私の名前、覚えてる？")
    assert [t.text for t in history_turns(before_reset, spec)] == ["私の名前はアリスだよ", "覚えたぜ、アリス"]
    assert [t.speaker for t in history_turns(before_reset, spec)] == ["ユーザー", "魔理沙"]

    assert post_event(client, text_event("Ureset", "リセット")) == "command:reset"
    assert Chat.objects.get(line_id="Ureset").history_reset_at is not None
    post_event(client, text_event("Ureset", "私は誰？"))
    after_reset = Message.objects.get(text="私は誰？")
    assert history_turns(after_reset, spec) == []


def test_line_usage_prints_json_last(client, line_settings, capsys):
    line_settings.MARISA_MONTHLY_LIMIT = 7
    line_settings.MARISA_USER_MONTHLY_LIMIT = 3
    post_event(client, text_event("Uusage", "よう"))
    post_event(client, text_event("Uusage", "元気？"))
    call_command("line_usage", "--json")
    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert report["month"] == quota.month_key()
    assert (report["used"], report["limit"], report["remaining"], report["user_limit"]) == (2, 7, 5, 3)
    assert report["users"] == [{"line_id": "Uusage", "display_name": "", "used": 2}]
    call_command("line_usage")
    assert "2 of 7" in capsys.readouterr().out


def test_line_usage_rejects_a_bad_month():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="YYYY-MM"):
        call_command("line_usage", "--month", "2026-13")
