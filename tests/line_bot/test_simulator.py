"""The staff-only simulator: signed webhooks sent by the server to its own /line/webhook/."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request

import pytest

from line_bot.models import Chat, Message
from tests import servers


@pytest.mark.django_db
def test_simulator_is_for_staff_only(client, django_user_model):
    assert client.get("/line/simulator/").status_code == 302
    django_user_model.objects.create_user("reviewer", password="pw-12345678")
    client.login(username="reviewer", password="pw-12345678")
    assert client.get("/line/simulator/").status_code == 302
    assert client.post("/line/simulator/send/", "{}", content_type="application/json").status_code == 302


@pytest.mark.django_db
def test_simulator_page_shows_the_chat(admin_client, line_settings):
    page = admin_client.get("/line/simulator/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "line_simulator.js" in html and 'id="line-chat"' in html and "/line/simulator/send/" in html


def test_simulator_sends_signed_webhooks_and_shows_the_answers(
    live_server, admin_client, line_settings, redis_url
):
    """The page's request is handled here; the webhook it sends goes over HTTP to the live server."""
    line_settings.ALLOWED_HOSTS = ["*"]
    host = live_server.url.split("//", 1)[1]

    def send(payload: dict):
        return admin_client.post(
            "/line/simulator/send/", json.dumps(payload), content_type="application/json", HTTP_HOST=host
        )

    sent = send({"kind": "follow"})
    assert json.loads(sent.content).get("status") == 200, sent.content
    sent = send({"kind": "text", "text": "よう、魔理沙"})
    answer = json.loads(sent.content)
    assert answer["status"] == 200 and json.loads(answer["webhook_answer"])["events"] == ["queued"]
    empty = send({"kind": "text", "text": "  "})
    assert empty.status_code == 400

    chat = Chat.objects.get()
    assert chat.kind == "user" and chat.line_id.startswith("U") and len(chat.line_id) == 33
    polled = json.loads(admin_client.get("/line/simulator/messages/?after=0").content)
    kinds = [(m["direction"], m["kind"], m["status"]) for m in polled["messages"]]
    assert kinds == [("out", "greeting", "pending"), ("in", "text", "queued")]
    assert polled["pending"] == 2
    last = polled["messages"][-1]["id"]
    later = json.loads(admin_client.get(f"/line/simulator/messages/?after={last}").content)
    assert later["messages"] == []
    assert Message.objects.count() == 2


def test_standin_runs_from_the_command_line():
    port = servers.free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "line_bot.standin", "--port", str(port), "--token", "cli-token"],
        cwd=servers.REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        base = f"http://127.0.0.1:{port}"

        def up() -> bool:
            with urllib.request.urlopen(base + "/__recorded__", timeout=1) as response:
                return response.status == 200

        servers.wait_for(up, 20, "the stand-in")
        request = urllib.request.Request(
            base + "/v2/bot/message/quota", headers={"Authorization": "Bearer cli-token"}
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            assert json.loads(response.read()) == {"type": "limited", "value": 200}
        bad = urllib.request.Request(
            base + "/v2/bot/message/quota", headers={"Authorization": "Bearer wrong"}
        )
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(bad, timeout=5)
        assert refused.value.code == 401
    finally:
        proc.terminate()
        proc.wait(10)
