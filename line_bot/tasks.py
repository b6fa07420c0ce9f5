"""Celery tasks (queue `default`): generate and send a reply, send a fixed answer, requeue stuck messages.

The two sending tasks are idempotent, however many copies of a task reach the worker (a requeue, a
redelivery, acks late): each claims its message with a conditional UPDATE of its status (`queued` ->
`generating`, `pending` -> `sending`) and a copy that finds the message claimed, answered or sent does
nothing; a push is retried with the retry key stored on the message, so LINE refuses a second copy
with 409. A claim older than LINE_REQUEUE_AFTER_SECONDS belongs to a worker that died: beat gives it back.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from line_bot import line_api, replies
from line_bot.models import Message
from line_bot.publish import BROKER_ERRORS, enqueue

log = logging.getLogger(__name__)
RETRY = {"max_retries": 5, "default_retry_delay": 3}
REQUEUE_BATCH = 500


def _claim_for_sending(message: Message) -> bool:
    """Take the message from `pending` to `sending`; False when another run has it (or it went out)."""
    now = timezone.now()
    taken = Message.objects.filter(pk=message.pk, status=Message.Status.PENDING).update(
        status=Message.Status.SENDING, claimed_at=now
    )
    if taken:
        message.status, message.claimed_at = Message.Status.SENDING, now
    return bool(taken)


def _deliver_or_retry(task, message: Message) -> None:
    """Send a claimed message; a transient failure gives the claim back and retries the task."""
    try:
        line_api.deliver(message)
    except line_api.TransientError as exc:
        if task.request.retries >= task.max_retries:
            message.status = Message.Status.SEND_FAILED
            message.error = f"gave up after {task.request.retries} retries: {exc}"[:2000]
            message.save(update_fields=["status", "error"])
            return
        Message.objects.filter(pk=message.pk, status=Message.Status.SENDING).update(
            status=Message.Status.PENDING
        )
        raise task.retry(exc=exc)


@shared_task(bind=True, **RETRY)
def send_message(self, message_id: int) -> str:
    message = Message.objects.select_related("chat").filter(pk=message_id).first()
    if message is None or message.status == Message.Status.SENT:
        return "nothing to do"
    if not _claim_for_sending(message):
        return "being sent elsewhere"
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
    if answer.status == Message.Status.SENT:
        return answer.status
    if not _claim_for_sending(answer):
        return "being sent elsewhere"
    _deliver_or_retry(self, answer)
    return answer.status


def _stuck(direction: str, status: str, cutoff: datetime):
    """Messages waiting in `status` since before `cutoff` (counting from their last requeue, if any)."""
    return Message.objects.filter(direction=direction, status=status).filter(
        Q(requeued_at__isnull=True, created_at__lt=cutoff) | Q(requeued_at__lt=cutoff)
    )


def _mark_batch(direction: str, status: str, cutoff: datetime) -> list[int]:
    """Mark the oldest REQUEUE_BATCH stuck messages as requeued now; returns the ids marked.

    The rows are locked (PostgreSQL: FOR UPDATE SKIP LOCKED; SQLite: the transaction's write lock)
    from the read to the UPDATE, so two beats running at once never mark, and queue, one row twice.
    """
    with transaction.atomic():
        ids = list(
            _stuck(direction, status, cutoff)
            .select_for_update(skip_locked=True)
            .order_by("created_at", "pk")
            .values_list("pk", flat=True)[:REQUEUE_BATCH]
        )
        if ids:
            Message.objects.filter(pk__in=ids).update(requeued_at=timezone.now(), requeues=F("requeues") + 1)
    return ids


def _give_back_abandoned_claims(cutoff: datetime) -> None:
    """A claim this old belongs to a worker that died while generating or sending: undo it."""
    for claimed, waiting in (
        (Message.Status.GENERATING, Message.Status.QUEUED),
        (Message.Status.SENDING, Message.Status.PENDING),
    ):
        Message.objects.filter(status=claimed, claimed_at__lt=cutoff).update(status=waiting)


@shared_task
def requeue_stuck() -> int:
    """Queue again what a broker outage or a lost worker left behind (run by beat every few minutes).

    Every message stored as waiting (inbound `queued`, outgoing `pending`) for longer than
    LINE_REQUEUE_AFTER_SECONDS since it was stored, or since it was last requeued, is queued again:
    oldest first, in batches, until none is left; each is marked (`requeued_at`, `requeues`) before it
    is published, so one run queues it once and the next runs leave it alone for another
    LINE_REQUEUE_AFTER_SECONDS. Work that is merely queued behind a busy model is not queued twice
    sooner than that. When the broker cannot be reached the run stops; the marked rows that were not
    published are found again after LINE_REQUEUE_AFTER_SECONDS.
    """
    cutoff = timezone.now() - timedelta(seconds=settings.LINE_REQUEUE_AFTER_SECONDS)
    _give_back_abandoned_claims(cutoff)
    count = 0
    for task, direction, status in (
        (generate_reply, Message.Direction.IN, Message.Status.QUEUED),
        (send_message, Message.Direction.OUT, Message.Status.PENDING),
    ):
        while ids := _mark_batch(direction, status, cutoff):
            for pk in ids:
                try:
                    enqueue(task, pk)
                except BROKER_ERRORS as exc:
                    log.warning(
                        "requeue stopped after %d LINE message(s), broker unreachable: %s", count, exc
                    )
                    return count
                count += 1
    if count:
        log.warning("requeued %d stuck LINE message(s)", count)
    return count
