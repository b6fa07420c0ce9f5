"""One time zone, labelled, and one language on every page: "2026-12-01 22:05 JST", the admin in English."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from django.utils import timezone

from annotation.corpus.models import Source
from annotation.datasets.models import DatasetSnapshot
from annotation.review.models import ReviewAction
from annotation.review.payload import history
from marisa_site.formats import time_label
from tests.factories import (
    client_for,
    make_candidate,
    make_generation_job,
    make_job,
    make_question,
    make_snapshot,
    make_user,
    make_version,
)
from tests.servers import REPO
from training.generate.models import GenerationJob
from training.train.models import ModelVersion, TrainingJob

WHEN = datetime(2026, 12, 1, 13, 5, tzinfo=UTC)  # 22:05 in Asia/Tokyo
LABEL = "2026-12-01 22:05 JST"
A_TIME = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}(?::\d{2})?(?P<after>[^<\"]{0,6})")
JAPANESE_UI = ("分", "サイト管理", "ログアウト", "送信")


def zones(page: str) -> set[str]:
    """What follows each time written on the page (its zone label)."""
    return {match["after"].strip()[:3] for match in A_TIME.finditer(page)}


@pytest.fixture
def rows(db):
    snapshot = make_snapshot()
    job = make_job(snapshot, status=TrainingJob.Status.RUNNING, worker="gpu@host")
    version = make_version(job)
    generation = make_generation_job(version)
    candidate = make_candidate(make_question("好きなものは？"), "キノコだぜ")
    ReviewAction.objects.create(
        candidate=candidate, action="accept", status_before="pending", status_after="accepted", version=1
    )
    for model in (DatasetSnapshot, TrainingJob, ModelVersion, GenerationJob, ReviewAction):
        model.objects.update(created_at=WHEN)
    Source.objects.update(imported_at=WHEN)
    TrainingJob.objects.update(heartbeat_at=timezone.now(), started_at=WHEN)
    return {
        "source": Source.objects.get(),
        "snapshot": snapshot,
        "job": job,
        "generation": generation,
        "candidate": candidate,
    }


def test_the_label_is_the_deployment_zone_with_its_abbreviation():
    assert time_label(WHEN) == LABEL
    assert time_label(None) == ""


def test_every_page_writes_times_in_one_labelled_zone(rows):
    client = client_for(make_user("admin", "superuser"))
    pages = [
        "/corpus/",
        f"/corpus/sources/{rows['source'].pk}/",
        "/corpus/snapshots/",
        f"/corpus/snapshots/{rows['snapshot'].pk}/",
        "/training/",
        f"/training/jobs/{rows['job'].pk}/",
        f"/training/generate/{rows['generation'].pk}/",
        "/training/versions/",
        "/training/new/",  # the snapshot menu
        "/admin/annotation/source/",
        "/admin/annotation/reviewaction/",
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        page = response.content.decode()
        assert LABEL in page, url
        assert zones(page) == {"JST"}, (url, zones(page))
        # The CSRF token is random letters: "UTC" may turn up in it by chance, never in a time.
        untokened = re.sub(r'(csrfmiddlewaretoken" value="|"X-CSRFToken": "|data-csrf=")[^"]+', r"\1", page)
        assert "UTC" not in untokened, url


def test_review_history_is_labelled_by_the_server_not_the_browser(rows):
    (entry,) = history(rows["candidate"])
    assert entry["at_label"] == LABEL
    script = (REPO / "static" / "js" / "review.js").read_text()
    assert "toLocale" not in script and "h.at_label" in script


def test_pages_and_the_admin_speak_english(rows):
    client = client_for(make_user("admin", "superuser"))
    job_page = client.get(f"/training/jobs/{rows['job'].pk}/").content.decode()
    assert "heartbeat 0\xa0minutes ago" in job_page
    for url in ("/admin/", "/training/", "/line/simulator/", f"/training/jobs/{rows['job'].pk}/"):
        page = client.get(url).content.decode()
        assert '<html lang="en"' in page, url
        assert not [word for word in JAPANESE_UI if word in page], url
    assert "Site administration" in client.get("/admin/").content.decode()
