"""Training jobs and the model versions they produce."""

from __future__ import annotations

from typing import Any, ClassVar

from django.db import models, transaction

from training.jobs.models import Job
from training.train.checkpoints import find_checkpoint
from training.train.params import check_train_params, job_dir


class TrainingJob(Job):
    snapshot = models.ForeignKey("annotation.DatasetSnapshot", on_delete=models.PROTECT, related_name="+")
    base_model = models.CharField(max_length=500)
    loss = models.FloatField(null=True, blank=True)
    learning_rate = models.FloatField(null=True, blank=True)
    tokens_per_second = models.FloatField(null=True, blank=True)
    loss_history = models.JSONField(default=list, blank=True)  # [[step, loss], ...]
    output_dir = models.CharField(max_length=500, blank=True)

    task_name: ClassVar[str] = "training.train.tasks.run_training_job"

    def __str__(self) -> str:
        return f"training job {self.pk} ({self.status})"

    def check_resume_params(self, params: dict[str, Any]) -> None:
        check_train_params(params)

    def prepare_resume(self, params: dict[str, Any]) -> None:
        # The run continues from its last complete checkpoint, with any changed parameters.
        self.params = {**self.params, **params, "resume": True}
        self.save(update_fields=["params"])

    def resumable_after_failure(self) -> bool:
        return find_checkpoint(job_dir(self)) is not None


class ModelVersion(models.Model):
    name = models.CharField(max_length=200)
    base_model = models.CharField(max_length=500)
    adapter_dir = models.CharField(max_length=500)
    line_separator = models.CharField(max_length=20, default="\n")
    snapshot = models.ForeignKey(
        "annotation.DatasetSnapshot",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="model_versions",
    )
    training_job = models.OneToOneField(
        TrainingJob, null=True, blank=True, on_delete=models.SET_NULL, related_name="model_version"
    )
    config = models.JSONField(default=dict, blank=True)
    metrics = models.JSONField(default=dict, blank=True)
    is_active = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"], condition=models.Q(is_active=True), name="one_active_model_version"
            )
        ]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def active(cls) -> ModelVersion | None:
        return cls.objects.filter(is_active=True).first()

    def activate(self) -> None:
        """Make this the one version the bot answers with; atomically, so there is never zero or two."""
        with transaction.atomic():
            # Lock the rows so two admins activating at once serialise instead of hitting the constraint.
            list(ModelVersion.objects.select_for_update().filter(is_active=True).values_list("pk", flat=True))
            ModelVersion.objects.filter(is_active=True).exclude(pk=self.pk).update(is_active=False)
            ModelVersion.objects.filter(pk=self.pk).update(is_active=True)
        self.is_active = True


class EvalSource(models.Model):
    """A source the evaluation set has chosen from, at a share: a source not listed here is not covered yet.

    Kept by the file's sha256 (not the Source row), so re-importing the same file finds its choice again.
    """

    character = models.ForeignKey("annotation.Character", on_delete=models.CASCADE, related_name="+")
    source_sha256 = models.CharField(max_length=64)
    share = models.FloatField()
    her_lines_total = models.PositiveIntegerField(default=0)
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["character", "source_sha256"], name="eval_source_once")
        ]


class EvalConversation(models.Model):
    """One pinned held-out conversation: never trained on, in any round, while it is in the set."""

    character = models.ForeignKey("annotation.Character", on_delete=models.CASCADE, related_name="+")
    source_sha256 = models.CharField(max_length=64)
    position = models.PositiveIntegerField()
    title = models.CharField(max_length=300, blank=True)
    her_lines = models.PositiveIntegerField(default=0)
    # sha256 of the line texts: finds the conversation in an older snapshot whose conversation ids are gone.
    text_digest = models.CharField(max_length=64, db_index=True)
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["source_sha256", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["character", "source_sha256", "position"], name="eval_conversation_once"
            )
        ]
