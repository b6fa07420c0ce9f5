"""What the API views of every stage share: cursor pagination, query-parameter readers and filters, and
their OpenAPI parameter descriptions (roles are in marisa_site/roles.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request

# --- Pagination and filters -------------------------------------------------------------------


class IdCursorPagination(CursorPagination):
    """Cursor pages over the id: stable and fast however long the list, newest first."""

    ordering = "-id"
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000


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
    if not 0 <= value < 2**63:
        raise ValidationError({name: "out of range"})
    return value


def date_param(request: Request, name: str) -> datetime | None:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return None
    try:
        value = parse_datetime(raw) or parse_date(raw)
    except ValueError:
        value = None
    if value is None:
        raise ValidationError({name: "must be an ISO 8601 date or date-time"})
    if isinstance(value, datetime) and timezone.is_naive(value):
        value = timezone.make_aware(value)  # a date-time without offset is in the site's time zone
    return value


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
