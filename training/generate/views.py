"""Generation pages: the job list of both stages, launch, the live generation job page.

Reviewers watch (tracebacks are for staff); staff launch, cancel and resume. No ML imports here.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from marisa_site.roles import is_staff, reviewer_required, staff_page
from training.generate.forms import GenerationLaunchForm
from training.generate.models import GenerationJob
from training.generate.run import launch_generation_job
from training.jobs.models import Job
from training.jobs.views import control_view
from training.train.models import ModelVersion, TrainingJob


@reviewer_required
def job_list(request: HttpRequest) -> HttpResponse:
    """Training and generation jobs on one page (here, in the upper of the two stages)."""
    context = {
        "training_jobs": TrainingJob.objects.select_related("snapshot", "created_by")[:50],
        "generation_jobs": GenerationJob.objects.select_related("model_version", "question_set")[:50],
        "active_version": ModelVersion.active(),
        "live": TrainingJob.objects.filter(status__in=[Job.Status.QUEUED, Job.Status.RUNNING]).exists()
        or GenerationJob.objects.filter(status__in=[Job.Status.QUEUED, Job.Status.RUNNING]).exists(),
    }
    return render(request, "training/job_list.html", context)


@staff_page(_("Launching a generation job"))
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
            messages.success(request, gettext("Generation job %(pk)s queued.") % {"pk": job.pk})
            return redirect("training:generation", pk=job.pk)
    else:
        initial = {"model_version": request.GET["version"]} if request.GET.get("version") else {}
        form = GenerationLaunchForm(initial=initial)
    return render(request, "training/generation_launch.html", {"form": form})


def _generation_context(request: HttpRequest, job: GenerationJob) -> dict[str, Any]:
    return {
        "job": job,
        "can_resume": job.resumable and job.status in (Job.Status.FAILED, Job.Status.CANCELLED),
        "show_traceback": is_staff(request.user),
    }


@reviewer_required
def generation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_object_or_404(GenerationJob.objects.select_related("model_version", "question_set"), pk=pk)
    context = _generation_context(request, job)
    context["samples"] = job.candidates.select_related("question").order_by("id")[:20]
    return render(request, "training/generation_detail.html", context)


@reviewer_required
def generation_progress(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_object_or_404(GenerationJob, pk=pk)
    return render(request, "training/_generation_progress.html", _generation_context(request, job))


generation_cancel = control_view(GenerationJob, "cancel", "training:generation")


generation_resume = control_view(GenerationJob, "resume", "training:generation")
