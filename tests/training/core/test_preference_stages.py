"""DPO and KTO stages on the CPU with the tiny demo model in 4-bit, continuing an SFT version's adapter; and an SFT
round continuing an earlier version."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.training.core.test_qlora import MARISA, RecordingHooks, demo_conversations, small_config
from training.core.preference_data import PreferencePair, PreferenceRow, PreferenceSet
from training.core.textformat import chat_prompt

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("one_torch_thread")]

SEP = "\n"
TOPICS = (
    "キノコ",
    "魔法",
    "本",
    "霊夢",
    "お茶",
    "箒",
    "星",
    "森",
    "図書館",
    "神社",
    "実験",
    "弾幕",
    "宴会",
    "昼寝",
    "八卦炉",
    "研究",
    "散歩",
    "夜空",
    "紅茶",
    "読書",
    "異変",
    "魔導書",
    "朝",
    "雨",
)


def style_pairs(topics: tuple[str, ...]) -> list[PreferencePair]:
    """Her way of speaking (…だぜ) preferred to a polite one (…です) about the same topic."""
    return [
        PreferencePair(
            f"p{i}",
            chat_prompt([], f"{t}はどう？", MARISA, SEP),
            f"{t}が好きだぜ{SEP}",
            f"{t}が好きです{SEP}",
            "edit",
        )
        for i, t in enumerate(topics)
    ]


@pytest.fixture(scope="module")
def sft_version(demo_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A short SFT round: the version the preference stages start from."""
    from training.core.qlora import train

    convs = demo_conversations(6)
    out = tmp_path_factory.mktemp("sft")
    result = train(
        convs, convs[:1], MARISA, small_config(demo_model_dir, out, max_steps=4, eval_max_prompts=1)
    )
    return result.adapter_dir


def preference_config(
    demo_model_dir: Path, out: Path, parent: Path, stage: str, **overrides: object
) -> object:
    params = {
        "stage": stage,
        "from_adapter": str(parent),
        "learning_rate": 5e-3,
        "max_steps": 12,
        "min_examples": 8,
        "eval_max_prompts": 1,
        "save_steps": 100,
    }
    params.update(overrides)
    return small_config(demo_model_dir, out, **params)


def test_dpo_stage_raises_the_held_out_margin_over_the_version_it_continues(
    demo_model_dir, sft_version, tmp_path
):
    from training.core.preference import train_preference

    pairs = style_pairs(TOPICS)
    data = PreferenceSet(train=pairs[:18], held_out=pairs[18:])
    hooks = RecordingHooks()
    config = preference_config(demo_model_dir, tmp_path / "dpo", sft_version, "dpo")
    result = train_preference(data, demo_conversations(1), MARISA, config, hooks)

    assert not result.stopped and result.metrics["stage"] == "dpo" and result.metrics["steps"] == 12
    ev = result.metrics["preference_eval"]
    assert ev["held_out"] == 6
    # Held-out topics never trained on: the new version prefers her reply by more than its parent did.
    assert ev["margin"] > ev["parent_margin"]
    assert ev["reward_accuracy"] > 0.5 and ev["reward_margin"] > 0
    assert hooks.progress[-1]["step"] == 12 and hooks.progress[-1]["loss"] is not None
    assert (result.adapter_dir / "adapter_model.safetensors").is_file()
    assert not (result.adapter_dir / "ref").exists()  # TRL's frozen reference copy is not part of the version
    assert result.metrics["eval"]["loss"] is not None  # also scored on the SFT evaluation conversations


def test_kto_stage_raises_the_desirable_rows_likelihood_over_the_undesirable(
    demo_model_dir, sft_version, tmp_path
):
    from training.core.preference import train_preference

    rows = []
    for pair in style_pairs(TOPICS):
        rows.append(PreferenceRow(pair.id, pair.prompt, pair.chosen, True, "accepted"))
        rows.append(PreferenceRow(pair.id + "#r0", pair.prompt, pair.rejected, False, "rejected"))
    data = PreferenceSet(train=rows[:36], held_out=rows[36:])
    config = preference_config(demo_model_dir, tmp_path / "kto", sft_version, "kto")
    result = train_preference(data, [], MARISA, config, RecordingHooks())

    ev = result.metrics["preference_eval"]
    assert ev["held_out"] == 12
    assert ev["likelihood_gap"] > ev["parent_likelihood_gap"]
    assert ev["reward_margin"] > 0


def test_too_few_pairs_is_refused_with_the_count_needed(demo_model_dir, sft_version, tmp_path):
    from training.core.preference import train_preference
    from training.core.preference_data import NotEnoughPreferenceData

    data = PreferenceSet(train=style_pairs(TOPICS[:5]))
    config = preference_config(demo_model_dir, tmp_path / "few", sft_version, "dpo", min_examples=32)
    with pytest.raises(NotEnoughPreferenceData, match="5 preference pairs.*DPO needs at least 32"):
        train_preference(data, [], MARISA, config)


def test_continuing_a_version_starts_from_its_loss_not_from_the_fresh_start(demo_model_dir, tmp_path):
    from training.core.qlora import train

    convs = demo_conversations(6)
    common = {"max_steps": 10, "eval_max_prompts": 1, "save_steps": 100, "group_by_length": False}
    first_hooks = RecordingHooks()
    first = train(convs, [], MARISA, small_config(demo_model_dir, tmp_path / "v1", **common), first_hooks)
    losses = [p["loss"] for p in first_hooks.progress if p.get("loss") is not None]
    fresh_start, parent_final = losses[0], losses[-1]
    assert parent_final < fresh_start - 0.3  # the first round learned something to continue from

    hooks = RecordingHooks()
    config = small_config(demo_model_dir, tmp_path / "v2", from_adapter=str(first.adapter_dir), **common)
    train(convs, [], MARISA, config, hooks)
    first_step = next(p["loss"] for p in hooks.progress if p.get("loss") is not None)
    assert abs(first_step - parent_final) < abs(first_step - fresh_start)


def test_a_cancelled_dpo_stage_resumes_from_its_checkpoint_and_keeps_its_parent_as_reference(
    demo_model_dir, sft_version, tmp_path
):
    from training.core.preference import train_preference

    pairs = style_pairs(TOPICS)
    data = PreferenceSet(train=pairs[:18], held_out=pairs[18:])
    config = preference_config(demo_model_dir, tmp_path / "dpo", sft_version, "dpo", max_steps=6)
    stopped = train_preference(data, [], MARISA, config, RecordingHooks(stop_after=2))
    assert stopped.stopped and stopped.adapter_dir.name == "checkpoint-2"

    config.resume_from_checkpoint = True
    hooks = RecordingHooks()
    result = train_preference(data, [], MARISA, config, hooks)
    assert not result.stopped and result.metrics["steps"] == 6
    assert hooks.stop_checks == 4  # steps 3-6 only
    ev = result.metrics["preference_eval"]
    assert ev["margin"] > ev["parent_margin"]  # measured against the version it continued, not the checkpoint
