"""The same file uploaded several times at once, against gunicorn: one import, the others refused.

On SQLite and on PostgreSQL, through the API and through the upload page: exactly one upload is
stored, every other one gets the documented 400 naming the earlier import (never a 500 from the
unique sha256), and one source per file is in the database. An import that waited out SQLite's busy
timeout behind another is refused with a reason too.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
import requests

from tests import servers
from tests.factories import password_for

UPLOADS = 3
USER = "uploader"


def script(tag: str) -> bytes:
    # Big enough that the imports overlap (parsing and storing take a while), small enough to stay quick.
    return "".join(f"魔理沙「{tag}{i}回目だぜ」\n霊夢「はいはい」\n\n" for i in range(3000)).encode("utf-8")


SETUP = f"""
from rest_framework.authtoken.models import Token
from tests.factories import make_staff
print(Token.objects.create(user=make_staff("{USER}")).key)
"""

COUNT = """
from annotation.corpus.models import Source
print(Source.objects.count())
"""


def via_api(base: str, token: str, data: bytes) -> requests.Response:
    files = {"file": ("scene.txt", data, "text/plain")}
    headers = {"Authorization": f"Token {token}"}
    return requests.post(f"{base}/api/sources/", files=files, headers=headers, timeout=120)


def page_session(base: str) -> requests.Session:
    """A logged-in browser session (the login form, with its CSRF token)."""
    session = requests.Session()
    form = session.get(f"{base}/accounts/login/", timeout=30).text
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form)
    assert csrf, form[:500]
    login = {"username": USER, "password": password_for(USER), "csrfmiddlewaretoken": csrf.group(1)}
    session.post(f"{base}/accounts/login/", data=login, timeout=30).raise_for_status()
    assert "sessionid" in session.cookies, "the login did not take"
    return session


def via_page(session: requests.Session, base: str, data: bytes) -> requests.Response:
    headers = {"Accept": "application/json", "X-CSRFToken": session.cookies["csrftoken"]}
    files = {"file": ("scene.txt", data, "text/plain")}
    return session.post(
        f"{base}/corpus/import/", files=files, data={"format": "auto"}, headers=headers, timeout=120
    )


def at_once(calls: list[Callable[[], requests.Response]]) -> list[tuple[int, str]]:
    """Run the calls in threads released together; (status, body) of each."""
    gate = threading.Barrier(len(calls))
    results: list[tuple[int, str]] = []
    lock = threading.Lock()

    def one(call: Callable[[], requests.Response]) -> None:
        gate.wait()
        try:
            response = call()
            outcome = (response.status_code, response.text)
        except requests.RequestException as exc:
            outcome = (0, repr(exc))
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=one, args=(call,)) for call in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(180)
    return results


def check(results: list[tuple[int, str]], ok: int, key: str, log: str) -> None:
    statuses = sorted(status for status, _ in results)
    assert statuses == [ok] + [400] * (UPLOADS - 1), ([(s, b[:300]) for s, b in results], log[-4000:])
    refused = [json.loads(body)[key] for status, body in results if status == 400]
    assert all("already imported" in reason for reason in refused), refused


def run(database_url: str) -> None:
    env = servers.django_env(database_url, "redis://127.0.0.1:9/0")
    servers.manage(env, "migrate", "--noinput")
    token = servers.manage(env, "shell", "-c", SETUP).stdout.strip().splitlines()[-1]
    web = servers.start_web(env, workers=3, threads=2)
    base = web.extra["url"]
    try:
        api_file = script("API")
        results = at_once([lambda: via_api(base, token, api_file)] * UPLOADS)
        check(results, 201, "detail", web.log())
        sessions = [page_session(base) for _ in range(UPLOADS)]
        page_file = script("PAGE")
        results = at_once([lambda s=s: via_page(s, base, page_file) for s in sessions])
        check(results, 200, "error", web.log())
    finally:
        web.stop()
    assert servers.manage(env, "shell", "-c", COUNT).stdout.strip().splitlines()[-1] == "2"


@pytest.mark.slow
def test_same_upload_three_times_at_once_on_sqlite(tmp_path: Path) -> None:
    run(f"sqlite:///{tmp_path / 'uploads.sqlite3'}")


@pytest.mark.postgres
@pytest.mark.slow
def test_same_upload_three_times_at_once_on_postgresql(postgres_url: str) -> None:
    run(postgres_url)


@pytest.mark.django_db
def test_an_import_that_waited_out_the_sqlite_lock_is_refused_with_a_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from contextlib import contextmanager

    from django.db import OperationalError, connection

    from annotation.corpus import importing

    if connection.vendor != "sqlite":
        pytest.skip("SQLite's single writer only")

    class Locked:
        @staticmethod
        @contextmanager
        def atomic():  # noqa: ANN205 (as BEGIN IMMEDIATE fails after the busy timeout)
            raise OperationalError("database is locked")
            yield

    monkeypatch.setattr(importing, "transaction", Locked)
    path = tmp_path / "scene.txt"
    path.write_bytes(script("LOCK"))
    with pytest.raises(importing.ImportFailed, match="the database is busy storing another import"):
        importing.import_path(path)
