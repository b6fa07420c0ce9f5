"""What the job pages of both stages share: cancel / resume with a message, and the redirect after it.

No ML imports here.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from training.jobs.models import Job


def control_job(request: HttpRequest, job: Job, action: str) -> None:
    if action == "cancel":
        outcome = job.request_cancel()
        text = {
            "cancelled": "Cancelled before it started.",
            "cancelling": "Cancelling: the job stops at its next step and keeps its last checkpoint.",
            "finished": "The job had already finished.",
        }[outcome]
        messages.info(request, text)
    elif job.resume():
        messages.success(request, "Resumed: the job is queued again and continues where it stopped.")
    else:
        messages.error(request, "This job cannot be resumed.")


def back_to(request: HttpRequest, default: str, pk: int) -> HttpResponse:
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Refresh"] = "true"
        return response
    return redirect(default, pk=pk)
