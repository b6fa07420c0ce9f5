"""LINE users, chats, webhook events, messages, and the monthly generation quota."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class LineUser(models.Model):
    """A person on LINE (a `userId`); quota per user is counted here."""

    line_id = models.CharField(max_length=64, unique=True)
    display_name = models.CharField(max_length=100, blank=True)
    is_following = models.BooleanField(default=True)
    followed_at = models.DateTimeField(null=True, blank=True)
    unfollowed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "LINE user"

    def __str__(self) -> str:
        return self.display_name or self.line_id


class Chat(models.Model):
    """Where messages are exchanged: a one-to-one chat with a user, a group or a room.

    The conversation memory belongs to the chat; `history_reset_at` hides everything before it.
    """

    class Kind(models.TextChoices):
        USER = "user", "one-to-one"
        GROUP = "group", "group"
        ROOM = "room", "room"

    line_id = models.CharField(max_length=64, unique=True)  # userId, groupId or roomId: the push target
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.USER)
    history_reset_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.kind} {self.line_id}"


class WebhookEvent(models.Model):
    """One webhook event, stored once: a redelivery with the same id changes nothing."""

    webhook_event_id = models.CharField(max_length=64, unique=True)
    event_type = models.CharField(max_length=40)
    source_type = models.CharField(max_length=10, blank=True)
    source_id = models.CharField(max_length=64, blank=True)
    is_redelivery = models.BooleanField(default=False)
    outcome = models.CharField(max_length=40, blank=True)  # what the bot did with it
    timestamp_ms = models.BigIntegerField(default=0)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"{self.event_type} {self.webhook_event_id}"


class Message(models.Model):
    """A message in a chat: what a user sent (IN) or what the bot sent (OUT)."""

    class Direction(models.TextChoices):
        IN = "in", "from the user"
        OUT = "out", "from the bot"

    class Kind(models.TextChoices):
        TEXT = "text", "text"  # counts as conversation memory
        COMMAND = "command", "command"
        NON_TEXT = "non_text", "non-text message"
        GREETING = "greeting", "follow greeting"
        CLOSED = "closed", "closed for the month"
        APOLOGY = "apology", "apology after a failure"
        NOTICE = "notice", "command answer"
        IGNORED = "ignored", "not addressed to the bot"

    class Status(models.TextChoices):
        RECEIVED = "received", _("received")
        QUEUED = "queued", _("queued for generation")
        GENERATING = "generating", _("being answered")
        ANSWERED = "answered", _("answered")
        CLOSED = "closed", _("over the monthly limit")
        FAILED = "failed", _("generation failed")
        PENDING = "pending", _("waiting to be sent")
        SENDING = "sending", _("being sent")
        SENT = "sent", _("sent")
        SEND_FAILED = "send_failed", _("could not be sent")

    class Delivery(models.TextChoices):
        NONE = "", "-"
        REPLY = "reply", "reply token (free)"
        PUSH = "push", "push (counted by LINE)"

    chat = models.ForeignKey(Chat, on_delete=models.CASCADE, related_name="messages")
    sender = models.ForeignKey(LineUser, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    direction = models.CharField(max_length=3, choices=Direction.choices)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.TEXT)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.RECEIVED)
    text = models.TextField(blank=True)
    event = models.ForeignKey(
        WebhookEvent, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    in_reply_to = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="answers"
    )
    reply_token = models.CharField(max_length=100, blank=True)
    received_at = models.DateTimeField(null=True, blank=True)  # when LINE issued the reply token
    delivery = models.CharField(max_length=5, choices=Delivery.choices, blank=True, default="")
    retry_key = models.UUIDField(null=True, blank=True)  # X-Line-Retry-Key of the push, kept across retries
    line_message_ids = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True)
    generation_seconds = models.FloatField(null=True, blank=True)
    model_version = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)  # when a worker started generating or sending
    # Beat's requeue_stuck: when it last queued the message again, and how many times it has.
    requeued_at = models.DateTimeField(null=True, blank=True)
    requeues = models.PositiveIntegerField(default=0)

    # The statuses a message waits in; beat looks for stuck ones among them, oldest first.
    WAITING = (Status.QUEUED, Status.GENERATING, Status.PENDING, Status.SENDING)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["chat", "created_at"]),
            models.Index(
                fields=["status", "created_at"],
                name="line_message_waiting",
                condition=models.Q(status__in=["queued", "generating", "pending", "sending"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.direction} {self.kind}: {self.text[:30]}"


class MonthlyUsage(models.Model):
    """Generations used in one month (Asia/Tokyo), with that month's limits (editable in the admin)."""

    month = models.CharField(max_length=7, unique=True)  # "2026-11"
    used = models.PositiveIntegerField(default=0)
    limit = models.PositiveIntegerField(help_text="generations allowed this month, all users together")
    user_limit = models.PositiveIntegerField(
        null=True, blank=True, help_text="generations allowed per user this month (empty: no per-user limit)"
    )
    closed_replies = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-month"]
        verbose_name_plural = "monthly usage"

    def __str__(self) -> str:
        return f"{self.month}: {self.used}/{self.limit}"

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.used)


class UserMonthlyUsage(models.Model):
    month = models.CharField(max_length=7)
    line_user = models.ForeignKey(LineUser, on_delete=models.CASCADE, related_name="usage")
    used = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-month", "-used"]
        verbose_name_plural = "usage by user"
        constraints = [
            models.UniqueConstraint(fields=["month", "line_user"], name="one_usage_row_per_user_month")
        ]

    def __str__(self) -> str:
        return f"{self.line_user} {self.month}: {self.used}"
