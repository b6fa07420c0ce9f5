"""The rounds of the loop: model version -> generation job -> reviews -> snapshot -> next training job.

This page reads every stage, so it lives above them all, beside the site's home page.
"""

from __future__ import annotations

from django.db.models import Max, Min
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from annotation.datasets.models import DatasetSnapshot
from annotation.review.models import Candidate
from annotation.review.stats import round_tallies
from marisa_site.roles import reviewer_required
from training.train.models import ModelVersion, TrainingJob


def snapshot_url(snapshot: DatasetSnapshot | None) -> str | None:
    if snapshot is None:
        return None
    return reverse("annotation:snapshot", args=[snapshot.pk])


def job_url(kind: str, pk: int) -> str:
    name = {"training": "training:job", "generation": "training:generation"}[kind]
    return reverse(name, args=[pk])


def _next_after(when) -> tuple[DatasetSnapshot | None, object | None, object | None]:
    """The first snapshot taken after `when`, the training job that used it, and its model."""

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


@reviewer_required
def rounds(request: HttpRequest) -> HttpResponse:
    """Model version -> generation job -> reviews -> snapshot -> next training job, per round."""

    tallies = round_tallies()
    models = ModelVersion.objects.select_related("snapshot", "training_job").order_by("created_at")
    context = {
        "rounds": [_model_round(mv, tallies) for mv in models],
        "imported": _imported_rounds(tallies),
    }
    return render(request, "annotation/review_rounds.html", context)
