"""The fields every job serializer shows, whatever the job's kind; the traceback only to staff."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from marisa_site.roles import is_staff

JOB_FIELDS = [
    "id",
    "status",
    "phase",
    "params",
    "step",
    "total_steps",
    "percent",
    "eta_seconds",
    "heartbeat_at",
    "cancel_requested",
    "error",
    "traceback",
    "resumable",
    "attempts",
    "created_by",
    "created_at",
    "started_at",
    "finished_at",
]


class StaffTracebackMixin(serializers.Serializer):
    """`traceback`: the failure's Python traceback for staff, null for everyone else (it names paths, hosts and
    settings); `error` says what went wrong in words to everyone."""

    traceback = serializers.SerializerMethodField()

    @extend_schema_field(serializers.CharField(allow_null=True, help_text="staff only: null for other users"))
    def get_traceback(self, job: Any) -> str | None:
        request = self.context.get("request")
        return job.traceback if request is not None and is_staff(request.user) else None
