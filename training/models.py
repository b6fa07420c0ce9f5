"""Training and generation jobs, and the model versions they produce."""

from __future__ import annotations

from django.conf import settings
from django.db import models, transaction


class Job(models.Model):
    """State shared by long-running jobs: status, progress, heartbeat, failure."""

    class Status(models.TextChoices):
        QUEUED = "queued", "queued"
        RUNNING = "running", "running"
        SUCCEEDED = "succeeded", "succeeded"
        FAILED = "failed", "failed"
        CANCELLED = "cancelled", "cancelled"

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True)
    params = models.JSONField(default=dict, blank=True)
    step = models.PositiveIntegerField(default=0)
    total_steps = models.PositiveIntegerField(default=0)
    eta_seconds = models.FloatField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    cancel_requested = models.BooleanField(default=False)
    celery_task_id = models.CharField(max_length=100, blank=True)
    worker = models.CharField(max_length=200, blank=True)
    error = models.TextField(blank=True)
    traceback = models.TextField(blank=True)
    resumable = models.BooleanField(default=False)
    # What the job is doing right now, in words ("loading the base model", "training", "evaluating").
    phase = models.CharField(max_length=200, blank=True)
    attempts = models.PositiveIntegerField(default=0)  # starts, counting resumes
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True
        ordering = ["-created_at"]

    @property
    def is_finished(self) -> bool:
        return self.status in {self.Status.SUCCEEDED, self.Status.FAILED, self.Status.CANCELLED}

    @property
    def percent(self) -> int:
        return min(100, int(100 * self.step / self.total_steps)) if self.total_steps else 0

    @property
    def is_active_job(self) -> bool:
        return self.status in {self.Status.QUEUED, self.Status.RUNNING}


class TrainingJob(Job):
    snapshot = models.ForeignKey("annotation.DatasetSnapshot", on_delete=models.PROTECT, related_name="+")
    base_model = models.CharField(max_length=500)
    loss = models.FloatField(null=True, blank=True)
    learning_rate = models.FloatField(null=True, blank=True)
    tokens_per_second = models.FloatField(null=True, blank=True)
    loss_history = models.JSONField(default=list, blank=True)  # [[step, loss], ...]
    output_dir = models.CharField(max_length=500, blank=True)

    def __str__(self) -> str:
        return f"training job {self.pk} ({self.status})"


class ModelVersion(models.Model):
    name = models.CharField(max_length=200)
    base_model = models.CharField(max_length=500)
    adapter_dir = models.CharField(max_length=500)
    line_separator = models.CharField(max_length=20, default="\n")
    snapshot = models.ForeignKey(
        "annotation.DatasetSnapshot", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
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


class GenerationJob(Job):
    model_version = models.ForeignKey(ModelVersion, on_delete=models.CASCADE, related_name="generation_jobs")
    question_set = models.ForeignKey("annotation.QuestionSet", on_delete=models.CASCADE, related_name="+")
    only_unanswered = models.BooleanField(default=False)
    candidates_per_question = models.PositiveIntegerField(default=2)
    sampling = models.JSONField(default=dict, blank=True)  # SamplingSettings.to_dict()
    candidates_created = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"generation job {self.pk} ({self.status})"
