"""Celery workers yield the CPU to the web server: they and their pool run at MARISA_WORKER_NICE."""

import os

import psutil
import pytest

from tests import servers
from tests.site.test_settings import PRODUCTION, manage


def _pool_niceness(worker: servers.Process) -> list[int]:
    main = psutil.Process(worker.popen.pid)
    return [p.nice() for p in [main, *main.children(recursive=True)]]


@pytest.mark.django_db(transaction=True)
def test_worker_and_its_pool_run_at_the_configured_niceness(worker_env):
    wanted = max(7, os.nice(0))  # a test run already niced above 7 cannot lower it
    worker = servers.start_celery_worker({**worker_env, "MARISA_WORKER_NICE": str(wanted)}, concurrency=2)
    try:
        servers.wait_for(lambda: len(_pool_niceness(worker)) >= 3, 30, "the worker's pool")
        assert set(_pool_niceness(worker)) == {wanted}
    finally:
        worker.stop()


def test_a_niceness_beyond_the_lowest_priority_stops_the_start_with_its_name(tmp_path):
    result = manage({**PRODUCTION, "MARISA_DATA_DIR": str(tmp_path), "MARISA_WORKER_NICE": "25"}, "check")
    assert result.returncode != 0
    assert "MARISA_WORKER_NICE=25 is above the maximum 19" in result.stderr
