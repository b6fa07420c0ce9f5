"""Celery tasks (queue `default`): generate and send a reply, send a fixed answer, requeue stuck messages.

The two sending tasks are idempotent: one that runs twice (acks late, worker lost, retry) finds the
message already answered or sent; a push is retried with the retry key stored on the message, so LINE
refuses the second copy with 409.
"""

from __future__ import annotations

import logging
import uuid

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from line_bot import line_api, replies
from line_bot.models import Message

log = logging.getLogger(__name__)
RETRY = {"max_retries": 5, "default_retry_delay": 3}


def _deliver_or_retry(task, message: Message) -> None:
    try:
        line_api.deliver(message)
    except line_api.TransientError as exc:
        if task.request.retries >= task.max_retries:
            message.status = Message.Status.SEND_FAILED
            message.error = f"gave up after {task.request.retries} retries: {exc}"[:2000]
            message.save(update_fields=["status", "error"])
            return
        raise task.retry(exc=exc)


@shared_task(bind=True, **RETRY)
def send_message(self, message_id: int) -> str:
    message = Message.objects.select_related("chat").filter(pk=message_id).first()
    if message is None or message.status == Message.Status.SENT:
        return "nothing to do"
    _deliver_or_retry(self, message)
    return message.status


def _answer_for(inbound: Message) -> Message | None:
    """The stored answer to `inbound`, generating it the first time (a failure becomes an apology).

    None when another run of the task is generating it right now.
    """
    existing = inbound.answers.filter(direction=Message.Direction.OUT).first()
    if existing is not None:
        return existing
    # Claim the message: of two runs of this task at once (a requeue, a redelivery), one generates.
    claimed = Message.objects.filter(pk=inbound.pk, status=Message.Status.QUEUED).update(
        status=Message.Status.GENERATING, claimed_at=timezone.now()
    )
    if not claimed:
        return None
    from line_bot import answering

    line_api.show_loading(inbound.chat)
    kind, status, error, model, seconds = Message.Kind.TEXT, Message.Status.ANSWERED, "", "", None
    try:
        text, model, seconds = answering.answer(inbound)
        text = text or replies.EMPTY_ANSWER
    except Exception as exc:  # the user gets an apology, the admin sees the error
        log.exception("generation failed for LINE message %s", inbound.pk)
        kind, status, error, text = (
            Message.Kind.APOLOGY,
            Message.Status.FAILED,
            f"{type(exc).__name__}: {exc}",
            replies.APOLOGY,
        )
    with transaction.atomic():
        answer = Message.objects.create(
            chat=inbound.chat,
            direction=Message.Direction.OUT,
            kind=kind,
            status=Message.Status.PENDING,
            text=text,
            in_reply_to=inbound,
            reply_token=inbound.reply_token,
            received_at=inbound.received_at,
            retry_key=uuid.uuid4(),
            generation_seconds=seconds,
            model_version=model[:200],
        )
        Message.objects.filter(pk=inbound.pk).update(status=status, error=error[:2000])
    return answer


@shared_task(bind=True, **RETRY)
def generate_reply(self, message_id: int) -> str:
    inbound = (
        Message.objects.select_related("chat").filter(pk=message_id, direction=Message.Direction.IN).first()
    )
    if inbound is None:
        return "nothing to do"
    answer = _answer_for(inbound)
    if answer is None:
        return "being answered elsewhere"
    answer.chat = inbound.chat
    if answer.status != Message.Status.SENT:
        _deliver_or_retry(self, answer)
    return answer.status


@shared_task
def requeue_stuck() -> int:
    """Queue again what a broker outage or a lost worker left behind (run by beat every few minutes).

    Only messages waiting longer than LINE_REQUEUE_AFTER_SECONDS are touched, so work that is merely
    queued behind a busy model is not queued twice.
    """
    from datetime import timedelta

    from django.conf import settings

    cutoff = timezone.now() - timedelta(seconds=settings.LINE_REQUEUE_AFTER_SECONDS)
    # A claim this old belongs to a worker that died while generating: give the message back.
    Message.objects.filter(
        direction=Message.Direction.IN, status=Message.Status.GENERATING, claimed_at__lt=cutoff
    ).update(status=Message.Status.QUEUED)
    stuck_in = Message.objects.filter(
        direction=Message.Direction.IN, status=Message.Status.QUEUED, created_at__lt=cutoff
    )
    stuck_out = Message.objects.filter(
        direction=Message.Direction.OUT, status=Message.Status.PENDING, created_at__lt=cutoff
    )
    count = 0
    for pk in stuck_in.values_list("pk", flat=True)[:500]:
        generate_reply.delay(pk)
        count += 1
    for pk in stuck_out.values_list("pk", flat=True)[:500]:
        send_message.delay(pk)
        count += 1
    if count:
        log.warning("requeued %d stuck LINE message(s)", count)
    return count
