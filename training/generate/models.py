"""Generation jobs: a model version answers a question set."""

from __future__ import annotations

from typing import ClassVar

from django.db import models

from training.jobs.models import Job
from training.train.models import ModelVersion


class GenerationJob(Job):
    model_version = models.ForeignKey(ModelVersion, on_delete=models.CASCADE, related_name="generation_jobs")
    question_set = models.ForeignKey("annotation.QuestionSet", on_delete=models.CASCADE, related_name="+")
    only_unanswered = models.BooleanField(default=False)
    candidates_per_question = models.PositiveIntegerField(default=2)
    sampling = models.JSONField(default=dict, blank=True)  # SamplingSettings.to_dict()
    candidates_created = models.PositiveIntegerField(default=0)

    task_name: ClassVar[str] = "training.generate.tasks.run_generation_job"

    def __str__(self) -> str:
        return f"generation job {self.pk} ({self.status})"
