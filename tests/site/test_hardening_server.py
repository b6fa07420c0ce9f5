"""The hardening through the real server (gunicorn, two workers, a SQLite file): as a browser meets it.

A user without a role logs in through the login form and gets the explaining 403 page on every kind of page
and a 403 from the API lists; every response carries the Content-Security-Policy; five wrong passwords
lock the username from that address (the count is in the database, so both workers see it).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests import servers
from tests.factories import password_for

pytestmark = pytest.mark.slow

SETUP = """
from tests.factories import make_snapshot, make_user
make_user("nobody")
make_user("rev", "reviewer")
make_user("locked", "reviewer")
make_snapshot()
"""


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    database = Path(tmp_path_factory.mktemp("hardening")) / "site.sqlite3"
    env = servers.django_env(f"sqlite:///{database}", "redis://127.0.0.1:9/0")
    servers.manage(env, "migrate", "--noinput")
    servers.manage(env, "shell", "-c", SETUP)
    web = servers.start_web(env, workers=2, threads=2)
    try:
        yield web.extra["url"]
    finally:
        web.stop()


def post_login(session: requests.Session, base: str, username: str, password: str) -> requests.Response:
    form = session.get(f"{base}/accounts/login/", timeout=30)
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text)
    assert csrf, form.text[:500]
    data = {"username": username, "password": password, "csrfmiddlewaretoken": csrf.group(1), "next": "/"}
    return session.post(f"{base}/accounts/login/", data=data, timeout=30)


def test_every_response_carries_the_content_security_policy(base: str) -> None:
    for path in ("/accounts/login/", "/api/docs/", "/api/schema/", "/healthz"):
        policy = requests.get(f"{base}{path}", timeout=30).headers.get("Content-Security-Policy", "")
        assert "default-src 'self'" in policy and "object-src 'none'" in policy, path
        assert "frame-ancestors 'none'" in policy and "'unsafe-eval'" not in policy, path


def test_a_user_without_a_role_meets_the_explaining_page(base: str) -> None:
    session = requests.Session()
    landed = post_login(session, base, "nobody", password_for("nobody"))
    assert landed.status_code == 403 and landed.url == f"{base}/"  # the login worked; the home page refuses
    for path in ("/", "/corpus/", "/corpus/review/dashboard/", "/corpus/snapshots/1/", "/training/"):
        page = session.get(f"{base}{path}", timeout=30)
        assert page.status_code == 403, path
        assert 'id="forbidden"' in page.text and "an admin grants it" in page.text, path
        assert "Content-Security-Policy" in page.headers
    for path in ("/api/lines/", "/api/conversations/", "/api/candidates/", "/api/training-jobs/"):
        assert session.get(f"{base}{path}", timeout=30).status_code == 403, path


def test_a_reviewer_is_refused_the_bulk_corpus_over_the_real_server(base: str) -> None:
    session = requests.Session()
    assert post_login(session, base, "rev", password_for("rev")).status_code == 200
    assert session.get(f"{base}/corpus/review/", timeout=30).status_code == 200
    for path in ("/api/lines/?page_size=1000", "/api/conversations/", "/api/candidates/"):
        refused = session.get(f"{base}{path}", timeout=30)
        assert refused.status_code == 403 and "annotation.export_dataset" in refused.json()["detail"], path
    assert "Can export data sets" in session.get(f"{base}/corpus/", timeout=30).text


def test_five_wrong_passwords_lock_the_login(base: str) -> None:
    session = requests.Session()
    for _ in range(4):
        assert post_login(session, base, "locked", "wrong-password").status_code == 200
    locked = post_login(session, base, "locked", "wrong-password")
    assert locked.status_code == 429 and "Too many failed logins" in locked.text
    assert post_login(requests.Session(), base, "locked", password_for("locked")).status_code == 429
    assert "sessionid" not in session.cookies
