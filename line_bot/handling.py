"""What the webhook does with a body of events: record each once, then answer, count, queue or ignore.

A whole body is handled in one transaction with a few bulk statements, however many events it holds:

1. the chats and users its events come from are read, and the new ones created, in one go;
2. each event is decided in order, in memory (a `Plan`): what to store, what to answer;
3. the events and the users' messages are inserted with `bulk_create`;
4. each text message that asks for a generation takes one quota step (the conditional UPDATE of
   quota.py, in body order, so the quota stays exact); a refused one is closed and answered so;
5. the bot's fixed answers are inserted, and after the commit the ids of everything to generate or
   send go to the background publisher (publish.py) in one call: the request never waits for the broker.

Each event is recorded once by its webhookEventId (unique): a redelivery, or a second copy in the same
body, is answered "duplicate" and changes nothing. When a copy committed by another request at the
same moment makes the insert fail, the body is handled again with that copy known.
Nothing here imports torch or loads a model.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import threading
from typing import Any

from django.db import IntegrityError, connection, transaction

from line_bot import quota, replies
from line_bot.decide import dispatch
from line_bot.models import Chat, LineUser, Message, WebhookEvent
from line_bot.plan import Ask, Plan, source_ids, wants_origin

log = logging.getLogger(__name__)
ATTEMPTS = 3  # tries of one body when concurrent copies of its events keep arriving


def event_id(event: object) -> str:
    found = getattr(event, "webhook_event_id", None)
    if found:
        return str(found)[:64]
    # Only very old payloads lack the id; hash what identifies the event instead.
    raw = json.dumps(getattr(event, "__dict__", str(event)), default=str, sort_keys=True)
    return "sha256:" + hashlib.sha256(raw.encode()).hexdigest()[:56]


def handle_events(events: list) -> list[str]:
    """Handle a body's events, each exactly once; returns what was done with each (stored on its row)."""
    if not events:
        return []
    ids = [event_id(event) for event in events]
    known: set[str] = set()
    for attempt in range(ATTEMPTS):
        try:
            return _handle(events, ids, known)
        except IntegrityError:
            forget_known()  # a remembered chat or user may have been deleted meanwhile
            found = set(
                WebhookEvent.objects.filter(webhook_event_id__in=set(ids)).values_list(
                    "webhook_event_id", flat=True
                )
            )
            if attempt == ATTEMPTS - 1 or (found <= known and attempt > 0):
                raise  # not a copy of one of these events but a bug: a 500 makes LINE deliver the body again
            known = found
    raise AssertionError("unreachable")


def _handle(events: list, ids: list[str], known: set[str]) -> list[str]:
    from line_bot import publish, tasks

    plan = Plan()
    chats, users = _origins_wanted(events)
    plan.origins, plan.users = _read(Chat, chats), _read(LineUser, users)
    _create_missing(Chat, chats, plan.origins)
    _create_missing(LineUser, users, plan.users)
    seen = set(known)
    by_event: list[WebhookEvent | None] = []
    for event, eid in zip(events, ids, strict=True):  # decided in memory, before the transaction
        if eid in seen:
            by_event.append(None)
            continue
        seen.add(eid)
        record = _record(event, eid)
        record.outcome = dispatch(event, record, plan)
        plan.records.append(record)
        by_event.append(record)
    with _one_writer(), transaction.atomic():
        _save(plan)
        jobs = [publish.Job(tasks.send_message, (m.pk,)) for m in plan.answers]
        jobs += [publish.Job(tasks.generate_reply, (m.pk,)) for m in plan.allowed]
        if jobs:
            transaction.on_commit(lambda: publish.submit(jobs))
    return [record.outcome if record is not None else "duplicate" for record in by_event]


_sqlite_writer = threading.Lock()


def _one_writer():
    """SQLite lets one transaction write at a time and makes the others poll with sleeps (1, 2, 5 ...
    100 ms): the threads of one process take turns on a lock instead, so the database's own lock is
    contended by processes only. PostgreSQL locks rows: nothing to do."""
    return _sqlite_writer if connection.vendor == "sqlite" else contextlib.nullcontext()


