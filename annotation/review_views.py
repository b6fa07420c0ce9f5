"""Pages of the review loop: the review queue, the dashboard, attribution, the round view."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Max, Min
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from . import attribution, queue
from .models import Candidate, Character, DatasetSnapshot, Line
from .review_stats import (
    job_url,
    reviewer_tallies,
    round_tallies,
    snapshot_url,
    status_counts,
)


def reviewer_required(view):
    """403 (not a login loop) for signed-in users outside the Reviewers group."""

    @wraps(view)
    def check(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not queue.is_reviewer(request.user):
            raise PermissionDenied("only reviewers (the Reviewers group) can do this")
        return view(request, *args, **kwargs)

    return check


@login_required
@reviewer_required
def review(request: HttpRequest) -> HttpResponse:
    """The queue page; review.js drives it through /api/review/ with this session."""
    from django.conf import settings

    context = {
        "lease_seconds": settings.MARISA_REVIEW_LEASE_SECONDS,
        "character": Character.default(),
    }
    return render(request, "annotation/review.html", context)


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    rounds = sorted(round_tallies().values(), key=lambda t: t.label)
    context = {"all": status_counts(), "reviewers": reviewer_tallies(), "rounds": rounds}
    return render(request, "annotation/review_dashboard.html", context)


def _next_after(when) -> tuple[DatasetSnapshot | None, object | None, object | None]:
    """The first snapshot taken after `when`, the training job that used it, and its model."""
    from training.models import ModelVersion, TrainingJob

    if when is None:
        return None, None, None
    snapshot = DatasetSnapshot.objects.filter(created_at__gte=when).order_by("created_at").first()
    if snapshot is None:
        return None, None, None
    job = TrainingJob.objects.filter(snapshot=snapshot).order_by("created_at").first()
    model = ModelVersion.objects.filter(training_job=job).first() if job else None
    return snapshot, job, model


def _model_round(mv, tallies: dict) -> dict:
    jobs = []
    for gj in mv.generation_jobs.order_by("created_at"):
        tally = tallies.get(("job", gj.pk))
        jobs.append({"job": gj, "url": job_url("generation", gj.pk), "tally": tally})
    direct = tallies.get(("model", mv.pk))
    started = min((j["job"].created_at for j in jobs), default=None)
    snapshot, next_job, next_model = _next_after(started)
    decided = sum(j["tally"].decided for j in jobs if j["tally"]) + (direct.decided if direct else 0)
    accepted = sum(
        j["tally"].counts["accepted"] + j["tally"].counts["edited"] for j in jobs if j["tally"]
    ) + ((direct.counts["accepted"] + direct.counts["edited"]) if direct else 0)
    return {
        "model": mv,
        "trained_on": mv.snapshot,
        "trained_on_url": snapshot_url(mv.snapshot),
        "training_job_url": job_url("training", mv.training_job_id) if mv.training_job_id else None,
        "jobs": jobs,
        "direct": direct,
        "decided": decided,
        "acceptance": f"{100 * accepted / decided:.0f}%" if decided else "—",
        "snapshot": snapshot,
        "snapshot_url": snapshot_url(snapshot),
        "next_job": next_job,
        "next_job_url": job_url("training", next_job.pk) if next_job else None,
        "next_model": next_model,
    }


def _imported_rounds(tallies: dict) -> list[dict]:
    rounds = []
    for key, tally in tallies.items():
        if key[0] != "imported":
            continue
        span = Candidate.objects.filter(
            generation_job__isnull=True, model_version__isnull=True, model_name=key[1]
        ).aggregate(first=Min("created_at"), last=Max("created_at"))
        snapshot, next_job, next_model = _next_after(span["last"])
        rounds.append(
            {
                "tally": tally,
                "snapshot": snapshot,
                "snapshot_url": snapshot_url(snapshot),
                "next_job": next_job,
                "next_job_url": job_url("training", next_job.pk) if next_job else None,
                "next_model": next_model,
            }
        )
    return rounds


@login_required
def rounds(request: HttpRequest) -> HttpResponse:
    """Model version -> generation job -> reviews -> snapshot -> next training job, per round."""
    from training.models import ModelVersion

    tallies = round_tallies()
    models = ModelVersion.objects.select_related("snapshot", "training_job").order_by("created_at")
    context = {
        "rounds": [_model_round(mv, tallies) for mv in models],
        "imported": _imported_rounds(tallies),
    }
    return render(request, "annotation/review_rounds.html", context)


@login_required
@reviewer_required
def attribution_page(request: HttpRequest) -> HttpResponse:
    """Claim (or keep) one unknown-speaker line and show it in its scene."""
    line = attribution.claim_line(request.user)
    if line is None:
        return render(request, "annotation/review_attribution.html", {"line": None})
    line = Line.objects.select_related("conversation__source").get(pk=line.pk)
    speakers = attribution.speakers_for(line)
    context = {
        "line": line,
        "scene": attribution.neighbours(line),
        "speakers": speakers,
        "hint": attribution.guess_from_context(line, speakers),
        "remaining": attribution.unknown_count(),
    }
    return render(request, "annotation/review_attribution.html", context)


@login_required
@reviewer_required
@require_POST
def attribution_assign(request: HttpRequest, pk: int) -> HttpResponse:
    if "skip" in request.POST:
        attribution.skip_line(pk, request.user)
        return redirect("annotation:attribution")
    speaker = request.POST.get("new_name", "").strip() or request.POST.get("speaker", "")
    try:
        line = attribution.assign(pk, request.user, speaker)
    except queue.Conflict as exc:
        messages.error(request, str(exc))
    except ValueError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"「{line.text[:30]}」 → {line.speaker}")
    return redirect("annotation:attribution")
