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
from django.db import IntegrityError, transaction
from django.db.models import Count, F
from django.utils import timezone

from .models import LineUser, Message, MonthlyUsage, UserMonthlyUsage

TOKYO = ZoneInfo("Asia/Tokyo")


@dataclass(frozen=True)
class Decision:
    allowed: bool
    month: str
    reason: str = ""  # "" | "month" (global limit reached) | "user" (this user's limit reached)


class _UserLimitReached(Exception):
    """Raised inside the atomic block so that the global use taken just before is given back."""


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


def consume(user: LineUser | None, now: datetime | None = None) -> Decision:
    """Take one use for `user` this month, or refuse; never exceeds either limit."""
    month = month_key(now)
    row = month_row(month)
    try:
        with transaction.atomic():
            taken = MonthlyUsage.objects.filter(pk=row.pk, used__lt=F("limit")).update(used=F("used") + 1)
            if not taken:
                MonthlyUsage.objects.filter(pk=row.pk).update(closed_replies=F("closed_replies") + 1)
                return Decision(False, month, "month")
            if user is not None:
                user_row = _user_row(month, user)
                query = UserMonthlyUsage.objects.filter(pk=user_row.pk)
                # Read the per-user limit in the same statement as the update: an admin edit applies at once.
                limit = MonthlyUsage.objects.filter(pk=row.pk).values_list("user_limit", flat=True)[0]
                if limit is not None:
                    query = query.filter(used__lt=limit)
                if not query.update(used=F("used") + 1):
                    raise _UserLimitReached
    except _UserLimitReached:
        MonthlyUsage.objects.filter(pk=row.pk).update(closed_replies=F("closed_replies") + 1)
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
