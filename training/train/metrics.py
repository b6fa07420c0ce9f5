"""Metrics as people read them: nested evaluation dicts flattened, headline figures named."""

from __future__ import annotations

from typing import Any


def flat_metrics(metrics: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """{"eval": {"loss": 1.2}} -> {"eval.loss": 1.2}: every scalar, for tables."""
    flat: dict[str, Any] = {}
    for key, value in metrics.items():
        if isinstance(value, dict):
            flat.update(flat_metrics(value, f"{prefix}{key}."))
        elif not isinstance(value, list):
            flat[f"{prefix}{key}"] = value
    return flat


def headline_metrics(metrics: dict[str, Any]) -> list[tuple[str, Any]]:
    """The figures that compare versions: training loss and the held-out evaluation's scalars."""
    flat = flat_metrics(metrics)
    keys = ["train_loss", "eval_set_her_lines"] + [k for k in flat if k.startswith(("eval.", "eval_set."))]
    return [
        (METRIC_LABELS.get(k, k.removeprefix("eval.").replace("_", " ")), flat[k])
        for k in keys
        if k in flat and not isinstance(flat[k], str)
    ]


METRIC_LABELS = {
    "train_loss": "train loss",
    "eval.loss": "held-out loss",
    "eval.perplexity": "held-out perplexity",
    "eval.base_loss": "base model loss",
    "eval.base_perplexity": "base model perplexity",
    "eval.eval_tokens": "held-out tokens",
    "eval.style_prompts": "style prompts",
    "eval.style_marker_rate": "style-marker rate",
    "eval.base_style_marker_rate": "base model style-marker rate",
    "eval.questions": "evaluation questions answered",
    "eval.forbidden_marker_rate": "forbidden-marker rate",
    "eval.base_forbidden_marker_rate": "base model forbidden-marker rate",
    "eval.reference_score": "chrF against her lines",
    "eval.base_reference_score": "base model chrF against her lines",
    "eval.distinct_2": "distinct-2 of replies",
    "eval.base_distinct_2": "base model distinct-2 of replies",
    "eval_set.conversations": "evaluation set conversations",
    "eval_set.character_lines": "her lines scored on",
    "eval_set.questions": "evaluation set questions",
    "eval_set_her_lines": "her lines in the evaluation set",
}
