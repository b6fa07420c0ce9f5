"""What the API views of every stage share: the JSON parser, cursor pagination, query-parameter readers and
filters, and their OpenAPI parameter descriptions (roles are in marisa_site/roles.py). A caller's mistake in
any of them is a 400, never a server error (docs/datasets-and-api.md, "Errors")."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework.exceptions import NotFound, ParseError, ValidationError
from rest_framework.pagination import Cursor, CursorPagination
from rest_framework.parsers import JSONParser as DRFJSONParser
from rest_framework.request import Request

# The range every integer a caller sends must fit: ids, filters, versions (PostgreSQL's bigint; the
# serializers of 32-bit columns use INT_MAX). A bigger number is a 400, never a database overflow.
BIGINT_MAX = 2**63 - 1
INT_MAX = 2**31 - 1
INVALID_CURSOR = "invalid cursor: follow the next or previous link of a page instead of writing one"

# --- Request bodies -----------------------------------------------------------------------------


class JSONParser(DRFJSONParser):
    """DRF's JSON parser (the API's default, see settings.REST_FRAMEWORK), but a body nested thousands
    deep is a 400 like any other unreadable JSON: Python's reader gives up with a RecursionError, which
    DRF does not catch."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: dict | None = None) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - nested too deeply") from None


# --- Pagination and filters -------------------------------------------------------------------


class IdCursorPagination(CursorPagination):
    """Cursor pages over the id: stable and fast however long the list, newest first."""

    ordering = "-id"
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000

    def decode_cursor(self, request: Request) -> Cursor | None:
        """DRF's decoding, plus a check of the position: it is an id, so a cursor edited by hand
        (`p=2026-12-01`) is a 400 like an undecodable one, instead of a failed query."""
        try:
            cursor = super().decode_cursor(request)
        except NotFound:
            raise ValidationError({"cursor": INVALID_CURSOR}) from None
        if cursor is not None and cursor.position is not None:
            try:
                position = int(cursor.position)
            except ValueError:
                raise ValidationError({"cursor": INVALID_CURSOR}) from None
            if not 0 <= position <= BIGINT_MAX:
                raise ValidationError({"cursor": INVALID_CURSOR})
        return cursor


class LineCursorPagination(IdCursorPagination):
    ordering = "id"


class QuestionPagination(IdCursorPagination):
    ordering = "id"  # a set's questions in the order they were added


def int_param(request: Request, name: str) -> int | None:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return None
    try:
        value = int(raw)
    except ValueError:
        raise ValidationError({name: "must be an integer"}) from None
    if not 0 <= value <= BIGINT_MAX:
        raise ValidationError({name: "out of range"})
    return value


def date_param(request: Request, name: str) -> date | None:
    """A date-time, or a date (a whole day: filter_dates compares the day); 400 when unreadable or at the
    edge of the calendar."""
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return None
    try:
        # The date first: parse_datetime reads "2026-12-01" as its midnight, which would make
        # created_before=2026-12-01 leave that day out.
        value = parse_date(raw) or parse_datetime(raw)
    except ValueError:
        value = None
    if value is None:
        raise ValidationError({name: "must be an ISO 8601 date or date-time"})
    if isinstance(value, datetime) and timezone.is_naive(value):
        value = timezone.make_aware(value)  # a date-time without offset is in the site's time zone
    if not _representable(value):
        raise ValidationError({name: "out of range: use a date between the years 1 and 9999"})
    return value


def _representable(value: date) -> bool:
    """The database compares in UTC (and a date by its day's bounds in the site's time zone): a moment
    at the very edge of Python's calendar (0001-01-01 in Tokyo is still year 0 in UTC) would overflow.
    A day of room either side also covers a connection that works in another time zone."""
    if isinstance(value, datetime):
        moments = [value]
    else:
        moments = [timezone.make_aware(datetime.combine(value, t)) for t in (time.min, time.max)]
    try:
        for moment in moments:
            utc = moment.astimezone(UTC)
            if utc - timedelta(days=1) > utc + timedelta(days=1):  # raises OverflowError at the edges
                return False
    except OverflowError:
        return False
    return True


def text_param(request: Request, name: str) -> str | None:
    value = request.query_params.get(name)
    if value is not None and "\x00" in value:
        raise ValidationError({name: "must not contain NUL characters"})
    return value


def filter_dates(request: Request, qs: QuerySet, field: str) -> QuerySet:
    after, before = date_param(request, "created_after"), date_param(request, "created_before")
    if after:
        qs = qs.filter(**{f"{field}__gte" if isinstance(after, datetime) else f"{field}__date__gte": after})
    if before:
        qs = qs.filter(**{f"{field}__lt" if isinstance(before, datetime) else f"{field}__date__lte": before})
    return qs


def query_param(name: str, kind: Any, text: str, enum: list[str] | None = None) -> OpenApiParameter:
    return OpenApiParameter(name, kind, OpenApiParameter.QUERY, required=False, description=text, enum=enum)


DATE_PARAMS = [
    query_param("created_after", OpenApiTypes.DATETIME, "from this date or date-time (ISO 8601), inclusive"),
    query_param(
        "created_before", OpenApiTypes.DATETIME, "before this date-time (or up to this date, inclusive)"
    ),
]
SOURCE_PARAM = query_param("source", OpenApiTypes.INT, "only this source (id)")
SPEAKER_PARAM = query_param(
    "speaker", OpenApiTypes.STR, "only lines (or conversations with a line) of this speaker"
)
