"""Snapshots over the REST API: create (same data, same snapshot), immutable, every export streamed and read back."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from rest_framework.test import APIClient

from annotation.datasets.models import DatasetSnapshot
from annotation.datasets.snapshots import create_snapshot
from tests.factories import make_reviewed_snapshot, seed_corpus

pytestmark = pytest.mark.django_db


def test_post_snapshot_returns_it_with_id_and_same_data_returns_the_same(staff_api: APIClient) -> None:
    seed_corpus()
    first = staff_api.post("/api/snapshots/")
    assert first.status_code == 201
    body = first.json()
    assert body["id"] and len(body["sha256"]) == 64 and body["line_count"] == 5
    assert body["exports"]["jsonl"].endswith(f"/api/snapshots/{body['id']}/export/jsonl/")
    again = staff_api.post("/api/snapshots/")
    assert again.status_code == 200 and again.json()["id"] == body["id"]


def test_snapshots_are_immutable_over_the_api(staff_api: APIClient) -> None:
    seed_corpus()
    snap = create_snapshot()
    for method in ("put", "patch", "delete"):
        assert (
            getattr(staff_api, method)(f"/api/snapshots/{snap.pk}/", {"sha256": "0" * 64}).status_code == 405
        )
    assert DatasetSnapshot.objects.get(pk=snap.pk).sha256 == snap.sha256


def _download(client: APIClient, snap: DatasetSnapshot, fmt: str, query: str = "") -> bytes:
    response = client.get(f"/api/snapshots/{snap.pk}/export/{fmt}/{query}")
    assert response.status_code == 200, response.content
    assert response.streaming and response["X-Snapshot-Sha256"] == snap.sha256
    return b"".join(response.streaming_content)


def test_every_export_streams_and_reads_back(staff_api: APIClient, tmp_path: Path) -> None:
    import datasets

    snap = make_reviewed_snapshot()
    rows = [json.loads(x) for x in _download(staff_api, snap, "jsonl").decode().splitlines()]
    assert len(rows) == snap.conversation_count
    assert (
        _download(staff_api, snap, "text", "?sep=[SEP]")
        .decode()
        .startswith("霊夢: また来たの？[SEP]魔理沙: ")
    )
    chats = [json.loads(x) for x in _download(staff_api, snap, "sft-chat", "?system=1").decode().splitlines()]
    assert all(
        c["messages"][0]["role"] == "system" and c["messages"][-1]["role"] == "assistant" for c in chats
    )
    pairs = [json.loads(x) for x in _download(staff_api, snap, "dpo").decode().splitlines()]
    assert {p["rejected"] for p in pairs} == {"きのこです。", "わかりません"}
    with zipfile.ZipFile(io.BytesIO(_download(staff_api, snap, "hf"))) as zf:
        zf.extractall(tmp_path)
    ds = datasets.load_dataset(
        "json",
        data_files=str(tmp_path / "data/train.jsonl"),
        split="train",
        cache_dir=str(tmp_path / "cache"),
    )
    assert ds.num_rows == snap.conversation_count
    card = staff_api.get(f"/api/snapshots/{snap.pk}/card/")
    assert card.status_code == 200 and snap.sha256 in card.content.decode()


def test_unknown_export_format_is_404(staff_api: APIClient) -> None:
    snap = make_reviewed_snapshot()
    assert staff_api.get(f"/api/snapshots/{snap.pk}/export/xml/").status_code == 404
    assert staff_api.get("/api/snapshots/999/export/jsonl/").status_code == 404
