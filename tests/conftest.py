"""Shared fixtures: real Redis, a real Celery worker, PostgreSQL, the real corpora, a staff API client.

The makers of rows live in tests/factories.py; the fixtures here that need rows call them."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from django.conf import settings

from tests import servers

if TYPE_CHECKING:
    from rest_framework.test import APIClient


def find_corpora() -> Path:
    """MARISA_CORPORA, else the shared folder beside the checkout (where CI and the workplace keep it)."""
    if os.environ.get("MARISA_CORPORA"):
        return Path(os.environ["MARISA_CORPORA"])
    candidates = [servers.REPO.parent / "shared" / "corpora", Path("/work/shared/corpora")]
    return next((path for path in candidates if path.is_dir()), candidates[0])


CORPORA = find_corpora()


@pytest.fixture(scope="session")
def corpora() -> Path:
    if not CORPORA.is_dir():
        pytest.fail(f"the shared corpora are missing at {CORPORA} (set MARISA_CORPORA)")
    return CORPORA


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A real Redis server for the session; the Django settings point their broker at it."""
    server, url = servers.start_redis()
    old = settings.CELERY_BROKER_URL
    settings.CELERY_BROKER_URL = url
    from marisa_site.celery import app

    app.conf.broker_url = url
    yield url
    settings.CELERY_BROKER_URL = old
    server.shutdown()


def _test_database_url() -> str:
    db = settings.DATABASES["default"]
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


@pytest.fixture
def worker_env(transactional_db, redis_url: str) -> dict[str, str]:
    """Environment for a process that shares this test's database and broker."""
    return servers.django_env(_test_database_url(), redis_url)


@pytest.fixture
def celery_worker(worker_env: dict[str, str]) -> Iterator[servers.Process]:
    """A real Celery worker process (queues default and gpu) on this test's database."""
    proc = servers.start_celery_worker(worker_env)
    yield proc
    proc.stop()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A PostgreSQL server started for the session; yields the server's maintenance URL."""
    external = os.environ.get("MARISA_TEST_POSTGRES_URL")
    if external:
        yield external
        return
    proc, url = servers.start_postgres()
    yield url
    proc.stop()


@pytest.fixture
def postgres_url(postgres_server: str, request: pytest.FixtureRequest) -> str:
    """A fresh, empty database on the session's PostgreSQL server."""
    name = "t_" + "".join(c if c.isalnum() else "_" for c in request.node.name)[:50].lower()
    return servers.create_postgres_database(postgres_server, name)


@pytest.fixture
def staff_api(db: None) -> APIClient:
    """A REST API client authenticated as a staff user ("boss"), made by the factories."""
    from rest_framework.test import APIClient

    from tests.factories import make_staff

    client = APIClient()
    client.force_authenticate(make_staff("boss"))
    return client


@pytest.fixture(scope="session")
def demo_model_dir() -> Path:
    """The tiny demo model (training/demo_model.py), built once into the test cache and reused across runs.

    The directory name hashes the corpus and the builder, so a change to either builds a fresh one.
    """
    import hashlib

    from training.core.demo_model import ensure_demo_model

    corpus = servers.REPO / "annotation" / "demo" / "corpus.txt"
    builder = servers.REPO / "training" / "core" / "demo_model.py"
    digest = hashlib.sha256(corpus.read_bytes() + builder.read_bytes()).hexdigest()[:12]
    cache = Path(settings.MARISA_TEST_CACHE_DIR)
    cache.mkdir(parents=True, exist_ok=True)
    return ensure_demo_model(cache / f"demo-model-{digest}", corpus)


CHROMIUM = "/usr/bin/chromium"
# As the machine's probe starts it: the background-networking flags keep a closed network quiet.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Debian's chromium driven by Playwright's sync API, shared by the browser tests."""
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is missing: apt-get install -y chromium (.ci/run does it)")
    from playwright.sync_api import sync_playwright

    # The sync API runs an event loop in this thread; the ORM calls made between browser steps are plain
    # synchronous ones. Allowed only while the browser runs: left in os.environ it would leak into every
    # subprocess started later (and `check --deploy` rightly complains about it).
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as pw:
            launched = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield launched
            launched.close()
