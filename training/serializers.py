"""REST serializers for training jobs, generation jobs and model versions."""

from __future__ import annotations

from rest_framework import serializers

from .models import GenerationJob, ModelVersion, TrainingJob

JOB_FIELDS = [
    "id",
    "status",
    "phase",
    "params",
    "step",
    "total_steps",
    "percent",
    "eta_seconds",
    "heartbeat_at",
    "cancel_requested",
    "error",
    "resumable",
    "attempts",
    "created_by",
    "created_at",
    "started_at",
    "finished_at",
]


class TrainingJobSerializer(serializers.ModelSerializer):
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    percent = serializers.IntegerField(read_only=True)

    class Meta:
        model = TrainingJob
        fields = [
            *JOB_FIELDS,
            "snapshot",
            "base_model",
            "loss",
            "learning_rate",
            "tokens_per_second",
            "loss_history",
        ]
        read_only_fields = fields


class TrainingLaunchSerializer(serializers.Serializer):
    snapshot = serializers.IntegerField(min_value=1, help_text="dataset snapshot id to train on")
    base_model = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=500,
        help_text="HF id or path; blank = the configured one",
    )
    params = serializers.DictField(required=False, help_text="training parameters overriding the defaults")


class GenerationJobSerializer(serializers.ModelSerializer):
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


class ModelVersionSerializer(serializers.ModelSerializer):
    class Meta:
        model = ModelVersion
        fields = [
            "id",
            "name",
            "base_model",
            "adapter_dir",
            "line_separator",
            "snapshot",
            "training_job",
            "config",
            "metrics",
            "is_active",
            "created_at",
        ]
        read_only_fields = fields
