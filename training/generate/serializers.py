"""REST serializers of generation jobs and the generation launch request."""

from __future__ import annotations

from rest_framework import serializers

from training.generate.models import GenerationJob
from training.jobs.serializers import JOB_FIELDS, StaffTracebackMixin


class GenerationJobSerializer(StaffTracebackMixin, serializers.ModelSerializer):
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    percent = serializers.IntegerField(read_only=True)

    class Meta:
        model = GenerationJob
        fields = [
            *JOB_FIELDS,
            "model_version",
            "question_set",
            "only_unanswered",
            "candidates_per_question",
            "sampling",
            "candidates_created",
        ]
        read_only_fields = fields


class GenerationLaunchSerializer(serializers.Serializer):
    model_version = serializers.IntegerField(min_value=1)
    question_set = serializers.IntegerField(min_value=1)
    n = serializers.IntegerField(min_value=1, max_value=16, default=2, help_text="candidates per question")
    only_unanswered = serializers.BooleanField(default=False)
    sampling = serializers.DictField(required=False, help_text="sampling settings overriding the seed's")
    batch_size = serializers.IntegerField(min_value=1, max_value=512, default=32)
