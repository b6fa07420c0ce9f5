"""A deployment over machines, as docs/operations.md ("Across machines") says, on one machine: the web process,
a gpu worker and a third process standing for the engine machine each run with their own MARISA_DATA_DIR, and
share the snapshots and adapters through one volume mounted at the same path."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests import servers
from tests.factories import make_snapshot
from tests.training.jobs.test_end_to_end import TINY, finished, wait_job
from training.jobs.models import Job
from training.train.launch import launch_training_job
from training.train.models import ModelVersion

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_machines_sharing_the_volume_train_and_export(
    settings, worker_env: dict[str, str], demo_model_dir: Path, tmp_path: Path
) -> None:
    volume = tmp_path / "volume"  # the shared mount, at the same path on every machine
    settings.DATA_DIR = volume  # the web process writes its snapshots there
    snapshot = make_snapshot()
    assert Path(snapshot.path).is_relative_to(volume)
    demo = {"MARISA_DEMO_MODEL_DIR": str(demo_model_dir), "MARISA_BASE_MODEL": ""}

    # A gpu worker on the volume: the job reads the web's snapshot, trains, and its adapter lands on the volume.
    worker = servers.start_celery_worker({**worker_env, **demo, "MARISA_DATA_DIR": str(volume)})
    try:
        job = wait_job(launch_training_job(snapshot, "", TINY), finished, worker)
    finally:
        worker.stop()
    assert job.status == Job.Status.SUCCEEDED, job.error
    version = ModelVersion.objects.get(training_job=job)
    assert Path(version.adapter_dir).is_relative_to(volume)

    # The engine machine: another process on the volume finds the adapter from the path the row names.
    env = {**worker_env, **demo, "MARISA_DATA_DIR": str(volume)}
    out = tmp_path / "exported"
    result = servers.manage(
        env, "export_model", "--version", str(version.pk), "--format", "adapter", "--out", str(out), "--json"
    )
    assert json.loads(result.stdout.strip().splitlines()[-1])
    assert (out / "adapter_config.json").is_file() or any(out.rglob("adapter_config.json"))
