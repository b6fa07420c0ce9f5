"""Held-out metrics of a trained adapter, and of the base model beside it, on the evaluation set.

Plain Python (no Django). `train()` calls `evaluate()` at the end; `rescoring` calls it on a saved adapter.
The figures:
- loss / perplexity on her tokens only (the labels of `labels.build_examples`), with and without the adapter;
- greedy replies to the questions harvested from the held-out conversations (`harvest`), scored by
  style-marker rate (replies with one of her markers), forbidden-marker rate (replies with a marker she must
  not use, e.g. です/ます for Marisa), chrF against her real lines (sacrebleu) and distinct-2 (distinct
  character bigrams over all bigrams: duplicated replies and babble lower it).
"""

from __future__ import annotations

import contextlib
import math
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from training.core.harvest import Pair
    from training.core.textformat import CharacterSpec, Turn

# Sentence endings typical of Marisa's speech; a reply "has style" when it contains any of them.
STYLE_MARKERS: tuple[str, ...] = ("だぜ", "ぜ", "だろ", "のか", "じゃないか", "なのか")
# Polite forms Marisa never uses; a reply "breaks character" when it contains any of them.
FORBIDDEN_MARKERS: tuple[str, ...] = (
    "です",
    "ます",
    "でした",
    "ました",
    "でしょう",
    "ございます",
    "ください",
)
SAMPLE_REPLIES = 5
ANSWERS_KEPT = 8  # replies stored per version for the comparison page
MAX_QUESTIONS = 32  # questions answered per evaluation: the same cap at training and at re-scoring

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Markers:
    style: Sequence[str] = STYLE_MARKERS
    forbidden: Sequence[str] = FORBIDDEN_MARKERS


