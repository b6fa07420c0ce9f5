"""The monthly generation quota: a global limit per month and an optional per-user limit.

Months are calendar months in Asia/Tokyo (LINE's own billing month). A use is consumed with a
conditional UPDATE (`used = used + 1 WHERE used < limit`), which the database evaluates against
the row as it is at write time: on PostgreSQL the second writer waits for the first's row lock and
re-checks the condition, on SQLite writers are serialised. N concurrent messages against a limit L
therefore consume exactly min(N, L) uses, with no read-then-write race.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Count
from django.utils import timezone

from line_bot.models import LineUser, Message, MonthlyUsage, UserMonthlyUsage

TOKYO = ZoneInfo("Asia/Tokyo")


@dataclass(frozen=True)
class Decision:
    allowed: bool
    month: str
    reason: str = ""  # "" | "month" (global limit reached) | "user" (this user's limit reached)


def month_key(now: datetime | None = None) -> str:
    return (now or timezone.now()).astimezone(TOKYO).strftime("%Y-%m")


def month_row(month: str) -> MonthlyUsage:
    """This month's row, created with the configured limits the first time the month is seen."""
    row = MonthlyUsage.objects.filter(month=month).first()
    if row is not None:
        return row
    try:
        with transaction.atomic():
            return MonthlyUsage.objects.create(
                month=month,
                limit=settings.MARISA_MONTHLY_LIMIT,
                user_limit=settings.MARISA_USER_MONTHLY_LIMIT,
            )
    except IntegrityError:  # another request created it first
        return MonthlyUsage.objects.get(month=month)


def _user_row(month: str, user: LineUser) -> UserMonthlyUsage:
    row = UserMonthlyUsage.objects.filter(month=month, line_user=user).first()
    if row is not None:
        return row
    try:
        with transaction.atomic():
            return UserMonthlyUsage.objects.create(month=month, line_user=user)
    except IntegrityError:
        return UserMonthlyUsage.objects.get(month=month, line_user=user)


_MONTH = MonthlyUsage._meta.db_table
_USER = UserMonthlyUsage._meta.db_table


def _take_month(cursor, month: str) -> tuple[bool, int | None]:
    """(taken, this month's per-user limit): one conditional UPDATE, the limit read in the same statement."""
    cursor.execute(
        f'UPDATE {_MONTH} SET used = used + 1 WHERE month = %s AND used < "limit" RETURNING user_limit',
        [month],
    )
    row = cursor.fetchone()
    return (row is not None), (row[0] if row else None)


def _count_closed(cursor, month: str) -> bool:
    """Count one refusal for the month; False when the month has no row yet (nothing was counted)."""
    cursor.execute(f"UPDATE {_MONTH} SET closed_replies = closed_replies + 1 WHERE month = %s", [month])
    return cursor.rowcount > 0


def _take_user(cursor, month: str, user_id: int, limit: int | None) -> bool:
    """Count one use for the user; with a limit, only while under it (an upsert with a condition)."""
    if limit is not None and limit <= 0:
        return False
    guard = f" WHERE {_USER}.used < %s" if limit is not None else ""
    cursor.execute(
        f"INSERT INTO {_USER} (month, line_user_id, used) VALUES (%s, %s, 1) "
        f"ON CONFLICT (month, line_user_id) DO UPDATE SET used = {_USER}.used + 1{guard} RETURNING used",
        [month, user_id, *([limit] if limit is not None else [])],
    )
    return cursor.fetchone() is not None


def consume(user: LineUser | None, now: datetime | None = None) -> Decision:
    """Take one use for `user` this month, or refuse; never exceeds either limit.

    The global use is taken first; when the user's own limit then refuses, it is given back in the
    same transaction, while this transaction still holds the month row (PostgreSQL row lock,
    SQLite write lock), so no concurrent request ever sees the borrowed use.
    """
    month = month_key(now)
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        taken, user_limit = _take_month(cursor, month)
        if not taken and not _count_closed(cursor, month):
            month_row(month)  # no row: the first use of a new month
            taken, user_limit = _take_month(cursor, month)
            if not taken:
                _count_closed(cursor, month)  # a month whose limit is 0
        if not taken:
            return Decision(False, month, "month")
        if user is not None and not _take_user(cursor, month, user.pk, user_limit):
            cursor.execute(
                f"UPDATE {_MONTH} SET used = used - 1, closed_replies = closed_replies + 1 WHERE month = %s",
                [month],
            )
            return Decision(False, month, "user")
    return Decision(True, month)


@dataclass(frozen=True)
class Remaining:
    month: str
    used: int
    limit: int
    remaining: int
    user_used: int | None = None
    user_limit: int | None = None
    user_remaining: int | None = None


def remaining(user: LineUser | None, now: datetime | None = None) -> Remaining:
    month = month_key(now)
    row = month_row(month)
    if user is None or row.user_limit is None:
        return Remaining(month, row.used, row.limit, row.remaining)
    used = (
        UserMonthlyUsage.objects.filter(month=month, line_user=user).values_list("used", flat=True).first()
        or 0
    )
    user_left = max(0, row.user_limit - used)
    return Remaining(
        month, row.used, row.limit, min(row.remaining, user_left), used, row.user_limit, user_left
    )


def usage_report(month: str | None = None) -> dict:
    """This month's usage (or `month`'s): totals, per user, and how the bot's messages went out."""
    month = month or month_key()
    row = month_row(month) if month == month_key() else MonthlyUsage.objects.filter(month=month).first()
    users = [
        {"line_id": u.line_user.line_id, "display_name": u.line_user.display_name, "used": u.used}
        for u in UserMonthlyUsage.objects.filter(month=month).select_related("line_user").order_by("-used")
    ]
    report = {
        "month": month,
        "used": row.used if row else 0,
        "limit": row.limit if row else settings.MARISA_MONTHLY_LIMIT,
        "user_limit": row.user_limit if row else settings.MARISA_USER_MONTHLY_LIMIT,
        "closed_replies": row.closed_replies if row else 0,
        "deliveries": deliveries(month),
        "users": users,
    }
    report["remaining"] = max(0, report["limit"] - report["used"])
    return report


def month_bounds(month: str) -> tuple[datetime, datetime]:
    year, mon = (int(part) for part in month.split("-"))
    start = datetime(year, mon, 1, tzinfo=TOKYO)
    end = datetime(year + (mon == 12), mon % 12 + 1, 1, tzinfo=TOKYO)
    return start, end


def deliveries(month: str) -> dict[str, int]:
    """How the bot's messages were sent in `month`: by reply token (free) or push (counted by LINE)."""
    start, end = month_bounds(month)
    counts = (
        Message.objects.filter(direction=Message.Direction.OUT, sent_at__gte=start, sent_at__lt=end)
        .values("delivery")
        .annotate(n=Count("id"))
    )
    found = {row["delivery"]: row["n"] for row in counts}
    return {"reply": found.get("reply", 0), "push": found.get("push", 0)}


def as_dict(value: Decision | Remaining) -> dict:
    return asdict(value)
