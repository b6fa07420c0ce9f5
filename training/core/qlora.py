"""QLoRA fine-tuning with the HF Trainer: 4-bit NF4 base, LoRA on all linear layers, loss on the character only.

Plain Python (no Django): a training job (training/train/run.py) wraps `train()`, and tests call it
directly on the CPU with the tiny demo model through the very same code path a 7B run takes on a GPU.
"""

from __future__ import annotations

import dataclasses
import gc
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from training.core.loader import attention_implementation, load_base_model, load_tokenizer
from training.core.trainer_parts import TrainingHooks

if TYPE_CHECKING:  # heavy imports stay inside functions so importing this module is cheap
    from training.core.textformat import CharacterSpec, Turn

log = logging.getLogger(__name__)

ADAPTER_SUBDIR = "adapter"
CONFIG_FILE = "training_config.json"
METRICS_FILE = "metrics.json"


@dataclass
class TrainConfig:
    base_model: str
    output_dir: str
    line_separator: str = "\n"
    max_seq_length: int = 512
    load_in_4bit: bool = True
    lora_r: int = 64  # QLoRA paper defaults: r=64, alpha=16, dropout 0.1 (0.05 for 33B/65B)
    lora_alpha: int = 16
    lora_dropout: float = 0.1
    target_modules: list[str] | str = "all-linear"
    learning_rate: float = 2e-4
    num_train_epochs: float = 1.0
    max_steps: int = -1
    per_device_batch_size: int = 4
    gradient_accumulation_steps: int = 1
    gradient_checkpointing: bool = False
    group_by_length: bool = True
    packing: bool = False
    seed: int = 42
    resume_from_checkpoint: bool = False
    save_steps: int = 50
    logging_steps: int = 1
    save_total_limit: int = 2
    warmup_ratio: float = 0.03
    # The QLoRA paper trains with a constant schedule and clips gradients at 0.3.
    lr_scheduler_type: str = "constant_with_warmup"
    max_grad_norm: float = 0.3
    eval_max_prompts: int = 32
    # "sft", or a preference stage ("dpo", "kto": training/core/preference.py).
    stage: str = "sft"
    # An earlier version's adapter to continue (LLaMA-Factory's adapter_name_or_path): loaded trainable onto the
    # base instead of a fresh LoRA, whose r/alpha/dropout it brings along.
    from_adapter: str | None = None
    beta: float = 0.1  # DPO/KTO: how far the new version may move from the one it continues
    min_examples: int = 32  # DPO pairs / KTO rows below which a preference stage refuses to train
    # DPO: weight of an SFT loss on the chosen replies beside the DPO loss (LLaMA-Factory's pref_ftx, RPO); it
    # keeps the chosen replies likely, where DPO alone lowers both sides' likelihood.
    pref_ftx: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        # Unknown keys are ignored so configs saved by newer versions still load.
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


@dataclass
class TrainResult:
    adapter_dir: Path
    metrics: dict = field(default_factory=dict)
    stopped: bool = False


class TrainingOutOfMemory(RuntimeError):
    """CUDA ran out of memory; the message says which settings to lower."""


class NoTrainingData(ValueError):
    """The conversations gave no example with a character token to learn."""


