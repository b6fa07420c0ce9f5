"""What the job pages of both stages share: cancel / resume with a message, and the redirect after it.

No ML imports here.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from marisa_site.roles import staff_page
from training.jobs.models import Job

CONTROL_PAGES = {"cancel": _("Cancelling a job"), "resume": _("Resuming a job")}


def control_job(request: HttpRequest, job: Job, action: str) -> None:
    if action == "cancel":
        outcome = job.request_cancel()
        text = {
            "cancelled": _("Cancelled before it started."),
            "cancelling": _("Cancelling: the job stops at its next step and keeps its last checkpoint."),
            "finished": _("The job had already finished."),
        }[outcome]
        messages.info(request, text)
    elif job.resume():
        messages.success(request, _("Resumed: the job is queued again and continues where it stopped."))
    else:
        messages.error(request, _("This job cannot be resumed."))


def back_to(request: HttpRequest, default: str, pk: int) -> HttpResponse:
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Refresh"] = "true"
        return response
    return redirect(default, pk=pk)


def control_view(model: type[Job], action: str, page: str) -> Callable[[HttpRequest, int], HttpResponse]:
    """The staff-only POST view that cancels or resumes one job of `model`, then shows its `page` again."""

    @staff_page(CONTROL_PAGES[action])
    @require_POST
    def view(request: HttpRequest, pk: int) -> HttpResponse:
        control_job(request, get_object_or_404(model, pk=pk), action)
        return back_to(request, page, pk)

    view.__name__ = f"{model.__name__.lower()}_{action}"
    return view
