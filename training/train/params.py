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
}


def default_train_params() -> dict[str, Any]:
    """Defaults with the deployment's settings folded in (4-bit, sequence length, target modules)."""
    params = dict(TRAIN_PARAM_DEFAULTS)
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
