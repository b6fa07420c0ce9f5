"""Running one TrainingJob on a worker: snapshot -> split on the evaluation set -> QLoRA -> ModelVersion.

Run by the Celery task `training.train.tasks.run_training_job` (on a worker, or here for `manage.py train
--wait --inline`), which claims the job, beats its heartbeat and records a failure. torch and the ML core are imported here, inside functions.
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path
from typing import Any

from django.conf import settings

from training.jobs.models import Job
from training.train.checkpoints import discard_incomplete_checkpoints, find_checkpoint
from training.train.data import character_spec, split_snapshot
from training.train.eval_set import her_held_lines
from training.train.models import ModelVersion, TrainingJob
from training.train.params import job_dir
from training.train.progress import JobHooks, ProgressListener
from training.train.stages import preference_samples, preference_set

log = logging.getLogger(__name__)


def base_model_spec(name_or_path: str, line_separator: str | None = None) -> Any:
    """The BaseModelSpec for a job: an empty name means the demo model (built here when missing)."""
    from training.core.base_models import resolve_base_model

    name = (name_or_path or "").strip()
    demo_dir = Path(settings.MARISA_DEMO_MODEL_DIR)
    if not name or Path(name).resolve() == demo_dir.resolve():
        ensure_demo_model(demo_dir)
        name = ""
    return resolve_base_model(
        name or None,
        line_separator=line_separator or settings.MARISA_LINE_SEPARATOR or None,
        demo_dir=demo_dir,
        target_modules=settings.MARISA_LORA_TARGET_MODULES,
        max_seq_length=settings.MARISA_MAX_SEQ_LENGTH,
    )


def ensure_demo_model(demo_dir: Path) -> None:
    from training.core.demo_model import ensure_demo_model as ensure

    corpus = Path(settings.BASE_DIR) / "annotation" / "demo" / "corpus.txt"
    ensure(demo_dir, corpus)


def build_config(job: TrainingJob, spec: Any, resume: bool) -> Any:
    from training.core.qlora import TrainConfig

    known = {f.name for f in dataclasses.fields(TrainConfig)}
    params = {k: v for k, v in job.params.items() if k in known}
    params.update(
        base_model=spec.name_or_path,
        output_dir=str(job_dir(job)),
        line_separator=spec.line_separator,
        resume_from_checkpoint=resume,
        stage=job.stage,
        from_adapter=parent_adapter(job),
    )
    params.setdefault("max_seq_length", spec.max_seq_length)
    if "target_modules" not in job.params:
        params["target_modules"] = spec.target_modules
    return TrainConfig(**params)


def parent_adapter(job: TrainingJob) -> str | None:
    """The adapter directory of the version the job continues; ValueError when that version or adapter is gone."""
    if job.from_version is None:
        if job.params.get("from_version"):
            raise ValueError(
                f"model version {job.params['from_version']} that this job continues was deleted: "
                "launch a new job (from another version, or a fresh SFT round)"
            )
        return None
    adapter = Path(job.from_version.adapter_dir)
    if not (adapter / "adapter_config.json").is_file():
        raise ValueError(f"{job.from_version.name} has no adapter at {adapter}: it cannot be continued")
    return str(adapter)


def prepare_run(job: TrainingJob, spec: Any) -> Any:
    """The job's directory made and its TrainConfig: a resumed job continues from its last complete checkpoint."""
    if job.params.get("resume"):
        discard_incomplete_checkpoints(job_dir(job))
    resume = bool(job.params.get("resume")) and find_checkpoint(job_dir(job)) is not None
    config = build_config(job, spec, resume)
    job_dir(job).mkdir(parents=True, exist_ok=True)
    return config


def run_training(job: TrainingJob, listener: ProgressListener | None = None) -> None:
    """Train a claimed job to a ModelVersion (or to a cancel at a step); progress goes to the row."""
    hooks = JobHooks(job, listener=listener)
    try:
        if job.stage in ("dpo", "kto"):
            _run_preference(job, hooks)
        else:
            _train(job, hooks)
    finally:
        hooks.flush()  # the last progress is kept whatever happened


def _train(job: TrainingJob, hooks: JobHooks) -> None:
    from training.core.qlora import train

    job.set_phase("reading the dataset snapshot")
    split = split_snapshot(job.snapshot)
    if not split.train:
        raise ValueError(f"{job.snapshot} has no conversations to train on: import a corpus first")
    character = character_spec(job.snapshot.character)
    job.set_phase("loading the base model")
    spec = base_model_spec(job.base_model, job.params.get("line_separator"))
    config = prepare_run(job, spec)
    TrainingJob.objects.filter(pk=job.pk).update(
        output_dir=str(job_dir(job)),
        params={
            **job.params,
            "train_conversations": len(split.train),
            "held_out_conversations": len(split.held_out),
        },
    )
    result = train(split.train, split.held_out, character, config, hooks)
    hooks.flush()
    if result.stopped:
        job.finish(
            Job.Status.CANCELLED, "cancelled: the last checkpoint is kept", job.resumable_after_failure()
        )
        return
    version = _record_version(job, spec, config, result, split)
    job.finish(Job.Status.SUCCEEDED, f"done: {version.name}")