def _record(event: object, eid: str) -> WebhookEvent:
    kind, chat_id, _ = source_ids(event)
    delivery_context = getattr(event, "delivery_context", None)
    return WebhookEvent(
        webhook_event_id=eid,
        event_type=str(getattr(event, "type", "") or "unknown")[:40],
        source_type=kind[:10],
        source_id=chat_id[:64],
        is_redelivery=bool(getattr(delivery_context, "is_redelivery", False)),
        timestamp_ms=int(getattr(event, "timestamp", 0) or 0),
    )


def _origins_wanted(events: list) -> tuple[dict[str, dict], dict[str, dict]]:
    """The chats (with their kind) and the users the events come from, by LINE id."""
    chats: dict[str, dict] = {}
    users: dict[str, dict] = {}
    for event in events:
        if not wants_origin(event):
            continue
        kind, chat_id, user_id = source_ids(event)
        if chat_id and kind in Chat.Kind.values and getattr(event, "type", "") != "unfollow":
            chats.setdefault(chat_id, {"kind": kind})
        if user_id:
            users.setdefault(user_id, {})
    return chats, users


# Chats and users this process has read, by LINE id: a chat or user is stored once and its id never
# changes or comes back (database sequences), so most webhooks need not read them again. Only committed
# rows are remembered. One deleted since (the admin) makes the insert fail on its foreign key: the memory
# is then dropped and the body handled again.
KNOWN_MAX = 50_000
_known: dict[type, dict[str, Any]] = {Chat: {}, LineUser: {}}


def forget_known() -> None:
    for rows in _known.values():
        rows.clear()


def _read(model, wanted: dict[str, dict]) -> dict:
    """The rows of `wanted` that exist, by LINE id: remembered ones, the others read."""
    # Inside a transaction (a caller's, a test's) what is read may yet be rolled back: no memory then.
    known = _known[model] if not connection.in_atomic_block else {}
    found = {line_id: known[line_id] for line_id in wanted if line_id in known}
    missing = [line_id for line_id in wanted if line_id not in found]
    if missing:
        rows = {row.line_id: row for row in model.objects.filter(line_id__in=missing).order_by()}
        if len(known) + len(rows) > KNOWN_MAX:
            known.clear()
        known.update(rows)
        found.update(rows)
    return found


def _create_missing(model, wanted: dict[str, dict], found: dict) -> None:
    """Create the rows `found` lacks (`get_or_create` for many at once; one another request created
    first is read instead). Committed at once: a newcomer's row is kept even if the body fails."""
    missing = [line_id for line_id in wanted if line_id not in found]
    if missing:
        with _one_writer():
            model.objects.bulk_create(
                [model(line_id=line_id, **wanted[line_id]) for line_id in missing], ignore_conflicts=True
            )
        found.update(_read(model, {line_id: wanted[line_id] for line_id in missing}))


def _save(plan: Plan) -> None:
    """Write the plan: events, then the users' messages, the quota steps, resets, the bot's answers."""
    WebhookEvent.objects.bulk_create(plan.records)
    Message.objects.bulk_create(plan.inbound)
    for user, fields in plan.follows:  # follow / unfollow, in body order
        LineUser.objects.filter(pk=user.pk).update(**fields)
    _take_quota(plan)
    for command in plan.resets:  # everything stored before the command is forgotten
        Chat.objects.filter(pk=command.chat_id).update(history_reset_at=command.created_at)
    Message.objects.bulk_create(plan.answers)


def _take_quota(plan: Plan) -> None:
    """One quota step per text that asks for a generation, in body order; the refused ones are closed."""
    closed: list[Ask] = []
    for ask in plan.asks:
        decision = quota.consume(ask.origin.sender)
        if decision.allowed:
            plan.allowed.append(ask.inbound)
            continue
        closed.append(ask)
        text = replies.CLOSED if decision.reason == "month" else replies.CLOSED_FOR_USER
        plan.answer(ask.origin, ask.record, ask.event, Message.Kind.CLOSED, text, ask.inbound)
    if closed:
        Message.objects.filter(pk__in=[ask.inbound.pk for ask in closed]).update(status=Message.Status.CLOSED)
        WebhookEvent.objects.filter(pk__in=[ask.record.pk for ask in closed]).update(outcome="closed")
        for ask in closed:
            ask.inbound.status, ask.record.outcome = Message.Status.CLOSED, "closed"
