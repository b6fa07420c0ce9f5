"""Snapshot pages: the list, the diff against the previous snapshot, and the staff-only create button."""

from __future__ import annotations

import pytest

from annotation.datasets.models import DatasetSnapshot
from annotation.datasets.snapshots import create_snapshot
from annotation.review.models import Candidate
from tests.factories import make_candidate, make_question, make_staff, make_user, seed_corpus

pytestmark = pytest.mark.django_db


def test_staff_create_a_snapshot_from_the_page(client) -> None:  # noqa: ANN001
    seed_corpus()
    client.force_login(make_staff("boss"))
    page = client.get("/corpus/snapshots/").content.decode()
    assert "Create snapshot" in page and "No snapshot yet" in page
    response = client.post("/corpus/snapshots/create/", follow=True)
    snap = DatasetSnapshot.objects.get()
    assert response.redirect_chain[-1][0] == f"/corpus/snapshots/{snap.pk}/"
    assert f"Snapshot #{snap.pk} created" in response.content.decode()
    again = client.post("/corpus/snapshots/create/", follow=True).content.decode()
    assert "Nothing changed" in again and DatasetSnapshot.objects.count() == 1


def test_exporter_sees_snapshots_but_cannot_create(client) -> None:  # noqa: ANN001
    seed_corpus()
    snap = create_snapshot()
    client.force_login(make_user("exp", "exporter"))
    page = client.get("/corpus/snapshots/").content.decode()
    assert f"#{snap.pk}" in page and "Create snapshot" not in page
    refused = client.post("/corpus/snapshots/create/")
    assert refused.status_code == 403 and "Creating a snapshot needs staff status" in refused.content.decode()
    assert DatasetSnapshot.objects.count() == 1


def test_reviewer_without_the_export_permission_is_refused_the_snapshot_pages(client) -> None:  # noqa: ANN001
    seed_corpus()
    snap = create_snapshot()
    client.force_login(make_user("rev", "reviewer"))
    for url in ("/corpus/snapshots/", f"/corpus/snapshots/{snap.pk}/"):
        response = client.get(url)
        assert response.status_code == 403
        assert "Can export data sets" in response.content.decode()  # they show every correction
    assert client.post("/corpus/snapshots/create/").status_code == 403


def test_detail_shows_what_changed_since_the_previous_snapshot(client) -> None:  # noqa: ANN001
    seed_corpus()
    first = create_snapshot()
    q = make_question("好きな食べ物は？")
    make_candidate(q, "きのこです。", status=Candidate.Status.EDITED, final_text="きのこに決まってるだろ！")
    second = create_snapshot()
    client.force_login(make_user("exp", "exporter"))
    page = client.get(f"/corpus/snapshots/{second.pk}/").content.decode()
    assert f"snapshot #{first.pk}" in page
    assert "Corrections added" in page and "きのこに決まってるだろ！" in page
    assert f"/api/snapshots/{second.pk}/export/jsonl/" in page  # the exporter may download
    listing = client.get("/corpus/snapshots/").content.decode()
    assert "+1 / −0" in listing and "first" in listing


def test_anonymous_is_sent_to_login(client) -> None:  # noqa: ANN001
    response = client.get("/corpus/snapshots/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_admin_shows_snapshots_read_only(client) -> None:  # noqa: ANN001
    seed_corpus()
    snap = create_snapshot()
    client.force_login(make_user("root", "superuser"))
    page = client.get(f"/admin/annotation/datasetsnapshot/{snap.pk}/change/")
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    client.post(f"/admin/annotation/datasetsnapshot/{snap.pk}/change/", {"conversation_count": 0})
    snap.refresh_from_db()
    assert snap.conversation_count == 2
    assert client.get("/admin/annotation/datasetsnapshot/add/").status_code == 403
