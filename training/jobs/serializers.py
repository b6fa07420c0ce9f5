"""The fields every job serializer shows, whatever the job's kind."""

from __future__ import annotations

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
    "resumable",
    "attempts",
    "created_by",
    "created_at",
    "started_at",
    "finished_at",
]
