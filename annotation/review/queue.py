"""The review queue: leases by a conditional UPDATE, versioned submits, undo, an action log.

Why a conditional UPDATE and no lock held open: the UPDATE re-checks "undecided and lease free"
on the row it changes, so of two reviewers racing for one candidate exactly one changes it and the
other sees 0 rows and tries again. It works the same on SQLite (writes are serialised) and on
PostgreSQL (READ COMMITTED re-evaluates the WHERE on the row after waiting for the winner), and
there is no lock table and no transaction left open while a reviewer reads the item.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext

from annotation.review.limits import REASON_MAX, REASON_TOO_LONG, REPLY_MAX, REPLY_TOO_LONG
from annotation.review.models import Candidate, CandidateSkip, ReviewAction
from annotation.review.queue_db import run_prepared as _run_prepared
from annotation.review.queue_db import write_gate

PENDING = Candidate.Status.PENDING
DECISIONS = {"accept", "edit", "reject", "skip"}
CLAIM_ATTEMPTS = 8


class Conflict(Exception):
    """A submit, renew or undo that would overwrite someone else's work: HTTP 409."""

    def __init__(self, message: str, candidate: Candidate | None = None) -> None:
        super().__init__(message)
        self.candidate = candidate


class InvalidSubmit(ValueError):
    """A malformed submit (unknown action, empty, multi-line or too long reply, too long reason): HTTP 400."""


def lease_seconds() -> int:
    return int(getattr(settings, "MARISA_REVIEW_LEASE_SECONDS", 600))


def _expiry(now: datetime) -> datetime:
    return now + timedelta(seconds=lease_seconds())


# Columns the claim returns, so that the claimed row needs no second query.
CLAIM_FIELDS = [f for f in Candidate._meta.concrete_fields if f.attname != "skipped_by"]


def _claim_sql() -> str:
    """One statement: renew the reviewer's own live lease, or lease the first free candidate.

    'pending' is written as a literal, not a parameter: SQLite uses the partial index
    `candidate_pending` only when the query repeats the index's WHERE term exactly.
    """
    q = connection.ops.quote_name
    table, skips = q(Candidate._meta.db_table), q(CandidateSkip._meta.db_table)
    free = "(c.lease_expires_at IS NULL OR c.lease_expires_at < %s)"
    held = (
        f"SELECT h.id FROM {table} h WHERE h.lease_owner_id = %s AND h.status = 'pending' "
        f"AND h.lease_expires_at >= %s ORDER BY h.id LIMIT 1"
    )
    # SQLite's planner, left alone, may prefer the wider `candidate_queue` index and sort every
    # undecided row; naming the partial index keeps the claim a short walk at any queue size.
    hint = " INDEXED BY candidate_pending" if connection.vendor == "sqlite" else ""
    # PostgreSQL: pass over rows another reviewer's claim is changing this instant instead of
    # queueing behind them (the lock lasts this one statement; nothing stays open).
    skip_locked = " FOR UPDATE SKIP LOCKED" if connection.vendor == "postgresql" else ""
    first_free = (
        f"SELECT c.id FROM {table} c{hint} WHERE c.status = 'pending' AND {free} "
        f"AND NOT EXISTS (SELECT 1 FROM {skips} s WHERE s.candidate_id = c.id AND s.user_id = %s) "
        f"ORDER BY c.id LIMIT 1 OFFSET %s{skip_locked}"
    )
    returning = ", ".join(q(f.column) for f in CLAIM_FIELDS)
    return (
        f"UPDATE {table} SET lease_owner_id = %s, lease_expires_at = %s "
        f"WHERE id = COALESCE(({held}), ({first_free})) AND status = 'pending' "
        f"AND (lease_owner_id = %s OR lease_expires_at IS NULL OR lease_expires_at < %s) "
        f"RETURNING {returning}"
    )


