"""The review loop: question sets, questions, candidates, the review log, and the skips of the queues."""

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from annotation.corpus.models import Line


class QuestionSet(models.Model):
    name = models.CharField(max_length=200, unique=True)
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


class Question(models.Model):
    question_set = models.ForeignKey(QuestionSet, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveIntegerField(default=0)
    text = models.TextField()
    # Earlier turns shown to the model and the reviewer: [{"speaker": ..., "text": ...}, ...]
    context = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["question_set", "position", "id"]

    def __str__(self) -> str:
        return self.text[:60]


class Candidate(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("undecided")
        ACCEPTED = "accepted", _("accepted as is")
        EDITED = "edited", _("accepted with edits")
        REJECTED = "rejected", _("rejected")

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="candidates")
    model_version = models.ForeignKey(
        "training.ModelVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="candidates"
    )
    generation_job = models.ForeignKey(
        "training.GenerationJob", null=True, blank=True, on_delete=models.SET_NULL, related_name="candidates"
    )
    model_name = models.CharField(max_length=200, blank=True)  # for candidates imported from elsewhere
    text = models.TextField()  # the model's reply, never changed
    sampling = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    final_text = models.TextField(blank=True)  # the accepted (possibly corrected) reply
    reject_reason = models.TextField(blank=True)
    version = models.PositiveIntegerField(default=0)  # bumped by every submit: stale submits get 409
    lease_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    skipped_by = models.JSONField(default=list, blank=True)  # user ids that skipped: not offered again
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(fields=["status", "lease_expires_at", "id"], name="candidate_queue"),
            # The claim scans undecided candidates in id order: a partial index keeps that scan
            # short however many candidates are already decided.
            models.Index(fields=["id"], condition=models.Q(status="pending"), name="candidate_pending"),
        ]

    def __str__(self) -> str:
        return self.text[:60]


class ReviewAction(models.Model):
    class Action(models.TextChoices):
        ACCEPT = "accept", "accept"
        EDIT = "edit", "accept with edits"
        REJECT = "reject", "reject"
        SKIP = "skip", "skip"
        UNDO = "undo", "undo"

    candidate = models.ForeignKey(Candidate, on_delete=models.CASCADE, related_name="actions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    action = models.CharField(max_length=10, choices=Action.choices)
    status_before = models.CharField(max_length=10)
    status_after = models.CharField(max_length=10)
    text_before = models.TextField(blank=True)
    text_after = models.TextField(blank=True)
    reason = models.TextField(blank=True)
    version = models.PositiveIntegerField()  # the candidate version this action was made on
    undone = models.BooleanField(default=False)  # set when an undo reverted this action
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "created_at"], name="review_action_user")]


class CandidateSkip(models.Model):
    """A reviewer skipped this candidate: the queue does not offer it to them again."""

    candidate = models.ForeignKey(Candidate, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["candidate", "user"], name="candidate_skip_once")]


class LineSkip(models.Model):
    """A reviewer skipped attributing this line: not offered to them again."""

    line = models.ForeignKey(Line, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["line", "user"], name="line_skip_once")]


def context_turns(context: Any) -> list[dict[str, str]]:
    """A question's (or an arena match's) earlier turns as {speaker, text}; anything else in the JSON is left out."""
    if not isinstance(context, list):
        return []
    return [
        {"speaker": str(t.get("speaker") or ""), "text": str(t.get("text") or "")}
        for t in context
        if isinstance(t, dict) and t.get("text")
    ]
