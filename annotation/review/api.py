"""REST API of the review loop's material: question sets, questions, and candidates with their reviews.

Roles (marisa_site/roles.py): reviewers (group Reviewers) and staff read question sets and questions; the
candidates (bulk reading of the replies and their corrections) need the export permission or staff; staff
write. Anonymous callers get 401, users without the role 403.
Reviewing itself (claim, submit, undo) is the queue's API in queue_api.py.
"""

from __future__ import annotations

from django.db.models import Count, QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from annotation.review.models import Candidate, Question, QuestionSet
from annotation.review.serializers import (
    CandidateDetailSerializer,
    CandidateSerializer,
    QuestionSerializer,
    QuestionSetSerializer,
)
from marisa_site.rest import (
    DATE_PARAMS,
    IdCursorPagination,
    QuestionPagination,
    filter_dates,
    int_param,
    query_param,
)
from marisa_site.roles import ExporterReadStaffWrite, ReviewerReadStaffWrite

# --- Questions and candidates -----------------------------------------------------------------


class QuestionSetViewSet(viewsets.ModelViewSet):
    """Question sets; their questions are at /api/questions/?question_set=ID."""

    serializer_class = QuestionSetSerializer
    permission_classes = [ReviewerReadStaffWrite]
    pagination_class = IdCursorPagination

    def get_queryset(self) -> QuerySet:
        return QuestionSet.objects.annotate(question_count=Count("questions"))

    @extend_schema(
        responses={200: QuestionSerializer(many=True)}, summary="The questions of this set, in order"
    )
    @action(detail=True, methods=["get"], pagination_class=IdCursorPagination)
    def questions(self, request: Request, pk: str | None = None) -> Response:
        qset = self.get_object()
        paginator = QuestionPagination()
        page = paginator.paginate_queryset(Question.objects.filter(question_set=qset), request, view=self)
        return paginator.get_paginated_response(QuestionSerializer(page, many=True).data)


@extend_schema_view(
    list=extend_schema(parameters=[query_param("question_set", OpenApiTypes.INT, "only this set")])
)
class QuestionViewSet(viewsets.ModelViewSet):
    serializer_class = QuestionSerializer
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

    Reviewing happens through the queue at /api/review/ (claim, submit): that is what a reviewer gets;
    reading the candidates here needs the export permission or staff.
    """

    permission_classes = [ExporterReadStaffWrite]
    pagination_class = IdCursorPagination

    def get_serializer_class(self) -> type:
        return CandidateDetailSerializer if self.action == "retrieve" else CandidateSerializer

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
