"""The webhook side never loads torch: a web process stays small and answers within LINE's limit."""

from __future__ import annotations

import subprocess
import sys

from tests import servers

PROBE = """
import os, sys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marisa_site.test_settings")
import django
django.setup()
import line_bot.admin, line_bot.handling, line_bot.quota, line_bot.tasks, line_bot.urls, line_bot.views  # noqa
from line_bot import simulator
from django.test import Client
body = simulator.webhook_body([])
response = Client().post("/line/webhook/", body, content_type="application/json",
                         headers={"X-Line-Signature": simulator.sign(body, "probe-secret")})
assert response.status_code == 200, response.content
heavy = sorted(m for m in ("torch", "transformers", "peft") if m in sys.modules)
print("HEAVY:" + ",".join(heavy))
"""


def test_webhook_modules_do_not_import_torch():
    env = servers.django_env(
        "sqlite:///:memory:", "redis://127.0.0.1:1/0", LINE_CHANNEL_SECRET="probe-secret"
    )
    done = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=servers.REPO, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "HEAVY:\n" in done.stdout, done.stdout