def _try_claim(user_id: int, offset: int) -> Candidate | None:
    now = timezone.now()
    adapt = connection.ops.adapt_datetimefield_value
    at, until = adapt(now), adapt(_expiry(now))
    params = [user_id, until, user_id, at, at, user_id, offset, user_id, at]
    if connection.vendor == "postgresql":
        rows = _run_prepared(_claim_sql(), params)
    else:
        with write_gate(), connection.cursor() as cursor:
            cursor.execute(_claim_sql(), params)
            rows = cursor.fetchall()  # read to the end: SQLite ends the write when the statement is done
    if not rows:
        return None
    return _from_row(rows[0])


def _from_row(row: tuple) -> Candidate:
    """A Candidate from the RETURNING columns, with the same conversions a query would apply."""
    values = []
    for field, value in zip(CLAIM_FIELDS, row, strict=True):
        col = field.get_col(Candidate._meta.db_table)
        for convert in connection.ops.get_db_converters(col) + field.get_db_converters(connection):
            value = convert(value, col, connection)
        values.append(value)
    return Candidate.from_db(connection.alias, [f.attname for f in CLAIM_FIELDS], values)


def _free_left(user_id: int) -> bool:
    now = timezone.now()
    free = Candidate.objects.filter(status=PENDING).filter(
        Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lt=now)
    )
    skipped = CandidateSkip.objects.filter(user_id=user_id).values("candidate_id")
    return free.exclude(pk__in=skipped).exists()


def current_lease(user) -> Candidate | None:
    """The undecided candidate this reviewer holds a live lease on, if any."""
    return (
        Candidate.objects.filter(lease_owner=user, status=PENDING, lease_expires_at__gte=timezone.now())
        .order_by("id")
        .first()
    )


def claim(user) -> Candidate | None:
    """Lease the next undecided candidate to `user` (their live lease first); None when none is left.

    One statement per attempt, no transaction held: the lease is the row's own columns.
    """
    for attempt in range(CLAIM_ATTEMPTS):
        # After a lost race, aim a little further down the queue so that reviewers who arrive
        # together spread out instead of all fighting for the first row again.
        offset = 0 if attempt == 0 else random.randrange(0, 4 * attempt)
        claimed = _try_claim(user.pk, offset)
        if claimed is not None:
            return claimed
        if not _free_left(user.pk):
            return None
    return None


def renew(candidate_id: int, user) -> datetime:
    """Extend this reviewer's lease; Conflict when somebody else has taken the item meanwhile.

    An item that went back to the queue and nobody took (its lease ran out, or another tab of the
    same reviewer released it on closing) is taken back: the page that still shows it keeps working.
    """
    now = timezone.now()
    expires = _expiry(now)
    free = Q(lease_owner=user) | Q(lease_owner__isnull=True) | Q(lease_expires_at__lt=now)
    updated = (
        Candidate.objects.filter(pk=candidate_id, status=PENDING)
        .filter(free)
        .update(lease_owner=user, lease_expires_at=expires)
    )
    if not updated:
        raise Conflict(_why_refused(candidate_id, user, None), _current(candidate_id))
    return expires


def release(candidate_id: int, user) -> bool:
    """Give a leased item back to the queue (the reviewer closed the page)."""
    return bool(
        Candidate.objects.filter(pk=candidate_id, lease_owner=user, status=PENDING).update(
            lease_owner=None, lease_expires_at=None
        )
    )


def _current(candidate_id: int) -> Candidate | None:
    return Candidate.objects.filter(pk=candidate_id).first()


def _why_refused(candidate_id: int, user, version: int | None) -> str:
    cand = _current(candidate_id)  # the reason in the request's language: the review page shows it as it is
    if cand is None:
        return gettext("this candidate no longer exists")
    if cand.status != PENDING:
        who = cand.decided_by.username if cand.decided_by else gettext("someone")
        decided = gettext("already decided (%(status)s) by %(who)s")
        return decided % {"status": cand.get_status_display(), "who": who}
    if version is not None and cand.version != version:
        changed = gettext("changed since you opened it (now version %(now)s, yours %(yours)s)")
        return changed % {"now": cand.version, "yours": version}
    if cand.lease_owner_id and cand.lease_owner_id != user.pk:
        return gettext("another reviewer holds this item now")
    return gettext("your lease on this item ended and it went back to the queue")


