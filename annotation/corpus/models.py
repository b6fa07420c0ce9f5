"""The corpus: characters, imported sources, their conversations and lines; the line separator setting."""

from django.conf import settings
from django.db import models

from training.core.textformat import CharacterSpec


class Character(models.Model):
    name = models.CharField(max_length=100, unique=True)
    # The name written in training text, e.g. 魔理沙 in `魔理沙: よう`.
    prompt_name = models.CharField(max_length=50)
    aliases = models.JSONField(default=list, blank=True)
    guidelines = models.TextField(blank=True)
    # Her markers (sentence endings she uses) and those she must never use: the evaluation counts replies
    # with each (training/core/evaluation.py), so they are edited with the guidelines.
    style_markers = models.JSONField(default=list, blank=True)
    forbidden_markers = models.JSONField(default=list, blank=True)
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
                "forbidden_markers": DEFAULT_FORBIDDEN_MARKERS,
            },
        )[0]


DEFAULT_GUIDELINES = (
    "普通の魔法使い、霧雨魔理沙として答える。一人称は「私」、語尾は「〜だぜ」「〜だろ」「〜のか？」。"
    "明るく自信家で少し強がり。丁寧語（です・ます）は使わない。長すぎない、会話の一言として自然な返事にする。"
)
DEFAULT_STYLE_MARKERS = ["だぜ", "だろ", "のか", "じゃないか", "ぜ", "なんだ"]
# 丁寧語: the guidelines say she never speaks politely.
DEFAULT_FORBIDDEN_MARKERS = ["です", "ます", "でした", "ました", "でしょう", "ございます", "ください"]


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


def line_separator(override: str | None = None) -> str:
    """The base model's line separator: an explicit override, else MARISA_LINE_SEPARATOR, else newline."""
    sep = override if override not in (None, "") else (settings.MARISA_LINE_SEPARATOR or "\n")
    return sep.replace("\\n", "\n")  # "\n" typed on a command line or in a URL means a newline
