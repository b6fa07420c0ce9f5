"""REST API of the corpus: characters, sources (POST a file to import it), conversations and lines.

Roles (marisa_site/roles.py): reviewers (group Reviewers) and staff read characters and sources; the
conversations and lines (bulk reading of the corpus) need the export permission or staff; staff write.
Anonymous callers get 401, users without the role 403.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from annotation.corpus.models import Character, Conversation, Line, Source
from annotation.corpus.serializers import (
    CharacterSerializer,
    ConversationDetailSerializer,
    ConversationSerializer,
    ImportResultSerializer,
    LineSerializer,
    SourceSerializer,
    SourceUploadSerializer,
)
from marisa_site.rest import (
    DATE_PARAMS,
    SOURCE_PARAM,
    SPEAKER_PARAM,
    IdCursorPagination,
    LineCursorPagination,
    filter_dates,
    int_param,
    query_param,
    text_param,
)
from marisa_site.roles import ExporterReadStaffWrite, ReviewerReadStaffWrite

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
    serializer_class = CharacterSerializer
    permission_classes = [ReviewerReadStaffWrite]
    pagination_class = IdCursorPagination


@extend_schema_view(list=extend_schema(parameters=DATE_PARAMS))
class SourceViewSet(mixins.DestroyModelMixin, viewsets.ReadOnlyModelViewSet):
    """Imported files. POST a file (multipart) to import it; DELETE removes it with its conversations."""

    queryset = Source.objects.select_related("imported_by")
    serializer_class = SourceSerializer
    permission_classes = [ReviewerReadStaffWrite]
    pagination_class = IdCursorPagination
    parser_classes = [MultiPartParser, FormParser]

    def get_queryset(self) -> QuerySet:
        return filter_dates(self.request, super().get_queryset(), "imported_at")

    @extend_schema(
        request={"multipart/form-data": SourceUploadSerializer},
        responses={201: ImportResultSerializer, 400: OpenApiResponse(description="the importer's reason")},
        summary="Import a file (atomic; the same file twice is refused)",
    )
    def create(self, request: Request) -> Response:
        form = SourceUploadSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        return _import_upload(form.validated_data, request.user)


def _import_upload(data: dict[str, Any], user: Any) -> Response:
    from annotation.corpus.importing import ImportFailed, import_path

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
    return Response(ImportResultSerializer(body).data, status=status.HTTP_201_CREATED)


@extend_schema_view(list=extend_schema(parameters=[SOURCE_PARAM, SPEAKER_PARAM]))
class ConversationViewSet(viewsets.ReadOnlyModelViewSet):
    """Conversations; the detail has the ordered lines (the export permission or staff)."""

    permission_classes = [ExporterReadStaffWrite]
    pagination_class = IdCursorPagination

    def get_serializer_class(self) -> type:
        return ConversationDetailSerializer if self.action == "retrieve" else ConversationSerializer

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
    """Dialogue lines across the corpus, filterable by speaker ("" = unknown), source and conversation
    (the export permission or staff)."""

    serializer_class = LineSerializer
    permission_classes = [ExporterReadStaffWrite]
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
