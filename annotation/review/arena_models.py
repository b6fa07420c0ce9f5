"""The blind A/B arena's data: one match = one question answered by two model versions, judged once.

It lives in the review stage (below training) because the DPO export reads the votes; the versions are
named by the foreign key string "training.ModelVersion", so nothing here imports the training stages.
Which version is A (shown left) is drawn at random when the match is made; the page never says which.
"""

from django.conf import settings
from django.db import models

from annotation.corpus.models import Character
from annotation.review.models import Question


class ArenaMatch(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "waiting for a vote"
        VOTED = "voted", "voted"

    class Outcome(models.TextChoices):
        A = "a", "A is better"
        B = "b", "B is better"
        TIE = "tie", "tie"
        BOTH_BAD = "both_bad", "both bad"

    character = models.ForeignKey(Character, on_delete=models.CASCADE, related_name="+")
    # The question as asked, kept on the match: evaluation questions need not be rows of a question set.
    question_text = models.TextField()
    context = models.JSONField(default=list, blank=True)  # [{"speaker", "text"}, ...] before the question
    source = models.CharField(max_length=200, blank=True)  # where the question came from (a set's name)
    question = models.ForeignKey(
        Question, null=True, blank=True, on_delete=models.SET_NULL, related_name="arena_matches"
    )
    version_a = models.ForeignKey("training.ModelVersion", on_delete=models.CASCADE, related_name="+")
    version_b = models.ForeignKey("training.ModelVersion", on_delete=models.CASCADE, related_name="+")
    reply_a = models.TextField()
    reply_b = models.TextField()
    sampling = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, blank=True)
    note = models.TextField(blank=True)  # the reviewer's optional reason
    voted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    voted_at = models.DateTimeField(null=True, blank=True)
    lease_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            # The claim walks open matches in id order: a partial index keeps that short however many are voted.
            models.Index(fields=["id"], condition=models.Q(status="open"), name="arena_open"),
            models.Index(fields=["character", "status"], name="arena_character_status"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(version_a=models.F("version_b")), name="arena_two_versions"
            )
        ]

    def __str__(self) -> str:
        return f"arena match {self.pk} ({self.get_status_display()})"
