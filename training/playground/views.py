"""The playground: chat in the browser with any model version, or two side by side on the same input.

Reviewers only (it spends worker time). The reply is generated on a worker (queue default, like LINE
replies); the page polls each turn until it is answered. No ML imports here.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable

from celery import current_app
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from marisa_site.roles import reviewer_required
from training.playground.forms import PlaygroundForm
from training.playground.models import PlaygroundTurn
from training.train.models import ModelVersion

TASK = "training.playground.tasks.answer_playground_turn"
log = logging.getLogger(__name__)


def queue_turn(turn: PlaygroundTurn) -> None:
    """Send the turn to a worker once committed; a dead broker fails the turn with the reason, at once."""
    from marisa_site.broker import broker_reachable

    def publish() -> None:
        try:
            if not broker_reachable(timeout=1.0):
                raise ConnectionError("no answer from the broker (Redis)")
            current_app.send_task(TASK, args=[turn.pk], retry=False)
        except Exception as exc:
            log.warning("could not queue playground turn %s: %s", turn.pk, exc)
            PlaygroundTurn.objects.filter(pk=turn.pk).update(
                status=PlaygroundTurn.Status.FAILED, error=f"not sent: {exc}"[:500]
            )

    transaction.on_commit(publish)


def _initial(request: HttpRequest) -> dict[str, object]:
    active = ModelVersion.active()
    return {
        "conversation": request.GET.get("conversation") or uuid.uuid4(),
        "version_a": request.GET.get("a") or (str(active.pk) if active else "base"),
        "version_b": request.GET.get("b") or "",
    }


@reviewer_required
def playground(request: HttpRequest) -> HttpResponse:
    form = PlaygroundForm(initial=_initial(request))
    conversation = form.initial["conversation"]
    turns = PlaygroundTurn.objects.filter(conversation=_uuid(conversation), user=request.user)
    return render(
        request,
        "training/playground.html",
        {"form": form, "exchanges": exchanges(turns.select_related("version"))},
    )


def exchanges(turns: Iterable[PlaygroundTurn]) -> list[list[PlaygroundTurn]]:
    """Turns grouped by message: side "a" opens an exchange, side "b" answers the same message beside it."""
    grouped: list[list[PlaygroundTurn]] = []
    for turn in turns:
        if turn.side == "a" or not grouped:
            grouped.append([turn])
        else:
            grouped[-1].append(turn)
    return grouped


@reviewer_required
@require_POST
def send(request: HttpRequest) -> HttpResponse:
    form = PlaygroundForm(request.POST)
    if not form.is_valid():
        if not request.htmx:
            return render(request, "training/playground.html", {"form": form, "exchanges": []}, status=400)
        return render(request, "training/_playground_errors.html", {"form": form}, status=400)
    turns = [
        PlaygroundTurn.objects.create(
            conversation=form.cleaned_data["conversation"],
            side=side,
            user=request.user,
            version=version,
            message=form.cleaned_data["message"],
            sampling=form.sampling(),
        )
        for side, version in form.versions()
    ]
    for turn in turns:
        queue_turn(turn)
    if not request.htmx:  # a browser without scripts gets the whole page back
        return redirect(f"{reverse('training:playground')}?conversation={turns[0].conversation}")
    return render(request, "training/_playground_exchange.html", {"turns": turns})


@reviewer_required
def turn(request: HttpRequest, pk: int) -> HttpResponse:
    found = get_object_or_404(PlaygroundTurn.objects.select_related("version"), pk=pk, user=request.user)
    return render(request, "training/_playground_turn.html", {"turn": found})


def _uuid(value: object) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None
