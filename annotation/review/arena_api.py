"""The blind A/B arena over HTTP: claim a match, vote, renew, release, progress, and the ratings.

The arena page uses these endpoints with its session; scripts use a DRF token. Reviewers only.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annotation.review import arena_queue
from annotation.review.arena_stats import arena_summary
from annotation.review.queue import Conflict
from annotation.review.queue_api import ContextTurnSerializer, RenewSerializer
from marisa_site.roles import IsReviewer


class MatchSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    question = serializers.CharField()
    context = ContextTurnSerializer(many=True)
    source = serializers.CharField(allow_blank=True, help_text="where the question came from")
    reply_a = serializers.CharField(help_text="reply A (shown left); which version wrote it is not said")
    reply_b = serializers.CharField(help_text="reply B (shown right)")
    prompt_name = serializers.CharField()
    character = serializers.CharField()
    guidelines = serializers.CharField(allow_blank=True)
    lease_expires_at = serializers.DateTimeField(allow_null=True)
    lease_expires_label = serializers.CharField(allow_blank=True)
    lease_seconds_left = serializers.IntegerField()


class VoteSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=list(arena_queue.OUTCOMES), help_text="a, b, tie or both_bad")
    note = serializers.CharField(required=False, allow_blank=True, default="", trim_whitespace=False)


class VoteResultSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    outcome = serializers.CharField()
    voted_at = serializers.DateTimeField()


class ArenaConflictSerializer(serializers.Serializer):
    detail = serializers.CharField()
    conflict = serializers.BooleanField()


class ArenaProgressSerializer(serializers.Serializer):
    voted_today = serializers.IntegerField()
    voted_by_you = serializers.IntegerField()
    remaining = serializers.IntegerField()


class RatingSerializer(serializers.Serializer):
    version_id = serializers.IntegerField()
    version = serializers.CharField()
    rating = serializers.FloatField(help_text="Bradley-Terry on the Elo scale (1000 = the mean version)")
    low = serializers.FloatField(help_text="95% interval")
    high = serializers.FloatField()
    votes = serializers.IntegerField()
    wins = serializers.IntegerField()
    losses = serializers.IntegerField()
    ties = serializers.IntegerField()
    both_bad = serializers.IntegerField()


class PairSerializer(serializers.Serializer):
    winner_id = serializers.IntegerField()
    winner = serializers.CharField()
    loser_id = serializers.IntegerField()
    loser = serializers.CharField()
    win_rate = serializers.FloatField(help_text="ties and both-bad count half; 0..1")
    low = serializers.FloatField(help_text="Wilson 95% interval")
    high = serializers.FloatField()
    votes = serializers.IntegerField()
    wins = serializers.IntegerField()
    losses = serializers.IntegerField()
    ties = serializers.IntegerField()
    both_bad = serializers.IntegerField()
    text = serializers.CharField(help_text='e.g. "v3 (#3) beats v2 (#2): win rate 61% [54-68%], 120 votes"')


class ExportCountsSerializer(serializers.Serializer):
    pairs = serializers.IntegerField(help_text="votes the DPO export turns into preference pairs")
    ties = serializers.IntegerField(help_text="skipped: no winner")
    both_bad = serializers.IntegerField(help_text="skipped: no winner")


class SummarySerializer(serializers.Serializer):
    votes = serializers.IntegerField()
    ratings = RatingSerializer(many=True)
    pairs = PairSerializer(many=True)
    export = ExportCountsSerializer()


class ArenaView(APIView):
    permission_classes = [permissions.IsAuthenticated, IsReviewer]


def _conflict(exc: Conflict) -> Response:
    return Response({"detail": str(exc), "conflict": True}, status=status.HTTP_409_CONFLICT)


class ArenaClaimView(ArenaView):
    @extend_schema(
        request=None,
        responses={200: MatchSerializer, 204: OpenApiResponse(description="no match left to judge")},
        summary="Lease the next arena match (or the one you already hold); the versions stay hidden",
    )
    def post(self, request: Request) -> Response:
        match = arena_queue.claim(request.user)
        if match is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return Response(arena_queue.match_payload(match))


class ArenaVoteView(ArenaView):
    @extend_schema(
        request=VoteSerializer,
        responses={
            200: VoteResultSerializer,
            400: OpenApiResponse(description="bad input"),
            409: ArenaConflictSerializer,
        },
        summary="Vote on a match: a, b, tie or both_bad; 409 when voted already or held by another reviewer",
    )
    def post(self, request: Request, pk: int) -> Response:
        form = VoteSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        try:
            match = arena_queue.vote(
                pk, request.user, form.validated_data["outcome"], form.validated_data["note"]
            )
        except arena_queue.InvalidVote as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
        except Conflict as exc:
            return _conflict(exc)
        return Response({"id": match.pk, "outcome": match.outcome, "voted_at": match.voted_at})


class ArenaRenewView(ArenaView):
    @extend_schema(
        request=None,
        responses={200: RenewSerializer, 409: ArenaConflictSerializer},
        summary="Extend your lease",
    )
    def post(self, request: Request, pk: int) -> Response:
        try:
            expires = arena_queue.renew(pk, request.user)
        except Conflict as exc:
            return _conflict(exc)
        return Response({"id": pk, "lease_expires_at": expires.isoformat()})


class ArenaReleaseView(ArenaView):
    @extend_schema(
        request=None, responses={204: OpenApiResponse(description="released")}, summary="Give a match back"
    )
    def post(self, request: Request, pk: int) -> Response:
        arena_queue.release(pk, request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ArenaProgressView(ArenaView):
    @extend_schema(
        responses={200: ArenaProgressSerializer}, summary="Your votes today and in all, and what is left"
    )
    def get(self, request: Request) -> Response:
        return Response(arena_queue.progress(request.user))


class ArenaRatingsView(ArenaView):
    @extend_schema(
        responses={200: SummarySerializer},
        summary="Ratings per version (Bradley-Terry, 95% interval) and pairwise win rates from the votes",
    )
    def get(self, request: Request) -> Response:
        return Response(arena_summary())