def evaluate(
    model: Any,
    tokenizer: Any,
    examples: Sequence[dict],
    conversations: Sequence[Sequence[Turn]],
    character: CharacterSpec,
    sep: str,
    max_prompts: int | None = MAX_QUESTIONS,
    batch_size: int = 8,
    markers: Sequence[str] = STYLE_MARKERS,
    forbidden: Sequence[str] = FORBIDDEN_MARKERS,
    generation_batch_size: int | None = None,
    with_base: bool = True,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Metrics of `model` (a PeftModel, or a bare model with with_base=False) on held-out data.

    `examples` are the labelled held-out examples (perplexity); `conversations` give the questions.
    """
    from training.core.harvest import harvest_pairs

    was_training = model.training
    use_cache = getattr(model.config, "use_cache", True)
    model.eval()
    model.config.use_cache = True  # generation needs the cache; training turned it off
    try:
        metrics = loss_metrics(model, tokenizer, examples, batch_size, with_base)
        pairs = harvest_pairs(conversations, character, limit=max_prompts)
        replies = _Replies(
            model, tokenizer, character, sep, generation_batch_size or batch_size * 4, progress
        )
        metrics.update(replies.metrics(pairs, Markers(markers, forbidden), with_base))
        return metrics
    finally:
        model.config.use_cache = use_cache
        model.train(was_training)


def loss_metrics(
    model: Any, tokenizer: Any, examples: Sequence[dict], batch_size: int = 8, with_base: bool = True
) -> dict[str, Any]:
    """Her-token loss and perplexity with the adapter and, switched off, for the base model."""
    adapter = heldout_loss(model, tokenizer, examples, batch_size)
    base = adapter
    if with_base:
        with _without_adapter(model):
            base = heldout_loss(model, tokenizer, examples, batch_size)
    return {
        "loss": adapter["loss"],
        "perplexity": adapter["perplexity"],
        "base_loss": base["loss"],
        "base_perplexity": base["perplexity"],
        "eval_tokens": adapter["tokens"],
    }


class _Replies:
    """Greedy replies of the model (and of its base) to harvested questions, and their scores."""

    def __init__(
        self,
        model: Any,
        tokenizer: Any,
        character: CharacterSpec,
        sep: str,
        batch: int,
        progress: Progress | None,
    ) -> None:
        self.model, self.tokenizer, self.character, self.sep = model, tokenizer, character, sep
        self.batch, self.progress = batch, progress

    def metrics(self, pairs: Sequence[Pair], markers: Markers, with_base: bool) -> dict[str, Any]:
        from training.core.harvest import pair_prompt

        out: dict[str, Any] = {"style_prompts": len(pairs), "questions": len(pairs)}
        if not pairs:
            empty = score_replies([], [], markers)
            return {
                **out,
                **empty,
                **{f"base_{k}": v for k, v in empty.items()},
                "answers": [],
                "base_answers": [],
            }
        prompts = [pair_prompt(p, self.character, self.sep) for p in pairs]
        rounds = 2 if with_base else 1
        replies = self._greedy(prompts, 0, rounds)
        base_replies = replies
        if with_base:
            with _without_adapter(self.model):
                base_replies = self._greedy(prompts, len(prompts), rounds)
        references = [p.reference for p in pairs]
        out.update(score_replies(replies, references, markers))
        out.update({f"base_{k}": v for k, v in score_replies(base_replies, references, markers).items()})
        out["samples"] = [
            {"prompt": p, "reply": r, "base_reply": b}
            for p, r, b in list(zip(prompts, replies, base_replies, strict=True))[:SAMPLE_REPLIES]
        ]
        out["answers"] = answers(pairs, replies)
        out["base_answers"] = answers(pairs, base_replies)
        return out

    def _greedy(self, prompts: list[str], done_before: int, rounds: int) -> list[str]:
        from training.core.generation import Generator
        from training.core.sampling import SamplingSettings

        total = len(prompts) * rounds
        report = None
        if self.progress is not None:
            progress = self.progress

            def report(done: int, _of: int) -> None:
                progress(done_before + done, total)

        generator = Generator(self.model, self.tokenizer, self.sep)
        greedy = SamplingSettings(do_sample=False)
        return [
            r[0] for r in generator.generate(prompts, settings=greedy, batch_size=self.batch, progress=report)
        ]


def answers(pairs: Sequence[Pair], replies: Sequence[str], keep: int = ANSWERS_KEPT) -> list[dict[str, Any]]:
    """The first `keep` questions with their context, her real line and the reply: for side-by-side pages."""
    return [{**p.as_dict(), "reply": r} for p, r in list(zip(pairs, replies, strict=True))[:keep]]


def score_replies(replies: Sequence[str], references: Sequence[str], markers: Markers) -> dict[str, Any]:
    """The reply figures: style / forbidden marker rates, chrF against the references, distinct-2."""
    return {
        "style_marker_rate": style_marker_rate(replies, markers.style),
        "forbidden_marker_rate": style_marker_rate(replies, markers.forbidden),
        "reference_score": chrf(replies, references),
        "distinct_2": distinct_n(replies, 2),
    }


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
    max_prompts: int | None = MAX_QUESTIONS,
    history_turns: int = 4,
) -> list[str]:
    """chat_prompt of each harvested question: the line said to her, as the user's, after its context."""
    from training.core.harvest import harvest_pairs, pair_prompt

    pairs = harvest_pairs(conversations, character, history_turns, limit=max_prompts)
    return [pair_prompt(p, character, sep) for p in pairs]


def style_marker_rate(replies: Sequence[str], markers: Sequence[str] = STYLE_MARKERS) -> float | None:
    """Share of replies containing any marker (compared after NFKC, which only matters for matching).

    None when there is nothing to measure: no replies, or no markers set for the character.
    """
    folded = [unicodedata.normalize("NFKC", m) for m in markers if m]
    if not replies or not folded:
        return None
    hits = sum(1 for r in replies if any(m in unicodedata.normalize("NFKC", r) for m in folded))
    return hits / len(replies)


def chrf(replies: Sequence[str], references: Sequence[str]) -> float | None:
    """Corpus chrF (0-100, sacrebleu's defaults: character 6-grams, beta 2) of replies against references."""
    if not replies:
        return None
    from sacrebleu.metrics import CHRF

    return float(CHRF().corpus_score(list(replies), [list(references)]).score)


def distinct_n(replies: Sequence[str], n: int = 2) -> float | None:
    """Distinct character n-grams over all character n-grams of the replies pooled (after NFKC).

    Characters, not words: Japanese has no spaces and a tokenizer would make the figure model-dependent.
    """
    if not replies:
        return None
    grams = [
        text[i : i + n]
        for text in (unicodedata.normalize("NFKC", r) for r in replies)
        for i in range(len(text) - n + 1)
    ]
    return len(set(grams)) / len(grams) if grams else 0.0


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
