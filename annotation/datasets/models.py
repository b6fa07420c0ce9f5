"""Dataset snapshots: the immutable, content-hashed data sets a model version is trained on."""

from django.conf import settings
from django.db import models

from annotation.corpus.models import Character


class DatasetSnapshot(models.Model):
    """An immutable, content-hashed data set: imported conversations + accepted corrections.

    The content lives in a JSONL file under MARISA_DATA_DIR/snapshots/<sha256>.jsonl, one record
    per line: {"id", "kind", "source", "lines": [{"speaker", "text"}]} (see annotation.datasets.snapshots).
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
