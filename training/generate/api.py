"""REST API of generation jobs: a model version answers a question set (POST = launch, staff only)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from annotation.review.models import QuestionSet
from marisa_site.rest import DATE_PARAMS, IdCursorPagination, int_param
from marisa_site.roles import ReviewerReadStaffWrite
from training.generate.models import GenerationJob
from training.generate.run import launch_generation_job
from training.generate.serializers import GenerationJobSerializer, GenerationLaunchSerializer
from training.jobs.api import STATUS_PARAM, JobActionsMixin, status_filter
from training.train.models import ModelVersion


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

    serializer_class = GenerationJobSerializer
    permission_classes = [ReviewerReadStaffWrite]
    pagination_class = IdCursorPagination

    def get_queryset(self) -> QuerySet:
        qs = GenerationJob.objects.select_related("created_by")
        if self.action != "list":
            return qs
        version = int_param(self.request, "model_version")
        if version is not None:
            qs = qs.filter(model_version_id=version)
        return status_filter(self.request, qs)

    @extend_schema(request=GenerationLaunchSerializer, responses={201: GenerationJobSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        form = GenerationLaunchSerializer(data=request.data)
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
        return Response(GenerationJobSerializer(job).data, status=status.HTTP_201_CREATED)
