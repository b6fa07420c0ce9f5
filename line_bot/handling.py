"""What the webhook does with each event: record it once, then answer, count, queue or ignore.

Every event is handled in one transaction that starts by inserting its webhookEventId: a
redelivery (or a concurrent duplicate) fails that insert and changes nothing. Work for the
Celery worker is queued with `on_commit`, so a rolled-back event never produces a reply.
Nothing here imports torch or loads a model.
"""

from __future__ import annotations

import hashlib
import json
import logging
import unicodedata
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from line_bot import quota, replies
from line_bot.models import Chat, LineUser, Message, WebhookEvent

log = logging.getLogger(__name__)


@dataclass
class Origin:
    chat: Chat
    sender: LineUser | None


def event_id(event: object) -> str:
    found = getattr(event, "webhook_event_id", None)
    if found:
        return str(found)[:64]
    # Only very old payloads lack the id; hash what identifies the event instead.
    raw = json.dumps(getattr(event, "__dict__", str(event)), default=str, sort_keys=True)
    return "sha256:" + hashlib.sha256(raw.encode()).hexdigest()[:56]


def _source_ids(event: object) -> tuple[str, str, str | None]:
    """(source type, chat id, user id) of an event's source; ("", "", None) when there is none."""
    source = getattr(event, "source", None)
    if source is None:
        return "", "", None
    kind = getattr(source, "type", "") or ""
    user_id = getattr(source, "user_id", None)
    chat_id = getattr(source, "group_id", None) or getattr(source, "room_id", None) or user_id or ""
    return kind, chat_id, user_id


def _origin(event: object) -> Origin | None:
    kind, chat_id, user_id = _source_ids(event)
    if not chat_id or kind not in Chat.Kind.values:
        return None
    # get_or_create also settles two first messages from the same newcomer arriving at once.
    chat, _ = Chat.objects.get_or_create(line_id=chat_id, defaults={"kind": kind})
    sender = LineUser.objects.get_or_create(line_id=user_id)[0] if user_id else None
    return Origin(chat, sender)


def handle_events(events: list) -> list[str]:
    return [handle_event(event) for event in events]


def handle_event(event: object) -> str:
    """Handle one event exactly once; returns what was done (also stored on the WebhookEvent)."""
    kind, chat_id, _ = _source_ids(event)
    delivery_context = getattr(event, "delivery_context", None)
    try:
        with transaction.atomic():
            record = WebhookEvent.objects.create(
                webhook_event_id=event_id(event),
                event_type=str(getattr(event, "type", "") or "unknown")[:40],
                source_type=kind[:10],
                source_id=chat_id[:64],
                is_redelivery=bool(getattr(delivery_context, "is_redelivery", False)),
                timestamp_ms=int(getattr(event, "timestamp", 0) or 0),
            )
            outcome = _dispatch(event, record)
            WebhookEvent.objects.filter(pk=record.pk).update(outcome=outcome)
    except IntegrityError:
        if WebhookEvent.objects.filter(webhook_event_id=event_id(event)).exists():
            return "duplicate"
        raise  # not a redelivery but a bug: a 500 makes LINE deliver the event again
    return outcome


def _dispatch(event: object, record: WebhookEvent) -> str:
    event_type = getattr(event, "type", "")
    if (
        getattr(event, "mode", None) is not None
        and str(getattr(event.mode, "value", event.mode)) == "standby"
    ):
        return "standby"  # another channel answers this chat (module mode)
    if event_type == "follow":
        return _on_follow(event, record)
    if event_type == "unfollow":
        return _on_unfollow(event)
    if event_type == "join":
        origin = _origin(event)
        if origin is None:
            return "ignored"
        _queue_canned(origin, record, event, Message.Kind.GREETING, replies.GROUP_GREETING)
        return "greeted"
    if event_type == "message":
        return _on_message(event, record)
    return "ignored"


def _on_follow(event: object, record: WebhookEvent) -> str:
    origin = _origin(event)
    if origin is None or origin.sender is None:
        return "ignored"
    LineUser.objects.filter(pk=origin.sender.pk).update(
        is_following=True, followed_at=timezone.now(), unfollowed_at=None
    )
    _queue_canned(origin, record, event, Message.Kind.GREETING, replies.GREETING)
    return "greeted"


