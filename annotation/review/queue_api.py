"""The review queue over HTTP: claim, submit (409 when stale), renew, release, undo, progress.

The browser page uses these same endpoints with its session; scripts use a DRF token.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annotation.review import queue
from annotation.review.models import Candidate
from annotation.review.payload import candidate_payload, conflict_payload
from marisa_site.rest import INT_MAX
from marisa_site.roles import IsReviewer, can_export


class ContextTurnSerializer(serializers.Serializer):
    speaker = serializers.CharField()
    text = serializers.CharField()


class SiblingSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    text = serializers.CharField()
    status = serializers.CharField()
    final_text = serializers.CharField(allow_blank=True)
    model = serializers.CharField()
    current = serializers.BooleanField()


class HistorySerializer(serializers.Serializer):
    action = serializers.CharField()
    user = serializers.CharField(allow_blank=True)
    at = serializers.DateTimeField()
    at_label = serializers.CharField(help_text='"at" in the server\'s time zone, e.g. "2026-12-01 22:05 JST"')
    status_before = serializers.CharField()
    status_after = serializers.CharField()
    text_before = serializers.CharField(allow_blank=True)
    text_after = serializers.CharField(allow_blank=True)
    reason = serializers.CharField(allow_blank=True)
    undone = serializers.BooleanField()


class ReviewItemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    question = serializers.CharField()
    question_id = serializers.IntegerField()
    question_set = serializers.CharField()
    context = ContextTurnSerializer(many=True)
    text = serializers.CharField(help_text="the model's reply")
    draft = serializers.CharField(help_text="what the editor starts with")
    final_text = serializers.CharField(allow_blank=True)
    status = serializers.CharField()
    version = serializers.IntegerField(help_text="send it back with the submit")
    lease_expires_at = serializers.DateTimeField(allow_null=True)
    lease_seconds_left = serializers.IntegerField()
    model = serializers.CharField()
    sampling = serializers.DictField()
    candidates = SiblingSerializer(many=True)
    character = serializers.CharField()
    prompt_name = serializers.CharField()
    guidelines = serializers.CharField(allow_blank=True)
    style_markers = serializers.ListField(child=serializers.CharField())
    history = HistorySerializer(many=True)


class SubmitSerializer(serializers.Serializer):
    """The lengths of text and reason are the queue's to check (annotation/review/limits.py), so the
    review page and a script get the same {"detail": ...} for them."""

    action = serializers.ChoiceField(choices=sorted(queue.DECISIONS))
    text = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    version = serializers.IntegerField(min_value=0, max_value=INT_MAX)  # Candidate.version's column
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class SubmitResultSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    action = serializers.CharField()
    status = serializers.CharField()
    final_text = serializers.CharField(allow_blank=True)
    version = serializers.IntegerField()


class ConflictSerializer(serializers.Serializer):
    detail = serializers.CharField()
    conflict = serializers.BooleanField()
    id = serializers.IntegerField(required=False)
    status = serializers.CharField(required=False)
    version = serializers.IntegerField(required=False)
    current_text = serializers.CharField(required=False, help_text="the text as it stands now")
    decided_by = serializers.CharField(required=False, allow_null=True)


class RenewSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    lease_expires_at = serializers.DateTimeField()


class ProgressSerializer(serializers.Serializer):
    decided_today = serializers.IntegerField()
    remaining = serializers.IntegerField()
    can_undo = serializers.BooleanField()


class ReviewerView(APIView):
    permission_classes = [permissions.IsAuthenticated, IsReviewer]


def _conflict(exc: queue.Conflict) -> Response:
    return Response(conflict_payload(str(exc), exc.candidate), status=status.HTTP_409_CONFLICT)


class ClaimView(ReviewerView):
    @extend_schema(
        request=None,
        responses={200: ReviewItemSerializer, 204: OpenApiResponse(description="nothing left to review")},
        summary="Lease the next undecided candidate (or the one you already hold)",
    )
    def post(self, request: Request) -> Response:
        cand = queue.claim(request.user)
        if cand is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return Response(candidate_payload(cand))


class ItemView(ReviewerView):
    @extend_schema(responses={200: ReviewItemSerializer}, summary="One candidate with its history")
    def get(self, request: Request, pk: int) -> Response:
        cand = (
            Candidate.objects.select_related("question__question_set", "model_version").filter(pk=pk).first()
        )
        if cand is None or not _may_read(request.user, cand):
            # The same answer for "not yours" as for "not there": ids do not reveal what others review.
            return Response({"detail": "no such candidate"}, status=status.HTTP_404_NOT_FOUND)
        return Response(candidate_payload(cand))


def _may_read(user: Any, cand: Candidate) -> bool:
    """A reviewer reads what the queue handed them (leased) or what they decided; bulk reading needs export."""
    if can_export(user):
        return True
    if cand.lease_owner_id == user.pk and cand.lease_expires_at and cand.lease_expires_at > timezone.now():
        return True
    return cand.actions.filter(user=user).exists()


class SubmitView(ReviewerView):
    @extend_schema(
        request=SubmitSerializer,
        responses={
            200: SubmitResultSerializer,
            400: OpenApiResponse(description="bad input"),
            409: ConflictSerializer,
        },
        summary="Decide a leased candidate; 409 when stale, repeated or not leased by you",
    )
    def post(self, request: Request, pk: int) -> Response:
        form = SubmitSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        try:
            action = queue.submit(
                pk, request.user, data["action"], data.get("text"), data["version"], data.get("reason", "")
            )
        except queue.InvalidSubmit as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
        except queue.Conflict as exc:
            return _conflict(exc)
        return Response(
            {
                "id": pk,
                "action": action.action,
                "status": action.status_after,
                "final_text": action.text_after if action.status_after in ("accepted", "edited") else "",
                "version": action.version + 1,
            }
        )


class RenewView(ReviewerView):
    @extend_schema(
        request=None, responses={200: RenewSerializer, 409: ConflictSerializer}, summary="Extend your lease"
    )
    def post(self, request: Request, pk: int) -> Response:
        try:
            expires = queue.renew(pk, request.user)
        except queue.Conflict as exc:
            return _conflict(exc)
        return Response({"id": pk, "lease_expires_at": expires.isoformat()})


class ReleaseView(ReviewerView):
    @extend_schema(
        request=None, responses={204: OpenApiResponse(description="released")}, summary="Give it back"
    )
    def post(self, request: Request, pk: int) -> Response:
        queue.release(pk, request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class UndoView(ReviewerView):
    @extend_schema(
        request=None,
        responses={200: ReviewItemSerializer, 409: ConflictSerializer},
        summary="Undo your last submit; the item comes back to you with your earlier text",
    )
    def post(self, request: Request) -> Response:
        try:
            cand, undone = queue.undo(request.user)
        except queue.Conflict as exc:
            return _conflict(exc)
        return Response(candidate_payload(cand, draft=undone.text_after or None))


class ProgressView(ReviewerView):
    @extend_schema(responses={200: ProgressSerializer}, summary="Decided today by you, and what is left")
    def get(self, request: Request) -> Response:
        return Response(
            {
                "decided_today": queue.decided_today(request.user),
                "remaining": queue.remaining(),
                "can_undo": queue.last_undoable(request.user) is not None,
            }
        )
