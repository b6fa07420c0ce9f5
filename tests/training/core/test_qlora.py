"""QLoRA training on the CPU with the tiny demo model, through the same code path as a 7B run on a GPU."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests import servers
from training.core.textformat import CharacterSpec, Turn

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("one_torch_thread")]

MARISA = CharacterSpec("魔理沙", frozenset({"霧雨魔理沙", "まりさ"}))


def demo_conversations(n: int, size: int = 8) -> list[list[Turn]]:
    """The bundled demo corpus cut into conversations of `size` lines."""
    from training.core.demo_model import corpus_lines

    turns = [Turn(s, t) for s, t in corpus_lines(servers.REPO / "annotation" / "demo" / "corpus.txt")]
    return [turns[i : i + size] for i in range(0, size * n, size)]


def small_config(demo_model_dir: Path, out: Path, **overrides: object) -> object:
    from training.core.qlora import TrainConfig

    params = {
        "base_model": str(demo_model_dir),
        "output_dir": str(out),
        "lora_r": 8,
        "learning_rate": 3e-3,  # a tiny model and a handful of steps: a large step shows learning quickly
        "max_steps": 8,
        "per_device_batch_size": 4,
        "max_seq_length": 128,
        "save_steps": 4,
        "warmup_ratio": 0.0,
    }
    params.update(overrides)
    return TrainConfig(**params)


class RecordingHooks:
    """Real hooks as a job would pass them: record progress, ask to stop after `stop_after` steps."""

    def __init__(self, stop_after: int | None = None) -> None:
        self.progress: list[dict] = []
        self.stop_after = stop_after
        self.stop_checks = 0

    def on_progress(self, progress: dict) -> None:
        self.progress.append(progress)

    def should_stop(self) -> bool:
        self.stop_checks += 1  # asked once per optimiser step
        return self.stop_after is not None and self.stop_checks >= self.stop_after


def test_four_bit_training_lowers_the_character_loss_and_saves_a_plain_peft_adapter(demo_model_dir, tmp_path):
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    from training.core.qlora import TrainConfig, train

    convs = demo_conversations(6)
    hooks = RecordingHooks()
    config = small_config(demo_model_dir, tmp_path / "run")
    result = train(convs, convs[:3], MARISA, config, hooks)

    assert not result.stopped
    ev = result.metrics["eval"]
    # Held out = part of the tiny training set: the adapter must have learned the character's tokens.
    assert ev["loss"] < ev["base_loss"]
    assert ev["perplexity"] < ev["base_perplexity"]
    assert 0.0 <= ev["style_marker_rate"] <= 1.0 and ev["style_prompts"] > 0
    assert result.metrics["steps"] == 8

    keys = {"step", "total_steps", "loss", "learning_rate", "tokens_per_second", "eta_seconds", "epoch"}
    assert hooks.progress and all(keys <= set(p) for p in hooks.progress)
    assert hooks.progress[-1]["step"] == hooks.progress[-1]["total_steps"] == 8
    assert len(hooks.progress) <= 8 + 1  # bounded: never more than one report a step (+ the final one)

    adapter = result.adapter_dir
    saved = json.loads((adapter / "training_config.json").read_text("utf-8"))
    assert TrainConfig.from_dict(saved) == config and saved["character"]["prompt_name"] == "魔理沙"
    assert json.loads((adapter / "metrics.json").read_text("utf-8"))["eval"]["loss"] == ev["loss"]
    assert (adapter / "tokenizer.json").is_file()

    base = AutoModelForCausalLM.from_pretrained(str(demo_model_dir))
    model = PeftModel.from_pretrained(base, str(adapter))
    lora_b = [p for n, p in model.named_parameters() if "lora_B" in n]
    assert lora_b and any(torch.count_nonzero(p) > 0 for p in lora_b)


def test_the_four_bit_path_quantises_every_linear_layer_to_nf4(demo_model_dir, tmp_path):
    import bitsandbytes as bnb

    from training.core.qlora import load_peft_model

    model = load_peft_model(small_config(demo_model_dir, tmp_path))
    quantised = [m for m in model.modules() if isinstance(m, bnb.nn.Linear4bit)]
    assert len(quantised) == 2 * 7  # q, k, v, o, gate, up, down in each of the two layers
    assert {m.weight.quant_type for m in quantised} == {"nf4"}
    assert all(m.weight.quant_state.nested for m in quantised)  # double quantisation
    lora_targets = {
        n.split(".lora_A")[0].split(".")[-1] for n, _ in model.named_parameters() if "lora_A" in n
    }
    assert lora_targets == {"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"}


def test_stop_request_ends_at_the_next_step_and_resume_finishes_from_the_checkpoint(demo_model_dir, tmp_path):
    import bitsandbytes as bnb

    from training.core.qlora import load_peft_model, train

    convs = demo_conversations(6)
    out = tmp_path / "run"
    # Plain LoRA with gradient checkpointing: the other branch of load_peft_model.
    config = small_config(
        demo_model_dir, out, load_in_4bit=False, gradient_checkpointing=True, max_steps=6, save_steps=100
    )
    hooks = RecordingHooks(stop_after=3)
    stopped = train(convs, convs[:2], MARISA, config, hooks)

    assert stopped.stopped
    assert stopped.adapter_dir == out / "checkpoint-3"  # saved at the stop although save_steps is 100
    assert (stopped.adapter_dir / "adapter_model.safetensors").is_file()
    assert not (out / "adapter").exists()
    assert hooks.progress[-1]["step"] == 3

    config.resume_from_checkpoint = True
    resumed_hooks = RecordingHooks()
    result = train(convs, convs[:2], MARISA, config, resumed_hooks)
    assert not result.stopped and result.metrics["steps"] == 6
    assert resumed_hooks.stop_checks == 3  # steps 4, 5 and 6 only: steps 1-3 were not trained again
    assert (out / "adapter" / "adapter_model.safetensors").is_file()
    # Plain LoRA: no 4-bit layer anywhere.
    model = load_peft_model(config)
    assert not any(isinstance(m, bnb.nn.Linear4bit) for m in model.modules())


def test_conversations_without_the_character_are_refused_with_a_clear_error(demo_model_dir, tmp_path):
    from training.core.qlora import NoTrainingData, train

    convs = [[Turn("霊夢", "お茶どうぞ"), Turn("アリス", "ありがとう")]]
    with pytest.raises(NoTrainingData, match="魔理沙"):
        train(convs, [], MARISA, small_config(demo_model_dir, tmp_path))


def test_out_of_memory_error_says_what_to_lower(demo_model_dir, tmp_path):
    from training.core.qlora import TrainingOutOfMemory, _oom_error

    error = _oom_error(small_config(demo_model_dir, tmp_path, per_device_batch_size=16, max_seq_length=1024))
    assert isinstance(error, TrainingOutOfMemory)
    message = str(error)
    assert "out of memory" in message
    assert "per_device_batch_size (now 16" in message
    assert "max_seq_length (now 1024)" in message
    assert "gradient_checkpointing" in message


def test_config_round_trips_and_ignores_unknown_keys():
    from training.core.qlora import TrainConfig

    config = TrainConfig(base_model="m", output_dir="o", lora_r=16, target_modules=["q_proj", "v_proj"])
    data = config.to_dict() | {"from_a_newer_version": 1}
    assert TrainConfig.from_dict(data) == config


def test_token_counter_counts_real_trained_and_padded_slots(demo_model_dir):
    from training.core.loader import load_tokenizer
    from training.core.qlora import _collator
    from training.core.trainer_parts import TokenCounter

    tok = load_tokenizer(str(demo_model_dir), padding_side="right")
    counter = TokenCounter(_collator(tok, packing=False), tok.pad_token_id)
    rows = [
        {"input_ids": [5, 6, 7], "attention_mask": [1, 1, 1], "labels": [-100, 6, 7]},
        {"input_ids": [5] * 10, "attention_mask": [1] * 10, "labels": [-100] * 9 + [5]},
    ]
    batch = counter(rows)
    assert batch["input_ids"].shape == (2, 16)  # longest row (10) rounded up to a multiple of 8
    assert batch["labels"][0].tolist()[3:] == [-100] * 13  # padding is never a target
    assert (counter.real_tokens, counter.trained_tokens, counter.slots) == (13, 3, 32)
    assert counter.padding_share == pytest.approx(1 - 13 / 32)


def test_padding_free_packing_gives_the_padded_batch_loss(demo_model_dir, tmp_path):
    """Packed rows (GPU only in train()) must mean the same loss: attention may not cross sequences."""
    import torch

    from training.core.labels import build_examples
    from training.core.loader import load_tokenizer
    from training.core.qlora import _collator, load_peft_model

    tok = load_tokenizer(str(demo_model_dir), padding_side="right")
    examples, _ = build_examples(demo_conversations(3), tok, MARISA, "\n", 128)
    rows = [{k: e[k] for k in ("input_ids", "attention_mask", "labels")} for e in examples[:3]]
    model = load_peft_model(small_config(demo_model_dir, tmp_path, load_in_4bit=False)).eval()
    padded = _collator(tok, packing=False)(rows)
    packed = _collator(tok, packing=True)(rows)
    assert packed["input_ids"].shape == (1, sum(len(r["input_ids"]) for r in rows))
    with torch.no_grad():
        assert float(model(**packed).loss) == pytest.approx(float(model(**padded).loss), rel=1e-4)