def _record_version(job: TrainingJob, spec: Any, config: Any, result: Any, split: Any) -> ModelVersion:
    metrics = dict(result.metrics or {})
    metrics.setdefault("train_conversations", len(split.train))
    metrics.setdefault("held_out_conversations", len(split.held_out))
    return record_version(job, spec, config, result, metrics)


def record_version(
    job: TrainingJob, spec: Any, config: Any, result: Any, metrics: dict[str, Any]
) -> ModelVersion:
    """The job's ModelVersion, with its lineage (the version it continued and the stage that made it)."""
    # Which evaluation set the held-out figures were measured on: after `eval_set --grow` they differ.
    metrics["eval_set_her_lines"] = her_held_lines(job.snapshot.character)
    version, _ = ModelVersion.objects.update_or_create(
        training_job=job,
        defaults={
            "name": f"v{job.pk} · {job.snapshot.sha256[:8]}"
            + ("" if job.stage == "sft" else f" · {job.stage}"),
            "parent": job.from_version,
            "stage": job.stage,
            "base_model": spec.name_or_path,
            "adapter_dir": str(result.adapter_dir),
            "line_separator": spec.line_separator,
            "snapshot": job.snapshot,
            "config": config.to_dict() if hasattr(config, "to_dict") else dataclasses.asdict(config),
            "metrics": _jsonable(metrics),
        },
    )
    wants = job.params.get("activate_when_done")
    if wants or not ModelVersion.objects.filter(is_active=True).exists():
        version.activate()  # the first version becomes active so the bot and `chat` have one at once
    return version


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    try:
        return float(value)
    except (TypeError, ValueError):
        return str(value)


def dry_run(snapshot: Any, base_model: str | None, max_seq_length: int | None = None) -> dict[str, Any]:
    """The training data set built exactly as a job would, reported without training."""
    from training.core.labels import build_examples, dry_run_report

    split = split_snapshot(snapshot)
    spec = base_model_spec(base_model or settings.MARISA_BASE_MODEL)
    tokenizer = load_tokenizer(spec)
    max_length = max_seq_length or spec.max_seq_length
    examples, stats = build_examples(
        split.train, tokenizer, character_spec(snapshot.character), spec.line_separator, max_length
    )
    report = dict(stats)
    report.update(dry_run_report(examples, tokenizer, n_samples=20))
    report.update(
        snapshot=snapshot.pk,
        snapshot_sha256=snapshot.sha256,
        base_model=spec.name_or_path,
        line_separator=spec.line_separator,
        max_seq_length=max_length,
        train_conversations=len(split.train),
        held_out_conversations=len(split.held_out),
    )
    return _jsonable(report)


def load_tokenizer(spec: Any) -> Any:
    from transformers import AutoTokenizer

    from training.core.base_models import check_separator

    tokenizer = AutoTokenizer.from_pretrained(spec.name_or_path)
    check_separator(tokenizer, spec.line_separator)
    return tokenizer


def _run_preference(job: TrainingJob, hooks: JobHooks) -> None:
    """A claimed DPO/KTO job, from its parent version to a new ModelVersion (or to a cancel at a step)."""
    from training.core.preference import train_preference

    character = character_spec(job.snapshot.character)
    job.set_phase("loading the base model")
    spec = base_model_spec(job.base_model, job.params.get("line_separator"))
    job.set_phase("reading preference data from the snapshot")
    data, split = preference_set(job.snapshot, job.stage, character, spec.line_separator)
    config = prepare_run(job, spec)
    TrainingJob.objects.filter(pk=job.pk).update(
        output_dir=str(job_dir(job)), params={**job.params, "preference_data": data.report()}
    )
    result = train_preference(data, split.held_out, character, config, hooks)
    hooks.flush()
    if result.stopped:
        job.finish(
            Job.Status.CANCELLED, "cancelled: the last checkpoint is kept", job.resumable_after_failure()
        )
        return
    metrics = dict(result.metrics or {})
    metrics.setdefault("held_out_conversations", len(split.held_out))
    version = record_version(job, spec, config, result, metrics)
    job.finish(Job.Status.SUCCEEDED, f"done: {version.name}")


def dry_run_preference(snapshot: Any, stage: str, base_model: str | None) -> dict[str, Any]:
    """A DPO/KTO stage's data built exactly as a job would (counts, the first items decoded), not trained."""
    spec = base_model_spec(base_model or settings.MARISA_BASE_MODEL)
    character = character_spec(snapshot.character)
    data, _split = preference_set(snapshot, stage, character, spec.line_separator)
    samples = preference_samples(load_tokenizer(spec), data, stage, spec.line_separator)
    report = {"stage": stage, "snapshot": snapshot.pk, "snapshot_sha256": snapshot.sha256}
    report.update(base_model=spec.name_or_path, **data.report(), samples=samples)
    return _jsonable(report)
