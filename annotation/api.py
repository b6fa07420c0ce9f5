"""REST API for the corpus, question sets, candidates and dataset snapshots (exports streamed).

Roles: reviewers (group Reviewers) and staff read; staff write; downloads need the
`annotation.export_dataset` permission or staff. Anonymous callers get 401.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from . import serializers as s
from .api_base import (
    DATE_PARAMS,
    SOURCE_PARAM,
    SPEAKER_PARAM,
    CanExport,
    IdCursorPagination,
    LineCursorPagination,
    QuestionPagination,
    ReviewerReadStaffWrite,
    filter_dates,
    int_param,
    query_param,
    text_param,
)
from .exports import CONTENT_TYPES, EXTENSIONS, FORMATS, dataset_card, export_bytes
from .models import Candidate, Character, Conversation, DatasetSnapshot, Line, Question, QuestionSet, Source
from .snapshots import create_snapshot, export_context

# --- Corpus -----------------------------------------------------------------------------------


class CharacterViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """The characters a model can be trained to be (prompt name, aliases, guidelines)."""

    queryset = Character.objects.all()
    serializer_class = s.CharacterSerializer
    permission_classes = [ReviewerReadStaffWrite]
    pagination_class = IdCursorPagination


@extend_schema_view(list=extend_schema(parameters=DATE_PARAMS))
class SourceViewSet(mixins.DestroyModelMixin, viewsets.ReadOnlyModelViewSet):
    """Imported files. POST a file (multipart) to import it; DELETE removes it with its conversations."""

    queryset = Source.objects.select_related("imported_by")
    serializer_class = s.SourceSerializer
    permission_classes = [ReviewerReadStaffWrite]
    pagination_class = IdCursorPagination
    parser_classes = [MultiPartParser, FormParser]

    def get_queryset(self) -> QuerySet:
        return filter_dates(self.request, super().get_queryset(), "imported_at")

    @extend_schema(
        request={"multipart/form-data": s.SourceUploadSerializer},
        responses={201: s.ImportResultSerializer, 400: OpenApiResponse(description="the importer's reason")},
        summary="Import a file (atomic; the same file twice is refused)",
    )
    def create(self, request: Request) -> Response:
        form = s.SourceUploadSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        return _import_upload(form.validated_data, request.user)


def _import_upload(data: dict[str, Any], user: Any) -> Response:
    from .importing import ImportFailed, import_path

    upload = data["file"]
    original = Path(upload.name or "upload.txt").name or "upload.txt"
    with tempfile.TemporaryDirectory(prefix="marisa-upload-") as tmp:
        path = Path(tmp) / ("upload" + Path(original).suffix[:10])
        with path.open("wb") as f:
            for chunk in upload.chunks():
                f.write(chunk)
        try:
            # The uploaded name goes along: the importer takes the title and the format from it.
            result = import_path(
                path, fmt=data["format"], title=data.get("title") or None, user=user, original_name=original
            )
        except ImportFailed as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
    body = {**result.as_dict(), "source": result.source}
    return Response(s.ImportResultSerializer(body).data, status=status.HTTP_201_CREATED)


@extend_schema_view(list=extend_schema(parameters=[SOURCE_PARAM, SPEAKER_PARAM]))
class ConversationViewSet(viewsets.ReadOnlyModelViewSet):
    """Conversations; the detail has the ordered lines."""

    permission_classes = [ReviewerReadStaffWrite]
    pagination_class = IdCursorPagination

    def get_serializer_class(self) -> type:
        return s.ConversationDetailSerializer if self.action == "retrieve" else s.ConversationSerializer

    def get_queryset(self) -> QuerySet:
        # A correlated count, computed only for the page's rows (a GROUP BY would count the whole corpus).
        count = Line.objects.filter(conversation=OuterRef("pk")).order_by().values("conversation")
        count = count.annotate(n=Count("id")).values("n")
        qs = Conversation.objects.select_related("source").annotate(line_count=Coalesce(Subquery(count), 0))
        if self.action == "retrieve":
            return qs.prefetch_related("lines")
        source = int_param(self.request, "source")
        if source is not None:
            qs = qs.filter(source_id=source)
        speaker = text_param(self.request, "speaker")
        if speaker:
            qs = qs.filter(pk__in=Line.objects.filter(speaker=speaker).values("conversation_id"))
        return qs


@extend_schema_view(
    list=extend_schema(
        parameters=[
            SOURCE_PARAM,
            SPEAKER_PARAM,
            query_param("conversation", OpenApiTypes.INT, "only this one"),
        ]
    )
)
class LineViewSet(viewsets.ReadOnlyModelViewSet):
    """Dialogue lines across the corpus, filterable by speaker ("" = unknown), source and conversation."""

    serializer_class = s.LineSerializer
    permission_classes = [ReviewerReadStaffWrite]
    pagination_class = LineCursorPagination

    def get_queryset(self) -> QuerySet:
        qs = Line.objects.all()
        if self.action != "list":
            return qs
        source = int_param(self.request, "source")
        if source is not None:
            qs = qs.filter(conversation__source_id=source)
        conversation = int_param(self.request, "conversation")
        if conversation is not None:
            qs = qs.filter(conversation_id=conversation)
        speaker = text_param(self.request, "speaker")
        if speaker is not None:
            qs = qs.filter(speaker=speaker)
        return qs


# --- Questions and candidates -----------------------------------------------------------------


class QuestionSetViewSet(viewsets.ModelViewSet):
    """Question sets; their questions are at /api/questions/?question_set=ID."""

    serializer_class = s.QuestionSetSerializer
    permission_classes = [ReviewerReadStaffWrite]
    pagination_class = IdCursorPagination

    def get_queryset(self) -> QuerySet:
        return QuestionSet.objects.annotate(question_count=Count("questions"))

    @extend_schema(
        responses={200: s.QuestionSerializer(many=True)}, summary="The questions of this set, in order"
    )
    @action(detail=True, methods=["get"], pagination_class=IdCursorPagination)
    def questions(self, request: Request, pk: str | None = None) -> Response:
        qset = self.get_object()
        paginator = QuestionPagination()
        page = paginator.paginate_queryset(Question.objects.filter(question_set=qset), request, view=self)
        return paginator.get_paginated_response(s.QuestionSerializer(page, many=True).data)


@extend_schema_view(
    list=extend_schema(parameters=[query_param("question_set", OpenApiTypes.INT, "only this set")])
)
class QuestionViewSet(viewsets.ModelViewSet):
    serializer_class = s.QuestionSerializer
    permission_classes = [ReviewerReadStaffWrite]
    pagination_class = IdCursorPagination

    def get_queryset(self) -> QuerySet:
        qs = Question.objects.all()
        if self.action == "list":
            qset = int_param(self.request, "question_set")
            if qset is not None:
                qs = qs.filter(question_set_id=qset)
        return qs


@extend_schema_view(
    list=extend_schema(
        parameters=[
            query_param("status", OpenApiTypes.STR, "review status", enum=list(Candidate.Status.values)),
            query_param("model_version", OpenApiTypes.INT, "only candidates of this model version"),
            query_param("question_set", OpenApiTypes.INT, "only candidates to questions of this set"),
            query_param("question", OpenApiTypes.INT, "only candidates to this question"),
            *DATE_PARAMS,
        ]
    )
)
class CandidateViewSet(viewsets.ReadOnlyModelViewSet):
    """Model replies and their review state; the detail carries the review history.

    Reviewing happens through the queue at /api/review/ (claim, submit).
    """

    permission_classes = [ReviewerReadStaffWrite]
    pagination_class = IdCursorPagination

    def get_serializer_class(self) -> type:
        return s.CandidateDetailSerializer if self.action == "retrieve" else s.CandidateSerializer

    def get_queryset(self) -> QuerySet:
        qs = Candidate.objects.select_related("question", "decided_by")
        if self.action != "list":
            return qs
        params = self.request.query_params
        if params.get("status"):
            if params["status"] not in Candidate.Status.values:
                raise ValidationError({"status": f"one of {', '.join(Candidate.Status.values)}"})
            qs = qs.filter(status=params["status"])
        for name, field in (
            ("model_version", "model_version_id"),
            ("question_set", "question__question_set_id"),
            ("question", "question_id"),
        ):
            value = int_param(self.request, name)
            if value is not None:
                qs = qs.filter(**{field: value})
        return filter_dates(self.request, qs, "created_at")


# --- Snapshots and exports --------------------------------------------------------------------


class MarkdownRenderer(BaseRenderer):
    media_type = "text/markdown"
    format = "md"
    charset = "utf-8"

    def render(
        self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None
    ) -> bytes:
        return data.encode() if isinstance(data, str) else JSONRenderer().render(data)


@extend_schema_view(list=extend_schema(parameters=DATE_PARAMS))
class SnapshotViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Immutable, content-hashed data sets. POST makes one from the current data (or returns the
    existing snapshot with the same content, status 200 instead of 201)."""

    permission_classes = [ReviewerReadStaffWrite]
    pagination_class = IdCursorPagination

    def get_queryset(self) -> QuerySet:
        qs = DatasetSnapshot.objects.select_related("character", "created_by")
        return filter_dates(self.request, qs, "created_at")

    def get_serializer_class(self) -> type:
        return s.SnapshotSerializer if self.action == "list" else s.SnapshotDetailSerializer

    @extend_schema(request=None, responses={201: s.SnapshotDetailSerializer, 200: s.SnapshotDetailSerializer})
    def create(self, request: Request) -> Response:
        newest_before = DatasetSnapshot.objects.order_by("-id").values_list("id", flat=True).first() or 0
        snapshot = create_snapshot(user=request.user)
        created = snapshot.pk > newest_before
        body = s.SnapshotDetailSerializer(snapshot, context={"request": request}).data
        return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(responses={(200, "text/markdown"): OpenApiTypes.STR})
    @action(detail=True, methods=["get"], permission_classes=[CanExport], renderer_classes=[MarkdownRenderer])
    def card(self, request: Request, pk: str | None = None) -> Response:
        """The Hugging Face dataset card of this snapshot (the README.md inside the hf export)."""
        _, ctx, _ = export_context(self.get_object())
        return Response(dataset_card(ctx))


