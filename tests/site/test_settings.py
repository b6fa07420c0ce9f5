"""Settings come from the environment: safe defaults, loud errors, a clean deploy check."""

import os
import subprocess
import sys

from tests.servers import REPO

PRODUCTION = {
    "SECRET_KEY": "x" * 60 + "production-like-key-for-the-deploy-check",
    "ALLOWED_HOSTS": "marisa.example.com",
    "DJANGO_DEBUG": "0",
}


def manage(env_overrides: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DJANGO_DEBUG", "SECRET_KEY", "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    env.update(env_overrides)
    env["DJANGO_SETTINGS_MODULE"] = "marisa_site.settings"
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=REPO, env=env, capture_output=True, text=True
    )


def test_deploy_check_is_clean_with_production_variables(tmp_path):
    result = manage(
        {**PRODUCTION, "MARISA_DATA_DIR": str(tmp_path)}, "check", "--deploy", "--fail-level", "WARNING"
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_missing_secret_key_stops_the_start_with_its_name(tmp_path):
    result = manage({"DJANGO_DEBUG": "0", "MARISA_DATA_DIR": str(tmp_path)}, "check")
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_a_malformed_value_is_an_error_naming_the_variable(tmp_path):
    result = manage({**PRODUCTION, "MARISA_DATA_DIR": str(tmp_path), "MARISA_MONTHLY_LIMIT": "lots"}, "check")
    assert result.returncode != 0
    assert "MARISA_MONTHLY_LIMIT='lots' is not an integer" in result.stderr


def test_database_url_defaults_to_sqlite_under_the_data_dir(tmp_path):
    code = "from django.conf import settings; print(settings.DATABASES['default']['NAME'])"
    result = manage({**PRODUCTION, "MARISA_DATA_DIR": str(tmp_path)}, "shell", "-c", code)
    assert result.stdout.strip().splitlines()[-1] == str(tmp_path / "marisa.sqlite3")
