"""Snapshot pages: the list, one snapshot with what changed since the previous one (the export permission or
staff: they show the corrections), and "create" (staff)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from annotation.datasets.exports import FORMATS
from annotation.datasets.models import DatasetSnapshot
from annotation.datasets.snapshots import create_snapshot
from marisa_site.roles import export_required, staff_page

CHANGE_ROWS = [
    ("added_corpus", _("Conversations added")),
    ("removed_corpus", _("Conversations removed")),
    ("changed_corpus", _("Conversations changed")),
    ("added_correction", _("Corrections added")),
    ("removed_correction", _("Corrections removed")),
    ("changed_correction", _("Corrections changed")),
]


@export_required
def snapshot_list(request: HttpRequest) -> HttpResponse:
    snapshots = DatasetSnapshot.objects.select_related("created_by", "character").order_by(
        "-created_at", "-id"
    )[:200]
    rows = [{"snap": snap, "diff": (snap.stats or {}).get("diff") or {}} for snap in snapshots]
    return render(request, "annotation/snapshot_list.html", {"rows": rows})


@export_required
def snapshot_detail(request: HttpRequest, pk: int) -> HttpResponse:
    snap = get_object_or_404(
        DatasetSnapshot.objects.select_related("created_by", "character", "parent"), pk=pk
    )
    stats = snap.stats or {}
    diff = stats.get("diff") or {}
    changes = [
        {
            "key": key,
            "label": label,
            "count": diff.get("counts", {}).get(key, 0),
            "samples": diff.get("samples", {}).get(key, []),
        }
        for key, label in CHANGE_ROWS
    ]
    context = {
        "snap": snap,
        "diff": diff,
        "changes": changes,
        "speakers": list((stats.get("speakers") or {}).items())[:30],
        "character_names": set((stats.get("character") or {}).get("names") or snap.character.names()),
        "formats": FORMATS,
        # The versions trained on it, through the reverse relation: this stage sits below training.
        "versions": snap.model_versions.order_by("-created_at"),
    }
    return render(request, "annotation/snapshot_detail.html", context)


@staff_page(_("Creating a snapshot"))
@require_POST
def snapshot_create(request: HttpRequest) -> HttpResponse:
    newest_before = DatasetSnapshot.objects.order_by("-id").values_list("id", flat=True).first() or 0
    snap = create_snapshot(user=request.user)
    if snap.pk <= newest_before:
        messages.info(
            request, gettext("Nothing changed: the data is the same as snapshot #%(pk)s.") % {"pk": snap.pk}
        )
    else:
        messages.success(
            request,
            gettext("Snapshot #%(pk)s created (%(n)s conversations).")
            % {"pk": snap.pk, "n": snap.conversation_count},
        )
    return redirect("annotation:snapshot", pk=snap.pk)
