"""`manage.py train`: the dry-run report, and `--wait` running inline when no worker consumes gpu."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from tests.factories import make_snapshot, make_source
from training.jobs.models import Job
from training.train.models import ModelVersion, TrainingJob

MARISA_LINES = ("賽銭箱に入れるくらいなら", "借りてるだけだぜ", "それは遠慮しておくぜ")
OTHER_LINES = ("じゃあ帰りなさい", "それを泥棒と言うのよ", "本を返しなさい")


def last_json(text: str) -> dict:
    return json.loads(text.strip().splitlines()[-1])


@pytest.mark.django_db
def test_dry_run_reports_the_trained_text_of_the_character_only(demo_model_dir: Path) -> None:
    make_source()
    out = StringIO()
    call_command("train", "--dry-run", "--json", "--base-model", str(demo_model_dir), stdout=out)
    report = last_json(out.getvalue())
    assert report["examples"] > 0 and report["tokens"] > report["trained_tokens"] > 0
    assert 0 < len(report["samples"]) <= 20
    trained = "".join(report["samples"])
    assert any(line in trained for line in MARISA_LINES)
    assert not any(line in trained for line in OTHER_LINES)
    assert "霊夢:" not in trained and "咲夜:" not in trained
    assert report["train_conversations"] + report["held_out_conversations"] == 6
    assert not TrainingJob.objects.exists()  # nothing was trained or queued


@pytest.mark.django_db
def test_dry_run_without_data_says_what_to_do() -> None:
    with pytest.raises(CommandError, match="import a corpus"):
        call_command("train", "--dry-run", stdout=StringIO())


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_wait_without_a_worker_trains_inline_and_ends_with_json(demo_model_dir: Path) -> None:
    snapshot = make_snapshot()
    out, err = StringIO(), StringIO()
    call_command(
        "train",
        "--snapshot",
        str(snapshot.pk),
        "--base-model",
        str(demo_model_dir),
        "--max-steps",
        "2",
        "--max-seq-length",
        "128",
        "--batch-size",
        "2",
        "--lora-r",
        "8",
        "--wait",
        "--json",
        stdout=out,
        stderr=err,
    )
    summary = last_json(out.getvalue())
    assert summary["status"] == Job.Status.SUCCEEDED, summary
    assert "running the job in this process" in out.getvalue()
    job = TrainingJob.objects.get(pk=summary["job"])
    assert job.step == 2 and job.params["load_in_4bit"] is True
    version = ModelVersion.objects.get(pk=summary["model_version"])
    assert version.training_job == job and summary["metrics"]["steps"] == 2
