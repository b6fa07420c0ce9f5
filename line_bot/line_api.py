"""Talking to the LINE Messaging API through line-bot-sdk v3: reply, push, loading animation, quota.

`deliver` sends one outgoing Message: by reply token while the token is fresh (free), otherwise
by push with an X-Line-Retry-Key stored on the message, so that a retried task reuses the key and
LINE (or the stand-in) answers 409 instead of delivering the same text twice.
"""

from __future__ import annotations

import logging
import uuid
from functools import lru_cache

from django.conf import settings
from django.utils import timezone

from line_bot.models import Chat, LineUser, Message
from line_bot.replies import split_for_line

log = logging.getLogger(__name__)
REQUEST_TIMEOUT = 15


class TransientError(Exception):
    """The API could not be reached or answered 5xx/429: try again later with the same retry key."""


@lru_cache(maxsize=4)
def _api(host: str, token: str):
    from linebot.v3.messaging import ApiClient, Configuration, MessagingApi

    return MessagingApi(ApiClient(Configuration(host=host, access_token=token)))


def messaging_api():
    from line_bot.channel import access_token

    return _api(settings.LINE_API_BASE_URL, access_token())


def _status(exc: Exception) -> int | None:
    return getattr(exc, "status", None)


def _body(exc: Exception) -> str:
    body = getattr(exc, "body", None) or b""
    return body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body)


def _is_api_error(exc: Exception) -> bool:
    from linebot.v3.messaging import ApiException

    return isinstance(exc, ApiException)


def reply_token_fresh(message: Message) -> bool:
    if not message.reply_token or message.received_at is None:
        return False
    age = (timezone.now() - message.received_at).total_seconds()
    return age < settings.LINE_REPLY_TOKEN_SECONDS


def _text_messages(text: str) -> list:
    from linebot.v3.messaging import TextMessage

    return [TextMessage(text=part) for part in split_for_line(text)]


def _mark_sent(message: Message, delivery: str, sent_ids: list[str]) -> None:
    message.delivery = delivery
    message.status = Message.Status.SENT
    message.line_message_ids = sent_ids
    message.sent_at = timezone.now()
    message.error = ""
    message.save(update_fields=["delivery", "status", "line_message_ids", "sent_at", "error"])


def _mark_failed(message: Message, error: str) -> None:
    message.status = Message.Status.SEND_FAILED
    message.error = error[:2000]
    message.save(update_fields=["status", "error"])
    log.warning("LINE message %s could not be sent: %s", message.pk, error[:200])


def _raise_if_transient(exc: Exception) -> None:
    status = _status(exc)
    if not _is_api_error(exc) or status is None or status == 429 or status >= 500:
        raise TransientError(f"{type(exc).__name__}: {exc}") from exc


def _try_reply(message: Message) -> bool:
    """True when sent by reply token; False when the token is stale or LINE refused it."""
    from linebot.v3.messaging import ReplyMessageRequest

    if not reply_token_fresh(message):
        return False
    request = ReplyMessageRequest(reply_token=message.reply_token, messages=_text_messages(message.text))
    try:
        response = messaging_api().reply_message(request, _request_timeout=REQUEST_TIMEOUT)
    except Exception as exc:
        if _status(exc) == 400 and "reply token" in _body(exc).lower():
            log.info("reply token of message %s refused; pushing instead", message.pk)
            return False
        _raise_if_transient(exc)
        _mark_failed(message, f"reply refused ({_status(exc)}): {_body(exc)}")
        return True  # handled: a permanent refusal of the content would fail as a push too
    _mark_sent(message, Message.Delivery.REPLY, [m.id for m in response.sent_messages])
    return True


def _push(message: Message) -> None:
    from linebot.v3.messaging import PushMessageRequest

    chat = message.chat
    if (
        chat.kind == Chat.Kind.USER
        and LineUser.objects.filter(line_id=chat.line_id, is_following=False).exists()
    ):
        _mark_failed(message, "the user has blocked the bot: push is not possible")
        return
    if message.retry_key is None:
        message.retry_key = uuid.uuid4()
        message.save(update_fields=["retry_key"])
    request = PushMessageRequest(to=chat.line_id, messages=_text_messages(message.text))
    try:
        response = messaging_api().push_message(
            request, x_line_retry_key=str(message.retry_key), _request_timeout=REQUEST_TIMEOUT
        )
    except Exception as exc:
        if _status(exc) == 409:  # this retry key was accepted before: the message already went out
            _mark_sent(message, Message.Delivery.PUSH, [])
            return
        _raise_if_transient(exc)
        _mark_failed(message, f"push refused ({_status(exc)}): {_body(exc)}")
        return
    _mark_sent(message, Message.Delivery.PUSH, [m.id for m in response.sent_messages])


def deliver(message: Message) -> None:
    """Send an outgoing message once: reply token if still valid, else push. Raises TransientError."""
    if message.status == Message.Status.SENT:
        return
    if _try_reply(message):
        return
    _push(message)


def show_loading(chat: Chat, seconds: int = 20) -> None:
    """LINE's "typing" animation; only one-to-one chats have it. Best effort: never fails the reply."""
    from linebot.v3.messaging import ShowLoadingAnimationRequest

    if chat.kind != Chat.Kind.USER:
        return
    try:
        messaging_api().show_loading_animation(
            ShowLoadingAnimationRequest(chat_id=chat.line_id, loading_seconds=seconds),
            _request_timeout=REQUEST_TIMEOUT,
        )
    except Exception as exc:
        log.info("loading animation not shown: %s", exc)


def line_quota() -> dict:
    """LINE's own monthly message allowance and this month's consumption (push messages count)."""
    api = messaging_api()
    quota = api.get_message_quota(_request_timeout=REQUEST_TIMEOUT)
    used = api.get_message_quota_consumption(_request_timeout=REQUEST_TIMEOUT)
    quota_type = getattr(quota.type, "value", quota.type)
    return {"type": str(quota_type), "value": quota.value, "total_usage": used.total_usage}
