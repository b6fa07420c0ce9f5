"""Scoring model versions on the evaluation set again: `manage.py evaluate`, and `eval_set --grow`.

A version's held-out figures are only comparable with another's when both were measured on the same set;
growing the set therefore measures every version again, and `evaluate` does so on demand (after a change of
the character's markers, say). The base model is scored too, so each report has its row. torch and the ML
core are imported inside.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from django.utils import timezone

from annotation.corpus.models import Character
from training.train.eval_set import her_held_lines
from training.train.harvested import eval_set_summary, scored_conversations
from training.train.models import ModelVersion

# The figures of `evaluate --json`, and where each is in a version's metrics["eval"].
REPORTED = {
    "character_ppl": "perplexity",
    "base_character_ppl": "base_perplexity",
    "style_marker_rate": "style_marker_rate",
    "forbidden_marker_rate": "forbidden_marker_rate",
    "reference_score": "reference_score",
    "distinct_2": "distinct_2",
}

Progress = Callable[[int, int], None]


def eval_conversations(character: Character) -> list[list[Any]]:
    """What every version is scored on: the pinned conversations and the held-out corrections in the set."""
    return scored_conversations(character)


def scoring_set(character: Character, conversations: list[list[Any]] | None = None, **options: Any) -> Any:
    """The ML core's EvalSet for the character: her conversations and her markers as edited with her guidelines."""
    from training.core.rescoring import EvalSet

    return EvalSet(
        conversations=scored_conversations(character) if conversations is None else conversations,
        character=character.spec(),
        style_markers=tuple(character.style_markers or ()),
        forbidden_markers=tuple(character.forbidden_markers or ()),
        options=options,
    )


def has_adapter(version: ModelVersion) -> bool:
    return (Path(version.adapter_dir) / "adapter_config.json").is_file()


def rescore_version(
    version: ModelVersion, eval_set: Any, summary: dict[str, int], progress: Progress | None = None
) -> dict[str, Any]:
    """Score one version (its adapter must be on disk) and store the figures on it; returns its report row."""
    from training.core.rescoring import score_adapter
    from training.train.run import _jsonable

    metrics = score_adapter(
        version.base_model,
        version.adapter_dir,
        eval_set,
        version.line_separator,
        int(version.config.get("max_seq_length") or 512),
        progress,
    )
    version.metrics = {
        **version.metrics,
        "eval": _jsonable(metrics),
        "eval_set": summary,
        "eval_set_her_lines": her_held_lines(_character_of(version)),
        "rescored_at": timezone.now().isoformat(),
    }
    version.save(update_fields=["metrics"])
    return report_row(version.pk, version.name, metrics)


def _character_of(version: ModelVersion) -> Character:
    return version.snapshot.character if version.snapshot else Character.default()


def score_base(
    base_model: str, line_separator: str, eval_set: Any, progress: Progress | None = None
) -> dict[str, Any]:
    """The bare base model's figures on the set (its base_* figures are its own), as a report row."""
    from training.core.rescoring import score_adapter
    from training.train.run import _jsonable

    metrics = _jsonable(score_adapter(base_model, None, eval_set, line_separator, progress=progress))
    return report_row("base", base_model, metrics)


def report_row(version_id: int | str, name: str, metrics: dict[str, Any] | None) -> dict[str, Any]:
    """One row of the `evaluate` report: the headline figures, None where not measured."""
    metrics = metrics or {}
    row: dict[str, Any] = {"id": version_id, "name": name}
    row.update({key: metrics.get(source) for key, source in REPORTED.items()})
    row["questions"] = metrics.get("questions")
    return row


def base_of(versions: Iterable[ModelVersion]) -> tuple[str, str]:
    """(base model, line separator) for the base row: the newest scored version's, else the configured base."""
    newest = max((v for v in versions if has_adapter(v)), key=lambda v: (v.created_at, v.pk), default=None)
    if newest is not None:
        return newest.base_model, newest.line_separator
    from django.conf import settings

    from training.train.run import base_model_spec

    spec = base_model_spec(settings.MARISA_BASE_MODEL)
    return spec.name_or_path, spec.line_separator


def rescore_versions(character: Character | None = None) -> list[dict[str, Any]]:
    """Score each version of the character whose adapter is on disk; one summary row per version."""
    character = character or Character.default()
    eval_set = scoring_set(character)
    summary = eval_set_summary(character)
    report = []
    for version in ModelVersion.objects.filter(snapshot__character=character).order_by("pk"):
        if not has_adapter(version):
            report.append({"version": version.name, "rescored": False, "why": "adapter not on disk"})
            continue
        row = rescore_version(version, eval_set, summary)
        loss = version.metrics["eval"].get("loss")
        report.append({"version": version.name, "rescored": True, "loss": loss, **row})
    return report
