"""REST API for training and generation jobs (POST = launch, staff only) and model versions."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from annotation.api_base import (
    DATE_PARAMS,
    IdCursorPagination,
    ReviewerReadStaffWrite,
    filter_dates,
    int_param,
)
from annotation.models import DatasetSnapshot, QuestionSet

from . import jobs
from . import serializers as s
from .generation_job import launch_generation_job
from .models import GenerationJob, Job, ModelVersion, TrainingJob

STATUS_PARAM = OpenApiParameter(
    "status", OpenApiTypes.STR, OpenApiParameter.QUERY, required=False, enum=list(Job.Status.values)
)


def _status_filter(request: Request, qs: QuerySet) -> QuerySet:
    wanted = request.query_params.get("status")
    if wanted:
        if wanted not in Job.Status.values:
            raise ValidationError({"status": f"one of {', '.join(Job.Status.values)}"})
        qs = qs.filter(status=wanted)
    return filter_dates(request, qs, "created_at")


def _checked_params(params: dict[str, Any]) -> dict[str, Any]:
    """Numbers and switches must have the type of their default: a bad one is a 400 now, not a failed job later."""
    defaults = jobs.default_train_params()
    errors = {}
    for key, value in params.items():
        default = defaults.get(key)
        if isinstance(default, bool) and not isinstance(value, bool):
            errors[key] = "must be true or false"
        elif (
            isinstance(default, int)
            and not isinstance(default, bool)
            and (isinstance(value, bool) or not isinstance(value, int))
        ):
            errors[key] = "must be an integer"
        elif isinstance(default, float) and (isinstance(value, bool) or not isinstance(value, int | float)):
            errors[key] = "must be a number"
    if errors:
        raise ValidationError({"params": errors})
    return params


class JobActionsMixin:
    """cancel / resume for both job kinds (staff: they are writes)."""

    @extend_schema(
        request=None,
        responses={200: OpenApiResponse(description="{'result': cancelled|cancelling|finished}")},
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        job = self.get_object()  # type: ignore[attr-defined]
        return Response({"id": job.pk, "result": jobs.request_cancel(job)})

    @extend_schema(request=None, responses={200: OpenApiResponse(description="queued again"), 409: None})
    @action(detail=True, methods=["post"])
    def resume(self, request: Request, pk: str | None = None) -> Response:
        job = self.get_object()  # type: ignore[attr-defined]
        if not jobs.resume_job(job):
            return Response({"detail": "only a failed or cancelled, resumable job can resume"}, status=409)
        return Response({"id": job.pk, "result": "queued"})


@extend_schema_view(list=extend_schema(parameters=[STATUS_PARAM, *DATE_PARAMS]))
class TrainingJobViewSet(JobActionsMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """QLoRA training runs. POST launches one on the gpu queue (staff)."""

    serializer_class = s.TrainingJobSerializer
    permission_classes = [ReviewerReadStaffWrite]
    pagination_class = IdCursorPagination

    def get_queryset(self) -> QuerySet:
        qs = TrainingJob.objects.select_related("created_by")
        return _status_filter(self.request, qs) if self.action == "list" else qs

    @extend_schema(request=s.TrainingLaunchSerializer, responses={201: s.TrainingJobSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        form = s.TrainingLaunchSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        snapshot = DatasetSnapshot.objects.filter(pk=data["snapshot"]).first()
        if snapshot is None:
            raise ValidationError({"snapshot": "no such snapshot"})
        params = _checked_params(data.get("params") or {})
        try:
            job = jobs.launch_training_job(snapshot, data.get("base_model") or None, params, request.user)
        except ValueError as exc:
            raise ValidationError({"params": str(exc)}) from None
        return Response(s.TrainingJobSerializer(job).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(
        parameters=[
            STATUS_PARAM,
            OpenApiParameter("model_version", OpenApiTypes.INT, OpenApiParameter.QUERY, required=False),
            *DATE_PARAMS,
        ]
    )
)
class GenerationJobViewSet(JobActionsMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """A model version answering a question set. POST launches one on the gpu queue (staff)."""

    serializer_class = s.GenerationJobSerializer
    permission_classes = [ReviewerReadStaffWrite]
    pagination_class = IdCursorPagination

    def get_queryset(self) -> QuerySet:
        qs = GenerationJob.objects.select_related("created_by")
        if self.action != "list":
            return qs
        version = int_param(self.request, "model_version")
        if version is not None:
            qs = qs.filter(model_version_id=version)
        return _status_filter(self.request, qs)

    @extend_schema(request=s.GenerationLaunchSerializer, responses={201: s.GenerationJobSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        form = s.GenerationLaunchSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        version = ModelVersion.objects.filter(pk=data["model_version"]).first()
        qset = QuestionSet.objects.filter(pk=data["question_set"]).first()
        if version is None or qset is None:
            raise ValidationError({"model_version" if version is None else "question_set": "not found"})
        try:
            job = launch_generation_job(
                version,
                qset,
                n=data["n"],
                only_unanswered=data["only_unanswered"],
                sampling=data.get("sampling"),
                batch_size=data["batch_size"],
                user=request.user,
            )
        except (ValueError, TypeError) as exc:
            raise ValidationError({"sampling": str(exc)}) from None
        return Response(s.GenerationJobSerializer(job).data, status=status.HTTP_201_CREATED)


@extend_schema_view(list=extend_schema(parameters=DATE_PARAMS))
class ModelVersionViewSet(viewsets.ReadOnlyModelViewSet):
    """Trained adapters. POST {id}/activate/ makes one the version the bot answers with (staff)."""

    serializer_class = s.ModelVersionSerializer
    permission_classes = [ReviewerReadStaffWrite]
    pagination_class = IdCursorPagination

    def get_queryset(self) -> QuerySet:
        qs = ModelVersion.objects.all()
        return filter_dates(self.request, qs, "created_at") if self.action == "list" else qs

    @extend_schema(request=None, responses={200: s.ModelVersionSerializer})
    @action(detail=True, methods=["post"])
    def activate(self, request: Request, pk: str | None = None) -> Response:
        version = self.get_object()
        version.activate()
        return Response(s.ModelVersionSerializer(version).data)
