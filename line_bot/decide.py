"""What the bot does with one webhook event: the rules, applied to a `Plan` (nothing is inserted here).

Each rule returns the event's outcome ("queued", "greeted", "command:help", "not_addressed", ...);
the rows it wants are added to the plan, which handling.py saves for the whole body at once.
"""

from __future__ import annotations

import unicodedata

from django.conf import settings
from django.utils import timezone

from line_bot import quota, replies
from line_bot.models import Chat, Message, WebhookEvent
from line_bot.plan import Ask, Origin, Plan, is_standby, source_ids


def dispatch(event: object, record: WebhookEvent, plan: Plan) -> str:
    event_type = getattr(event, "type", "")
    if is_standby(event):
        return "standby"  # another channel answers this chat (module mode)
    if event_type == "follow":
        return _on_follow(event, record, plan)
    if event_type == "unfollow":
        return _on_unfollow(event, plan)
    if event_type == "join":
        origin = plan.origin(event)
        if origin is None:
            return "ignored"
        plan.answer(origin, record, event, Message.Kind.GREETING, replies.GROUP_GREETING)
        return "greeted"
    if event_type == "message":
        return _on_message(event, record, plan)
    return "ignored"


def _on_follow(event: object, record: WebhookEvent, plan: Plan) -> str:
    origin = plan.origin(event)
    if origin is None or origin.sender is None:
        return "ignored"
    plan.follows.append(
        (origin.sender, {"is_following": True, "followed_at": timezone.now(), "unfollowed_at": None})
    )
    plan.answer(origin, record, event, Message.Kind.GREETING, replies.GREETING)
    return "greeted"


def _on_unfollow(event: object, plan: Plan) -> str:
    _, _, user_id = source_ids(event)
    user = plan.users.get(user_id or "")
    if user is None:
        return "ignored"
    plan.follows.append((user, {"is_following": False, "unfollowed_at": timezone.now()}))
    return "unfollowed"


def _addressed_text(event: object, origin: Origin, text: str) -> str | None:
    """The text meant for the bot, or None when a group message is not addressed to it."""
    if origin.chat.kind == Chat.Kind.USER or settings.LINE_GROUP_MODE == "always":
        return text
    if settings.LINE_GROUP_MODE == "never":
        return None
    mention = getattr(getattr(event, "message", None), "mention", None)
    for mentionee in getattr(mention, "mentionees", None) or []:
        if getattr(mentionee, "is_self", False):
            start, end = mentionee.index, mentionee.index + mentionee.length
            return (text[:start] + text[end:]).strip()
    normalized = unicodedata.normalize("NFKC", text).lstrip()
    for trigger in settings.LINE_GROUP_TRIGGERS:
        trig = unicodedata.normalize("NFKC", trigger)
        if trig and normalized.startswith(trig):
            # Drop the name as typed (NFKC keeps the length for these names) and the punctuation after it.
            rest = text.lstrip()[len(trigger) :]
            return rest.lstrip(" 　、,，:：!！").strip() or rest.strip()
    return None


def _command(text: str) -> str | None:
    word = replies.normalize_word(text)
    table = {
        "reset": settings.LINE_COMMAND_RESET,
        "remaining": settings.LINE_COMMAND_REMAINING,
        "help": settings.LINE_COMMAND_HELP,
    }
    for name, words in table.items():
        if word in {replies.normalize_word(w) for w in words}:
            return name
    return None


def _on_message(event: object, record: WebhookEvent, plan: Plan) -> str:
    origin = plan.origin(event)
    if origin is None:
        return "ignored"
    content = getattr(event, "message", None)
    text = getattr(content, "text", None)
    if getattr(content, "type", "") != "text" or text is None:
        if origin.chat.kind != Chat.Kind.USER:
            return "ignored"
        inbound = plan.store_inbound(
            origin, record, event, Message.Kind.NON_TEXT, "", Message.Status.ANSWERED
        )
        plan.answer(origin, record, event, Message.Kind.NON_TEXT, replies.NON_TEXT, inbound)
        return "non_text"
    addressed = _addressed_text(event, origin, text)
    if addressed is None:
        return "not_addressed"
    command = _command(addressed)
    if command is not None:
        return _on_command(command, origin, record, event, addressed, plan)
    # Stored as queued; the quota step comes when the body is saved (handling._take_quota), and a
    # refused message is then closed and answered so.
    inbound = plan.store_inbound(origin, record, event, Message.Kind.TEXT, addressed, Message.Status.QUEUED)
    plan.asks.append(Ask(inbound, origin, record, event))
    return "queued"


def _on_command(
    command: str, origin: Origin, record: WebhookEvent, event: object, text: str, plan: Plan
) -> str:
    inbound = plan.store_inbound(origin, record, event, Message.Kind.COMMAND, text, Message.Status.ANSWERED)
    if command == "reset":
        plan.resets.append(inbound)  # the chat's history_reset_at becomes this message's time
        answer = replies.RESET_DONE
    elif command == "remaining":
        left = quota.remaining(origin.sender)
        answer = replies.remaining_text(left.remaining, left.user_remaining)
    else:
        answer = replies.help_text()
    plan.answer(origin, record, event, Message.Kind.NOTICE, answer, inbound)
    return f"command:{command}"
