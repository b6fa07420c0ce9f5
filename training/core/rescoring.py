"""Scoring a saved adapter on held-out conversations again: what `eval_set --grow` runs for every version.

Plain Python (no Django). The adapter is loaded unmerged, so `evaluate` can switch it off and score the
base model beside it, exactly as at the end of training.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from training.core.textformat import CharacterSpec, Turn


def score_adapter(
    base_model: str,
    adapter_dir: str,
    conversations: Sequence[Sequence[Turn]],
    character: CharacterSpec,
    sep: str,
    max_seq_length: int = 512,
) -> dict[str, Any]:
    """The held-out metrics (as `train` records them under "eval") of the adapter on `conversations`."""
    import torch
    from peft import PeftModel

    from training.core.evaluation import evaluate
    from training.core.labels import build_examples
    from training.core.loader import has_tokenizer, load_base_model, load_tokenizer

    # The adapter dir holds the tokenizer it was trained with (the base's, saved beside it).
    tokenizer = load_tokenizer(adapter_dir if has_tokenizer(Path(adapter_dir)) else base_model, "right")
    examples, _ = build_examples(conversations, tokenizer, character, sep, max_seq_length)
    model = PeftModel.from_pretrained(load_base_model(base_model, load_in_4bit=False), adapter_dir)
    try:
        return evaluate(model, tokenizer, examples, conversations, character, sep)
    finally:
        del model
        if torch.cuda.is_available():
            torch.cuda.empty_cache()
