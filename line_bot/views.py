"""The LINE webhook, and the staff-only simulator that talks to it like LINE does."""

from __future__ import annotations

import json
import logging
from functools import lru_cache

from django.conf import settings
from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from line_bot import channel, handling, publish, quota, simulator
from line_bot.models import Chat, Message

log = logging.getLogger(__name__)


@lru_cache(maxsize=4)
def _parser(channel_secret: str):
    from linebot.v3 import WebhookParser

    return WebhookParser(channel_secret)


def _refuse(status: int, reason: str) -> JsonResponse:
    return JsonResponse({"error": reason}, status=status)


@csrf_exempt
@require_POST
def webhook(request: HttpRequest) -> HttpResponse:
    """LINE's webhook: signature checked on the raw body; rows stored, tasks handed to the publisher."""
    from linebot.v3.exceptions import InvalidSignatureError

    signature = request.headers.get("X-Line-Signature", "")
    if not signature:
        return _refuse(400, "missing X-Line-Signature")
    secret = channel.channel_secret()
    if not secret:
        log.error("LINE webhook refused: %s", channel.NOT_CONFIGURED)
        return _refuse(503, channel.NOT_CONFIGURED)
    with publish.publisher().webhook():  # the publisher's thread waits for the gap after it
        try:
            body = request.body.decode("utf-8")
            events = _parser(secret).parse(body, signature)
        except InvalidSignatureError:
            log.warning("LINE webhook with a bad signature from %s", request.META.get("REMOTE_ADDR"))
            return _refuse(400, "invalid X-Line-Signature")
        except (UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError):
            return _refuse(400, "the body is not a LINE webhook payload")
        outcomes = handling.handle_events(events)
        return JsonResponse({"ok": True, "events": outcomes})


def _simulated_user(request: HttpRequest) -> tuple[str, str]:
    return simulator.simulated_ids(f"{request.user.pk}:{request.user.username}")


@staff_member_required
@require_GET
def simulator_page(request: HttpRequest) -> HttpResponse:
    user_id, group_id = _simulated_user(request)
    left = quota.remaining(None)
    context = {
        "user_id": user_id,
        "group_id": group_id,
        "api_base": settings.LINE_API_BASE_URL,
        "remaining": left,
        "triggers": settings.LINE_GROUP_TRIGGERS,
    }
    return render(request, "line_bot/simulator.html", context)


@staff_member_required
@require_POST
def simulator_send(request: HttpRequest) -> JsonResponse:
    """Send one event as the simulated user: text, sticker, image, follow or unfollow."""
    try:
        data = json.loads(request.body or b"{}")
    except ValueError:
        return _refuse(400, "expected a JSON body")
    kind = str(data.get("kind") or "text")
    text = str(data.get("text") or "")
    if kind == "text" and not text.strip():
        return _refuse(400, "type a message first")
    user_id, group_id = _simulated_user(request)
    try:
        event = simulator.event(kind, user_id, text, group_id if data.get("in_group") else None)
    except ValueError as exc:
        return _refuse(400, str(exc))
    url = request.build_absolute_uri(reverse("line_bot:webhook"))
    try:
        status, answer = simulator.post_webhook(
            url, simulator.webhook_body([event]), channel.channel_secret()
        )
    except OSError as exc:
        return _refuse(502, f"could not reach the webhook at {url}: {exc}")
    return JsonResponse({"status": status, "webhook_answer": answer, "event_id": event["webhookEventId"]})


@staff_member_required
@require_GET
def simulator_messages(request: HttpRequest) -> JsonResponse:
    """The simulated chat's messages after `after` (an id), for the page's polling."""
    user_id, group_id = _simulated_user(request)
    chat_id = group_id if request.GET.get("in_group") == "1" else user_id
    try:
        after = int(request.GET.get("after") or 0)
    except ValueError:
        after = 0
    rows = Message.objects.filter(chat__line_id=chat_id, pk__gt=after).order_by("pk")[:100]
    chat = Chat.objects.filter(line_id=chat_id).first()
    left = quota.remaining(None)
    return JsonResponse(
        {
            "messages": [_message_json(m) for m in rows],
            "pending": Message.objects.filter(
                chat__line_id=chat_id,
                status__in=Message.WAITING,
            ).count(),
            "history_reset_at": chat.history_reset_at.isoformat() if chat and chat.history_reset_at else None,
            "remaining": left.remaining,
            "limit": left.limit,
        }
    )


def _message_json(message: Message) -> dict:
    return {
        "id": message.pk,
        "direction": message.direction,
        "kind": message.kind,
        "status": message.status,
        "status_label": message.get_status_display(),
        "text": message.text,
        "delivery": message.delivery,
        "error": message.error,
        "seconds": message.generation_seconds,
        "created_at": message.created_at.isoformat(),
    }
