"""A webhook body's writes, planned in memory: the rows to insert and the work to queue.

handling.py fills a `Plan` while it decides each event (decide.py), then saves it with bulk statements.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from django.utils import timezone

from line_bot.models import Chat, LineUser, Message, WebhookEvent

# The event types whose chat and sender are looked up (and created): the others are only recorded.
WITH_ORIGIN = {"message", "follow", "join", "unfollow"}


@dataclass
class Origin:
    chat: Chat
    sender: LineUser | None


def source_ids(event: object) -> tuple[str, str, str | None]:
    """(source type, chat id, user id) of an event's source; ("", "", None) when there is none."""
    source = getattr(event, "source", None)
    if source is None:
        return "", "", None
    kind = getattr(source, "type", "") or ""
    user_id = getattr(source, "user_id", None)
    chat_id = getattr(source, "group_id", None) or getattr(source, "room_id", None) or user_id or ""
    return kind, chat_id, user_id


def is_standby(event: object) -> bool:
    """Another channel answers this chat (module mode): the event is only recorded."""
    mode = getattr(event, "mode", None)
    return mode is not None and str(getattr(mode, "value", mode)) == "standby"


def wants_origin(event: object) -> bool:
    return getattr(event, "type", "") in WITH_ORIGIN and not is_standby(event)


@dataclass
class Ask:
    """A user's text that wants a generated answer, once the quota allows it."""

    inbound: Message
    origin: Origin
    record: WebhookEvent
    event: object


@dataclass
class Plan:
    """Everything one body will write, built in memory, then saved with bulk statements."""

    origins: dict[str, Chat] = field(default_factory=dict)  # by LINE chat id
    users: dict[str, LineUser] = field(default_factory=dict)  # by LINE user id
    records: list[WebhookEvent] = field(default_factory=list)
    inbound: list[Message] = field(default_factory=list)
    asks: list[Ask] = field(default_factory=list)
    answers: list[Message] = field(default_factory=list)  # the bot's fixed answers (pending)
    resets: list[Message] = field(default_factory=list)  # reset commands: the chat forgets what came before
    allowed: list[Message] = field(default_factory=list)  # inbound texts the quota let through
    follows: list[tuple[LineUser, dict]] = field(default_factory=list)  # follow / unfollow updates

    def origin(self, event: object) -> Origin | None:
        kind, chat_id, user_id = source_ids(event)
        chat = self.origins.get(chat_id)
        if chat is None:
            return None
        return Origin(chat, self.users.get(user_id) if user_id else None)

    def store_inbound(
        self, origin: Origin, record: WebhookEvent, event: object, kind: str, text: str, status: str
    ) -> Message:
        message = Message(
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
        self.inbound.append(message)
        return message

    def answer(
        self,
        origin: Origin,
        record: WebhookEvent,
        event: object,
        kind: str,
        text: str,
        answering: Message | None = None,
    ) -> Message:
        """A fixed answer for the worker to send (the webhook itself never calls LINE)."""
        message = Message(
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
        self.answers.append(message)
        return message
