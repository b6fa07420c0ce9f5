"""One exchange in the playground: a reviewer's message and one version's reply to it.

A conversation is the turns that share `conversation`; side "a" and side "b" are two versions answering the
same messages, each with its own history, so a reviewer can compare them on the same input.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class PlaygroundTurn(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued"
        DONE = "done"
        FAILED = "failed"

    conversation = models.UUIDField(default=uuid.uuid4, db_index=True)
    side = models.CharField(max_length=1, default="a")  # "a" or "b"
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    # No version = the base model without an adapter, the baseline every version is compared with.
    version = models.ForeignKey("training.ModelVersion", null=True, blank=True, on_delete=models.SET_NULL)
    message = models.TextField()
    reply = models.TextField(blank=True)
    sampling = models.JSONField(default=dict)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    error = models.CharField(max_length=500, blank=True)
    seconds = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"playground turn {self.pk} ({self.status})"

    @property
    def model_name(self) -> str:
        return self.version.name if self.version_id and self.version else "base model (no adapter)"
