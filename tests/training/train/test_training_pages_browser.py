"""The job page in Debian's chromium: the progress bar and loss curve follow the row live (htmx polling)."""

from __future__ import annotations

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.factories import make_job, make_staff, password_for
from training.jobs.models import Job
from training.train.models import TrainingJob

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_job_page_follows_progress_then_stops_polling_and_cancel_works(browser, live_server) -> None:
    make_staff("staff")
    job = make_job(
        status=Job.Status.RUNNING,
        step=1,
        total_steps=10,
        loss=3.0,
        loss_history=[[1, 3.0]],
        heartbeat_at=timezone.now(),
    )
    page = browser.new_context(locale="en-US").new_page()  # English UI (ja: test_i18n_browser.py)
    page.set_default_timeout(15000)
    page.goto(f"{live_server.url}/accounts/login/?next=/training/jobs/{job.pk}/")
    page.fill("input[name=username]", "staff")
    page.fill("input[name=password]", password_for("staff"))
    page.click("button[type=submit]")
    page.wait_for_selector("#job-progress .job-step")
    assert page.text_content("#job-progress .job-step") == "1"

    # The worker writes progress: the page shows it within a poll or two, without a reload.
    TrainingJob.objects.filter(pk=job.pk).update(
        step=7, loss=2.1, loss_history=[[1, 3.0], [4, 2.5], [7, 2.1]], heartbeat_at=timezone.now()
    )
    # (expect, not wait_for_function: the site's Content-Security-Policy forbids the eval that one needs)
    expect(page.locator("#job-progress .job-step")).to_have_text("7", timeout=15000)
    assert page.get_attribute("#job-progress [role=progressbar]", "aria-valuenow") == "70"
    assert page.locator("#job-progress svg.loss-chart polyline").count() == 1

    page.click("#job-progress button:has-text('Cancel')")
    page.wait_for_selector("#job-progress button:has-text('Cancelling')")
    assert TrainingJob.objects.get(pk=job.pk).cancel_requested

    TrainingJob.objects.filter(pk=job.pk).update(
        status=Job.Status.CANCELLED, resumable=True, finished_at=timezone.now()
    )
    page.wait_for_selector("#job-progress button:has-text('Resume')")
    assert page.get_attribute("#job-progress", "hx-trigger") is None  # finished: polling stopped
