"""Commands run by hand find what `make up` set up (var/up.env), with nothing exported."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from marisa_site import up
from tests.servers import REPO

SHOW = (
    "from django.conf import settings as s; "
    "print(s.DEBUG, s.DATABASES['default']['NAME'], s.CELERY_BROKER_URL, s.LINE_API_BASE_URL); "
    "print(s.SECRET_KEY)"
)


def clean_env(**extra: str) -> dict[str, str]:
    """A new terminal's environment: no Django or project variable, only what is passed."""
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/"), **extra}


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def made_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, dict[str, str]]:
    """The environment `make up` gives its children (debug off here, so the key must really be found),
    recorded the way up.py records it."""
    for name in list(os.environ):
        if name.startswith(("MARISA_", "LINE_", "DJANGO_", "SECRET_KEY", "REDIS_", "DATABASE_", "CELERY_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("DJANGO_DEBUG", "0")
    monkeypatch.setenv("LINE_CHANNEL_SECRET", "channel-secret-value")
    env = up.app_environment(tmp_path)
    env["REDIS_URL"] = "redis://127.0.0.1:16399/0"  # as main() does for the embedded Redis
    env["LINE_API_BASE_URL"] = "http://127.0.0.1:18001"  # as start_line_standin() does
    up.write_up_env(env)
    return tmp_path, env


def test_a_command_in_a_new_terminal_finds_the_key_database_broker_and_standin(made_up):
    directory, _ = made_up
    result = manage(clean_env(MARISA_DATA_DIR=str(directory)), "shell", "-c", SHOW)
    assert result.returncode == 0, result.stderr
    facts, key = result.stdout.strip().splitlines()[-2:]
    assert facts.split() == [
        "False",
        str(directory / "marisa.sqlite3"),
        "redis://127.0.0.1:16399/0",
        "http://127.0.0.1:18001",
    ]
    assert key == (directory / "secret_key").read_text().strip()


def test_chat_help_and_check_run_with_nothing_exported(made_up):
    directory, _ = made_up
    env = clean_env(MARISA_DATA_DIR=str(directory))
    check = manage(env, "check")
    assert check.returncode == 0, check.stderr
    assert "no issues" in check.stdout
    chat = manage(env, "chat", "--help")
    assert chat.returncode == 0, chat.stderr
    assert "Chat with the active model version" in chat.stdout


def test_the_environment_wins_over_the_file(made_up):
    directory, _ = made_up
    env = clean_env(MARISA_DATA_DIR=str(directory), REDIS_URL="redis://elsewhere:6379/1", DJANGO_DEBUG="1")
    result = manage(env, "shell", "-c", SHOW)
    assert result.returncode == 0, result.stderr
    debug, _, broker, _ = result.stdout.strip().splitlines()[-2].split()
    assert (debug, broker) == ("True", "redis://elsewhere:6379/1")


def test_the_file_is_private_and_holds_no_secret(made_up):
    directory, env = made_up
    path = directory / "up.env"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = path.read_text()
    key = (directory / "secret_key").read_text().strip()
    assert key not in text and "channel-secret-value" not in text
    assert f"SECRET_KEY_FILE={directory / 'secret_key'}" in text.splitlines()
    assert "PATH=" not in text and "HOME=" not in text  # only what the settings read
    env["DATABASE_URL"] = "postgres://marisa:hunter2@db/marisa"
    assert "hunter2" not in up.write_up_env(env).read_text()


def test_the_file_lies_under_var_unless_marisa_data_dir_says_otherwise(tmp_path):
    assert up.up_env_file({}) == REPO / "var" / "up.env"
    assert up.up_env_file({"MARISA_DATA_DIR": str(tmp_path)}) == tmp_path / "up.env"


def test_with_nothing_set_up_the_error_is_one_line_naming_make_up(tmp_path):
    result = manage(clean_env(MARISA_DATA_DIR=str(tmp_path)), "chat", "--help")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "SECRET_KEY is not set" in lines[0] and "make up" in lines[0]