def _on_unfollow(event: object) -> str:
    _, _, user_id = _source_ids(event)
    if not user_id:
        return "ignored"
    user, _ = LineUser.objects.get_or_create(line_id=user_id)
    LineUser.objects.filter(pk=user.pk).update(is_following=False, unfollowed_at=timezone.now())
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


def _inbound(
    origin: Origin, record: WebhookEvent, event: object, kind: str, text: str, status: str
) -> Message:
    return Message.objects.create(
        chat=origin.chat,
        sender=origin.sender,
        direction=Message.Direction.IN,
        kind=kind,
        status=status,
        text=text,
        event=record,
        reply_token=getattr(event, "reply_token", None) or "",
        received_at=timezone.now(),
    )


def _enqueue(task_name: str, message_id: int) -> None:
    """Publish after commit; a broker outage must not fail the webhook (the sweeper requeues later)."""
    from line_bot.publish import enqueue

    try:
        enqueue(task_name, message_id)
    except Exception:
        log.exception("could not queue %s for LINE message %s; the sweeper will retry", task_name, message_id)


def _queue_canned(
    origin: Origin,
    record: WebhookEvent,
    event: object,
    kind: str,
    text: str,
    answering: Message | None = None,
) -> Message:
    """Store a fixed answer and have the worker send it (the webhook itself never calls LINE)."""
    message = Message.objects.create(
        chat=origin.chat,
        direction=Message.Direction.OUT,
        kind=kind,
        status=Message.Status.PENDING,
        text=text,
        event=record,
        in_reply_to=answering,
        reply_token=getattr(event, "reply_token", None) or "",
        received_at=timezone.now(),
        retry_key=uuid.uuid4(),
    )
    transaction.on_commit(lambda: _enqueue("send_message", message.pk))
    return message


def _on_message(event: object, record: WebhookEvent) -> str:
    origin = _origin(event)
    if origin is None:
        return "ignored"
    content = getattr(event, "message", None)
    text = getattr(content, "text", None)
    if getattr(content, "type", "") != "text" or text is None:
        if origin.chat.kind != Chat.Kind.USER:
            return "ignored"
        inbound = _inbound(origin, record, event, Message.Kind.NON_TEXT, "", Message.Status.ANSWERED)
        _queue_canned(origin, record, event, Message.Kind.NON_TEXT, replies.NON_TEXT, inbound)
        return "non_text"
    addressed = _addressed_text(event, origin, text)
    if addressed is None:
        return "not_addressed"
    command = _command(addressed)
    if command is not None:
        return _on_command(command, origin, record, event, addressed)
    return _on_text(origin, record, event, addressed)


def _on_command(command: str, origin: Origin, record: WebhookEvent, event: object, text: str) -> str:
    inbound = _inbound(origin, record, event, Message.Kind.COMMAND, text, Message.Status.ANSWERED)
    if command == "reset":
        Chat.objects.filter(pk=origin.chat.pk).update(history_reset_at=timezone.now())
        answer = replies.RESET_DONE
    elif command == "remaining":
        left = quota.remaining(origin.sender)
        answer = replies.remaining_text(left.remaining, left.user_remaining)
    else:
        answer = replies.help_text()
    _queue_canned(origin, record, event, Message.Kind.NOTICE, answer, inbound)
    return f"command:{command}"


def _on_text(origin: Origin, record: WebhookEvent, event: object, text: str) -> str:
    # The message is stored before the quota is touched: on PostgreSQL the month row stays locked
    # from the conditional UPDATE to the commit, so the less that follows it, the more webhooks per second.
    inbound = _inbound(origin, record, event, Message.Kind.TEXT, text, Message.Status.QUEUED)
    decision = quota.consume(origin.sender)
    if not decision.allowed:
        Message.objects.filter(pk=inbound.pk).update(status=Message.Status.CLOSED)
        closed = replies.CLOSED if decision.reason == "month" else replies.CLOSED_FOR_USER
        _queue_canned(origin, record, event, Message.Kind.CLOSED, closed, inbound)
        return "closed"
    transaction.on_commit(lambda: _enqueue("generate_reply", inbound.pk))
    return "queued"
