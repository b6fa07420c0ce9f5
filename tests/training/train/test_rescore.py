"""Growing the evaluation set re-scores every model version on the grown set."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from annotation.datasets.snapshots import create_snapshot
from tests.factories import SCENES, make_character, make_source, make_sparse_source, make_version
from training.train.eval_set import ensure_eval_set

pytestmark = [pytest.mark.slow, pytest.mark.django_db]


def _untrained_adapter(base: Path, out: Path) -> Path:
    """A LoRA adapter on the demo model, saved as training saves one (seconds, no training)."""
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    model = get_peft_model(
        AutoModelForCausalLM.from_pretrained(base),
        LoraConfig(r=4, target_modules="all-linear", task_type="CAUSAL_LM"),
    )
    model.save_pretrained(out)
    return out


def test_grow_rescores_the_versions_on_the_grown_set(demo_model_dir: Path, tmp_path: Path) -> None:
    character = make_character()
    make_sparse_source(scenes=24, speaking_every=2)
    ensure_eval_set(character)
    snapshot = create_snapshot()
    adapter = _untrained_adapter(demo_model_dir, tmp_path / "adapter")
    version = make_version(
        name="v1",
        snapshot=snapshot,
        base_model=str(demo_model_dir),
        adapter_dir=str(adapter),
        metrics={"eval": {"loss": None}, "eval_set_her_lines": 6},
    )
    gone = make_version(name="v0", snapshot=snapshot, adapter_dir=str(tmp_path / "missing"))
    make_source(SCENES, title="後から来た台本")
    out, err = StringIO(), StringIO()
    call_command("eval_set", "--grow", "--json", stdout=out, stderr=err)
    summary = json.loads(out.getvalue().strip().splitlines()[-1])
    version.refresh_from_db()
    assert version.metrics["eval"]["loss"] > 0 and version.metrics["eval"]["eval_tokens"] > 0
    assert version.metrics["eval_set_her_lines"] == summary["her_lines"] > 6
    assert "rescored_at" in version.metrics
    assert {row["version"]: row["rescored"] for row in summary["rescored"]} == {"v1": True, "v0": False}
    gone.refresh_from_db()
    assert "rescored_at" not in gone.metrics
