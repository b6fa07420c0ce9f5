"""The Content-Security-Policy in Debian's chromium: every main page, htmx and the API docs run under it.

Each page is opened with a listener for `securitypolicyviolation` (installed before any of the page's own
scripts) and a watch on the console and on uncaught errors; the test asserts that nothing was blocked and that
the page did its job (htmx polled, the review queue claimed, Swagger UI and Redoc drew the operations).
"""

from __future__ import annotations

import pytest
from django.utils import timezone

from annotation.corpus.models import Conversation
from tests.factories import (
    make_candidates,
    make_generation_job,
    make_job,
    make_lines,
    make_source,
    make_user,
    make_version,
    password_for,
)
from training.jobs.models import Job

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WATCH = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__violations.push(`${e.violatedDirective} blocked ${e.blockedURI || "inline"} at ${e.sourceFile}:${e.lineNumber}`);
});
"""


@pytest.fixture
def site(db) -> dict[str, int]:
    """A staff superuser and one of everything the pages show: a running job, a failed one, candidates."""
    make_user("root", "superuser")
    source = make_source()
    make_lines(source.conversations.first(), [{"speaker": "", "text": "誰のせりふ？"}], start=10)
    job = make_job(
        status=Job.Status.RUNNING,
        step=2,
        total_steps=10,
        loss_history=[[1, 3.0], [2, 2.8]],
        heartbeat_at=timezone.now(),
    )
    failed = make_job(job.snapshot, status=Job.Status.FAILED, error="boom", traceback="Traceback: boom")
    version = make_version(failed)
    generation = make_generation_job(version)
    make_candidates(2)
    return {
        "source": source.pk,
        "conversation": Conversation.objects.filter(source=source).first().pk,
        "snapshot": job.snapshot_id,
        "job": job.pk,
        "failed": failed.pk,
        "generation": generation.pk,
    }


@pytest.fixture
def page(browser, live_server, site):
    context = browser.new_context(locale="ja-JP")
    context.add_init_script(WATCH)
    page = context.new_page()
    page.set_default_timeout(15000)
    page.problems = []  # what the console says the policy refused, and uncaught exceptions
    page.on("console", lambda m: refused(m.text) and page.problems.append(f"console: {m.text}"))
    page.on("pageerror", lambda e: page.problems.append(f"error: {e}"))
    page.goto(f"{live_server.url}/accounts/login/")
    assert_clean(page)
    page.fill("input[name=username]", "root")
    page.fill("input[name=password]", password_for("root"))
    page.click("button[type=submit]")
    page.wait_for_selector("h1")
    yield page
    context.close()


def refused(text: str) -> bool:
    return "Content Security Policy" in text or "Refused to" in text


def assert_clean(page) -> None:
    violations = page.evaluate("window.__violations")
    assert violations == [], f"{page.url}: {violations}"
    assert page.problems == [], f"{page.url}: {page.problems}"


def test_the_response_carries_the_policy(live_server, page) -> None:
    response = page.goto(f"{live_server.url}/")
    policy = response.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy and "'unsafe" not in policy


def test_main_pages_run_under_the_policy(live_server, page, site) -> None:
    pages = {
        "/": ".stats",
        "/corpus/": "table",
        f"/corpus/sources/{site['source']}/": ".dialogue",
        f"/corpus/conversations/{site['conversation']}/": ".training-text",
        "/corpus/import/": "#upload-form",
        "/corpus/review/dashboard/": "#rounds progress",
        "/corpus/rounds/": "h1",
        "/corpus/snapshots/": "table",
        f"/corpus/snapshots/{site['snapshot']}/": "h1",
        "/training/": "#job-tables progress",
        "/training/new/": "form",
        f"/training/jobs/{site['failed']}/": "pre.traceback",
        "/training/versions/": "h2",
        "/training/generate/": "form",
        f"/training/generate/{site['generation']}/": "#job-progress progress",
        "/line/simulator/": "#line-form",
        "/admin/": "#content-main",
        "/admin/auth/user/": "#result_list",
        "/api/lines/": ".response-info",  # DRF's browsable API
    }
    for path, selector in pages.items():
        page.goto(f"{live_server.url}{path}")
        page.wait_for_selector(selector, state="attached")
        page.wait_for_load_state("load")
        assert_clean(page)


def test_htmx_polls_the_job_page_under_the_policy(live_server, page, site) -> None:
    page.goto(f"{live_server.url}/training/jobs/{site['job']}/")
    with page.expect_response(lambda r: r.url.endswith(f"/training/jobs/{site['job']}/progress/")) as polled:
        pass
    assert polled.value.status == 200
    page.wait_for_selector("#job-progress [role=progressbar] progress[value='20']", state="attached")
    assert_clean(page)


def test_review_and_attribution_scripts_run_under_the_policy(live_server, page) -> None:
    page.goto(f"{live_server.url}/corpus/review/")
    page.wait_for_selector("#item:not([hidden])")
    assert page.input_value("#editor").startswith("キノコだぜ")
    assert_clean(page)

    page.goto(f"{live_server.url}/corpus/attribution/")
    page.wait_for_selector("#attribution-form")
    page.keyboard.press("n")  # the page's key handler (a static script) focuses the name field
    assert page.evaluate("document.activeElement.id") == "new-name"
    assert_clean(page)


def test_the_api_docs_run_under_the_policy(live_server, page) -> None:
    page.set_default_timeout(30000)  # the schema is built on the first request: slow on a busy machine
    page.goto(f"{live_server.url}/api/docs/")
    page.locator(".swagger-ui .opblock").nth(10).wait_for()  # the operations are drawn
    assert_clean(page)

    # Redoc injects <style> elements as it loads, so its page alone allows inline styles; it also asks for the
    # Redocly logo from its CDN: the policy blocks that (Redoc hides the image), and nothing else.
    response = page.goto(f"{live_server.url}/api/redoc/")
    # Directives come in no fixed order: compare them by name.
    directives = dict(
        d.strip().split(" ", 1) for d in response.headers["content-security-policy"].split(";") if d.strip()
    )
    assert directives["style-src"] == "'self' 'unsafe-inline'"
    assert directives["script-src"] == "'self'"
    page.wait_for_selector("#redoc-container .api-content h1")
    page.wait_for_selector(
        "#redoc-container [role=menuitem], #redoc-container .menu-content", state="attached"
    )
    violations = page.evaluate("window.__violations")
    assert all(v.startswith("img-src blocked https://cdn.redoc.ly/") for v in violations), violations
    assert page.problems == [] or all("cdn.redoc.ly" in p for p in page.problems), page.problems


def test_the_forbidden_page_runs_under_the_policy(browser, live_server, site) -> None:
    make_user("nobody")
    context = browser.new_context()
    context.add_init_script(WATCH)
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/?next=/training/")
    page.fill("input[name=username]", "nobody")
    page.fill("input[name=password]", password_for("nobody"))
    page.click("button[type=submit]")
    page.wait_for_selector("#forbidden")
    assert "Reviewers group" in page.text_content("#forbidden")
    assert page.evaluate("window.__violations") == []
    context.close()
