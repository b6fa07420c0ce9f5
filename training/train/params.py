"""Training parameters a user may set, with the deployment's defaults; where a job's files live."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings

# Mirrors training.core.qlora.TrainConfig's defaults, so the web process can show and validate them without
# importing the ML core (which imports torch). Only these keys are taken from a user.
TRAIN_PARAM_DEFAULTS: dict[str, Any] = {
    "num_train_epochs": 1.0,
    "max_steps": -1,
    "learning_rate": 2e-4,
    "lora_r": 64,
    "lora_alpha": 16,
    "lora_dropout": 0.1,
    "per_device_batch_size": 4,
    "gradient_accumulation_steps": 1,
    "gradient_checkpointing": False,
    "group_by_length": True,
    "packing": False,
    "seed": 42,
    "save_steps": 50,
    "logging_steps": 1,
    "beta": 0.1,
    "min_examples": 32,
    "pref_ftx": 0.0,
}

# A preference stage moves a trained adapter a little: a smaller step, a few passes over the pairs.
STAGE_PARAM_DEFAULTS: dict[str, dict[str, Any]] = {
    "sft": {},
    "dpo": {"learning_rate": 5e-5, "num_train_epochs": 3.0},
    "kto": {"learning_rate": 5e-5, "num_train_epochs": 3.0},
}
STAGES = tuple(STAGE_PARAM_DEFAULTS)

# Jobs on the tiny demo model, per stage. One epoch of the demo corpus is 3 steps; measured on its evaluation
# scenes (2 scenes, 24 of her lines), her-token perplexity went base 3855 -> 2839 after 10 epochs at 1e-3 (30
# steps, ~10 s on one CPU thread) and -> 2781 after a second such round continuing the first; 1 epoch at 2e-4
# (the QLoRA default) gave 3818 and 40 epochs at 1e-3 overfitted (4099).
DEMO_TRAINING: dict[str, dict[str, Any]] = {
    "sft": {"num_train_epochs": 10.0, "learning_rate": 1e-3},
    # On the tour's corrections (132 pairs) DPO at 2e-4 raised the held-out margin 7.3 -> 22.8 but her-token
    # perplexity 2691 -> 5552; with an SFT term on the chosen replies (pref_ftx 1) 7.3 -> 16.4 and 3868.
    "dpo": {"num_train_epochs": 3.0, "learning_rate": 2e-4, "pref_ftx": 1.0},
    "kto": {"num_train_epochs": 3.0, "learning_rate": 2e-4},
}


def is_demo_base(base_model: str | None) -> bool:
    """Whether a job's base model (empty = MARISA_BASE_MODEL, else the demo model) is the tiny demo model."""
    name = (base_model or settings.MARISA_BASE_MODEL or "").strip()
    if not name:
        return True
    path = Path(name)
    return (
        path.resolve() == Path(settings.MARISA_DEMO_MODEL_DIR).resolve()
        or (path / "demo_model.json").is_file()
    )


def default_train_params(stage: str = "sft", base_model: str | None = None) -> dict[str, Any]:
    """Defaults with the deployment's settings folded in (4-bit, sequence length, target modules), then the
    stage's own, then the demo model's training length when the base model is the demo model."""
    params = dict(TRAIN_PARAM_DEFAULTS)
    params.update(STAGE_PARAM_DEFAULTS.get(stage, {}))
    if is_demo_base(base_model):
        params.update(DEMO_TRAINING.get(stage, {}))
    params["load_in_4bit"] = settings.MARISA_LOAD_IN_4BIT
    params["max_seq_length"] = settings.MARISA_MAX_SEQ_LENGTH
    modules = settings.MARISA_LORA_TARGET_MODULES
    params["target_modules"] = modules[0] if modules == ["all-linear"] else list(modules)
    return params


def job_dir(job: Any) -> Path:
    """Where a training job writes its checkpoints and its adapter."""
    return Path(settings.DATA_DIR) / "models" / str(job.pk)


def check_train_params(params: dict[str, Any], extra: frozenset[str] = frozenset()) -> None:
    """ValueError naming the keys that are not training parameters."""
    unknown = set(params) - set(default_train_params()) - extra
    if unknown:
        raise ValueError(f"unknown training parameters: {', '.join(sorted(unknown))}")
