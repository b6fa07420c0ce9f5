"""REST serializers of the review loop: question sets, questions, candidates and their review actions."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from annotation.corpus.limits import SPEAKER_MAX, SPEAKER_TOO_LONG
from annotation.review.limits import (
    CONTEXT_TOO_LONG,
    CONTEXT_TOO_MANY,
    CONTEXT_TURNS_MAX,
    QUESTION_MAX,
    QUESTION_TOO_LONG,
)
from annotation.review.models import Candidate, Question, QuestionSet, ReviewAction


class QuestionContextTurnSerializer(serializers.Serializer):
    speaker = serializers.CharField(
        max_length=SPEAKER_MAX, allow_blank=True, error_messages={"max_length": SPEAKER_TOO_LONG}
    )
    text = serializers.CharField(
        trim_whitespace=False, max_length=QUESTION_MAX, error_messages={"max_length": CONTEXT_TOO_LONG}
    )


class QuestionSetSerializer(serializers.ModelSerializer):
    question_count = serializers.SerializerMethodField()

    class Meta:
        model = QuestionSet
        fields = ["id", "name", "description", "created_at", "question_count"]
        read_only_fields = ["created_at", "question_count"]

    def get_question_count(self, obj: QuestionSet) -> int:
        annotated = getattr(obj, "question_count", None)  # lists annotate it; a new set has none yet
        return annotated if annotated is not None else obj.questions.count()


class QuestionSerializer(serializers.ModelSerializer):
    context = QuestionContextTurnSerializer(
        many=True,
        required=False,
        max_length=CONTEXT_TURNS_MAX,
        error_messages={"max_length": CONTEXT_TOO_MANY},
    )
    text = serializers.CharField(
        trim_whitespace=False, max_length=QUESTION_MAX, error_messages={"max_length": QUESTION_TOO_LONG}
    )

    class Meta:
        model = Question
        fields = ["id", "question_set", "position", "text", "context"]

    def validate_text(self, value: str) -> str:
        if not value.strip():
            raise serializers.ValidationError("a question needs some text")
        return value


class ReviewActionSerializer(serializers.ModelSerializer):
    user = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = ReviewAction
        fields = [
            "id",
            "action",
            "user",
            "status_before",
            "status_after",
            "text_before",
            "text_after",
            "reason",
            "version",
            "undone",
            "created_at",
        ]
        read_only_fields = fields


class CandidateSerializer(serializers.ModelSerializer):
    question_text = serializers.CharField(source="question.text", read_only=True)
    question_set = serializers.IntegerField(source="question.question_set_id", read_only=True)
    decided_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = Candidate
        fields = [
            "id",
            "question",
            "question_text",
            "question_set",
            "model_version",
            "generation_job",
            "model_name",
            "text",
            "sampling",
            "status",
            "final_text",
            "reject_reason",
            "version",
            "decided_by",
            "decided_at",
            "created_at",
        ]
        read_only_fields = fields


class CandidateDetailSerializer(CandidateSerializer):
    history = serializers.SerializerMethodField()

    class Meta(CandidateSerializer.Meta):
        fields = [*CandidateSerializer.Meta.fields, "history"]
        read_only_fields = fields

    @extend_schema_field(ReviewActionSerializer(many=True))
    def get_history(self, obj: Candidate) -> list[dict[str, Any]]:
        actions = obj.actions.select_related("user").order_by("created_at", "id")
        return ReviewActionSerializer(actions, many=True).data