class PassthroughRenderer(BaseRenderer):
    """Lets any Accept header reach the streaming view; errors come out as JSON."""

    media_type = "*/*"
    format = "stream"
    charset = None

    def render(
        self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None
    ) -> bytes:
        return JSONRenderer().render(data)


_EXPORT_RESPONSES = {
    (200, "application/x-ndjson"): OpenApiTypes.STR,
    (200, "text/plain"): OpenApiTypes.STR,
    (200, "application/zip"): OpenApiTypes.BINARY,
}


class SnapshotExportView(APIView):
    """Stream a snapshot in a training format; the first bytes go out at once, memory stays flat."""

    permission_classes = [CanExport]
    renderer_classes = [JSONRenderer, PassthroughRenderer]

    @extend_schema(
        parameters=[
            OpenApiParameter("fmt", OpenApiTypes.STR, OpenApiParameter.PATH, enum=list(FORMATS)),
            query_param(
                "sep", OpenApiTypes.STR, "line separator (default: the base model's; `\\n` for a newline)"
            ),
            query_param(
                "system", OpenApiTypes.BOOL, "sft-chat: the character's guidelines as a system message"
            ),
        ],
        responses={**_EXPORT_RESPONSES, 404: OpenApiResponse(description="no such snapshot or format")},
        summary="Download a snapshot (jsonl, text, hf zip, sft-chat, dpo)",
    )
    def get(self, request: Request, pk: int, fmt: str) -> Any:
        snapshot = DatasetSnapshot.objects.select_related("character").filter(pk=pk).first()
        if snapshot is None or fmt not in FORMATS:
            return Response({"detail": "no such snapshot or format"}, status=status.HTTP_404_NOT_FOUND)
        sep = request.query_params.get("sep") or None
        system = request.query_params.get("system", "").lower() in ("1", "true", "yes")
        records, ctx, _ = export_context(snapshot, sep=sep, system=system)
        response = StreamingHttpResponse(
            _stream(export_bytes(fmt, records, ctx)), content_type=CONTENT_TYPES[fmt]
        )
        name = f"snapshot-{snapshot.pk}-{snapshot.sha256[:12]}-{fmt}.{EXTENSIONS[fmt]}"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        response["X-Snapshot-Sha256"] = snapshot.sha256
        return response


def _stream(chunks: Iterator[bytes]) -> Iterator[bytes]:
    yield from chunks
