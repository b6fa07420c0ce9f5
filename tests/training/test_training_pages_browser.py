"""The job page in Debian's chromium: the progress bar and loss curve follow the row live (htmx polling)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.utils import timezone

from training.models import Job, TrainingJob

from .job_factories import make_job, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is missing: apt-get install -y chromium (.ci/run does it)")
    from playwright.sync_api import sync_playwright

    # The sync API runs an event loop in this thread; the ORM calls between browser steps are plain
    # synchronous ones. Set for this module only, so it does not leak into later subprocesses.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield browser
            browser.close()


def test_job_page_follows_progress_then_stops_polling_and_cancel_works(browser, live_server) -> None:
    make_user("staff", staff=True)
    job = make_job(
        status=Job.Status.RUNNING,
        step=1,
        total_steps=10,
        loss=3.0,
        loss_history=[[1, 3.0]],
        heartbeat_at=timezone.now(),
    )
    page = browser.new_context(locale="ja-JP").new_page()
    page.set_default_timeout(15000)
    page.goto(f"{live_server.url}/accounts/login/?next=/training/jobs/{job.pk}/")
    page.fill("input[name=username]", "staff")
    page.fill("input[name=password]", "pw-staff")
    page.click("button[type=submit]")
    page.wait_for_selector("#job-progress .job-step")
    assert page.text_content("#job-progress .job-step") == "1"

    # The worker writes progress: the page shows it within a poll or two, without a reload.
    TrainingJob.objects.filter(pk=job.pk).update(
        step=7, loss=2.1, loss_history=[[1, 3.0], [4, 2.5], [7, 2.1]], heartbeat_at=timezone.now()
    )
    page.wait_for_function("document.querySelector('#job-progress .job-step').textContent === '7'")
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
