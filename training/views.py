"""Training pages: job list, launch, live job page, model versions, generation jobs.

Logged-in users watch; staff launch, cancel, resume and activate. No ML imports here.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from annotation.models import DatasetSnapshot

from . import jobs
from .forms import GenerationLaunchForm, TrainingLaunchForm
from .generation_job import launch_generation_job
from .jobs import flat_metrics, headline_metrics
from .loss_chart import loss_svg
from .models import GenerationJob, Job, ModelVersion, TrainingJob


def staff_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Logged in (else the login page) and staff (else 403: the user is known but not allowed)."""

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_staff:
            raise PermissionDenied("Only staff can launch or control jobs.")
        return view(request, *args, **kwargs)

    return wrapped


@login_required
def job_list(request: HttpRequest) -> HttpResponse:
    context = {
        "training_jobs": TrainingJob.objects.select_related("snapshot", "created_by")[:50],
        "generation_jobs": GenerationJob.objects.select_related("model_version", "question_set")[:50],
        "active_version": ModelVersion.active(),
        "live": TrainingJob.objects.filter(status__in=[Job.Status.QUEUED, Job.Status.RUNNING]).exists()
        or GenerationJob.objects.filter(status__in=[Job.Status.QUEUED, Job.Status.RUNNING]).exists(),
    }
    return render(request, "training/job_list.html", context)


@staff_required
def launch(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = TrainingLaunchForm(request.POST)
        if form.is_valid():
            job = jobs.launch_training_job(
                form.cleaned_data["snapshot"], form.cleaned_data["base_model"], form.params(), request.user
            )
            messages.success(request, f"Training job {job.pk} queued.")
            return redirect("training:job", pk=job.pk)
    else:
        initial = {"snapshot": request.GET.get("snapshot")} if request.GET.get("snapshot") else {}
        form = TrainingLaunchForm(initial=initial)
    return render(
        request,
        "training/launch.html",
        {"form": form, "has_snapshots": DatasetSnapshot.objects.exists()},
    )


@staff_required
@require_POST
def create_snapshot(request: HttpRequest) -> HttpResponse:
    from annotation.snapshots import create_snapshot as make

    snapshot = make(user=request.user)
    messages.success(
        request, f"Snapshot #{snapshot.pk} ({snapshot.conversation_count} conversations) is ready."
    )
    return redirect(f"{reverse('training:launch')}?snapshot={snapshot.pk}")


def _job_context(job: TrainingJob) -> dict[str, Any]:
    version = ModelVersion.objects.filter(training_job=job).first()
    return {
        "job": job,
        "version": version,
        "headline": headline_metrics(version.metrics) if version else [],
        "loss_svg": mark_safe(loss_svg(job.loss_history)),  # built from numbers only
        "can_resume": job.resumable and job.status in (Job.Status.FAILED, Job.Status.CANCELLED),
    }


@login_required
def job_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_object_or_404(TrainingJob.objects.select_related("snapshot", "created_by"), pk=pk)
    return render(request, "training/job_detail.html", _job_context(job))


@login_required
def job_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The live part of the job page, polled by htmx while the job runs."""
    job = get_object_or_404(TrainingJob, pk=pk)
    return render(request, "training/_job_progress.html", _job_context(job))


def _control(request: HttpRequest, job: Job, action: str) -> None:
    if action == "cancel":
        outcome = jobs.request_cancel(job)
        text = {
            "cancelled": "Cancelled before it started.",
            "cancelling": "Cancelling: the job stops at its next step and keeps its last checkpoint.",
            "finished": "The job had already finished.",
        }[outcome]
        messages.info(request, text)
    elif jobs.resume_job(job):
        messages.success(request, "Resumed: the job is queued again and continues where it stopped.")
    else:
        messages.error(request, "This job cannot be resumed.")


def _back(request: HttpRequest, default: str, pk: int) -> HttpResponse:
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Refresh"] = "true"
        return response
    return redirect(default, pk=pk)


@staff_required
@require_POST
def job_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    _control(request, get_object_or_404(TrainingJob, pk=pk), "cancel")
    return _back(request, "training:job", pk)


@staff_required
@require_POST
def job_resume(request: HttpRequest, pk: int) -> HttpResponse:
    _control(request, get_object_or_404(TrainingJob, pk=pk), "resume")
    return _back(request, "training:job", pk)


@login_required
def versions(request: HttpRequest) -> HttpResponse:
    rows = list(ModelVersion.objects.select_related("snapshot", "training_job"))
    for row in rows:
        row.headline = headline_metrics(row.metrics)
        row.flat = flat_metrics(row.metrics)
    return render(request, "training/versions.html", {"versions": rows})


@staff_required
@require_POST
def version_activate(request: HttpRequest, pk: int) -> HttpResponse:
    version = get_object_or_404(ModelVersion, pk=pk)
    version.activate()
    messages.success(request, f"{version.name} is now the active version (the bot answers with it).")
    return redirect("training:versions")


@staff_required
def generation_launch(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = GenerationLaunchForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            job = launch_generation_job(
                data["model_version"],
                data["question_set"],
                n=data["n"],
                only_unanswered=data["only_unanswered"],
                sampling=form.sampling(),
                batch_size=data["batch_size"],
                user=request.user,
            )
            messages.success(request, f"Generation job {job.pk} queued.")
            return redirect("training:generation", pk=job.pk)
    else:
        initial = {"model_version": request.GET["version"]} if request.GET.get("version") else {}
        form = GenerationLaunchForm(initial=initial)
    return render(request, "training/generation_launch.html", {"form": form})


def _generation_context(job: GenerationJob) -> dict[str, Any]:
    return {
        "job": job,
        "can_resume": job.resumable and job.status in (Job.Status.FAILED, Job.Status.CANCELLED),
    }


@login_required
def generation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_object_or_404(GenerationJob.objects.select_related("model_version", "question_set"), pk=pk)
    context = _generation_context(job)
    context["samples"] = job.candidates.select_related("question").order_by("id")[:20]
    return render(request, "training/generation_detail.html", context)


@login_required
def generation_progress(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_object_or_404(GenerationJob, pk=pk)
    return render(request, "training/_generation_progress.html", _generation_context(job))


@staff_required
@require_POST
def generation_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    _control(request, get_object_or_404(GenerationJob, pk=pk), "cancel")
    return _back(request, "training:generation", pk)


@staff_required
@require_POST
def generation_resume(request: HttpRequest, pk: int) -> HttpResponse:
    _control(request, get_object_or_404(GenerationJob, pk=pk), "resume")
    return _back(request, "training:generation", pk)
