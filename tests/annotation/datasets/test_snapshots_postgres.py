"""Snapshots on PostgreSQL: parallel creates of the same data give one snapshot, and it exports."""

from __future__ import annotations

import json
import subprocess
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests import servers

pytestmark = pytest.mark.postgres

SEED = """
from tests.factories import seed_corpus, make_question, make_candidate
seed_corpus()
q = make_question("好きな食べ物は？")
make_candidate(q, "きのこです。", status="edited", final_text="きのこに決まってるだろ！")
"""

CREATE = """
from annotation.datasets.snapshots import create_snapshot
print(create_snapshot().pk)
"""

COUNT = """
import json
from annotation.models import DatasetSnapshot
from annotation.datasets.snapshots import verify_snapshot
snaps = list(DatasetSnapshot.objects.all())
print(json.dumps({"count": len(snaps), "verified": all(verify_snapshot(s) for s in snaps)}))
"""


def test_parallel_creates_of_the_same_data_give_one_snapshot(postgres_url: str, tmp_path) -> None:  # noqa: ANN001
    env = servers.django_env(postgres_url, "redis://127.0.0.1:9/0", MARISA_DATA_DIR=str(tmp_path))
    servers.manage(env, "migrate", "--noinput")
    servers.manage(env, "shell", "-c", SEED)
    with ThreadPoolExecutor(4) as pool:
        runs = list(pool.map(lambda _: servers.manage(env, "shell", "-c", CREATE), range(4)))
    ids = {run.stdout.strip().splitlines()[-1] for run in runs}
    assert len(ids) == 1, [r.stdout + r.stderr for r in runs]
    state = json.loads(servers.manage(env, "shell", "-c", COUNT).stdout.strip().splitlines()[-1])
    assert state == {"count": 1, "verified": True}
    out = subprocess.run(
        [servers.PYTHON, "manage.py", "export_dataset", "--format", "jsonl", "--no-progress"],
        cwd=servers.REPO,
        env=env,
        capture_output=True,
        check=True,
    )
    rows = [json.loads(x) for x in out.stdout.decode().splitlines()]
    assert [r["kind"] for r in rows] == ["corpus", "corpus", "correction"]
    assert rows[-1]["lines"][-1]["text"] == "きのこに決まってるだろ！"
