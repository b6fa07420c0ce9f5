"""`manage.py evaluate`: every version and the base model scored on the pinned set, figures stored."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from annotation.datasets.snapshots import create_snapshot
from tests.factories import make_character, make_sparse_source, make_version
from training.train.eval_set import ensure_eval_set

pytestmark = [pytest.mark.slow, pytest.mark.django_db, pytest.mark.usefixtures("one_torch_thread")]

FIGURES = {
    "character_ppl",
    "base_character_ppl",
    "style_marker_rate",
    "forbidden_marker_rate",
    "reference_score",
    "distinct_2",
}


def _adapter(base: Path, out: Path) -> Path:
    """A random LoRA adapter on the demo model, saved as training saves one (seconds, no training)."""
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    model = get_peft_model(
        AutoModelForCausalLM.from_pretrained(base),
        LoraConfig(r=4, target_modules="all-linear", task_type="CAUSAL_LM", init_lora_weights=False),
    )
    model.save_pretrained(out)
    return out


def _evaluate(*args: str) -> dict:
    out, err = StringIO(), StringIO()
    call_command("evaluate", *args, "--json", stdout=out, stderr=err)
    return json.loads(out.getvalue().strip().splitlines()[-1])


def test_evaluate_scores_each_version_and_the_base_and_stores_the_figures(
    demo_model_dir: Path, tmp_path: Path
) -> None:
    character = make_character()
    make_sparse_source(scenes=12, speaking_every=2)  # she speaks in 6 scenes: a small pinned set
    ensure_eval_set(character)
    snapshot = create_snapshot()
    version = make_version(
        name="v1",
        snapshot=snapshot,
        base_model=str(demo_model_dir),
        adapter_dir=str(_adapter(demo_model_dir, tmp_path / "a")),
        metrics={"train_loss": 2.5, "eval": {"loss": None}},
    )
    gone = make_version(name="v0", snapshot=snapshot, adapter_dir=str(tmp_path / "missing"))

    report = _evaluate()
    assert report["eval_set"]["conversations"] >= 1
    assert report["eval_set"]["character_lines"] >= 3 and report["eval_set"]["questions"] >= 1
    rows = {row["id"]: row for row in report["versions"]}
    assert set(rows) == {"base", version.pk, gone.pk}
    assert FIGURES <= set(rows[version.pk]) and FIGURES <= set(rows["base"])
    assert rows[version.pk]["character_ppl"] != rows[version.pk]["base_character_ppl"]  # the adapter counts
    assert rows["base"]["character_ppl"] == pytest.approx(rows[version.pk]["base_character_ppl"], rel=1e-4)
    assert rows[gone.pk]["error"] == "adapter not on disk" and rows[gone.pk]["character_ppl"] is None

    version.refresh_from_db()
    stored = version.metrics["eval"]
    assert version.metrics["train_loss"] == 2.5  # what training recorded is kept
    assert stored["perplexity"] == pytest.approx(rows[version.pk]["character_ppl"])
    assert stored["forbidden_marker_rate"] == rows[version.pk]["forbidden_marker_rate"]
    answers = stored["answers"]
    assert 1 <= len(answers) <= 8 and len(stored["base_answers"]) == len(answers)
    assert set(answers[0]) == {"question", "context", "reference", "reply"}
    assert version.metrics["eval_set"] == report["eval_set"]


def test_evaluate_named_versions_only_and_unknown_ids_are_refused(
    demo_model_dir: Path, tmp_path: Path
) -> None:
    character = make_character()
    make_sparse_source(scenes=12, speaking_every=2)
    ensure_eval_set(character)
    snapshot = create_snapshot()
    adapter = str(_adapter(demo_model_dir, tmp_path / "a"))
    first = make_version(name="v1", snapshot=snapshot, base_model=str(demo_model_dir), adapter_dir=adapter)
    other = make_version(name="v2", snapshot=snapshot, base_model=str(demo_model_dir), adapter_dir=adapter)
    report = _evaluate("--version", str(first.pk), "--no-base")
    assert [row["id"] for row in report["versions"]] == [first.pk]
    other.refresh_from_db()
    assert "rescored_at" not in other.metrics
    with pytest.raises(CommandError, match="no model version with id 999"):
        call_command("evaluate", "--version", "999")
