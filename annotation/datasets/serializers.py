"""REST serializers of dataset snapshots: the list row (with its export links) and the detail (with stats)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from annotation.datasets.models import DatasetSnapshot


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

        from annotation.datasets.exports import FORMATS

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
