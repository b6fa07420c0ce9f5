"""The DPO and KTO stages: TRL's DPOTrainer / KTOTrainer with peft on the 4-bit base, continuing a version's adapter.

The adapter of the version the stage starts from is loaded trainable (qlora.load_peft_model with from_adapter);
TRL copies it into a frozen "ref" adapter, so the reference policy is exactly that version. Progress, cancel and
resume go through the same TrainingHooks callback as SFT. Held-out pairs (or rows) are scored before training
(the parent) and after (the new version): log-probability margin, reward accuracy and reward margin.
Plain Python (no Django); torch, transformers, trl and datasets are imported inside the functions.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from training.core.preference_data import PreferenceSet, check_enough, pair_features, row_features
from training.core.qlora import (
    METRICS_FILE,
    TrainConfig,
    TrainResult,
    _evaluate,
    _oom_error,
    _release_memory,
    _save_adapter,
    _training_arguments,
    load_peft_model,
)

if TYPE_CHECKING:
    from training.core.textformat import CharacterSpec, Turn
    from training.core.trainer_parts import TrainingHooks


def train_preference(
    data: PreferenceSet,
    eval_conversations: list[list[Turn]],
    character: CharacterSpec,
    config: TrainConfig,
    hooks: TrainingHooks | None = None,
) -> TrainResult:
    """Run the DPO or KTO stage (config.stage) from config.from_adapter; save the new adapter and its metrics."""
    import torch
    from transformers.trainer_utils import get_last_checkpoint

    from training.core.base_models import check_separator
    from training.core.labels import build_examples
    from training.core.loader import load_tokenizer

    if config.stage not in ("dpo", "kto") or not config.from_adapter:
        raise ValueError("a preference stage needs stage 'dpo' or 'kto' and the adapter it continues")
    out = Path(config.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    tokenizer = load_tokenizer(config.base_model, padding_side="right")
    check_separator(tokenizer, config.line_separator)
    train_features, held_features, dropped = _features(data, tokenizer, config)
    check_enough(config.stage, len(train_features), config.min_examples, data.train)
    try:
        model = load_peft_model(config)
        parent = held_out_scores(model, held_features, config.stage, config.per_device_batch_size)
        trainer, callback = make_preference_trainer(model, tokenizer, train_features, config, hooks)
        resume = config.resume_from_checkpoint and get_last_checkpoint(str(out)) is not None
        output = trainer.train(resume_from_checkpoint=True if resume else None)
    except torch.OutOfMemoryError as exc:
        raise _oom_error(config) from exc
    steps = trainer.state.global_step
    del trainer
    _release_memory()
    if callback.stopped:
        last = get_last_checkpoint(str(out))
        return TrainResult(adapter_dir=Path(last) if last else out, metrics=callback.last, stopped=True)
    if "ref" in getattr(model, "peft_config", {}):
        model.delete_adapter("ref")  # the saved version is the trained adapter alone
    adapter_dir = _save_adapter(out / "adapter", model, tokenizer, config, character)
    metrics: dict[str, Any] = {
        "stage": config.stage,
        "train_loss": output.training_loss,
        "train_runtime_s": output.metrics.get("train_runtime"),
        "steps": steps,
        "preference_data": {**data.report(), **dropped},
        # Pairs (DPO) or rows (KTO) per second of training, the last batch of an epoch counted as full.
        "examples_per_second": steps
        * config.per_device_batch_size
        * config.gradient_accumulation_steps
        / max(output.metrics.get("train_runtime") or 0.0, 1e-9),
    }
    child = held_out_scores(model, held_features, config.stage, config.per_device_batch_size)
    metrics["preference_eval"] = compare(parent, child, config.stage, config.beta)
    eval_examples, _ = build_examples(
        eval_conversations, tokenizer, character, config.line_separator, config.max_seq_length
    )
    metrics["eval"] = _evaluate(model, tokenizer, eval_examples, eval_conversations, character, config)
    (adapter_dir / METRICS_FILE).write_text(json.dumps(metrics, ensure_ascii=False, indent=2), "utf-8")
    return TrainResult(adapter_dir=adapter_dir, metrics=metrics, stopped=False)


def _features(data: PreferenceSet, tokenizer: Any, config: TrainConfig) -> tuple[list, list, dict[str, int]]:
    """Token ids of the train and held-out items; those longer than max_seq_length are dropped and counted."""
    build = pair_features if config.stage == "dpo" else row_features
    lengths = ("chosen_ids", "rejected_ids") if config.stage == "dpo" else ("completion_ids",)

    def fits(f: dict) -> bool:
        return all(len(f["prompt_ids"]) + len(f[k]) <= config.max_seq_length for k in lengths)

    train = build(tokenizer, data.train, config.line_separator)
    held = build(tokenizer, data.held_out, config.line_separator)
    kept_train, kept_held = [f for f in train if fits(f)], [f for f in held if fits(f)]
    return (
        kept_train,
        kept_held,
        {"too_long_dropped": len(train) + len(held) - len(kept_train) - len(kept_held)},
    )


def make_preference_trainer(
    model: Any, tokenizer: Any, features: Sequence[dict], config: TrainConfig, hooks: TrainingHooks | None
) -> tuple[Any, Any]:
    """TRL's DPOTrainer or KTOTrainer on pre-tokenized features, with the SFT jobs' progress callback."""
    import torch
    from datasets import Dataset

    from training.core.trainer_parts import TokenCounter, make_progress_callback

    # A self-hosted app does not report usage to the Hub (TRL pings it when a trainer starts).
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    kto = config.stage == "kto"
    batch = max(2, config.per_device_batch_size) if kto else config.per_device_batch_size  # KTO's KL needs 2+
    rows = _with_kl_completions(list(features), batch) if kto else list(features)
    args = _trl_args(config, batch, quiet=hooks is not None)
    trainer_class = _trainer_class(config.stage)
    trainer = trainer_class(
        model=model, args=args, train_dataset=Dataset.from_list(rows), processing_class=tokenizer
    )
    counter = TokenCounter(trainer.data_collator, tokenizer.pad_token_id, measure=_measure)
    trainer.data_collator = counter
    callback = make_progress_callback(hooks, counter)
    trainer.add_callback(callback)
    # TRL keeps QLoRA adapters in bf16 (the paper's GPU setting); keep them in the compute dtype as SFT does, so
    # small updates are not rounded away on a CPU.
    for param in model.parameters():
        if param.requires_grad and param.dtype != torch.float32 and not torch.cuda.is_available():
            param.data = param.data.float()
    return trainer, callback


def _trl_args(config: TrainConfig, batch: int, quiet: bool) -> Any:
    import torch
    from trl import DPOConfig, KTOConfig

    kwargs = _training_arguments(config, torch.cuda.is_available(), quiet=quiet)
    kwargs.update(
        per_device_train_batch_size=batch,
        beta=config.beta,
        max_length=config.max_seq_length,
        # Length grouping reads input_ids, which pre-tokenized pairs lack; KTO's KL rows need a fixed order.
        train_sampling_strategy="sequential" if config.stage == "kto" else "random",
    )
    if config.stage == "kto":
        return KTOConfig(**kwargs)
    if config.pref_ftx > 0:
        kwargs.update(loss_type=["sigmoid", "sft"], loss_weights=[1.0, config.pref_ftx])
    return DPOConfig(**kwargs)


def _trainer_class(stage: str) -> type:
    """DPOTrainer / KTOTrainer taking the ids preference_data built (TRL would re-tokenize prompt + completion
    as one string, blurring the boundary, and append EOS where SFT trains the separator)."""
    from trl import DPOTrainer, KTOTrainer

    base = KTOTrainer if stage == "kto" else DPOTrainer

    class Pretokenized(base):  # type: ignore[misc, valid-type]
        def _prepare_dataset(self, dataset: Any, processing_class: Any, args: Any, dataset_name: str) -> Any:
            return dataset

    return Pretokenized


def _with_kl_completions(rows: list[dict], batch: int) -> list[dict]:
    """KTO's KL estimate pairs each prompt with another row's completion in its batch (TRL's rotation by one)."""
    out: list[dict] = []
    for start in range(0, len(rows), batch):
        chunk = rows[start : start + batch]
        shifted = [chunk[-1]["completion_ids"]] + [r["completion_ids"] for r in chunk[:-1]]
        out.extend({**r, "KL_completion_ids": kl} for r, kl in zip(chunk, shifted, strict=True))
    return out


def _measure(features: list[dict]) -> tuple[int, int]:
    """(real, trained) tokens of a batch of pairs or rows: every sequence is prompt + one completion."""
    real = trained = 0
    for f in features:
        for key in ("chosen_ids", "rejected_ids", "completion_ids"):
            if key in f:
                real += len(f["prompt_ids"]) + len(f[key])
                trained += len(f[key])
    return real, trained


def completion_logps(
    model: Any, prompts: Sequence[list[int]], completions: Sequence[list[int]], batch_size: int = 8
) -> list[tuple[float, int]]:
    """(summed log-probability, token count) of each completion after its prompt, with the active adapter."""
    import torch

    device = next(model.parameters()).device
    results: list[tuple[float, int]] = []
    was_training = model.training
    model.eval()
    with torch.no_grad():
        for start in range(0, len(prompts), max(1, batch_size)):
            seqs = [
                p + c
                for p, c in zip(
                    prompts[start : start + batch_size], completions[start : start + batch_size], strict=True
                )
            ]
            width = max(len(s) for s in seqs)
            ids = torch.zeros((len(seqs), width), dtype=torch.long)
            mask = torch.zeros_like(ids)
            for i, s in enumerate(seqs):
                ids[i, : len(s)] = torch.tensor(s)
                mask[i, : len(s)] = 1
            logits = model(input_ids=ids.to(device), attention_mask=mask.to(device)).logits.float()
            logps = torch.log_softmax(logits[:, :-1], dim=-1).gather(-1, ids[:, 1:, None].to(device))[..., 0]
            for i, p in enumerate(prompts[start : start + batch_size]):
                n = len(completions[start + i])
                results.append((float(logps[i, len(p) - 1 : len(p) - 1 + n].sum()), n))
    model.train(was_training)
    return results


def held_out_scores(model: Any, features: Sequence[dict], stage: str, batch_size: int) -> list[Any]:
    """Per held-out item: (chosen, rejected) summed log-probs for DPO, (log-prob, tokens, desirable) for KTO."""
    if not features:
        return []
    prompts = [f["prompt_ids"] for f in features]
    if stage == "dpo":
        chosen = completion_logps(model, prompts, [f["chosen_ids"] for f in features], batch_size)
        rejected = completion_logps(model, prompts, [f["rejected_ids"] for f in features], batch_size)
        return [(c[0], r[0]) for c, r in zip(chosen, rejected, strict=True)]
    scored = completion_logps(model, prompts, [f["completion_ids"] for f in features], batch_size)
    return [(lp, n, f["label"]) for (lp, n), f in zip(scored, features, strict=True)]


def compare(parent: list[Any], child: list[Any], stage: str, beta: float) -> dict[str, Any]:
    """Held-out figures of the new version beside the version it started from."""
    if not parent:
        return {"held_out": 0}
    if stage == "dpo":
        return _compare_pairs(parent, child, beta)
    return _compare_rows(parent, child, beta)


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _compare_pairs(
    parent: list[tuple[float, float]], child: list[tuple[float, float]], beta: float
) -> dict[str, Any]:
    # DPO's implicit reward of a reply is beta * (log pi(reply) - log pi_ref(reply)); the reference is the parent.
    rewards = [beta * ((c[0] - p[0]) - (c[1] - p[1])) for p, c in zip(parent, child, strict=True)]
    return {
        "held_out": len(parent),
        "margin": _mean([c - r for c, r in child]),
        "parent_margin": _mean([c - r for c, r in parent]),
        "accuracy": _mean([float(c > r) for c, r in child]),
        "parent_accuracy": _mean([float(c > r) for c, r in parent]),
        "reward_margin": _mean(rewards),
        "reward_accuracy": _mean([float(r > 0) for r in rewards]),
    }


def _compare_rows(parent: list[tuple], child: list[tuple], beta: float) -> dict[str, Any]:
    def gap(scores: list[tuple]) -> float | None:
        good = _mean([lp / max(n, 1) for lp, n, label in scores if label])
        bad = _mean([lp / max(n, 1) for lp, n, label in scores if not label])
        return good - bad if good is not None and bad is not None else None

    rewards = [(beta * (c[0] - p[0]), p[2]) for p, c in zip(parent, child, strict=True)]
    good = _mean([r for r, label in rewards if label])
    bad = _mean([r for r, label in rewards if not label])
    return {
        "held_out": len(parent),
        # Mean per-token log-likelihood of the desirable rows minus that of the undesirable rows.
        "likelihood_gap": gap(child),
        "parent_likelihood_gap": gap(parent),
        "reward_margin": good - bad if good is not None and bad is not None else None,
        "reward_accuracy": _mean([float((r > 0) == label) for r, label in rewards]),
    }
