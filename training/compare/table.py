"""What the comparison page shows: every version's scores on the pinned set, the base model beside them,
and the same evaluation questions answered by each.

Scores are read from ModelVersion.metrics["eval"], written at the end of training and by `manage.py evaluate`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext, gettext_lazy

from training.train.models import ModelVersion

# (key in metrics["eval"], label, the base model's key, better when lower)
SCORES: tuple[tuple[str, Any, str | None, bool], ...] = (
    ("perplexity", gettext_lazy("her-token perplexity"), "base_perplexity", True),
    ("style_marker_rate", gettext_lazy("style-marker rate"), "base_style_marker_rate", False),
    ("forbidden_marker_rate", gettext_lazy("forbidden-marker rate"), "base_forbidden_marker_rate", True),
    ("reference_score", gettext_lazy("chrF vs her real lines"), "base_reference_score", False),
    ("distinct_2", "distinct-2", "base_distinct_2", False),
)


@dataclass
class Column:
    """One column of the table: a version, or the base model (version None)."""

    label: str
    version: ModelVersion | None
    scores: dict[str, float | None]
    answers: dict[str, str] = field(default_factory=dict)  # question -> reply


def _eval(version: ModelVersion) -> dict[str, Any]:
    found = (version.metrics or {}).get("eval")
    return found if isinstance(found, dict) else {}


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def version_column(version: ModelVersion) -> Column:
    figures = _eval(version)
    answers = {
        str(a.get("question")): str(a.get("reply", ""))
        for a in figures.get("answers") or []
        if isinstance(a, dict) and a.get("question") is not None
    }
    return Column(version.name, version, {key: _number(figures.get(key)) for key, *_ in SCORES}, answers)


def base_column(versions: Sequence[ModelVersion]) -> Column | None:
    """The base model as the latest scored version measured it (adapter switched off, same set)."""
    for version in sorted(versions, key=lambda v: v.pk, reverse=True):
        figures = _eval(version)
        if not figures:
            continue
        scores = {key: _number(figures.get(base_key)) if base_key else None for key, _, base_key, _ in SCORES}
        answers = {
            str(a.get("question")): str(a.get("reply", ""))
            for a in figures.get("base_answers") or []
            if isinstance(a, dict) and a.get("question") is not None
        }
        model = version.base_model.rsplit("/", 1)[-1] or "demo"
        return Column(gettext("base (%(model)s)") % {"model": model}, None, scores, answers)
    return None


def _context_text(context: Any) -> str:
    """The turns before the question as lines of `speaker: text` (stored as [{"speaker", "text"}, ...])."""
    if isinstance(context, str):
        return context
    turns = [t for t in context or [] if isinstance(t, dict)]
    return "\n".join(f"{t.get('speaker', '')}: {t.get('text', '')}" for t in turns)


def questions(versions: Sequence[ModelVersion], limit: int = 8) -> list[dict[str, str]]:
    """The evaluation questions with their context and her real reply, as the latest scored version stored them."""
    for version in sorted(versions, key=lambda v: v.pk, reverse=True):
        rows = [a for a in _eval(version).get("answers") or [] if isinstance(a, dict) and a.get("question")]
        if rows:
            return [
                {
                    "question": str(r["question"]),
                    "context": _context_text(r.get("context")),
                    "reference": str(r.get("reference") or ""),
                }
                for r in rows[:limit]
            ]
    return []


def comparison(versions: Sequence[ModelVersion]) -> dict[str, Any]:
    """Columns (base first), table rows with the best value marked, and the answers grid."""
    columns = [version_column(v) for v in versions]
    base = base_column(versions)
    if base is not None:
        columns = [base, *columns]
    rows = []
    for key, label, _, lower_is_better in SCORES:
        values = [c.scores.get(key) for c in columns]
        known = [v for v in values if v is not None]
        best = (min(known) if lower_is_better else max(known)) if known else None
        rows.append({"key": key, "label": label, "cells": [(v, v is not None and v == best) for v in values]})
    grid = [
        {**q, "replies": [c.answers.get(q["question"], "") for c in columns]} for q in questions(versions)
    ]
    return {"columns": columns, "rows": rows, "answers": grid}


def rounds_series(versions: Sequence[ModelVersion]) -> tuple[list[str], dict[str, list[float | None]]]:
    """Labels (v1, v2, ...) and the perplexity series, with the base model's beside the adapter's."""
    labels = [f"v{v.pk}" for v in versions]
    ppl = {
        gettext("her-token ppl"): [version_column(v).scores["perplexity"] for v in versions],
        gettext("base ppl"): [_number(_eval(v).get("base_perplexity")) for v in versions],
    }
    return labels, ppl


def rates_series(versions: Sequence[ModelVersion]) -> dict[str, list[float | None]]:
    """The 0-1 figures over rounds (chrF scaled from 0-100 to 0-1 so it shares the axis)."""
    columns = [version_column(v) for v in versions]
    chrf = [c.scores["reference_score"] for c in columns]
    return {
        gettext("style markers"): [c.scores["style_marker_rate"] for c in columns],
        gettext("forbidden markers"): [c.scores["forbidden_marker_rate"] for c in columns],
        "chrF / 100": [None if v is None else v / 100 for v in chrf],
        "distinct-2": [c.scores["distinct_2"] for c in columns],
    }
