"""What a reviewer sees of a candidate, as one JSON-ready dict (shared by the API and the page)."""

from __future__ import annotations

from django.utils import timezone

from annotation.corpus.models import Character
from annotation.review.models import Candidate, ReviewAction
from marisa_site.formats import time_label


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def model_label(cand: Candidate) -> str:
    if cand.model_version_id:
        return cand.model_version.name
    return cand.model_name or "unknown model"


def history(cand: Candidate) -> list[dict]:
    actions = ReviewAction.objects.filter(candidate=cand).select_related("user").order_by("created_at", "id")
    return [
        {
            "action": a.action,
            "user": a.user.username if a.user else "",
            "at": _iso(a.created_at),
            "at_label": time_label(a.created_at),  # in TIME_ZONE, labelled: what the page shows
            "status_before": a.status_before,
            "status_after": a.status_after,
            "text_before": a.text_before,
            "text_after": a.text_after,
            "reason": a.reason,
            "undone": a.undone,
        }
        for a in actions
    ]


def siblings(cand: Candidate) -> list[dict]:
    """All candidates of the same question (the one under review included), for comparison."""
    rows = (
        Candidate.objects.filter(question_id=cand.question_id)
        .select_related("model_version")
        .order_by("id")[:20]
    )
    return [
        {
            "id": c.id,
            "text": c.text,
            "status": c.status,
            "final_text": c.final_text,
            "model": model_label(c),
            "current": c.id == cand.id,
        }
        for c in rows
    ]


def candidate_payload(cand: Candidate, draft: str | None = None) -> dict:
    """The item as the review page and API clients get it.

    `text` is the model's reply; `draft` what the editor starts with (after an undo, the reviewer's
    own earlier edit, so a slip of the key costs nothing).
    """
    character = Character.default()
    question = cand.question
    return {
        "id": cand.id,
        "question": question.text,
        "question_id": question.id,
        "question_set": question.question_set.name,
        "context": question.context or [],
        "text": cand.text,
        "draft": cand.text if draft is None else draft,
        "final_text": cand.final_text,
        "status": cand.status,
        "version": cand.version,
        "lease_expires_at": _iso(cand.lease_expires_at),
        "lease_seconds_left": (
            max(0, int((cand.lease_expires_at - timezone.now()).total_seconds()))
            if cand.lease_expires_at
            else 0
        ),
        "model": model_label(cand),
        "sampling": cand.sampling or {},
        "candidates": siblings(cand),
        "character": character.name,
        "prompt_name": character.prompt_name,
        "guidelines": character.guidelines,
        "style_markers": character.style_markers or [],
        "history": history(cand),
    }


def conflict_payload(message: str, cand: Candidate | None) -> dict:
    body: dict = {"detail": message, "conflict": True}
    if cand is not None:
        body.update(
            {
                "id": cand.id,
                "status": cand.status,
                "version": cand.version,
                "current_text": cand.final_text or cand.text,
                "text": cand.text,
                "decided_by": cand.decided_by.username if cand.decided_by else None,
                "history": history(cand),
            }
        )
    return body
