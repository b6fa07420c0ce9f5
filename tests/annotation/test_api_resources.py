"""The REST resources as a script uses them: import, browse, filter, page, snapshot, export, launch, activate."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from annotation.corpus.models import Source
from annotation.datasets.models import DatasetSnapshot
from annotation.datasets.snapshots import create_snapshot
from annotation.review.models import Candidate, ReviewAction
from tests.annotation.api_factories import make_candidate, make_question, make_source, make_user, seed_corpus
from training.train.models import ModelVersion, TrainingJob

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff() -> APIClient:
    client = APIClient()
    client.force_authenticate(make_user("boss", "staff"))
    return client


def _results(response) -> list[dict]:  # noqa: ANN001
    assert response.status_code == 200, response.content
    return response.json()["results"]


def test_posting_a_file_imports_it(staff: APIClient) -> None:
    script = "魔理沙「よう、霊夢」\n霊夢「また来たの」\n".encode()
    upload = {"file": SimpleUploadedFile("神社.txt", script), "format": "script"}
    response = staff.post("/api/sources/", upload, format="multipart")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["lines"] == 2 and body["speakers"] == {"魔理沙": 1, "霊夢": 1}
    assert Source.objects.get(pk=body["source"]["id"]).title == "神社"


def test_importer_errors_are_400_bodies_and_leave_nothing(staff: APIClient) -> None:
    binary = SimpleUploadedFile("data.txt", bytes(range(256)) * 8)
    refused = staff.post("/api/sources/", {"file": binary}, format="multipart")
    assert refused.status_code == 400 and refused.json()["detail"]
    empty = staff.post("/api/sources/", {"file": SimpleUploadedFile("empty.txt", b"")}, format="multipart")
    assert empty.status_code == 400 and "file" in empty.json()
    script = "魔理沙「よう」\n".encode()
    assert (
        staff.post(
            "/api/sources/", {"file": SimpleUploadedFile("a.txt", script)}, format="multipart"
        ).status_code
        == 201
    )
    again = staff.post("/api/sources/", {"file": SimpleUploadedFile("b.txt", script)}, format="multipart")
    assert again.status_code == 400 and "already imported" in again.json()["detail"]
    assert Source.objects.count() == 1


def test_conversation_detail_has_ordered_lines(staff: APIClient) -> None:
    seed_corpus()
    first = _results(staff.get("/api/conversations/?page_size=1"))
    detail = staff.get(f"/api/conversations/{first[0]['id']}/").json()
    assert [line["speaker"] for line in detail["lines"]] == ["アリス", "まりさ"]  # newest first in lists
    assert detail["line_count"] == 2


def test_filters_by_source_and_speaker(staff: APIClient) -> None:
    seed_corpus()
    other = make_source([[("チルノ", "あたいったら最強ね")]])
    assert [c["source"] for c in _results(staff.get(f"/api/conversations/?source={other.pk}"))] == [other.pk]
    lines = _results(staff.get("/api/lines/?speaker=チルノ"))
    assert [line["text"] for line in lines] == ["あたいったら最強ね"]
    assert len(_results(staff.get("/api/conversations/?speaker=アリス"))) == 1
    assert staff.get("/api/lines/?source=abc").status_code == 400


def test_cursor_pagination_walks_every_line_once(staff: APIClient) -> None:
    make_source([[("霊夢", f"台詞{i}") for i in range(25)]])
    seen, url = [], "/api/lines/?page_size=10"
    while url:
        body = staff.get(url).json()
        seen += [line["text"] for line in body["results"]]
        url = body["next"]
    assert seen == [f"台詞{i}" for i in range(25)]


def test_candidates_filter_by_status_model_version_and_date_with_history(staff: APIClient) -> None:
    version = ModelVersion.objects.create(name="v1", base_model="demo", adapter_dir="/x")
    q = make_question("好き？")
    good = make_candidate(q, "好きだぜ", status=Candidate.Status.ACCEPTED)
    Candidate.objects.filter(pk=good.pk).update(model_version=version)
    make_candidate(q, "いいえ", status=Candidate.Status.REJECTED)
    ReviewAction.objects.create(
        candidate=good,
        user=None,
        action="accept",
        status_before="pending",
        status_after="accepted",
        version=0,
    )
    assert [c["id"] for c in _results(staff.get("/api/candidates/?status=accepted"))] == [good.pk]
    assert [c["id"] for c in _results(staff.get(f"/api/candidates/?model_version={version.pk}"))] == [good.pk]
    assert len(_results(staff.get("/api/candidates/?created_after=2000-01-01"))) == 2
    assert _results(staff.get("/api/candidates/?created_before=2000-01-01")) == []
    assert staff.get("/api/candidates/?status=nonsense").status_code == 400
    assert staff.get("/api/candidates/?created_after=yesterday").status_code == 400
    history = staff.get(f"/api/candidates/{good.pk}/").json()["history"]
    assert [h["action"] for h in history] == ["accept"]


def test_post_snapshot_returns_it_with_id_and_same_data_returns_the_same(staff: APIClient) -> None:
    seed_corpus()
    first = staff.post("/api/snapshots/")
    assert first.status_code == 201
    body = first.json()
    assert body["id"] and len(body["sha256"]) == 64 and body["line_count"] == 5
    assert body["exports"]["jsonl"].endswith(f"/api/snapshots/{body['id']}/export/jsonl/")
    again = staff.post("/api/snapshots/")
    assert again.status_code == 200 and again.json()["id"] == body["id"]


def test_snapshots_are_immutable_over_the_api(staff: APIClient) -> None:
    seed_corpus()
    snap = create_snapshot()
    for method in ("put", "patch", "delete"):
        assert getattr(staff, method)(f"/api/snapshots/{snap.pk}/", {"sha256": "0" * 64}).status_code == 405
    assert DatasetSnapshot.objects.get(pk=snap.pk).sha256 == snap.sha256


def _download(client: APIClient, snap: DatasetSnapshot, fmt: str, query: str = "") -> bytes:
    response = client.get(f"/api/snapshots/{snap.pk}/export/{fmt}/{query}")
    assert response.status_code == 200, response.content
    assert response.streaming and response["X-Snapshot-Sha256"] == snap.sha256
    return b"".join(response.streaming_content)


def _rich_snapshot() -> DatasetSnapshot:
    seed_corpus()
    q = make_question("好きな食べ物は？")
    make_candidate(q, "きのこです。", status=Candidate.Status.EDITED, final_text="きのこに決まってるだろ！")
    make_candidate(q, "わかりません", status=Candidate.Status.REJECTED)
    return create_snapshot()


def test_every_export_streams_and_reads_back(staff: APIClient, tmp_path: Path) -> None:
    import datasets

    snap = _rich_snapshot()
    rows = [json.loads(x) for x in _download(staff, snap, "jsonl").decode().splitlines()]
    assert len(rows) == snap.conversation_count
    assert _download(staff, snap, "text", "?sep=[SEP]").decode().startswith("霊夢: また来たの？[SEP]魔理沙: ")
    chats = [json.loads(x) for x in _download(staff, snap, "sft-chat", "?system=1").decode().splitlines()]
    assert all(
        c["messages"][0]["role"] == "system" and c["messages"][-1]["role"] == "assistant" for c in chats
    )
    pairs = [json.loads(x) for x in _download(staff, snap, "dpo").decode().splitlines()]
    assert {p["rejected"] for p in pairs} == {"きのこです。", "わかりません"}
    with zipfile.ZipFile(io.BytesIO(_download(staff, snap, "hf"))) as zf:
        zf.extractall(tmp_path)
    ds = datasets.load_dataset(
        "json",
        data_files=str(tmp_path / "data/train.jsonl"),
        split="train",
        cache_dir=str(tmp_path / "cache"),
    )
    assert ds.num_rows == snap.conversation_count
    card = staff.get(f"/api/snapshots/{snap.pk}/card/")
    assert card.status_code == 200 and snap.sha256 in card.content.decode()


def test_unknown_export_format_is_404(staff: APIClient) -> None:
    snap = _rich_snapshot()
    assert staff.get(f"/api/snapshots/{snap.pk}/export/xml/").status_code == 404
    assert staff.get("/api/snapshots/999/export/jsonl/").status_code == 404


def test_staff_launch_a_training_job_and_activate_a_version(staff: APIClient) -> None:
    snap = _rich_snapshot()
    response = staff.post(
        "/api/training-jobs/", {"snapshot": snap.pk, "params": {"max_steps": 2}}, format="json"
    )
    assert response.status_code == 201, response.content
    job = TrainingJob.objects.get(pk=response.json()["id"])
    assert job.status == "queued" and job.params["max_steps"] == 2
    bad = staff.post("/api/training-jobs/", {"snapshot": snap.pk, "params": {"bogus": 1}}, format="json")
    assert bad.status_code == 400 and "bogus" in json.dumps(bad.json())
    v1 = ModelVersion.objects.create(name="v1", base_model="demo", adapter_dir="/x", is_active=True)
    v2 = ModelVersion.objects.create(name="v2", base_model="demo", adapter_dir="/y")
    assert staff.post(f"/api/model-versions/{v2.pk}/activate/").json()["is_active"] is True
    v1.refresh_from_db()
    assert not v1.is_active and ModelVersion.objects.get(is_active=True).pk == v2.pk


def test_staff_launch_a_generation_job(staff: APIClient) -> None:
    version = ModelVersion.objects.create(name="v1", base_model="demo", adapter_dir="/x")
    q = make_question("元気？")
    body = {"model_version": version.pk, "question_set": q.question_set_id, "n": 3}
    response = staff.post("/api/generation-jobs/", body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["candidates_per_question"] == 3 and response.json()["status"] == "queued"


def test_reviewer_cannot_launch_jobs() -> None:
    snap = _rich_snapshot()
    client = APIClient()
    client.force_authenticate(make_user("rev", "reviewer"))
    assert client.post("/api/training-jobs/", {"snapshot": snap.pk}, format="json").status_code == 403
    assert TrainingJob.objects.count() == 0


def test_bad_training_parameters_are_refused_before_a_job_exists(staff: APIClient) -> None:
    snap = _rich_snapshot()
    for params in ({"learning_rate": "fast"}, {"max_steps": 1.5}, {"packing": "yes"}):
        response = staff.post("/api/training-jobs/", {"snapshot": snap.pk, "params": params}, format="json")
        assert response.status_code == 400, params
    assert staff.post("/api/training-jobs/", {"snapshot": 999}, format="json").status_code == 400
    assert TrainingJob.objects.count() == 0


def test_nul_in_a_text_filter_is_a_400(staff: APIClient) -> None:
    assert staff.get("/api/lines/?speaker=a%00b").status_code == 400


def test_question_set_lists_its_questions_in_order(staff: APIClient) -> None:
    first = make_question("一つ目", set_name="セットA")
    make_question("二つ目", set_name="セットA")
    make_question("別のセット", set_name="セットB")
    body = staff.get(f"/api/question-sets/{first.question_set_id}/questions/").json()
    assert [q["text"] for q in body["results"]] == ["一つ目", "二つ目"]
    created = staff.post(
        "/api/questions/",
        {
            "question_set": first.question_set_id,
            "text": "三つ目",
            "context": [{"speaker": "ユーザー", "text": "やあ"}],
        },
        format="json",
    )
    assert created.status_code == 201 and created.json()["context"][0]["text"] == "やあ"
    assert (
        staff.post(
            "/api/questions/", {"question_set": first.question_set_id, "text": "  "}, format="json"
        ).status_code
        == 400
    )
