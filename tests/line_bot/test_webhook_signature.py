"""Signature checking on the raw body, against the SDKs' own test vectors."""

from __future__ import annotations

import json

import pytest
from linebot.v3.webhook import SignatureValidator

from line_bot.models import Chat, LineUser, Message, MonthlyUsage, WebhookEvent
from tests.line_bot.conftest import SECRET, body_of, post_signed, text_event

pytestmark = pytest.mark.django_db


def _vectors(corpora) -> list[dict]:
    return json.loads((corpora / "line_webhooks" / "signature_vectors.json").read_text())["vectors"]


def _body(corpora, vector: dict) -> bytes:
    if "body_file" in vector:
        return (corpora / "line_webhooks" / vector["body_file"]).read_bytes()
    return vector["body"].encode("utf-8")


def _counts() -> list[int]:
    return [m.objects.count() for m in (WebhookEvent, Message, Chat, LineUser, MonthlyUsage)]


def _nothing_stored() -> bool:
    return not any(_counts())


def test_every_signature_vector_gives_its_expected_result(client, settings, corpora):
    vectors = _vectors(corpora)
    assert len(vectors) >= 10
    for vector in vectors:
        settings.LINE_CHANNEL_SECRET = vector["channel_secret"]
        body = _body(corpora, vector)
        before = _counts()
        headers = {"X-Line-Signature": vector["x_line_signature"]}
        if "content-encoding" in vector["id"]:
            headers["Content-Encoding"] = "1"
        response = client.post("/line/webhook/", data=body, content_type="application/json", headers=headers)
        answer = json.loads(response.content)
        # The SDK's validator agrees with the vector, and so does the view.
        assert (
            SignatureValidator(vector["channel_secret"]).validate(body.decode(), vector["x_line_signature"])
            is vector["expected_valid"]
        ), vector["id"]
        if not vector["expected_valid"]:
            assert response.status_code == 400, vector["id"]
            assert answer["error"] == "invalid X-Line-Signature", vector["id"]
            assert _counts() == before, vector["id"]
            continue
        if b'"events"' in body:
            assert response.status_code == 200, (vector["id"], answer)
        else:  # a valid signature on something that is not a webhook payload: refused, not as forged
            assert response.status_code == 400, vector["id"]
            assert answer["error"] == "the body is not a LINE webhook payload", vector["id"]


def test_missing_signature_is_refused_and_changes_nothing(client, settings):
    settings.LINE_CHANNEL_SECRET = SECRET
    response = client.post(
        "/line/webhook/", data=body_of(text_event("Uabc", "よう")), content_type="application/json"
    )
    assert response.status_code == 400
    assert json.loads(response.content)["error"] == "missing X-Line-Signature"
    assert _nothing_stored()


def test_body_signed_with_another_secret_is_refused(client, settings):
    settings.LINE_CHANNEL_SECRET = SECRET
    response = post_signed(client, body_of(text_event("Uabc", "よう")), secret="not-the-channel-secret")
    assert response.status_code == 400
    assert _nothing_stored()


def test_a_body_changed_after_signing_is_refused(client, settings):
    from line_bot.simulator import sign

    settings.LINE_CHANNEL_SECRET = SECRET
    body = body_of(text_event("Uabc", "よう"))
    signature = sign(body, SECRET)
    tampered = body.replace("よう".encode(), "やあ".encode())
    response = client.post(
        "/line/webhook/",
        data=tampered,
        content_type="application/json",
        headers={"X-Line-Signature": signature},
    )
    assert response.status_code == 400
    assert _nothing_stored()


def test_console_verify_with_no_events_gets_200(client, settings):
    settings.LINE_CHANNEL_SECRET = SECRET
    response = post_signed(client, b'{"destination":"U0123","events":[]}')
    assert response.status_code == 200
    assert json.loads(response.content) == {"ok": True, "events": []}
    assert _nothing_stored()


def test_get_is_not_allowed(client):
    assert client.get("/line/webhook/").status_code == 405
