from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from training.generate.models import GenerationJob
from training.train.models import EvalConversation, ModelVersion, TrainingJob

JOB_READONLY = (
    "status",
    "step",
    "total_steps",
    "eta_seconds",
    "heartbeat_at",
    "celery_task_id",
    "worker",
    "phase",
    "attempts",
    "error",
    "traceback",
    "resumable",
    "created_at",
    "started_at",
    "finished_at",
)


@admin.action(description="Cancel (running jobs stop at their next step)")
def cancel_jobs(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> None:
    outcomes = [job.request_cancel() for job in queryset]
    modeladmin.message_user(request, f"{len(outcomes)} job(s): " + ", ".join(sorted(set(outcomes))))


@admin.action(description="Resume (failed or cancelled, resumable)")
def resume_jobs(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> None:
    resumed = sum(job.resume() for job in queryset)
    level = messages.SUCCESS if resumed else messages.WARNING
    modeladmin.message_user(request, f"{resumed} job(s) queued again.", level)


@admin.register(TrainingJob)
class TrainingJobAdmin(admin.ModelAdmin):
    list_display = ("id", "status", "step", "total_steps", "loss", "snapshot", "base_model", "created_at")
    list_filter = ("status", "resumable")
    readonly_fields = (
        *JOB_READONLY,
        "loss",
        "learning_rate",
        "tokens_per_second",
        "loss_history",
        "output_dir",
    )
    actions = [cancel_jobs, resume_jobs]


@admin.register(GenerationJob)
class GenerationJobAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "status",
        "step",
        "total_steps",
        "model_version",
        "question_set",
        "candidates_created",
    )
    list_filter = ("status",)
    readonly_fields = (*JOB_READONLY, "candidates_created")
    actions = [cancel_jobs, resume_jobs]


@admin.action(description="Activate (the bot answers with this version)")
def activate_version(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> None:
    if queryset.count() != 1:
        modeladmin.message_user(request, "Select exactly one version to activate.", messages.ERROR)
        return
    version = queryset.get()
    version.activate()
    modeladmin.message_user(request, f"{version.name} is now active.")


@admin.register(ModelVersion)
class ModelVersionAdmin(admin.ModelAdmin):
    list_display = ("id", "name", "is_active", "base_model", "snapshot", "created_at")
    list_filter = ("is_active",)
    readonly_fields = ("is_active", "created_at")
    actions = [activate_version]


@admin.register(EvalConversation)
class EvalConversationAdmin(admin.ModelAdmin):
    """Read-only: the set is pinned, and changes only through `manage.py eval_set --grow`."""

    list_display = ("character", "source_sha256", "position", "title", "her_lines", "added_at")
    list_filter = ("character",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
