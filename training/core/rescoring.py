"""Scoring a saved adapter (or the bare base model) on the evaluation set again: what `manage.py evaluate`
and `eval_set --grow` run for every version.

Plain Python (no Django). The adapter is loaded unmerged, so `evaluate` can switch it off and score the
base model beside it, exactly as at the end of training.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from training.core.evaluation import FORBIDDEN_MARKERS, MAX_QUESTIONS, STYLE_MARKERS, Progress

if TYPE_CHECKING:
    from training.core.textformat import CharacterSpec, Turn


@dataclass
class EvalSet:
    """What a version is scored on: the held-out conversations (her lines labelled) and her markers."""

    conversations: Sequence[Sequence[Turn]]
    character: CharacterSpec
    style_markers: Sequence[str] = STYLE_MARKERS
    forbidden_markers: Sequence[str] = FORBIDDEN_MARKERS
    max_questions: int | None = MAX_QUESTIONS
    options: dict[str, Any] = field(default_factory=dict)  # batch sizes, passed on to evaluate()


def score_adapter(
    base_model: str,
    adapter_dir: str | None,
    eval_set: EvalSet,
    sep: str,
    max_seq_length: int = 512,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """The held-out metrics (as `train` records them under "eval") of the adapter, or of the bare base
    model when `adapter_dir` is None (its base_* figures are then its own)."""
    import torch

    from training.core.loader import has_tokenizer, load_base_model, load_tokenizer

    # The adapter dir holds the tokenizer it was trained with (the base's, saved beside it).
    source = adapter_dir if adapter_dir and has_tokenizer(Path(adapter_dir)) else base_model
    tokenizer = load_tokenizer(source, "right")
    model = load_base_model(base_model, load_in_4bit=False)
    if adapter_dir:
        from peft import PeftModel

        model = PeftModel.from_pretrained(model, adapter_dir)
    try:
        return score_model(model, tokenizer, eval_set, sep, max_seq_length, adapter_dir is not None, progress)
    finally:
        del model
        if torch.cuda.is_available():
            torch.cuda.empty_cache()


def score_model(
    model: Any,
    tokenizer: Any,
    eval_set: EvalSet,
    sep: str,
    max_seq_length: int = 512,
    with_base: bool = True,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """`evaluate` of a loaded model on the set: the examples are built here as training builds them."""
    from training.core.evaluation import evaluate
    from training.core.labels import build_examples

    examples, _ = build_examples(eval_set.conversations, tokenizer, eval_set.character, sep, max_seq_length)
    return evaluate(
        model,
        tokenizer,
        examples,
        eval_set.conversations,
        eval_set.character,
        sep,
        max_prompts=eval_set.max_questions,
        markers=eval_set.style_markers,
        forbidden=eval_set.forbidden_markers,
        with_base=with_base,
        progress=progress,
        **eval_set.options,
    )