def _decide(cand: Candidate, action: str, text: str | None) -> tuple[str, str]:
    """(new status, new final text) for a submit; accept/edit follow what the text really is."""
    if action == "reject":
        return Candidate.Status.REJECTED, ""
    if action == "skip":
        return PENDING, ""
    reply = cand.text if text is None else text
    if not reply.strip():
        raise InvalidSubmit(gettext("the reply is empty: reject it instead, or write a reply"))
    if "\n" in reply or "\r" in reply:
        raise InvalidSubmit(gettext("a reply is one line: remove the line breaks"))
    if reply == cand.text:
        return Candidate.Status.ACCEPTED, reply
    return Candidate.Status.EDITED, reply


def submit(
    candidate_id: int, user, action: str, text: str | None, version: int, reason: str = ""
) -> ReviewAction:
    """Record a decision made on `version`; Conflict when stale, repeated or not leased by `user`."""
    if action not in DECISIONS:
        raise InvalidSubmit(f"unknown action {action!r}: use one of {', '.join(sorted(DECISIONS))}")
    cand = _current(candidate_id)
    if cand is None:
        raise Conflict(gettext("this candidate no longer exists"))
    # The model's own reply may be longer (an imported candidate): accepting it as it is stays possible.
    if text is not None and len(text) > REPLY_MAX and text != cand.text:
        raise InvalidSubmit(REPLY_TOO_LONG)
    if len(reason) > REASON_MAX:
        raise InvalidSubmit(REASON_TOO_LONG)
    status, final = _decide(cand, action, text)
    if action == "edit" and status == Candidate.Status.ACCEPTED:
        action = "accept"  # nothing was changed: say so in the history
    elif action == "accept" and status == Candidate.Status.EDITED:
        action = "edit"
    now = timezone.now()
    decided = status != PENDING
    changes = {
        "status": status,
        "final_text": final,
        "reject_reason": reason if action == "reject" else "",
        "lease_owner_id": None,
        "lease_expires_at": None,
        "decided_by_id": user.pk if decided else None,
        "decided_at": now if decided else None,
    }
    record = ReviewAction(
        candidate_id=candidate_id,
        user=user,
        action=action,
        status_before=PENDING,
        status_after=status,
        text_before=cand.final_text,
        text_after=final if decided and action != "reject" else (text or ""),
        reason=reason,
        version=version,
        created_at=now,
    )
    if connection.vendor == "postgresql" and action != "skip":
        done = _update_and_log(candidate_id, user, version, changes, record)
    else:
        done = _update_then_log(candidate_id, user, version, changes, record, skip=action == "skip")
    if not done:
        raise Conflict(_why_refused(candidate_id, user, version), _current(candidate_id))
    return record


def _statements(changes: dict, record: ReviewAction) -> tuple[str, list, str, list]:
    """(UPDATE sql, its SET params, INSERT columns, INSERT values) shared by both submit paths.

    Raw SQL prepared before the write starts, so the time spent holding the write lock is the
    database's own work, not the ORM's Python.
    """
    q = connection.ops.quote_name
    adapt = connection.ops.adapt_datetimefield_value
    sets = ", ".join(f"{q(col)} = %s" for col in changes)
    update = (
        f"UPDATE {q(Candidate._meta.db_table)} SET {sets}, version = version + 1 "
        f"WHERE id = %s AND version = %s AND status = 'pending' AND lease_owner_id = %s"
    )
    log_fields = [f for f in ReviewAction._meta.concrete_fields if not f.primary_key]
    values = [
        adapt(v) if isinstance(v, datetime) else v
        for v in (f.get_db_prep_value(getattr(record, f.attname), connection) for f in log_fields)
    ]
    params = [adapt(v) if isinstance(v, datetime) else v for v in changes.values()]
    return update, params, ", ".join(q(f.column) for f in log_fields), values


