"""REST API of training jobs (POST = launch, staff only) and the model versions they produce."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from annotation.datasets.models import DatasetSnapshot
from marisa_site.rest import DATE_PARAMS, IdCursorPagination, filter_dates
from marisa_site.roles import ReviewerReadStaffWrite
from training.jobs.api import STATUS_PARAM, JobActionsMixin, status_filter
from training.train.launch import default_train_params, launch_training_job
from training.train.models import ModelVersion, TrainingJob
from training.train.serializers import ModelVersionSerializer, TrainingJobSerializer, TrainingLaunchSerializer


def _checked_params(params: dict[str, Any]) -> dict[str, Any]:
    """Numbers and switches must have the type of their default: a bad one is a 400 now, not a failed job later."""
    defaults = default_train_params()
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


@extend_schema_view(list=extend_schema(parameters=[STATUS_PARAM, *DATE_PARAMS]))
class TrainingJobViewSet(JobActionsMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """QLoRA training runs. POST launches one on the gpu queue (staff)."""

    serializer_class = TrainingJobSerializer
    permission_classes = [ReviewerReadStaffWrite]
    pagination_class = IdCursorPagination

    def get_queryset(self) -> QuerySet:
        qs = TrainingJob.objects.select_related("created_by")
        return status_filter(self.request, qs) if self.action == "list" else qs

    @extend_schema(request=TrainingLaunchSerializer, responses={201: TrainingJobSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        form = TrainingLaunchSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        snapshot = DatasetSnapshot.objects.filter(pk=data["snapshot"]).first()
        if snapshot is None:
            raise ValidationError({"snapshot": "no such snapshot"})
        params = _checked_params(data.get("params") or {})
        parent = None
        if data.get("from_version"):
            parent = ModelVersion.objects.filter(pk=data["from_version"]).first()
            if parent is None:
                raise ValidationError({"from_version": "no such model version"})
        try:
            job = launch_training_job(
                snapshot,
                data.get("base_model") or None,
                params,
                request.user,
                stage=data.get("stage") or "sft",
                from_version=parent,
            )
        except ValueError as exc:
            # Unknown parameters name the params; a stage without a version, or too little data, is the request's.
            key = "params" if str(exc).startswith("unknown training parameters") else "non_field_errors"
            raise ValidationError({key: [str(exc)]}) from None
        return Response(TrainingJobSerializer(job).data, status=status.HTTP_201_CREATED)


@extend_schema_view(list=extend_schema(parameters=DATE_PARAMS))
class ModelVersionViewSet(viewsets.ReadOnlyModelViewSet):
    """Trained adapters. POST {id}/activate/ makes one the version the bot answers with (staff)."""

    serializer_class = ModelVersionSerializer
    permission_classes = [ReviewerReadStaffWrite]
    pagination_class = IdCursorPagination

    def get_queryset(self) -> QuerySet:
        qs = ModelVersion.objects.all()
        return filter_dates(self.request, qs, "created_at") if self.action == "list" else qs

    @extend_schema(request=None, responses={200: ModelVersionSerializer})
    @action(detail=True, methods=["post"])
    def activate(self, request: Request, pk: str | None = None) -> Response:
        version = self.get_object()
        version.activate()
        return Response(ModelVersionSerializer(version).data)