def train(
    train_conversations: list[list[Turn]],
    eval_conversations: list[list[Turn]],
    character: CharacterSpec,
    config: TrainConfig,
    hooks: TrainingHooks | None = None,
) -> TrainResult:
    """Fine-tune `config.base_model` on the character's lines; save adapter, tokenizer, config and metrics."""
    import torch
    from transformers.trainer_utils import get_last_checkpoint

    from training.core.base_models import check_separator
    from training.core.labels import build_examples

    out = Path(config.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    tokenizer = load_tokenizer(config.base_model, padding_side="right")
    check_separator(tokenizer, config.line_separator)
    examples, stats = _training_examples(train_conversations, tokenizer, character, config)
    eval_examples, eval_stats = build_examples(
        eval_conversations, tokenizer, character, config.line_separator, config.max_seq_length
    )
    packing = config.packing and torch.cuda.is_available()  # padding-free kernels are GPU features
    if config.packing and not packing:
        log.info("packing needs a GPU: training with dynamic padding instead")
    try:
        model = load_peft_model(config, packing=packing)
        trainer, callback = make_trainer(model, tokenizer, examples, config, hooks, packing=packing)
        resume = config.resume_from_checkpoint and get_last_checkpoint(str(out)) is not None
        output = trainer.train(resume_from_checkpoint=True if resume else None)
    except torch.OutOfMemoryError as exc:
        raise _oom_error(config) from exc
    steps = trainer.state.global_step
    del trainer  # its optimiser state is no longer needed: free that memory before evaluation
    _release_memory()
    if callback.stopped:
        last = get_last_checkpoint(str(out))
        return TrainResult(adapter_dir=Path(last) if last else out, metrics=callback.last, stopped=True)

    adapter_dir = _save_adapter(out / ADAPTER_SUBDIR, model, tokenizer, config, character)
    metrics: dict[str, Any] = {
        "train_loss": output.training_loss,
        "train_runtime_s": output.metrics.get("train_runtime"),
        "steps": steps,
        "dataset": stats,
        "eval_dataset": eval_stats,
        "trained_tokens_per_second": callback.trained_tokens_per_second(),
    }
    metrics["eval"] = _evaluate(model, tokenizer, eval_examples, eval_conversations, character, config)
    (adapter_dir / METRICS_FILE).write_text(json.dumps(metrics, ensure_ascii=False, indent=2), "utf-8")
    return TrainResult(adapter_dir=adapter_dir, metrics=metrics, stopped=False)


def _training_examples(
    conversations: list[list[Turn]], tokenizer: Any, character: CharacterSpec, config: TrainConfig
) -> tuple[list[dict], dict]:
    """The tokenized training examples and their statistics; NoTrainingData when there are none."""
    from training.core.labels import build_examples

    examples, stats = build_examples(
        conversations, tokenizer, character, config.line_separator, config.max_seq_length
    )
    if not examples:
        raise NoTrainingData(
            f"no training example has a line of {character.prompt_name}: check the character's aliases "
            f"and that the snapshot has conversations where the character speaks"
        )
    return examples, stats


def _release_memory() -> None:
    import torch

    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def _save_adapter(
    adapter_dir: Path, model: Any, tokenizer: Any, config: TrainConfig, character: CharacterSpec
) -> Path:
    """Save the adapter with its tokenizer and the config (character included) it was trained with."""
    model.save_pretrained(str(adapter_dir))
    tokenizer.save_pretrained(str(adapter_dir))
    saved = {**config.to_dict(), "character": _character_dict(character)}
    (adapter_dir / CONFIG_FILE).write_text(json.dumps(saved, ensure_ascii=False, indent=2), "utf-8")
    return adapter_dir


def _evaluate(
    model: Any,
    tokenizer: Any,
    eval_examples: list[dict],
    eval_conversations: list[list[Turn]],
    character: CharacterSpec,
    config: TrainConfig,
) -> dict[str, Any]:
    import torch

    from training.core import evaluation

    try:
        return evaluation.evaluate(
            model,
            tokenizer,
            eval_examples,
            eval_conversations,
            character,
            config.line_separator,
            max_prompts=config.eval_max_prompts,
            batch_size=config.per_device_batch_size,
        )
    except torch.OutOfMemoryError as exc:
        raise _oom_error(config, during="evaluating the adapter (it is saved)") from exc


def make_trainer(
    model: Any,
    tokenizer: Any,
    examples: Sequence[dict],
    config: TrainConfig,
    hooks: TrainingHooks | None = None,
    packing: bool = False,
    collator: Any = None,
    quiet: bool | None = None,
) -> tuple[Any, Any]:
    """The HF Trainer and its progress callback (whose `counter` counts real, trained and padded tokens)."""
    import torch
    from transformers import Trainer, TrainingArguments

    from training.core.trainer_parts import ListDataset, TokenCounter, make_progress_callback

    counter = TokenCounter(collator or _collator(tokenizer, packing), tokenizer.pad_token_id)
    # A job reports through its hooks; a terminal run gets the Trainer's tqdm bar.
    quiet = hooks is not None if quiet is None else quiet
    args = TrainingArguments(**_training_arguments(config, torch.cuda.is_available(), quiet=quiet))
    callback = make_progress_callback(hooks, counter)
    trainer = Trainer(
        model=model,
        args=args,
        train_dataset=ListDataset(examples),
        data_collator=counter,
        processing_class=tokenizer,
        callbacks=[callback],
    )
    return trainer, callback


def load_peft_model(config: TrainConfig, packing: bool = False) -> Any:
    from peft import LoraConfig, get_peft_model, prepare_model_for_kbit_training

    model = load_base_model(config.base_model, config.load_in_4bit, packing)
    model.config.use_cache = False  # the KV cache is useless in training and clashes with checkpointing
    if config.load_in_4bit:
        model = prepare_model_for_kbit_training(
            model,
            use_gradient_checkpointing=config.gradient_checkpointing,
            gradient_checkpointing_kwargs={"use_reentrant": False},
        )
    elif config.gradient_checkpointing:
        model.enable_input_require_grads()
    if config.from_adapter:
        from peft import PeftModel

        model = PeftModel.from_pretrained(model, config.from_adapter, is_trainable=True)
        # The adapter brings its own shape: record that, not the job's r/alpha, in the saved config.
        loaded: Any = model.peft_config["default"]
        config.lora_r, config.lora_alpha = loaded.r, loaded.lora_alpha
        config.lora_dropout = loaded.lora_dropout
        return model
    lora = LoraConfig(
        r=config.lora_r,
        lora_alpha=config.lora_alpha,
        lora_dropout=config.lora_dropout,
        target_modules=config.target_modules,
        bias="none",
        task_type="CAUSAL_LM",
    )
    return get_peft_model(model, lora)


def _training_arguments(config: TrainConfig, cuda: bool, quiet: bool) -> dict[str, Any]:
    import torch

    bf16 = cuda and torch.cuda.is_bf16_supported()
    return {
        "output_dir": config.output_dir,
        "per_device_train_batch_size": config.per_device_batch_size,
        "gradient_accumulation_steps": config.gradient_accumulation_steps,
        "learning_rate": config.learning_rate,
        "num_train_epochs": config.num_train_epochs,
        "max_steps": config.max_steps,
        "warmup_steps": config.warmup_ratio,  # a float below 1 is a ratio of the total steps in v5
        "lr_scheduler_type": config.lr_scheduler_type,
        "max_grad_norm": config.max_grad_norm,
        # Paged optimiser states survive memory spikes on the GPU; bitsandbytes' paged kernels need CUDA.
        "optim": "paged_adamw_32bit" if cuda else "adamw_torch",
        "bf16": bf16,
        "fp16": cuda and not bf16,
        "train_sampling_strategy": "group_by_length" if config.group_by_length else "random",
        "save_strategy": "steps",
        "save_steps": config.save_steps,
        "save_total_limit": config.save_total_limit,
        "logging_steps": config.logging_steps,
        "report_to": "none",
        "seed": config.seed,
        "use_cpu": not cuda,
        "remove_unused_columns": False,
        "dataloader_pin_memory": cuda,
        "disable_tqdm": quiet,
        "include_num_input_tokens_seen": "no",  # TokenCounter counts real and trained tokens itself
        **_checkpointing_arguments(config.gradient_checkpointing),
    }


def _checkpointing_arguments(enabled: bool) -> dict[str, Any]:
    """transformers 5 renamed gradient_checkpointing to activation_checkpointing; 4.x knows only the old name."""
    from transformers import TrainingArguments

    names = {f.name for f in dataclasses.fields(TrainingArguments)}
    prefix = "activation_checkpointing" if "activation_checkpointing" in names else "gradient_checkpointing"
    return {prefix: enabled, f"{prefix}_kwargs": {"use_reentrant": False} if enabled else None}


def _collator(tokenizer: Any, packing: bool) -> Any:
    from transformers import DataCollatorForSeq2Seq, DataCollatorWithFlattening

    if packing:
        # One row of all sequences; restarting position ids tell attention where each begins (flash-attn's
        # varlen kernels get the cumulative lengths directly, sdpa a block-diagonal mask).
        flash = attention_implementation(True) == "flash_attention_2"
        return DataCollatorWithFlattening(return_flash_attn_kwargs=flash)
    # Pads each batch only to its longest row; -100 keeps padding out of the loss.
    return DataCollatorForSeq2Seq(tokenizer, label_pad_token_id=-100, padding="longest", pad_to_multiple_of=8)


def _oom_error(config: TrainConfig, during: str = "training") -> TrainingOutOfMemory:
    import torch

    if torch.cuda.is_available():
        torch.cuda.empty_cache()
    hints = [
        f"lower per_device_batch_size (now {config.per_device_batch_size}; raise gradient_accumulation_steps "
        "to keep the effective batch)",
        f"lower max_seq_length (now {config.max_seq_length})",
    ]
    if not config.gradient_checkpointing:
        hints.append("enable gradient_checkpointing")
    if not config.load_in_4bit:
        hints.append("turn load_in_4bit on")
    return TrainingOutOfMemory(f"CUDA out of memory while {during}: " + "; ".join(hints) + ".")


def _character_dict(character: CharacterSpec) -> dict[str, Any]:
    return {
        "prompt_name": character.prompt_name,
        "aliases": sorted(character.aliases),
        "user_name": character.user_name,
    }
