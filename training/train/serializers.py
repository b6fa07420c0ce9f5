"""REST serializers of training jobs, the training launch request, and model versions."""

from __future__ import annotations

from rest_framework import serializers

from training.jobs.serializers import JOB_FIELDS, StaffTracebackMixin
from training.train.models import STAGE_CHOICES, ModelVersion, TrainingJob


class TrainingJobSerializer(StaffTracebackMixin, serializers.ModelSerializer):
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    percent = serializers.IntegerField(read_only=True)

    class Meta:
        model = TrainingJob
        fields = [
            *JOB_FIELDS,
            "snapshot",
            "stage",
            "from_version",
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
    stage = serializers.ChoiceField(
        choices=STAGE_CHOICES, required=False, default="sft", help_text="sft, or a preference stage: dpo, kto"
    )
    from_version = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        help_text="model version whose adapter to continue (dpo/kto default: the active version)",
    )


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
            "parent",
            "stage",
            "config",
            "metrics",
            "is_active",
            "created_at",
        ]
        read_only_fields = fields
