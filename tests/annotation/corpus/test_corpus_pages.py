"""Corpus pages through the Django test client: upload, sources, a source, a conversation."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from annotation.corpus.models import Conversation, Line, Source
from tests.factories import make_user

pytestmark = pytest.mark.django_db

SCRIPT = "魔理沙「よう、霊夢。暇そうだな」\nまりさ「借りていくぜ」\n霊夢「何よ」\n\n魔理沙：次の場面だぜ\n"


@pytest.fixture
def user_client(client):
    # Importing is for staff; the corpus pages need the export permission, which staff have too.
    client.force_login(make_user("reader", "staff"))
    return client


def _upload(client, content: bytes, name: str = "scene.txt", **fields):
    data = {"file": SimpleUploadedFile(name, content), "format": "auto", "title": "", **fields}
    return client.post(reverse("annotation:upload"), data, HTTP_ACCEPT="application/json")


def test_pages_require_login(client):
    for url in (reverse("annotation:sources"), reverse("annotation:upload")):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_upload_then_see_the_lines(user_client):
    page = user_client.get(reverse("annotation:upload"))
    assert b"upload.js" in page.content and b'name="file"' in page.content
    response = _upload(user_client, SCRIPT.encode("cp932"), title="紅白の朝")
    assert response.status_code == 200
    data = response.json()
    assert data["ok"] and data["lines"] == 4 and data["conversations"] == 2
    source = Source.objects.get()
    assert source.title == "紅白の朝" and source.original_name == "scene.txt"
    assert source.imported_by.username == "reader"
    listing = user_client.get(reverse("annotation:sources")).content.decode()
    assert "紅白の朝" in listing
    detail = user_client.get(data["url"]).content.decode()
    assert '<span class="speaker">霊夢</span>: <span class="text">何よ</span>' in detail
    assert "page 1 of" not in detail  # two conversations fit on one page


def test_conversation_page_highlights_the_character_and_marks_unknown(user_client, tmp_path):
    novel = "「誰かの声だ」\n　魔理沙は「よう」と言った。\n"
    _upload(user_client, SCRIPT.encode("utf-8"))
    _upload(user_client, novel.encode("utf-8"), name="novel.txt", format="aozora")
    conv = Conversation.objects.get(source__original_name="scene.txt", position=0)
    html = user_client.get(reverse("annotation:conversation", args=[conv.pk])).content.decode()
    assert html.count('class="line character"') == 2  # 魔理沙 and the alias まりさ
    assert '<span class="speaker">霊夢</span>: <span class="text">何よ</span>' in html
    novel_conv = Conversation.objects.get(source__original_name="novel.txt")
    html = user_client.get(reverse("annotation:conversation", args=[novel_conv.pk])).content.decode()
    assert 'class="line unknown"' in html and '<span class="speaker">？</span>' in html
    assert html.count('class="line character"') == 1


def test_upload_error_is_shown_and_nothing_saved(user_client):
    response = _upload(user_client, b"\x89PNG\r\n\x1a\n\x00\x00")
    assert response.status_code == 400
    assert "not a text file" in response.json()["error"]
    plain = user_client.post(
        reverse("annotation:upload"), {"file": SimpleUploadedFile("e.txt", b""), "format": "auto"}
    )
    assert plain.status_code == 400
    assert "the file is empty" in plain.content.decode()
    assert Source.objects.count() == Line.objects.count() == 0


def test_duplicate_upload_names_the_earlier_import(user_client):
    _upload(user_client, SCRIPT.encode("utf-8"), title="一回目")
    response = _upload(user_client, SCRIPT.encode("utf-8"), name="again.txt")
    assert response.status_code == 400
    assert "一回目" in response.json()["error"]
    assert Source.objects.count() == 1


def test_form_post_without_javascript_redirects_to_the_source(user_client):
    response = user_client.post(
        reverse("annotation:upload"),
        {"file": SimpleUploadedFile("s.txt", SCRIPT.encode()), "format": "script"},
    )
    source = Source.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "annotation:source", args=[source.pk]
    )


def test_source_page_paginates_conversations(user_client):
    text = "\n\n".join(f"魔理沙「{i}番目」\n霊夢「はい」" for i in range(60))
    data = _upload(user_client, text.encode()).json()
    first = user_client.get(data["url"]).content.decode()
    assert "page 1 of 3" in first and "0番目" in first and "30番目" not in first
    third = user_client.get(data["url"] + "?page=3").content.decode()
    assert "59番目" in third


def test_streamed_upload_reports_progress_then_the_result(user_client):
    text = "\n\n".join(f"魔理沙「{i}番目だぜ」\n霊夢「はいはい」" for i in range(4000))
    data = {"file": SimpleUploadedFile("long.txt", text.encode()), "format": "auto", "title": ""}
    response = user_client.post(reverse("annotation:upload"), data, HTTP_ACCEPT="application/x-ndjson")
    assert response.streaming
    messages = [json.loads(line) for line in b"".join(response.streaming_content).decode().splitlines()]
    progress = [m for m in messages if "progress" in m]
    assert len(progress) >= 2 and progress[-1]["progress"] == progress[-1]["total"] == len(text.encode())
    assert messages[-1]["ok"] and messages[-1]["lines"] == 8000
    assert messages[-1]["url"] == reverse("annotation:source", args=[Source.objects.get().pk])


def test_streamed_upload_error_is_the_last_message_and_nothing_saved(user_client):
    data = {"file": SimpleUploadedFile("bad.jsonl", b'{"speaker": "a"}\n'), "format": "auto", "title": ""}
    response = user_client.post(reverse("annotation:upload"), data, HTTP_ACCEPT="application/x-ndjson")
    messages = [json.loads(line) for line in b"".join(response.streaming_content).decode().splitlines()]
    assert messages[-1] == {"ok": False, "error": "line 1: no 'text' field (found: speaker)"}
    assert Source.objects.count() == Line.objects.count() == 0


def test_conversation_page_marks_exactly_the_trained_text(user_client):
    script = "霊夢「魔理沙: これは霊夢の台詞」\nまりさ「借りていくぜ」\n霊夢「返しなさいよ」\n"
    _upload(user_client, script.encode("utf-8"))
    conv = Conversation.objects.get()
    html = user_client.get(reverse("annotation:conversation", args=[conv.pk])).content.decode()
    training_text = html.split('<pre class="training-text">', 1)[1].split("</pre>", 1)[0]
    # Her alias is written as her prompt name; only her utterance and its separator are trained,
    # never her name quoted inside another speaker's line.
    assert training_text == (
        "霊夢: 魔理沙: これは霊夢の台詞\n魔理沙: <mark>借りていくぜ\n</mark>霊夢: 返しなさいよ\n"
    )
