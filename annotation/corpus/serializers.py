"""REST serializers of the corpus: characters, sources, the upload and its result, conversations, lines."""

from __future__ import annotations

from rest_framework import serializers

from annotation.corpus.limits import TITLE_MAX, TITLE_TOO_LONG
from annotation.corpus.models import Character, Conversation, Line, Source


class CharacterSerializer(serializers.ModelSerializer):
    aliases = serializers.ListField(child=serializers.CharField(max_length=100), required=False)
    style_markers = serializers.ListField(child=serializers.CharField(max_length=100), required=False)
    forbidden_markers = serializers.ListField(child=serializers.CharField(max_length=100), required=False)

    class Meta:
        model = Character
        fields = [
            "id",
            "name",
            "prompt_name",
            "aliases",
            "guidelines",
            "style_markers",
            "forbidden_markers",
            "is_default",
        ]
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
    # The same limit and message as the upload page (the importer checks it for both).
    title = serializers.CharField(
        required=False, allow_blank=True, max_length=TITLE_MAX, error_messages={"max_length": TITLE_TOO_LONG}
    )


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
