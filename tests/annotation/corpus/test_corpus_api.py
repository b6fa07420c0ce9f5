"""The corpus over the REST API, as a script uses it: import a file, browse and filter conversations and lines."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from annotation.corpus.models import Source
from tests.factories import make_source, seed_corpus

pytestmark = pytest.mark.django_db


def _results(response) -> list[dict]:  # noqa: ANN001
    assert response.status_code == 200, response.content
    return response.json()["results"]


def test_posting_a_file_imports_it(staff_api: APIClient) -> None:
    script = "魔理沙「よう、霊夢」\n霊夢「また来たの」\n".encode()
    upload = {"file": SimpleUploadedFile("神社.txt", script), "format": "script"}
    response = staff_api.post("/api/sources/", upload, format="multipart")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["lines"] == 2 and body["speakers"] == {"魔理沙": 1, "霊夢": 1}
    assert Source.objects.get(pk=body["source"]["id"]).title == "神社"


def test_importer_errors_are_400_bodies_and_leave_nothing(staff_api: APIClient) -> None:
    binary = SimpleUploadedFile("data.txt", bytes(range(256)) * 8)
    refused = staff_api.post("/api/sources/", {"file": binary}, format="multipart")
    assert refused.status_code == 400 and refused.json()["detail"]
    empty = staff_api.post(
        "/api/sources/", {"file": SimpleUploadedFile("empty.txt", b"")}, format="multipart"
    )
    assert empty.status_code == 400 and "file" in empty.json()
    script = "魔理沙「よう」\n".encode()
    assert (
        staff_api.post(
            "/api/sources/", {"file": SimpleUploadedFile("a.txt", script)}, format="multipart"
        ).status_code
        == 201
    )
    again = staff_api.post("/api/sources/", {"file": SimpleUploadedFile("b.txt", script)}, format="multipart")
    assert again.status_code == 400 and "already imported" in again.json()["detail"]
    assert Source.objects.count() == 1


def test_conversation_detail_has_ordered_lines(staff_api: APIClient) -> None:
    seed_corpus()
    first = _results(staff_api.get("/api/conversations/?page_size=1"))
    detail = staff_api.get(f"/api/conversations/{first[0]['id']}/").json()
    assert [line["speaker"] for line in detail["lines"]] == ["アリス", "まりさ"]  # newest first in lists
    assert detail["line_count"] == 2


def test_filters_by_source_and_speaker(staff_api: APIClient) -> None:
    seed_corpus()
    other = make_source([[("チルノ", "あたいったら最強ね")]])
    assert [c["source"] for c in _results(staff_api.get(f"/api/conversations/?source={other.pk}"))] == [
        other.pk
    ]
    lines = _results(staff_api.get("/api/lines/?speaker=チルノ"))
    assert [line["text"] for line in lines] == ["あたいったら最強ね"]
    assert len(_results(staff_api.get("/api/conversations/?speaker=アリス"))) == 1
    assert staff_api.get("/api/lines/?source=abc").status_code == 400
