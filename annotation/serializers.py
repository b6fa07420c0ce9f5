"""REST serializers for the corpus, questions, candidates and dataset snapshots."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .models import (
    Candidate,
    Character,
    Conversation,
    DatasetSnapshot,
    Line,
    Question,
    QuestionSet,
    ReviewAction,
    Source,
)


class CharacterSerializer(serializers.ModelSerializer):
    aliases = serializers.ListField(child=serializers.CharField(max_length=100), required=False)
    style_markers = serializers.ListField(child=serializers.CharField(max_length=100), required=False)

    class Meta:
        model = Character
        fields = ["id", "name", "prompt_name", "aliases", "guidelines", "style_markers", "is_default"]
        read_only_fields = ["is_default"]


class SourceSerializer(serializers.ModelSerializer):
    imported_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = Source
        fields = [
            "id",
            "title",
            "kind",
            "original_name",
            "encoding",
            "sha256",
            "size_bytes",
            "conversation_count",
            "line_count",
            "imported_by",
            "imported_at",
        ]
        read_only_fields = fields


class SourceUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="a script, Aozora Bunko text, JSONL or CSV file")
    format = serializers.ChoiceField(choices=["auto", "script", "aozora", "jsonl", "csv"], default="auto")
    title = serializers.CharField(required=False, allow_blank=True, max_length=300)


class ImportResultSerializer(serializers.Serializer):
    source = SourceSerializer()
    conversations = serializers.IntegerField()
    lines = serializers.IntegerField()
    speakers = serializers.DictField(child=serializers.IntegerField())
    unknown_speaker_lines = serializers.IntegerField()


class LineSerializer(serializers.ModelSerializer):
    class Meta:
        model = Line
        fields = ["id", "conversation", "position", "speaker", "text", "speaker_by"]
        read_only_fields = fields


class ConversationSerializer(serializers.ModelSerializer):
    source_title = serializers.CharField(source="source.title", read_only=True)
    line_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Conversation
        fields = ["id", "source", "source_title", "position", "title", "line_count"]
        read_only_fields = fields


class ConversationLineSerializer(serializers.ModelSerializer):
    class Meta:
        model = Line
        fields = ["position", "speaker", "text", "speaker_by"]
        read_only_fields = fields


class ConversationDetailSerializer(ConversationSerializer):
    lines = ConversationLineSerializer(many=True, read_only=True)

    class Meta(ConversationSerializer.Meta):
        fields = [*ConversationSerializer.Meta.fields, "lines"]
        read_only_fields = fields


class QuestionContextTurnSerializer(serializers.Serializer):
    speaker = serializers.CharField(max_length=100, allow_blank=True)
    text = serializers.CharField(trim_whitespace=False)


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
    context = QuestionContextTurnSerializer(many=True, required=False)
    text = serializers.CharField(trim_whitespace=False)

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


class SnapshotSerializer(serializers.ModelSerializer):
    character = serializers.SlugRelatedField(slug_field="name", read_only=True)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    exports = serializers.SerializerMethodField()

    class Meta:
        model = DatasetSnapshot
        fields = [
            "id",
            "sha256",
            "character",
            "parent",
            "conversation_count",
            "line_count",
            "target_line_count",
            "correction_count",
            "created_by",
            "created_at",
            "exports",
        ]
        read_only_fields = fields

    @extend_schema_field({"type": "object", "additionalProperties": {"type": "string", "format": "uri"}})
    def get_exports(self, obj: DatasetSnapshot) -> dict[str, str]:
        from django.urls import reverse

        from .exports import FORMATS

        request = self.context.get("request")
        urls = {fmt: reverse("api-snapshot-export", args=[obj.pk, fmt]) for fmt in FORMATS}
        return {k: request.build_absolute_uri(v) if request else v for k, v in urls.items()}


class SnapshotDetailSerializer(SnapshotSerializer):
    stats = serializers.JSONField(
        read_only=True, help_text="counts, per-speaker lines, diff against the parent"
    )

    class Meta(SnapshotSerializer.Meta):
        fields = [*SnapshotSerializer.Meta.fields, "stats"]
        read_only_fields = fields
