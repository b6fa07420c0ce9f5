"""The README tour's two rounds on the demo model, measured on the pinned evaluation set.

setup_demo -> snapshot -> round 1 (SFT, the demo defaults) -> candidates for the demo questions -> a reviewer
corrects some and rejects the rest (tests/data/demo_corrections.tsv: what they type) -> snapshot -> round 2
continuing round 1's adapter -> `evaluate --json`. Version 1's her-token perplexity is below the base
model's, and version 2's below version 1's, on the same pinned conversations, which neither round trained on.
"""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from annotation.datasets.snapshots import create_snapshot
from annotation.review import queue
from annotation.review.models import Candidate
from tests.factories import make_reviewer
from training.train.models import ModelVersion

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

CORRECTIONS = Path(__file__).resolve().parent.parent / "data" / "demo_corrections.tsv"


def _corrections() -> dict[str, str]:
    rows = [line.split("\t") for line in CORRECTIONS.read_text(encoding="utf-8").splitlines()]
    return {row[0]: row[1] for row in rows if len(row) == 2 and not row[0].startswith("#")}


def _review_everything(corrections: dict[str, str]) -> int:
    """The tour's review step: one corrected reply per question the reviewer has an answer for, the rest rejected."""
    reviewer = make_reviewer("tour-reviewer")  # setup_demo made "reviewer"
    corrected: set[str] = set()
    while (cand := queue.claim(reviewer)) is not None:
        question = cand.question.text
        if question in corrections and question not in corrected:
            queue.submit(cand.pk, reviewer, "edit", corrections[question], cand.version)
            corrected.add(question)
        else:
            queue.submit(cand.pk, reviewer, "reject", None, cand.version, "babble")
    return len(corrected)


def _command(*args: str) -> dict:
    out = StringIO()
    call_command(*args, "--json", stdout=out, stderr=StringIO())
    return json.loads(out.getvalue().strip().splitlines()[-1])


def test_each_round_lowers_her_perplexity_on_the_pinned_set(
    settings, demo_model_dir: Path, one_torch_thread: None
) -> None:
    settings.MARISA_DEMO_MODEL_DIR = demo_model_dir
    settings.MARISA_BASE_MODEL = ""
    call_command("setup_demo", stdout=StringIO())

    first = _command("train", "--snapshot", str(create_snapshot().pk), "--wait", "--inline")
    v1 = ModelVersion.objects.get()
    _command("generate", "--version", str(v1.pk), "--question-set", "demo", "--wait", "--inline")
    assert Candidate.objects.filter(model_version=v1).exists()
    assert _review_everything(_corrections()) >= 20
    snapshot = create_snapshot()
    second = _command(
        "train", "--snapshot", str(snapshot.pk), "--from-version", str(v1.pk), "--wait", "--inline"
    )
    v2 = ModelVersion.objects.exclude(pk=v1.pk).get()
    assert v2.parent_id == v1.pk and first and second

    report = _command("evaluate")
    rows = {row["id"]: row for row in report["versions"]}
    base, one, two = rows["base"], rows[v1.pk], rows[v2.pk]
    assert report["eval_set"]["character_lines"] >= 20 and report["eval_set"]["questions"] > 0
    print(
        "her-token perplexity: base",
        base["character_ppl"],
        "v1",
        one["character_ppl"],
        "v2",
        two["character_ppl"],
    )
    assert one["character_ppl"] < base["character_ppl"]
    assert two["character_ppl"] < one["character_ppl"]
    assert one["base_character_ppl"] == pytest.approx(base["character_ppl"], rel=1e-3)
