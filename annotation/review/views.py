"""Pages of the review loop: the review queue, the dashboard, and speaker attribution."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from annotation.corpus.models import Character, Line
from annotation.review import attribution, queue
from annotation.review.stats import reviewer_tallies, round_tallies, status_counts
from marisa_site.roles import reviewer_required


@reviewer_required
def review(request: HttpRequest) -> HttpResponse:
    """The queue page; review.js drives it through /api/review/ with this session."""
    from django.conf import settings

    context = {
        "lease_seconds": settings.MARISA_REVIEW_LEASE_SECONDS,
        "character": Character.default(),
    }
    return render(request, "annotation/review.html", context)


@reviewer_required
def dashboard(request: HttpRequest) -> HttpResponse:
    rounds = sorted(round_tallies().values(), key=lambda t: t.label)
    context = {"all": status_counts(), "reviewers": reviewer_tallies(), "rounds": rounds}
    return render(request, "annotation/review_dashboard.html", context)


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
