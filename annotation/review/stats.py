"""Figures for the dashboard and the rounds page: counts per status, per reviewer, per round."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count
from django.utils.translation import gettext

from annotation.review.models import Candidate, ReviewAction

ACCEPTED = ("accepted", "edited")


@dataclass
class Tally:
    label: str
    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def decided(self) -> int:
        return self.counts["accepted"] + self.counts["edited"] + self.counts["rejected"]

    @property
    def remaining(self) -> int:
        return self.counts["pending"]

    @property
    def acceptance(self) -> float | None:
        """Share of decided items accepted (as is or with edits); None before any decision."""
        return (self.counts["accepted"] + self.counts["edited"]) / self.decided if self.decided else None

    @property
    def acceptance_pct(self) -> str:
        return "—" if self.acceptance is None else f"{100 * self.acceptance:.0f}%"


def status_counts() -> Tally:
    tally = Tally("all")
    for row in Candidate.objects.values("status").annotate(n=Count("id")):
        tally.counts[row["status"]] = row["n"]
    return tally


def reviewer_tallies() -> list[Tally]:
    """Per reviewer: accept / edit / reject / skip counts, undone actions left out."""
    by_user: dict[str, Tally] = {}
    rows = (
        ReviewAction.objects.filter(undone=False)
        .exclude(action=ReviewAction.Action.UNDO)
        .values("user__username", "action")
        .annotate(n=Count("id"))
    )
    to_status = {"accept": "accepted", "edit": "edited", "reject": "rejected", "skip": "skipped"}
    for row in rows:
        name = row["user__username"] or "(deleted user)"
        by_user.setdefault(name, Tally(name)).counts[to_status[row["action"]]] += row["n"]
    return sorted(by_user.values(), key=lambda t: (-t.decided, t.label))


def round_key(generation_job_id: int | None, model_version_id: int | None, model_name: str) -> tuple:
    if generation_job_id:
        return ("job", generation_job_id)
    if model_version_id:
        return ("model", model_version_id)
    return ("imported", model_name or "unknown")


def round_tallies() -> dict[tuple, Tally]:
    """A round = one generation job (a model version); imported candidates form a round per model.

    Grouped on the candidate table's own columns (no join), so it stays one scan at a million rows.
    """

    # The job and version rows are reached through the candidate's foreign keys: review sits below them.
    job_model = Candidate._meta.get_field("generation_job").related_model
    version_model = Candidate._meta.get_field("model_version").related_model
    rounds: dict[tuple, Tally] = {}
    rows = Candidate.objects.values("generation_job_id", "model_version_id", "model_name", "status").annotate(
        n=Count("id")
    )
    for row in rows:
        key = round_key(row["generation_job_id"], row["model_version_id"], row["model_name"])
        rounds.setdefault(key, Tally("")).counts[row["status"]] += row["n"]
    jobs = job_model.objects.select_related("model_version").in_bulk([k[1] for k in rounds if k[0] == "job"])
    models = version_model.objects.in_bulk([k[1] for k in rounds if k[0] == "model"])
    for key, tally in rounds.items():
        if key[0] == "job":
            job = jobs.get(key[1])
            version = job.model_version.name if job else gettext("deleted")
            tally.label = gettext("generation job %(pk)s (%(version)s)") % {"pk": key[1], "version": version}
        elif key[0] == "model":
            name = models[key[1]].name if key[1] in models else key[1]
            tally.label = gettext("model %(name)s") % {"name": name}
        else:
            tally.label = gettext("imported from %(model)s") % {"model": key[1]}
    return rounds
