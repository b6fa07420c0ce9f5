"""The public demo secret serves only the local LINE stand-in; an unset secret elsewhere refuses every
webhook, says why in the log, and /healthz says the channel is not configured."""

from __future__ import annotations

import json
import logging

import pytest

from line_bot.channel import DEMO_ACCESS_TOKEN, DEMO_CHANNEL_SECRET, access_token
from line_bot.models import Message, WebhookEvent
from tests.line_bot.conftest import body_of, post_signed, text_event

pytestmark = pytest.mark.django_db


@pytest.fixture
def no_secret(settings):
    settings.DEBUG = True
    settings.LINE_CHANNEL_SECRET = ""
    settings.LINE_CHANNEL_ACCESS_TOKEN = ""
    return settings


@pytest.mark.parametrize(
    "api", ["https://api.line.me", "http://10.0.0.5:8001", "http://standin.example:8001"]
)
def test_the_demo_secret_is_refused_when_the_api_is_not_the_local_standin(client, no_secret, caplog, api):
    no_secret.LINE_API_BASE_URL = api
    with caplog.at_level(logging.ERROR, logger="line_bot.views"):
        response = post_signed(client, body_of(text_event("Udemo", "よう")), secret=DEMO_CHANNEL_SECRET)
    assert response.status_code == 503
    assert "LINE_CHANNEL_SECRET is not set" in json.loads(response.content)["error"]
    assert "LINE webhook refused: LINE_CHANNEL_SECRET is not set" in caplog.text
    assert not WebhookEvent.objects.exists() and not Message.objects.exists()
    assert access_token() == ""  # nor is the demo token sent to a real API

    health = client.get("/healthz").json()
    assert health["line"]["configured"] is False
    assert "LINE_CHANNEL_SECRET is not set" in health["line"]["message"]


def test_the_demo_secret_is_refused_without_debug_even_locally(client, no_secret):
    no_secret.DEBUG = False
    no_secret.LINE_API_BASE_URL = "http://127.0.0.1:8001"
    response = post_signed(client, body_of(text_event("Udemo", "よう")), secret=DEMO_CHANNEL_SECRET)
    assert response.status_code == 503


@pytest.mark.parametrize("api", ["http://127.0.0.1:8001", "http://localhost:8001", "http://[::1]:8001"])
def test_the_demo_secret_serves_the_local_standin_in_debug(client, no_secret, api):
    no_secret.LINE_API_BASE_URL = api
    response = post_signed(client, body_of(text_event("Udemo", "よう")), secret=DEMO_CHANNEL_SECRET)
    assert response.status_code == 200 and json.loads(response.content)["events"] == ["queued"]
    assert access_token() == DEMO_ACCESS_TOKEN
    assert client.get("/healthz").json()["line"]["configured"] is True


def test_a_configured_secret_is_the_only_one_accepted(client, no_secret):
    no_secret.LINE_API_BASE_URL = "http://127.0.0.1:8001"
    no_secret.LINE_CHANNEL_SECRET = "the-real-secret"
    forged = post_signed(client, body_of(text_event("Udemo", "よう")), secret=DEMO_CHANNEL_SECRET)
    assert forged.status_code == 400
    real = post_signed(client, body_of(text_event("Udemo", "よう")), secret="the-real-secret")
    assert real.status_code == 200
    assert client.get("/healthz").json()["line"] == {
        "configured": True,
        "secret": "LINE_CHANNEL_SECRET",
        "api": "http://127.0.0.1:8001",
    }


PROBE = """
import json, os
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marisa_site.settings")
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from django.test import Client
from line_bot import simulator
body = simulator.webhook_body([simulator.event("text", "Uprobe", "よう")])
response = Client().post("/line/webhook/", body, content_type="application/json",
                         headers={"X-Line-Signature": simulator.sign(body, "demo-channel-secret")})
print("STATUS:" + str(response.status_code))
"""


@pytest.mark.parametrize(("api", "expected"), [("https://api.line.me", 503), ("http://127.0.0.1:8001", 200)])
def test_the_settings_in_debug_with_no_secret_follow_the_rule(tmp_path, api, expected):
    """The settings module as a process gets it, from the environment alone (no test overrides)."""
    import subprocess
    import sys

    from tests import servers

    env = servers.django_env(f"sqlite:///{tmp_path}/probe.sqlite3", "redis://127.0.0.1:1/0")
    env.update(DJANGO_SETTINGS_MODULE="marisa_site.settings", DJANGO_DEBUG="1", LINE_API_BASE_URL=api)
    env.update(MARISA_DATA_DIR=str(tmp_path), SECRET_KEY="probe-" + "x" * 40)
    for name in ("LINE_CHANNEL_SECRET", "LINE_CHANNEL_ACCESS_TOKEN", "SECRET_KEY_FILE"):
        env.pop(name, None)
    done = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=servers.REPO, env=env, capture_output=True, text=True, timeout=120
    )
    assert f"STATUS:{expected}" in done.stdout, done.stderr[-2000:]
