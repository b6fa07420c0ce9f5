"""Who may open which page (marisa_site/roles.py): the same roles as the API, and a 403 page that says why.

No role: every page is refused with the explaining page. A reviewer: the review queue, attribution, dashboard,
rounds, jobs and versions, but not the corpus or snapshot pages (those need the export permission). Importing
is for staff. Staff: everything.
"""

from __future__ import annotations

import pytest
from django.test import Client

from annotation.corpus.models import Source
from tests.factories import (
    client_for,
    make_candidates,
    make_generation_job,
    make_job,
    make_lines,
    make_source,
    make_user,
    make_version,
)
from training.jobs.models import Job

pytestmark = pytest.mark.django_db

SCRIPT = "魔理沙「よう、霊夢」\n霊夢「何よ」\n".encode()


@pytest.fixture
def rows() -> dict[str, int]:
    source = make_source()
    conversation = source.conversations.first()
    make_lines(conversation, [{"speaker": "", "text": "誰？"}], start=10)
    job = make_job(
        status=Job.Status.FAILED, error="boom", traceback="Traceback (most recent call last): boom"
    )
    version = make_version(job)
    generation = make_generation_job(version, status=Job.Status.FAILED, traceback="Traceback: gen boom")
    make_candidates(1)
    return {
        "source": source.pk,
        "conversation": conversation.pk,
        "snapshot": job.snapshot_id,
        "job": job.pk,
        "generation": generation.pk,
    }


REVIEWER_PAGES = [
    "/",
    "/corpus/review/",
    "/corpus/review/dashboard/",
    "/corpus/attribution/",
    "/corpus/rounds/",
    "/training/",
    "/training/jobs/{job}/",
    "/training/jobs/{job}/progress/",
    "/training/versions/",
    "/training/generate/{generation}/",
    "/training/generate/{generation}/progress/",
]
EXPORT_PAGES = [
    "/corpus/",
    "/corpus/sources/{source}/",
    "/corpus/conversations/{conversation}/",
    "/corpus/snapshots/",
    "/corpus/snapshots/{snapshot}/",
]
STAFF_PAGES = ["/corpus/import/", "/training/new/", "/training/generate/"]
ALL_PAGES = REVIEWER_PAGES + EXPORT_PAGES + STAFF_PAGES


def assert_explained(response, *needles: str) -> None:
    """403, in the site's layout, saying which role is needed and that an admin grants it."""
    page = response.content.decode()
    assert response.status_code == 403, page[:300]
    assert '<header class="topbar">' in page and 'id="forbidden"' in page  # extends base.html
    assert "an admin grants it" in page and "Who sees what" in page
    for needle in needles:
        assert needle in page


@pytest.mark.parametrize("path", ALL_PAGES)
def test_a_user_without_a_role_gets_the_explaining_403_on_every_page(path: str, rows: dict[str, int]) -> None:
    response = client_for(make_user("nobody")).get(path.format(**rows))
    assert_explained(response)


def test_a_user_without_a_role_lands_on_the_explaining_page_after_logging_in() -> None:
    make_user("nobody")
    client = Client()
    response = client.post("/accounts/login/", {"username": "nobody", "password": "pw-nobody"}, follow=True)
    assert_explained(response, "Reviewers group", "You are logged in as <strong>nobody</strong>")


@pytest.mark.parametrize("path", REVIEWER_PAGES)
def test_reviewers_keep_the_review_and_job_pages(path: str, rows: dict[str, int]) -> None:
    response = client_for(make_user("rev", "reviewer")).get(path.format(**rows))
    assert response.status_code == 200


@pytest.mark.parametrize("path", EXPORT_PAGES)
def test_reviewer_without_the_export_permission_cannot_browse_the_corpus(
    path: str, rows: dict[str, int]
) -> None:
    response = client_for(make_user("rev", "reviewer")).get(path.format(**rows))
    assert_explained(response, "Can export data sets", "annotation.export_dataset")


@pytest.mark.parametrize("path", EXPORT_PAGES)
def test_the_export_permission_opens_the_corpus_pages(path: str, rows: dict[str, int]) -> None:
    assert client_for(make_user("exp", "exporter")).get(path.format(**rows)).status_code == 200


@pytest.mark.parametrize("path", STAFF_PAGES)
@pytest.mark.parametrize("role", ["reviewer", "exporter"])
def test_staff_pages_explain_the_refusal(path: str, role: str, rows: dict[str, int]) -> None:
    assert_explained(client_for(make_user("someone", role)).get(path), "needs staff status")


@pytest.mark.parametrize("path", ALL_PAGES)
def test_staff_open_every_page(path: str, rows: dict[str, int]) -> None:
    assert client_for(make_user("boss", "staff")).get(path.format(**rows)).status_code == 200


@pytest.mark.parametrize("role", ["plain", "reviewer", "exporter"])
def test_only_staff_import_through_the_page(role: str) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = client_for(make_user("someone", role))
    assert_explained(client.get("/corpus/import/"), "Importing a file needs staff status")
    upload = {"file": SimpleUploadedFile("scene.txt", SCRIPT), "format": "auto"}
    response = client.post("/corpus/import/", upload, HTTP_ACCEPT="application/json")
    assert response.status_code == 403 and not Source.objects.exists()


def test_staff_import_through_the_page() -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = client_for(make_user("boss", "staff"))
    upload = {"file": SimpleUploadedFile("scene.txt", SCRIPT), "format": "auto"}
    response = client.post("/corpus/import/", upload, HTTP_ACCEPT="application/json")
    assert response.status_code == 200 and Source.objects.count() == 1


def test_tracebacks_are_for_staff_on_the_job_pages_and_in_the_api(rows: dict[str, int]) -> None:
    from tests.factories import token_client_for

    job_pages = [f"/training/jobs/{rows['job']}/", f"/training/generate/{rows['generation']}/"]
    apis = [f"/api/training-jobs/{rows['job']}/", f"/api/generation-jobs/{rows['generation']}/"]
    reviewer, staff = make_user("rev", "reviewer"), make_user("boss", "staff")
    for path in job_pages:
        assert "Traceback" not in client_for(reviewer).get(path).content.decode()
        assert "Traceback" in client_for(staff).get(path).content.decode()
    for path in apis:
        assert token_client_for(reviewer).get(path).json()["traceback"] is None
        assert token_client_for(staff).get(path).json()["traceback"].startswith("Traceback")
    listed = token_client_for(reviewer).get("/api/training-jobs/").json()["results"]
    assert listed and all(job["traceback"] is None for job in listed)
