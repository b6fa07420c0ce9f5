"""What the job APIs share: the status filter and the cancel / resume actions (staff only)."""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from marisa_site.rest import filter_dates
from training.jobs.models import Job

STATUS_PARAM = OpenApiParameter(
    "status", OpenApiTypes.STR, OpenApiParameter.QUERY, required=False, enum=list(Job.Status.values)
)


def status_filter(request: Request, qs: QuerySet) -> QuerySet:
    wanted = request.query_params.get("status")
    if wanted:
        if wanted not in Job.Status.values:
            raise ValidationError({"status": f"one of {', '.join(Job.Status.values)}"})
        qs = qs.filter(status=wanted)
    return filter_dates(request, qs, "created_at")


class JobActionsMixin:
    """cancel / resume for both job kinds (staff: they are writes)."""

    @extend_schema(
        request=None,
        responses={200: OpenApiResponse(description="{'result': cancelled|cancelling|finished}")},
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        job = self.get_object()  # type: ignore[attr-defined]
        return Response({"id": job.pk, "result": job.request_cancel()})

    @extend_schema(request=None, responses={200: OpenApiResponse(description="queued again"), 409: None})
    @action(detail=True, methods=["post"])
    def resume(self, request: Request, pk: str | None = None) -> Response:
        job = self.get_object()  # type: ignore[attr-defined]
        if not job.resume():
            return Response({"detail": "only a failed or cancelled, resumable job can resume"}, status=409)
        return Response({"id": job.pk, "result": "queued"})
