"""Training jobs and the model versions they produce."""

from __future__ import annotations

import logging
import threading
from typing import Any, ClassVar

from django.db import models, transaction
from django.utils.translation import gettext_lazy as _

from training.jobs.models import Job
from training.train.checkpoints import find_checkpoint
from training.train.params import check_train_params, job_dir

log = logging.getLogger(__name__)

# What a training job does: supervised fine-tuning on her lines, or a preference stage on reviewers' decisions.
STAGE_CHOICES = [
    ("sft", _("SFT (her lines)")),
    ("dpo", _("DPO (preference pairs)")),
    ("kto", _("KTO (accepted / rejected)")),
]


class TrainingJob(Job):
    snapshot = models.ForeignKey("annotation.DatasetSnapshot", on_delete=models.PROTECT, related_name="+")
    stage = models.CharField(max_length=8, choices=STAGE_CHOICES, default="sft")
    # The version whose adapter this job continues (a fresh LoRA when empty); required by DPO and KTO.
    from_version = models.ForeignKey(
        "training.ModelVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="continued_by"
    )
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
    # Lineage: the version whose adapter this one continued, and the stage that made it.
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children"
    )
    stage = models.CharField(max_length=8, choices=STAGE_CHOICES, default="sft")
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

    def lineage(self, limit: int = 20) -> list[ModelVersion]:
        """This version, its parent, the parent's parent...: oldest last (bounded against a cycle)."""
        chain: list[ModelVersion] = [self]
        while chain[-1].parent_id and len(chain) < limit:
            parent = chain[-1].parent
            if parent is None or parent in chain:
                break
            chain.append(parent)
        return chain

    def activate(self) -> None:
        """Make this the one version the bot answers with; atomically, so there is never zero or two."""
        with transaction.atomic():
            # Lock the rows so two admins activating at once serialise instead of hitting the constraint.
            list(ModelVersion.objects.select_for_update().filter(is_active=True).values_list("pk", flat=True))
            ModelVersion.objects.filter(is_active=True).exclude(pk=self.pk).update(is_active=False)
            ModelVersion.objects.filter(pk=self.pk).update(is_active=True)
        self.is_active = True
        transaction.on_commit(self.preload_on_engine)

    def preload_on_engine(self) -> None:
        """With an inference engine (MARISA_INFERENCE_URL), have it load this adapter now, without a restart.

        On a thread of its own: loading may take the engine seconds (up to a minute when it is busy), which the
        admin's activation request need not wait for. A failure is logged, not raised: the engine also loads an
        adapter on the first request naming it.
        """
        from django.conf import settings

        if settings.MARISA_INFERENCE_URL and self.adapter_dir:
            threading.Thread(target=self._preload, args=(settings.MARISA_INFERENCE_URL,), daemon=True).start()

    def _preload(self, inference_url: str) -> None:
        from training.core.engine import preload_adapter

        try:
            preload_adapter(inference_url, self.pk, self.adapter_dir)
        except Exception as exc:
            log.warning("the inference engine did not load %s now (%s); it loads on first use", self, exc)


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


class EvalQuestion(models.Model):
    """An accepted correction held out for evaluation: a question, its context and her reply (the reference).

    Chosen when a training job first reads the correction (`harvest.holds_out_correction`), so it is never
    trained on; measured (`in_set`) only once `eval_set --grow` adds it and re-scores every version.
    """

    character = models.ForeignKey("annotation.Character", on_delete=models.CASCADE, related_name="+")
    record_id = models.CharField(max_length=64)  # the snapshot record, "cand-<candidate id>"
    question = models.TextField()
    context = models.JSONField(default=list, blank=True)  # [{"speaker", "text"}, ...] before the question
    reference = models.TextField()  # the accepted (corrected) reply
    source = models.CharField(max_length=200, blank=True)  # the question set's name
    in_set = models.BooleanField(default=False)
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["character", "record_id"], name="eval_question_once")]

    def __str__(self) -> str:
        return f"{self.record_id}: {self.question[:40]}"
