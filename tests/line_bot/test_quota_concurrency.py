"""N concurrent signed messages against a limit L give exactly min(N, L) generations, on a running server.

The web app runs under gunicorn (2 processes x 4 threads) on SQLite and on PostgreSQL; the messages
arrive at the same time from many threads, as LINE delivers them.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis

from line_bot import simulator
from tests import servers
from tests.line_bot.conftest import SECRET, body_of, text_event

pytestmark = [pytest.mark.slow]


def _post_all(url: str, bodies: list[bytes]) -> list[int]:
    with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
        results = pool.map(
            lambda b: simulator.post_webhook(url + "/line/webhook/", b, SECRET, timeout=60), bodies
        )
        return [status for status, _ in results]


def _queued_tasks(redis_url: str) -> dict[str, int]:
    """The Celery tasks waiting on the default queue, by task name (no worker is running)."""
    counts: dict[str, int] = {}
    for raw in redis.Redis.from_url(redis_url).lrange("default", 0, -1):
        name = json.loads(raw)["headers"]["task"].rsplit(".", 1)[-1]
        counts[name] = counts.get(name, 0) + 1
    return counts


def _usage(env: dict[str, str]) -> dict:
    return json.loads(servers.manage(env, "line_usage", "--json").stdout.strip().splitlines()[-1])


def _check_exactly_limit(env: dict[str, str], redis_url: str, n: int, limit: int) -> None:
    redis.Redis.from_url(redis_url).delete("default")
    web = servers.start_web(env)
    try:
        bodies = [body_of(text_event(f"Uconc{i:04d}", f"質問{i}")) for i in range(n)]
        assert _post_all(web.extra["url"], bodies) == [200] * n
        duplicate = body_of(text_event("Udup", "同じイベント"))
        assert _post_all(web.extra["url"], [duplicate] * 8) == [200] * 8
    finally:
        web.stop()
    usage = _usage(env)
    assert usage["used"] == limit  # the duplicate was refused by the quota too: the limit was already reached
    assert usage["closed_replies"] == n - limit + 1
    tasks = _queued_tasks(redis_url)
    assert tasks.get("generate_reply", 0) == min(n, limit)
    assert tasks.get("send_message", 0) == n - limit + 1  # one closed answer each, the duplicate only once


def test_quota_is_exact_under_concurrency_on_sqlite(worker_env, line_env, redis_url):
    env = {**worker_env, **line_env, "MARISA_MONTHLY_LIMIT": "12"}
    _check_exactly_limit(env, redis_url, n=30, limit=12)


@pytest.mark.postgres
def test_quota_is_exact_under_concurrency_on_postgresql(postgres_url, line_env, redis_url):
    env = servers.django_env(postgres_url, redis_url, **line_env, MARISA_MONTHLY_LIMIT="12")
    servers.manage(env, "migrate", "--noinput")
    _check_exactly_limit(env, redis_url, n=30, limit=12)


@pytest.mark.postgres
def test_per_user_limit_is_exact_under_concurrency_on_postgresql(postgres_url, line_env, redis_url):
    env = servers.django_env(
        postgres_url, redis_url, **line_env, MARISA_MONTHLY_LIMIT="100", MARISA_USER_MONTHLY_LIMIT="4"
    )
    servers.manage(env, "migrate", "--noinput")
    redis.Redis.from_url(redis_url).delete("default")
    web = servers.start_web(env)
    try:
        bodies = [body_of(text_event("Usameuser", f"{i}回目")) for i in range(16)]
        bodies += [body_of(text_event(f"Uother{i}", "よう")) for i in range(4)]
        assert _post_all(web.extra["url"], bodies) == [200] * 20
    finally:
        web.stop()
    usage = _usage(env)
    assert usage["used"] == 4 + 4
    assert {u["line_id"]: u["used"] for u in usage["users"]}["Usameuser"] == 4
    assert _queued_tasks(redis_url).get("generate_reply", 0) == 8
