"""Held-out metrics of a trained adapter: loss and perplexity on the character's tokens, with and without the
adapter, and how often generated replies carry the character's style markers.

Plain Python (no Django). `train()` calls `evaluate()` at the end; it can also be run on a loaded PeftModel.
"""

from __future__ import annotations

import contextlib
import math
import unicodedata
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from training.core.textformat import CharacterSpec, Turn

# Sentence endings typical of Marisa's speech; a reply "has style" when it contains any of them.
STYLE_MARKERS: tuple[str, ...] = ("だぜ", "ぜ", "だろ", "のか", "じゃないか", "なのか")
SAMPLE_REPLIES = 5


def evaluate(
    model: Any,
    tokenizer: Any,
    examples: Sequence[dict],
    conversations: Sequence[Sequence[Turn]],
    character: CharacterSpec,
    sep: str,
    max_prompts: int = 32,
    batch_size: int = 8,
    markers: Sequence[str] = STYLE_MARKERS,
) -> dict[str, Any]:
    """Metrics of `model` (a PeftModel) on held-out examples and prompts, beside the bare base model."""
    from training.core.generation import Generator
    from training.core.sampling import SamplingSettings

    was_training = model.training
    use_cache = getattr(model.config, "use_cache", True)
    model.eval()
    model.config.use_cache = True  # generation needs the cache; training turned it off
    try:
        metrics: dict[str, Any] = {}
        adapter = heldout_loss(model, tokenizer, examples, batch_size)
        with _without_adapter(model):
            base = heldout_loss(model, tokenizer, examples, batch_size)
        metrics.update(
            loss=adapter["loss"],
            perplexity=adapter["perplexity"],
            base_loss=base["loss"],
            base_perplexity=base["perplexity"],
            eval_tokens=adapter["tokens"],
        )
        prompts = heldout_prompts(conversations, character, sep, max_prompts)
        metrics["style_prompts"] = len(prompts)
        if prompts:
            generator = Generator(model, tokenizer, sep)
            greedy = SamplingSettings(do_sample=False)
            replies = [r[0] for r in generator.generate(prompts, settings=greedy, batch_size=batch_size * 4)]
            with _without_adapter(model):
                base_replies = [
                    r[0] for r in generator.generate(prompts, settings=greedy, batch_size=batch_size * 4)
                ]
            metrics["style_marker_rate"] = style_marker_rate(replies, markers)
            metrics["base_style_marker_rate"] = style_marker_rate(base_replies, markers)
            metrics["samples"] = [
                {"prompt": p, "reply": r, "base_reply": b}
                for p, r, b in list(zip(prompts, replies, base_replies, strict=True))[:SAMPLE_REPLIES]
            ]
        else:
            metrics["style_marker_rate"] = metrics["base_style_marker_rate"] = None
        return metrics
    finally:
        model.config.use_cache = use_cache
        model.train(was_training)


def heldout_loss(model: Any, tokenizer: Any, examples: Sequence[dict], batch_size: int = 8) -> dict[str, Any]:
    """Mean cross-entropy over the labelled (character) tokens, weighted by token, and its perplexity."""
    import torch
    import torch.nn.functional as F
    from transformers import DataCollatorForSeq2Seq

    if not examples:
        return {"loss": None, "perplexity": None, "tokens": 0}
    collate = DataCollatorForSeq2Seq(tokenizer, label_pad_token_id=-100, padding="longest")
    device = next(model.parameters()).device
    total, count = 0.0, 0
    with torch.no_grad():
        for start in range(0, len(examples), batch_size):
            batch = collate([_plain(e) for e in examples[start : start + batch_size]])
            labels = batch.pop("labels").to(device)
            batch = {k: v.to(device) for k, v in batch.items()}
            logits = model(**batch).logits[:, :-1].float()
            target = labels[:, 1:]
            loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), target.reshape(-1), reduction="sum")
            total += float(loss)
            count += int((target != -100).sum())
    if count == 0:
        return {"loss": None, "perplexity": None, "tokens": 0}
    mean = total / count
    return {"loss": mean, "perplexity": math.exp(min(mean, 50.0)), "tokens": count}


def heldout_prompts(
    conversations: Sequence[Sequence[Turn]],
    character: CharacterSpec,
    sep: str,
    max_prompts: int = 32,
    history_turns: int = 4,
) -> list[str]:
    """chat_prompt of each held-out exchange where the character answers someone (their line as the user's)."""
    from training.core.textformat import chat_prompt

    prompts: list[str] = []
    for turns in conversations:
        for i in range(1, len(turns)):
            if len(prompts) >= max_prompts:
                return prompts
            if character.is_character(turns[i].speaker) and not character.is_character(turns[i - 1].speaker):
                history = list(turns[max(0, i - 1 - history_turns) : i - 1])
                prompts.append(chat_prompt(history, turns[i - 1].text, character, sep))
    return prompts


def style_marker_rate(replies: Sequence[str], markers: Sequence[str] = STYLE_MARKERS) -> float | None:
    """Share of replies containing any marker (compared after NFKC, which only matters for matching)."""
    if not replies:
        return None
    folded = [unicodedata.normalize("NFKC", m) for m in markers]
    hits = sum(1 for r in replies if any(m in unicodedata.normalize("NFKC", r) for m in folded))
    return hits / len(replies)


@contextlib.contextmanager
def _without_adapter(model: Any) -> Iterator[None]:
    """peft's disable_adapter when the model has one; a bare model is its own baseline."""
    disable = getattr(model, "disable_adapter", None)
    if disable is None:
        yield
        return
    with disable():
        yield


def _plain(example: dict) -> dict:
    return {k: example[k] for k in ("input_ids", "attention_mask", "labels") if k in example}
