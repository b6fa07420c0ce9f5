"""The broker `make up` starts (marisa_site/up.py): on 127.0.0.1 only, and its queue survives a restart."""

from __future__ import annotations

import os
import shutil
import signal
import time
from pathlib import Path

import psutil
import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from marisa_site import up


@pytest.fixture
def started(tmp_path: Path):
    """start_embedded_redis as `make up` calls it; every server it started is stopped afterwards."""
    servers: list = []

    def start():
        server, url = up.start_embedded_redis(tmp_path)
        servers.append(server)
        return server, url

    yield start
    for server in servers:
        if server.pid:
            _stop(server)


def _stop(server) -> None:
    """SHUTDOWN, as `make up` does on Ctrl-C (without redis-py's reconnection attempts afterwards)."""
    redis.Redis(unix_socket_path=server.socket_file, retry=Retry(NoBackoff(), 0)).shutdown()


def _listening_addresses(pid: int) -> set[str]:
    return {
        c.laddr.ip for c in psutil.Process(pid).net_connections(kind="inet") if c.status == psutil.CONN_LISTEN
    }


def _gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def _crash(server) -> None:
    """SIGKILL, as a power cut or the OOM killer would: no chance to write anything."""
    pid = server.pid
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while not _gone(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    os.remove(server.pidfile)  # so the handle's own clean-up leaves the dead server alone
    shutil.rmtree(server.redis_dir, ignore_errors=True)


def test_it_listens_on_127_0_0_1_only(started):
    server, url = started()
    assert url.startswith("redis://127.0.0.1:")
    assert _listening_addresses(server.pid) == {"127.0.0.1"}  # not 0.0.0.0, not [::]
    assert redis.Redis.from_url(url).ping()


def test_a_queued_task_survives_a_restart_and_a_crash(started, tmp_path):
    server, url = started()
    redis.Redis.from_url(url).lpush("default", "task-1")
    _stop(server)  # Ctrl-C on `make up`

    server, url = started()
    client = redis.Redis.from_url(url)
    assert client.lrange("default", 0, -1) == [b"task-1"]
    client.lpush("default", "task-2")
    time.sleep(1.5)  # the append-only file is written every second
    _crash(server)

    server, url = started()
    assert redis.Redis.from_url(url).lrange("default", 0, -1) == [b"task-2", b"task-1"]
    assert (tmp_path / "redis" / "appendonly.aof").exists()


def test_a_server_left_running_by_an_earlier_run_is_replaced(started):
    old, _ = started()
    old_pid = old.pid
    new, url = started()  # `make up` again while the first run's Redis still runs (its run was killed)
    assert new.pid != old_pid and _gone(old_pid)
    assert redis.Redis.from_url(url).ping()
