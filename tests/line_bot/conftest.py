"""LINE bot fixtures: the LINE API stand-in (in-process), signed webhook helpers, small factories."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from line_bot import simulator
from line_bot.standin import StandinServer

SECRET = "test-channel-secret"
TOKEN = "test-access-token"


@pytest.fixture
def line_standin() -> Iterator[StandinServer]:
    """The LINE Messaging API stand-in on a free port of 127.0.0.1."""
    server = StandinServer(0, TOKEN).start()
    yield server
    server.stop()


@pytest.fixture
def line_settings(settings, line_standin: StandinServer):
    """Django settings pointing the real line-bot-sdk client at the stand-in."""
    settings.LINE_CHANNEL_SECRET = SECRET
    settings.LINE_CHANNEL_ACCESS_TOKEN = TOKEN
    settings.LINE_API_BASE_URL = line_standin.url
    settings.MARISA_MONTHLY_LIMIT = 200
    settings.MARISA_USER_MONTHLY_LIMIT = None
    return settings


@pytest.fixture
def line_env(line_standin: StandinServer) -> dict[str, str]:
    """Environment variables for a web server or worker process that talks to the stand-in."""
    return {
        "LINE_CHANNEL_SECRET": SECRET,
        "LINE_CHANNEL_ACCESS_TOKEN": TOKEN,
        "LINE_API_BASE_URL": line_standin.url,
    }


def text_event(user_id: str, text: str, group_id: str | None = None) -> dict:
    return simulator.event("text", user_id, text, group_id)


def body_of(*events: dict) -> bytes:
    return simulator.webhook_body(list(events))


def post_signed(client, body: bytes, secret: str = SECRET, **headers: str):
    """POST a webhook exactly as LINE would: raw bytes, signature over those bytes."""
    return client.post(
        "/line/webhook/",
        data=body,
        content_type="application/json",
        headers={"X-Line-Signature": simulator.sign(body, secret), **headers},
    )


def post_event(client, event: dict):
    response = post_signed(client, body_of(event))
    assert response.status_code == 200, response.content
    return json.loads(response.content)["events"][0]


@pytest.fixture
def line_worker(worker_env: dict[str, str], line_env: dict[str, str], demo_model_dir):
    """A real Celery worker (queue default) that answers with the demo model and sends to the stand-in."""
    from tests import servers

    env = {**worker_env, **line_env, "MARISA_DEMO_MODEL_DIR": str(demo_model_dir), "MARISA_BASE_MODEL": ""}
    proc = servers.start_celery_worker(env, queues="default")
    yield proc
    proc.stop()
