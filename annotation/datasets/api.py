"""REST API of the data sets: dataset snapshots, their dataset cards and their exports (streamed).

Roles (marisa_site/roles.py): reading snapshots (their stats hold corrections), their cards and downloads
need the `annotation.export_dataset` permission or staff; staff create snapshots. Anonymous callers get 401.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annotation.datasets.exports import CONTENT_TYPES, EXTENSIONS, FORMATS, dataset_card, export_bytes
from annotation.datasets.models import DatasetSnapshot
from annotation.datasets.serializers import SnapshotDetailSerializer, SnapshotSerializer
from annotation.datasets.snapshots import create_snapshot, export_context
from marisa_site.rest import (
    DATE_PARAMS,
    IdCursorPagination,
    filter_dates,
    query_param,
)
from marisa_site.roles import CanExport, ExporterReadStaffWrite

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

    permission_classes = [ExporterReadStaffWrite]
    pagination_class = IdCursorPagination

    def get_queryset(self) -> QuerySet:
        qs = DatasetSnapshot.objects.select_related("character", "created_by")
        return filter_dates(self.request, qs, "created_at")

    def get_serializer_class(self) -> type:
        return SnapshotSerializer if self.action == "list" else SnapshotDetailSerializer

    @extend_schema(request=None, responses={201: SnapshotDetailSerializer, 200: SnapshotDetailSerializer})
    def create(self, request: Request) -> Response:
        newest_before = DatasetSnapshot.objects.order_by("-id").values_list("id", flat=True).first() or 0
        snapshot = create_snapshot(user=request.user)
        created = snapshot.pk > newest_before
        body = SnapshotDetailSerializer(snapshot, context={"request": request}).data
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
