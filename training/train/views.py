"""Training pages: launch (and a snapshot to launch from), the live job page, model versions.

Reviewers watch (tracebacks are for staff); staff launch, cancel, resume and activate. No ML imports here.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from annotation.corpus.models import Character, Source
from annotation.datasets.models import DatasetSnapshot
from marisa_site.roles import export_page, is_staff, reviewer_required, staff_page
from training.jobs.models import Job
from training.jobs.views import control_view
from training.train.eval_set import her_held_lines, is_pinned, measure_warning, uncovered_sources
from training.train.forms import TrainingLaunchForm
from training.train.harvested import eval_questions_context
from training.train.launch import default_train_params, launch_training_job
from training.train.loss_chart import loss_svg
from training.train.metrics import flat_metrics, headline_metrics
from training.train.models import EvalConversation, ModelVersion, TrainingJob


@staff_page(_("Launching a training job"))
def launch(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = TrainingLaunchForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                job = launch_training_job(
                    data["snapshot"],
                    data["base_model"],
                    form.params(),
                    request.user,
                    stage=data["stage"],
                    from_version=data["from_version"],
                )
            except ValueError as exc:  # too little preference data, another base model: said on the form
                form.add_error(None, str(exc))
            else:
                messages.success(request, gettext("Training job %(pk)s queued.") % {"pk": job.pk})
                return redirect("training:job", pk=job.pk)
    else:
        initial = {"snapshot": request.GET.get("snapshot")} if request.GET.get("snapshot") else {}
        form = TrainingLaunchForm(initial=initial)
    return render(
        request,
        "training/launch.html",
        {
            "form": form,
            "has_snapshots": DatasetSnapshot.objects.exists(),
            "stage_defaults": _stage_defaults(),
            "eval_warning": measure_warning(),
        },
    )


def _stage_defaults() -> str:
    """The preference stages' defaults in words, for the deployment's base model."""
    parts = []
    for stage in ("dpo", "kto"):
        params = default_train_params(stage, settings.MARISA_BASE_MODEL)
        figures = {"lr": f"{params['learning_rate']:g}", "epochs": f"{params['num_train_epochs']:g}"}
        parts.append(f"{stage.upper()}: " + gettext("learning rate %(lr)s, %(epochs)s epochs") % figures)
    return "; ".join(parts)


@staff_page(_("Creating a snapshot"))
@require_POST
def create_snapshot(request: HttpRequest) -> HttpResponse:
    from annotation.datasets.snapshots import create_snapshot as make

    snapshot = make(user=request.user)
    messages.success(
        request,
        gettext("Snapshot #%(pk)s (%(n)s conversations) is ready.")
        % {"pk": snapshot.pk, "n": snapshot.conversation_count},
    )
    return redirect(f"{reverse('training:launch')}?snapshot={snapshot.pk}")


def _job_context(request: HttpRequest, job: TrainingJob) -> dict[str, Any]:
    version = ModelVersion.objects.filter(training_job=job).first()
    return {
        "job": job,
        "version": version,
        "preference": ((version.metrics or {}).get("preference_eval") or {}) if version else {},
        "headline": headline_metrics(version.metrics) if version else [],
        "loss_svg": mark_safe(loss_svg(job.loss_history)),  # built from numbers only
        "can_resume": job.resumable and job.status in (Job.Status.FAILED, Job.Status.CANCELLED),
        "show_traceback": is_staff(request.user),
    }


@reviewer_required
def job_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_object_or_404(
        TrainingJob.objects.select_related("snapshot", "created_by", "from_version"), pk=pk
    )
    context = _job_context(request, job)
    context["eval_warning"] = measure_warning(job.snapshot.character)
    return render(request, "training/job_detail.html", context)


@reviewer_required
def job_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The live part of the job page, polled by htmx while the job runs."""
    job = get_object_or_404(TrainingJob, pk=pk)
    return render(request, "training/_job_progress.html", _job_context(request, job))


job_cancel = control_view(TrainingJob, "cancel", "training:job")


job_resume = control_view(TrainingJob, "resume", "training:job")


@reviewer_required
def versions(request: HttpRequest) -> HttpResponse:
    rows = list(ModelVersion.objects.select_related("snapshot", "training_job", "parent"))
    by_pk = {row.pk: row for row in rows}
    for row in rows:
        row.headline = headline_metrics(row.metrics)
        row.flat = flat_metrics(row.metrics)
        row.chain = _lineage(row, by_pk)
        row.preference = (row.metrics or {}).get("preference_eval") or {}
    return render(request, "training/versions.html", {"versions": rows})


def _lineage(version: ModelVersion, by_pk: dict[int, ModelVersion], limit: int = 20) -> list[ModelVersion]:
    """The version and the versions it continued, newest first, from rows already read (no query per step)."""
    chain = [version]
    while chain[-1].parent_id in by_pk and len(chain) < limit and by_pk[chain[-1].parent_id] not in chain:
        chain.append(by_pk[chain[-1].parent_id])
    return chain


@staff_page(_("Activating a model version"))
@require_POST
def version_activate(request: HttpRequest, pk: int) -> HttpResponse:
    version = get_object_or_404(ModelVersion, pk=pk)
    version.activate()
    messages.success(
        request,
        gettext("%(name)s is now the active version (the bot answers with it).") % {"name": version.name},
    )
    return redirect("training:versions")


@staff_page(_("Seeding a question set from the corpus"))
@require_POST
def seed_questions(request: HttpRequest) -> HttpResponse:
    """The generate page's button: questions harvested from the training conversations, into a set."""
    from annotation.review.questions import QuestionImportError
    from training.train.harvested import DEFAULT_SEED_SET
    from training.train.harvested import seed_questions as seed

    name = (request.POST.get("set_name") or DEFAULT_SEED_SET).strip()[:200]
    try:
        result = seed(set_name=name or DEFAULT_SEED_SET)
    except QuestionImportError as exc:
        messages.error(request, str(exc))
        return redirect("training:generation_launch")
    messages.success(
        request,
        gettext(
            "Question set %(name)r: %(created)s new questions harvested from the corpus "
            "(%(skipped)s already there, %(total)s in all)."
        )
        % {
            "name": result.question_set.name,
            "created": result.created,
            "skipped": result.skipped,
            "total": result.total,
        },
    )
    return redirect("training:generation_launch")


@export_page(_("Reading the evaluation set (her held-out conversations)"))
def eval_set(request: HttpRequest) -> HttpResponse:
    """The pinned held-out conversations: corpus text, so the export role reads it, like the corpus pages."""
    character = Character.default()
    rows = list(EvalConversation.objects.filter(character=character))
    titles = dict(Source.objects.values_list("sha256", "title"))
    for row in rows:
        row.source_title = titles.get(row.source_sha256, "(source no longer imported)")
    return render(
        request,
        "training/eval_set.html",
        {
            "character": character,
            "rows": rows,
            "pinned": is_pinned(character),
            "her_lines": her_held_lines(character),
            "eval_warning": measure_warning(character),
            "uncovered": uncovered_sources(character),
            **eval_questions_context(character),
        },
    )
