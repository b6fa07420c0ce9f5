"""The comparison page: versions side by side on the pinned evaluation set, over rounds, and answering the
same questions, the base model included. Reviewers read it; no ML imports here.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

from annotation.corpus.models import Character
from marisa_site.roles import reviewer_required
from training.arena.summary import arena_summary
from training.compare.chart import rounds_svg
from training.compare.table import comparison, rates_series, rounds_series
from training.train.eval_set import her_held_lines
from training.train.models import ModelVersion

MAX_COLUMNS = 8


def chosen_versions(request: HttpRequest) -> tuple[list[ModelVersion], str | None]:
    """?versions=3,5 picks (in that order); otherwise the latest versions, oldest first. A bad list is said."""
    raw = request.GET.get("versions", "").strip()
    everything = ModelVersion.objects.select_related("snapshot")
    if not raw:
        latest = list(everything.order_by("-pk")[:MAX_COLUMNS])
        return latest[::-1], None
    try:
        ids = [int(part) for part in raw.split(",") if part.strip()][:MAX_COLUMNS]
    except ValueError:
        return [], f"versions= takes version numbers separated by commas, not {raw[:40]!r}"
    found = {v.pk: v for v in everything.filter(pk__in=ids)}
    missing = [str(i) for i in ids if i not in found]
    note = f"no version {', '.join(missing)}" if missing else None
    return [found[i] for i in ids if i in found], note


@reviewer_required
def compare(request: HttpRequest) -> HttpResponse:
    versions, note = chosen_versions(request)
    labels, ppl = rounds_series(versions)
    character = Character.default()
    arena = arena_summary(character)
    shown = {v.pk for v in versions}
    ratings = {r["version_id"]: r for r in arena["ratings"]}
    context = {
        **comparison(versions),
        "versions": versions,
        "all_versions": ModelVersion.objects.order_by("pk").values_list("pk", "name"),
        "note": note,
        "her_lines": her_held_lines(character),
        "arena_votes": arena["votes"],
        "arena_pairs": [p["text"] for p in arena["pairs"] if {p["winner_id"], p["loser_id"]} & shown],
        "arena_ratings": [],
        "ppl_chart": mark_safe(rounds_svg(labels, ppl, gettext("her-token perplexity over rounds"))),
        "rates_chart": mark_safe(
            rounds_svg(labels, rates_series(versions), gettext("marker rates, chrF and distinct-2"))
        ),
    }
    # One cell per column of the table (the base column has no rating: the arena matches versions).
    context["arena_ratings"] = [ratings.get(c.version.pk) if c.version else None for c in context["columns"]]
    return render(request, "training/compare.html", context, status=400 if note and not versions else 200)
