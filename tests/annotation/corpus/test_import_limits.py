"""What a file or a form can hold and still be refused with the importer's reason, never a server error:
JSON nested thousands deep, values no database stores, fields over their limits. And speakers are
stored exactly as written (only a voice or direction note is taken off), and shown escaped."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from annotation.corpus.formats.common import clean_speaker
from annotation.corpus.importing import ImportFailed, import_path
from annotation.corpus.limits import SPEAKER_MAX, SPEAKER_TOO_LONG, TITLE_MAX, TITLE_TOO_LONG
from annotation.corpus.models import Conversation, Line, Source
from tests.factories import client_for, make_staff

pytestmark = pytest.mark.django_db

DEEP = "[" * 100000 + "]" * 100000


def _refused(path: Path, *fragments: str) -> str:
    with pytest.raises(ImportFailed) as info:
        import_path(path)
    message = str(info.value)
    assert "\n" not in message
    for fragment in fragments:
        assert fragment in message, message
    assert (Source.objects.count(), Line.objects.count()) == (0, 0)
    return message


def _jsonl(tmp_path: Path, *rows: str, name: str = "rows.jsonl") -> Path:
    path = tmp_path / name
    good = json.dumps({"speaker": "魔理沙", "text": "よう"}, ensure_ascii=False)
    path.write_text("\n".join([good, *rows]) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "row",
    [
        DEEP,
        '{"lines": ' + DEEP + "}",
        '{"speaker": "a", "text": "b", "conversation": ' + DEEP + "}",
    ],
    ids=["array", "lines", "conversation"],
)
def test_json_nested_thousands_deep_is_refused_naming_the_line(tmp_path: Path, row: str) -> None:
    _refused(_jsonl(tmp_path, row), "line 2:", "nested too deeply")


def test_a_conversation_key_is_a_string_or_a_number(tmp_path: Path) -> None:
    row = json.dumps({"speaker": "a", "text": "b", "conversation": [[["x"]]]})
    _refused(_jsonl(tmp_path, row), "line 2:", "'conversation' must be a string or a number")


def test_a_number_of_thousands_of_digits_is_refused(tmp_path: Path) -> None:
    row = '{"speaker": "a", "text": "b", "conversation": ' + "9" * 5000 + "}"
    _refused(_jsonl(tmp_path, row), "line 2:", "not valid JSON")


@pytest.mark.parametrize(
    ("row", "fragment"),
    [
        ('{"speaker": "a", "text": "b\\u0000c"}', "'text' contains a NUL character"),
        ('{"speaker": "a\\u0000", "text": "bc"}', "'speaker' contains a NUL character"),
        ('{"speaker": "a", "text": "b\\ud800c"}', "'text' contains an unpaired surrogate (\\ud800)"),
        ('{"speaker": "a", "text": "b", "conversation": "\\udfff"}', "'conversation' contains an unpaired"),
    ],
)
def test_escapes_no_database_can_store_are_refused(tmp_path: Path, row: str, fragment: str) -> None:
    _refused(_jsonl(tmp_path, row), "line 2:", fragment)


def test_a_speaker_over_the_column_is_refused_not_cut(tmp_path: Path) -> None:
    row = json.dumps({"speaker": "名" * (SPEAKER_MAX + 1), "text": "b"})
    _refused(_jsonl(tmp_path, row), "line 2:", SPEAKER_TOO_LONG, f"(this one has {SPEAKER_MAX + 1})")
    ok = tmp_path / "ok.jsonl"
    ok.write_text(json.dumps({"speaker": "名" * SPEAKER_MAX, "text": "b"}), encoding="utf-8")
    assert import_path(ok).speakers == {"名" * SPEAKER_MAX: 1}


def test_a_csv_field_over_the_csv_limit_is_refused_naming_the_line(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    path.write_text("speaker,text\n魔理沙,よう\n霊夢," + "x" * 200_000 + "\n", encoding="utf-8")
    _refused(path, "line 3:", "a field is longer than 131,072 characters")


def test_the_limits_fit_the_columns() -> None:
    assert Source._meta.get_field("title").max_length == TITLE_MAX
    assert Conversation._meta.get_field("title").max_length >= TITLE_MAX
    assert Line._meta.get_field("speaker").max_length == SPEAKER_MAX


# --- Speakers as written ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "stored"),
    [
        ("javascript:alert(43)", "javascript:alert(43)"),  # digits in brackets are part of the name
        ("男（30）", "男（30）"),
        ("ＭＡＲＩＳＡ", "ＭＡＲＩＳＡ"),  # full-width letters are data (NFKC is for matching only)
        ("霧雨\u3000魔理沙", "霧雨\u3000魔理沙"),
        ("  霊夢\t", "霊夢"),
        ("霊夢（声）", "霊夢"),  # an off-stage voice is that speaker's line
        ("霊夢(小声で)", "霊夢"),
        ("霊夢の声", "霊夢"),
        ("<b>魔理沙</b>", "<b>魔理沙</b>"),
    ],
)
def test_a_speaker_is_stored_as_written(written: str, stored: str) -> None:
    assert clean_speaker(written) == stored


def test_speakers_from_a_file_are_stored_exactly_and_shown_escaped(tmp_path: Path) -> None:
    rows = [
        {"speaker": "javascript:alert(43)", "text": "押すなよ"},
        {"speaker": "<b>霊夢</b>", "text": "何よ"},
    ]
    path = tmp_path / "speakers.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    result = import_path(path)
    assert list(Line.objects.order_by("position").values_list("speaker", flat=True)) == [
        "javascript:alert(43)",
        "<b>霊夢</b>",
    ]
    page = client_for(make_staff("viewer")).get(
        reverse("annotation:conversation", args=[Conversation.objects.get(source=result.source).pk])
    )
    html = page.content.decode()
    assert '<span class="speaker">javascript:alert(43)</span>' in html
    assert "&lt;b&gt;霊夢&lt;/b&gt;" in html and "<b>霊夢</b>" not in html


# --- Through the API and the upload page ------------------------------------------------------------


def _page_upload(content: bytes, name: str, title: str = ""):  # noqa: ANN202
    user = User.objects.filter(username="uploader").first() or make_staff("uploader")
    client = client_for(user)
    data = {"file": SimpleUploadedFile(name, content), "format": "auto", "title": title}
    return client.post(reverse("annotation:upload"), data, HTTP_ACCEPT="application/json")


def test_deep_json_through_the_api_and_the_page_is_a_400_with_the_reason(staff_api: APIClient) -> None:
    upload = SimpleUploadedFile("deep.json", DEEP.encode())
    response = staff_api.post("/api/sources/", {"file": upload}, format="multipart")
    assert response.status_code == 400
    assert response.json()["detail"].startswith("line 1: the JSON is nested too deeply")
    page = _page_upload(('{"lines": ' + DEEP + "}").encode(), "deep.jsonl")
    assert page.status_code == 400 and "nested too deeply" in page.json()["error"]
    assert Source.objects.count() == 0


def test_a_long_title_is_refused_with_one_message_by_the_page_and_the_api(staff_api: APIClient) -> None:
    script = "魔理沙「よう」\n霊夢「何よ」\n".encode()
    page = _page_upload(script, "scene.txt", title="題" * 5000)
    assert page.status_code == 400 and page.json()["error"] == TITLE_TOO_LONG
    form = {"file": SimpleUploadedFile("scene.txt", script), "title": "題" * 5000}
    api = staff_api.post("/api/sources/", form, format="multipart")
    assert api.status_code == 400 and api.json() == {"title": [TITLE_TOO_LONG]}
    assert Source.objects.count() == 0
    done = _page_upload(script, "scene.txt", title="題" * TITLE_MAX)
    assert done.status_code == 200 and Source.objects.get().title == "題" * TITLE_MAX


def test_a_nul_in_the_title_of_the_page_is_refused() -> None:
    page = _page_upload("魔理沙「よう」\n".encode(), "scene.txt", title="a\x00b")
    assert page.status_code == 400 and "NUL" in page.json()["error"]