def _update_then_log(
    candidate_id: int, user, version: int, changes: dict, record: ReviewAction, skip: bool
) -> bool:
    """The conditional UPDATE and the log row in one short transaction."""
    update, params, columns, values = _statements(changes, record)
    insert = (
        f"INSERT INTO {connection.ops.quote_name(ReviewAction._meta.db_table)} ({columns}) "
        f"VALUES ({', '.join(['%s'] * len(values))})"
    )
    with write_gate(), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(update, [*params, candidate_id, version, user.pk])
        if cursor.rowcount != 1:
            return False
        if skip:
            CandidateSkip.objects.get_or_create(candidate_id=candidate_id, user=user)
        cursor.execute(insert, values)
        record.pk = cursor.lastrowid
    record._state.adding = False
    return True


def _update_and_log(candidate_id: int, user, version: int, changes: dict, record: ReviewAction) -> bool:
    """PostgreSQL: the same, as one statement (an UPDATE inside a WITH feeding the INSERT).

    One round trip instead of four (BEGIN, UPDATE, INSERT, COMMIT), and still all or nothing.
    """
    update, params, columns, values = _statements(changes, record)
    # The log row's candidate_id comes from the UPDATE's RETURNING, so it exists only if the UPDATE did.
    at = [f.attname for f in ReviewAction._meta.concrete_fields if not f.primary_key].index("candidate_id")
    picks = ["upd.id" if i == at else "%s" for i in range(len(values))]
    rest = values[:at] + values[at + 1 :]
    sql = (
        f"WITH upd AS ({update} RETURNING id) "
        f"INSERT INTO {connection.ops.quote_name(ReviewAction._meta.db_table)} ({columns}) "
        f"SELECT {', '.join(picks)} FROM upd RETURNING id"
    )
    rows = _run_prepared(sql, [*params, candidate_id, version, user.pk, *rest])
    if not rows:
        return False
    record.pk = rows[0][0]
    record._state.adding = False
    return True


def last_undoable(user) -> ReviewAction | None:
    return (
        ReviewAction.objects.filter(user=user, undone=False)
        .exclude(action=ReviewAction.Action.UNDO)
        .order_by("-id")
        .first()
    )


def undo(user) -> tuple[Candidate, ReviewAction]:
    """Revert `user`'s last submit and lease the item back to them; Conflict if it changed since."""
    last = last_undoable(user)
    if last is None:
        raise Conflict(gettext("nothing to undo"))
    now = timezone.now()
    free = Q(lease_owner__isnull=True) | Q(lease_owner=user) | Q(lease_expires_at__lt=now)
    with write_gate(), transaction.atomic():
        updated = (
            Candidate.objects.filter(pk=last.candidate_id, version=last.version + 1, status=last.status_after)
            .filter(free)
            .update(
                status=last.status_before,
                final_text=last.text_before,
                reject_reason="",
                decided_by=None,
                decided_at=None,
                version=F("version") + 1,
                lease_owner=user,
                lease_expires_at=_expiry(now),
            )
        )
        if not updated:
            raise Conflict(
                "cannot undo: the item was changed or claimed by someone else since",
                _current(last.candidate_id),
            )
        # One item at a time: whatever the reviewer had claimed next goes back to the queue.
        Candidate.objects.filter(lease_owner=user, status=PENDING).exclude(pk=last.candidate_id).update(
            lease_owner=None, lease_expires_at=None
        )
        if last.action == ReviewAction.Action.SKIP:
            CandidateSkip.objects.filter(candidate_id=last.candidate_id, user=user).delete()
        ReviewAction.objects.filter(pk=last.pk).update(undone=True)
        ReviewAction.objects.create(
            candidate_id=last.candidate_id,
            user=user,
            action=ReviewAction.Action.UNDO,
            status_before=last.status_after,
            status_after=last.status_before,
            text_before=last.text_after,
            text_after=last.text_before,
            reason=f"undo of {last.action}",
            version=last.version + 1,
        )
    return _current(last.candidate_id), last


def decided_today(user) -> int:
    start = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    return (
        ReviewAction.objects.filter(user=user, created_at__gte=start, undone=False)
        .filter(action__in=["accept", "edit", "reject"])
        .count()
    )


def remaining() -> int:
    return Candidate.objects.filter(status=PENDING).count()
