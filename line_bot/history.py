"""A chat's conversation memory: the recent exchanges that go into the prompt."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from line_bot.models import Chat, Message


def history_turns(inbound: Message, character: Any) -> list[Any]:
    """The chat's recent exchanges before `inbound`, oldest first, since the last reset.

    Only real conversation counts: the user's answered or queued texts and the bot's generated
    replies; commands, fixed answers and messages refused by the quota are left out.
    """
    from training.core.textformat import Turn

    chat: Chat = inbound.chat
    query = Message.objects.filter(chat=chat, kind=Message.Kind.TEXT, pk__lt=inbound.pk).exclude(
        status__in=[Message.Status.CLOSED, Message.Status.FAILED, Message.Status.SEND_FAILED]
    )
    if chat.history_reset_at is not None:
        query = query.filter(created_at__gt=chat.history_reset_at)
    recent = list(query.order_by("-pk")[: settings.LINE_HISTORY_MESSAGES])[::-1]
    return [
        Turn(character.user_name if m.direction == Message.Direction.IN else character.prompt_name, m.text)
        for m in recent
    ]
