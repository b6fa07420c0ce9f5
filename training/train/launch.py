"""Launching a training job from a snapshot: the stage, the version it continues, complete parameters, the gpu queue."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings

from training.train.models import ModelVersion, TrainingJob
from training.train.params import STAGES, check_train_params, default_train_params
from training.train.stages import check_preference_data

# Taken at launch only: what to do with the result, and the base model's line separator.
LAUNCH_ONLY_PARAMS = frozenset({"activate_when_done", "line_separator"})


def _base_key(name: str) -> str:
    """Base model names compared as paths where they are local directories (the demo model is one)."""
    name = (name or "").strip() or settings.MARISA_BASE_MODEL or str(settings.MARISA_DEMO_MODEL_DIR)
    try:
        path = Path(name)
        return str(path.resolve()) if path.exists() else name
    except (OSError, ValueError):  # a name too long for a path, or with a NUL: a hub name, not a directory
        return name


def default_parent(base_model: str | None = None) -> ModelVersion | None:
    """The version a new round continues by default: the active one if it is of this base model (of any when
    none is named), else the newest of this base model."""
    active = ModelVersion.active()
    if not (base_model or "").strip():
        return active or ModelVersion.objects.first()
    key = _base_key(base_model or "")
    if active is not None and _base_key(active.base_model) == key:
        return active
    return next((v for v in ModelVersion.objects.all() if _base_key(v.base_model) == key), None)


def launch_training_job(
    snapshot: Any,
    base_model: str | None,
    params: dict[str, Any] | None,
    user: Any = None,
    *,
    send: bool = True,
    stage: str = "sft",
    from_version: ModelVersion | None = None,
) -> TrainingJob:
    """Create a queued TrainingJob with complete parameters and send it to the gpu queue.

    ValueError (shown to the user as it is) for an unknown stage or parameter, a preference stage with no
    version to continue, or a base model other than the continued version's.
    """
    if stage not in STAGES:
        raise ValueError(f"unknown stage {stage!r}: choose one of {', '.join(STAGES)}")
    check_train_params(params or {}, LAUNCH_ONLY_PARAMS)
    base = (base_model or "").strip()
    if stage != "sft" and from_version is None:
        from_version = default_parent(base)
        if from_version is None:
            raise ValueError(f"a {stage.upper()} stage continues a model version: train an SFT version first")
    if from_version is not None:
        if base and _base_key(base) != _base_key(from_version.base_model):
            raise ValueError(
                f"{from_version.name} was trained on {from_version.base_model}, not {base}: "
                "a version continues only on its own base model"
            )
        base = from_version.base_model
    full = default_train_params(stage, base)
    full.update(params or {})
    if stage != "sft":
        check_preference_data(snapshot, stage, int(full["min_examples"]))
    if from_version is not None:
        full["from_version"] = (
            from_version.pk
        )  # kept so a deleted parent fails the run instead of starting fresh
    job = TrainingJob.objects.create(
        snapshot=snapshot,
        base_model=base or (settings.MARISA_BASE_MODEL or "").strip(),
        stage=stage,
        from_version=from_version,
        params=full,
        created_by=user if getattr(user, "is_authenticated", False) else None,
        phase="waiting for a worker on the gpu queue",
    )
    if send:
        job.send()
    return job
