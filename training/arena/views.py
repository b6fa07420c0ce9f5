"""The arena's pages: the blind voting page (reviewers), the ratings page, and the staff fill action.

The voting page shows no ratings and no version names, so nothing on it leans a reviewer one way.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from annotation.corpus.models import Character
from annotation.review.arena_models import ArenaMatch
from marisa_site.roles import reviewer_required, staff_page
from training.arena.forms import ArenaFillForm
from training.arena.queueing import NotQueued, queue_fill
from training.arena.summary import arena_summary


@reviewer_required
def arena(request: HttpRequest) -> HttpResponse:
    """The voting page; arena.js drives it through /api/arena/ with this session."""
    context = {"lease_seconds": settings.MARISA_REVIEW_LEASE_SECONDS, "character": Character.default()}
    return render(request, "training/arena.html", context)


def _open_by_pair() -> list[dict[str, Any]]:
    """Matches per pair of versions: how many wait for a vote, how many are voted."""
    rows = (
        ArenaMatch.objects.values("version_a__name", "version_b__name", "version_a_id", "version_b_id")
        .annotate(
            open=Count("id", filter=Q(status=ArenaMatch.Status.OPEN)),
            voted=Count("id", filter=Q(status=ArenaMatch.Status.VOTED)),
        )
        .order_by("version_a_id", "version_b_id")
    )
    merged: dict[tuple[int, int], dict[str, Any]] = {}
    for row in rows:
        ids = sorted(
            [(row["version_a_id"], row["version_a__name"]), (row["version_b_id"], row["version_b__name"])]
        )
        key = (ids[0][0], ids[1][0])
        entry = merged.setdefault(
            key, {"pair": f"{ids[0][1]} (#{key[0]}) – {ids[1][1]} (#{key[1]})", "open": 0, "voted": 0}
        )
        entry["open"] += row["open"]
        entry["voted"] += row["voted"]
    return list(merged.values())


def _ratings_context(form: ArenaFillForm | None = None) -> dict[str, Any]:
    return {"summary": arena_summary(), "matches": _open_by_pair(), "form": form or ArenaFillForm()}


@reviewer_required
def ratings(request: HttpRequest) -> HttpResponse:
    return render(request, "training/arena_ratings.html", _ratings_context())


@staff_page(_("Filling the arena"))
@require_POST
def fill(request: HttpRequest) -> HttpResponse:
    form = ArenaFillForm(request.POST)
    if not form.is_valid():
        return render(request, "training/arena_ratings.html", _ratings_context(form), status=400)
    data = form.cleaned_data
    try:
        queue_fill(
            data["version_a"], data["version_b"], data["question_set"].pk, data["questions"], data["seed"]
        )
    except NotQueued as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            gettext(
                "Queued on the gpu queue: %(a)s and %(b)s answer %(n)s question(s) of %(set)s; "
                "the matches appear here when the worker is done."
            )
            % {
                "a": data["version_a"],
                "b": data["version_b"],
                "n": data["questions"] or gettext("every"),
                "set": data["question_set"],
            },
        )
    return redirect("arena:ratings")
