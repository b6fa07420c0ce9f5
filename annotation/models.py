"""Corpus (characters, sources, conversations, lines), question sets, candidates and reviews, snapshots."""

from django.conf import settings
from django.db import models

from training.textformat import CharacterSpec


class Character(models.Model):
    name = models.CharField(max_length=100, unique=True)
    # The name written in training text, e.g. 魔理沙 in `魔理沙: よう`.
    prompt_name = models.CharField(max_length=50)
    aliases = models.JSONField(default=list, blank=True)
    guidelines = models.TextField(blank=True)
    style_markers = models.JSONField(default=list, blank=True)
    is_default = models.BooleanField(default=False)

    def __str__(self) -> str:
        return self.name

    def names(self) -> set[str]:
        """Every spelling that denotes this character in imported text."""
        return {self.name, self.prompt_name, *self.aliases}

    def spec(self) -> CharacterSpec:
        """The character as the ML core sees her (training text, prompts, labels)."""
        return CharacterSpec(
            prompt_name=self.prompt_name, aliases=frozenset(self.names()), user_name=settings.MARISA_USER_NAME
        )

    @classmethod
    def default(cls) -> "Character":
        found = cls.objects.filter(is_default=True).first()
        if found:
            return found
        return cls.objects.get_or_create(
            name="霧雨魔理沙",
            defaults={
                "prompt_name": "魔理沙",
                "aliases": ["魔理沙", "まりさ", "霧雨魔理沙"],
                "is_default": True,
                "guidelines": DEFAULT_GUIDELINES,
                "style_markers": DEFAULT_STYLE_MARKERS,
            },
        )[0]


DEFAULT_GUIDELINES = (
    "普通の魔法使い、霧雨魔理沙として答える。一人称は「私」、語尾は「〜だぜ」「〜だろ」「〜のか？」。"
    "明るく自信家で少し強がり。丁寧語（です・ます）は使わない。長すぎない、会話の一言として自然な返事にする。"
)
DEFAULT_STYLE_MARKERS = ["だぜ", "だろ", "のか", "じゃないか", "ぜ", "なんだ"]


class Source(models.Model):
    class Kind(models.TextChoices):
        SCRIPT = "script", "script / SS"
        AOZORA = "aozora", "Aozora Bunko novel"
        JSONL = "jsonl", "JSONL"
        CSV = "csv", "CSV"

    title = models.CharField(max_length=300)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    original_name = models.CharField(max_length=300, blank=True)
    encoding = models.CharField(max_length=30)
    sha256 = models.CharField(max_length=64, unique=True)
    size_bytes = models.BigIntegerField(default=0)
    conversation_count = models.PositiveIntegerField(default=0)
    line_count = models.PositiveIntegerField(default=0)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    imported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-imported_at"]

    def __str__(self) -> str:
        return self.title


class Conversation(models.Model):
    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="conversations")
    position = models.PositiveIntegerField()
    title = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["source", "position"]
        constraints = [models.UniqueConstraint(fields=["source", "position"], name="conversation_position")]

    def __str__(self) -> str:
        return self.title or f"{self.source.title} #{self.position + 1}"


class Line(models.Model):
    class SpeakerBy(models.TextChoices):
        PREFIX = "prefix", "named in the text"
        NARRATION = "narration", "guessed from narration"
        UNKNOWN = "unknown", "unknown"
        REVIEWER = "reviewer", "assigned by a reviewer"

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField()
    speaker = models.CharField(max_length=100, blank=True, db_index=True)  # "" = unknown
    text = models.TextField()
    speaker_by = models.CharField(max_length=10, choices=SpeakerBy.choices, default=SpeakerBy.PREFIX)
    # Narration around a quote, kept so a reviewer can attribute an unknown speaker.
    context = models.TextField(blank=True)
    # Lease for the attribution queue (lines with an unknown speaker), as for candidates.
    lease_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    lease_expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["conversation", "position"]
        constraints = [models.UniqueConstraint(fields=["conversation", "position"], name="line_position")]
        # The attribution queue scans only unknown-speaker lines in id order.
        indexes = [models.Index(fields=["id"], condition=models.Q(speaker=""), name="line_unknown_speaker")]

    def __str__(self) -> str:
        return f"{self.speaker or '？'}: {self.text[:40]}"


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
        PENDING = "pending", "undecided"
        ACCEPTED = "accepted", "accepted as is"
        EDITED = "edited", "accepted with edits"
        REJECTED = "rejected", "rejected"

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


class DatasetSnapshot(models.Model):
    """An immutable, content-hashed data set: imported conversations + accepted corrections.

    The content lives in a JSONL file under MARISA_DATA_DIR/snapshots/<sha256>.jsonl,
    one conversation per line: {"source": ..., "conversation": ..., "lines": [{"speaker", "text"}]}.
    """

    sha256 = models.CharField(max_length=64)
    path = models.CharField(max_length=500)
    character = models.ForeignKey(Character, on_delete=models.PROTECT)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL)
    conversation_count = models.PositiveIntegerField(default=0)
    line_count = models.PositiveIntegerField(default=0)
    target_line_count = models.PositiveIntegerField(default=0)
    correction_count = models.PositiveIntegerField(default=0)
    stats = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        # Downloads of the data set (API exports) need this permission or staff.
        permissions = [("export_dataset", "Can export data sets")]

    def __str__(self) -> str:
        return f"snapshot {self.pk} ({self.sha256[:12]})"
