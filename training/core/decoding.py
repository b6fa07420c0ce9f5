"""Batched sampling that drops finished rows: what HF `generate()` does, minus the work on stopped rows.

`generate()` keeps computing every row until the longest one ends, padding the finished ones. Character
replies are short and uneven (most rows of a batch end well before its longest), so on a CPU most of that
work is wasted (see BENCHMARKS.md). This loop uses the same logits processors, in the same order, as
`generate()` with the same settings (tests compare the two token for token), prefills each prompt once for
its n candidates, and removes rows from the KV cache as soon as they stop.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from training.core.sampling import SamplingSettings


def processors(
    settings: SamplingSettings,
    pad_lengths: Any,
    prompt_length: int,
    stop_ids: Sequence[int],
    bad_words: list[list[int]],
    device: Any,
) -> Any:
    """The LogitsProcessorList `generate()` builds for these settings (same classes, same order)."""
    import torch
    from transformers import (
        LogitsProcessorList,
        NoBadWordsLogitsProcessor,
        NoRepeatNGramLogitsProcessor,
        RepetitionPenaltyLogitsProcessor,
        SuppressTokensAtBeginLogitsProcessor,
        TemperatureLogitsWarper,
        TopKLogitsWarper,
        TopPLogitsWarper,
    )

    out = LogitsProcessorList()
    if settings.repetition_penalty and settings.repetition_penalty != 1.0:
        # Left padding is not part of a row's text: generate() skips it the same way.
        out.append(
            RepetitionPenaltyLogitsProcessor(settings.repetition_penalty, prompt_ignore_length=pad_lengths)
        )
    if settings.no_repeat_ngram_size and settings.no_repeat_ngram_size > 0:
        out.append(NoRepeatNGramLogitsProcessor(settings.no_repeat_ngram_size))
    if bad_words:
        out.append(NoBadWordsLogitsProcessor(bad_words, torch.tensor(list(stop_ids), device=device)))
    # A reply is never empty: no stop token as its first token.
    out.append(SuppressTokensAtBeginLogitsProcessor(list(stop_ids), prompt_length, device=device))
    if sampling(settings):
        if settings.temperature != 1.0:
            out.append(TemperatureLogitsWarper(settings.temperature))
        if settings.top_k:
            out.append(TopKLogitsWarper(top_k=settings.top_k))
        if settings.top_p is not None and settings.top_p < 1.0:
            out.append(TopPLogitsWarper(top_p=settings.top_p))
    return out


def sampling(settings: SamplingSettings) -> bool:
    return bool(settings.do_sample) and settings.temperature is not None and settings.temperature > 0


def decode(
    model: Any,
    input_ids: Any,
    attention_mask: Any,
    n: int,
    settings: SamplingSettings,
    stop_ids: Sequence[int],
    sep_ids: Sequence[int],
    bad_words: list[list[int]],
) -> list[list[int]]:
    """New token ids for each of the B*n rows (prompt i's candidates are rows i*n .. i*n+n-1)."""
    import torch

    device = input_ids.device
    prompt_length = input_ids.shape[1]
    stops = torch.tensor(sorted(set(stop_ids)), device=device)
    sep = torch.tensor(list(sep_ids), device=device) if len(sep_ids) > 1 else None
    live = _prefill(model, input_ids, attention_mask, n)
    procs = processors(settings, live.pad_lengths, prompt_length, stop_ids, bad_words, device)
    generated: list[list[int]] = [[] for _ in range(live.seqs.shape[0])]
    for step in range(settings.max_new_tokens):
        token = _next_token(procs(live.seqs, live.logits), settings)
        for row, tok in zip(live.rows.tolist(), token.tolist(), strict=True):
            generated[row].append(tok)
        live.seqs = torch.cat([live.seqs, token[:, None]], dim=1)
        done = _finished(token, live.seqs, stops, sep, prompt_length)
        if step == settings.max_new_tokens - 1 or bool(done.all()):
            break
        if bool(done.any()):
            keep = (~done).nonzero().squeeze(1)
            live.select(keep)
            token = token[keep]
            procs = processors(settings, live.pad_lengths, prompt_length, stop_ids, bad_words, device)
        _forward_next(model, live, token)
    return generated


@dataclass
class _LiveRows:
    """The rows still being decoded, and what the next forward pass needs for them."""

    cache: Any
    logits: Any  # last position's logits, one row per live row
    seqs: Any  # prompt plus the tokens chosen so far
    attention_mask: Any
    next_position: Any
    pad_lengths: Any  # left padding of each row's prompt
    rows: Any  # original row of each live row

    def select(self, keep: Any) -> None:
        """Keep only the rows at indexes `keep`, in the KV cache too."""
        self.cache.batch_select_indices(keep)
        self.rows, self.seqs = self.rows[keep], self.seqs[keep]
        self.attention_mask, self.next_position, self.pad_lengths = (
            self.attention_mask[keep],
            self.next_position[keep],
            self.pad_lengths[keep],
        )


def _prefill(model: Any, input_ids: Any, attention_mask: Any, n: int) -> _LiveRows:
    """Run the prompts once and repeat the result for each prompt's n candidates."""
    import torch
    from transformers import DynamicCache

    cache = DynamicCache(config=model.config)
    position_ids = (attention_mask.long().cumsum(-1) - 1).clamp(min=0)
    with torch.no_grad():
        out = model(
            input_ids=input_ids,
            attention_mask=attention_mask,
            position_ids=position_ids,
            past_key_values=cache,
            use_cache=True,
        )
    logits = out.logits[:, -1, :].float()
    if n > 1:  # one prefill per prompt, then a copy of its cache per candidate
        cache.batch_repeat_interleave(n)
        logits = logits.repeat_interleave(n, dim=0)
        input_ids = input_ids.repeat_interleave(n, dim=0)
        attention_mask = attention_mask.repeat_interleave(n, dim=0)
        position_ids = position_ids.repeat_interleave(n, dim=0)
    return _LiveRows(
        cache=cache,
        logits=logits,
        seqs=input_ids,
        attention_mask=attention_mask,
        next_position=position_ids[:, -1] + 1,
        pad_lengths=(attention_mask != 0).int().argmax(dim=1),
        rows=torch.arange(input_ids.shape[0], device=input_ids.device),
    )


def _next_token(scores: Any, settings: SamplingSettings) -> Any:
    import torch

    if sampling(settings):
        return torch.multinomial(torch.softmax(scores, dim=-1), num_samples=1).squeeze(1)
    return scores.argmax(dim=-1)


def _finished(token: Any, seqs: Any, stops: Any, sep: Any, prompt_length: int) -> Any:
    """Which rows just ended: on a stop token, or on the separator's last token."""
    import torch

    done = torch.isin(token, stops)
    if sep is not None and seqs.shape[1] - prompt_length >= len(sep):
        done |= (seqs[:, -len(sep) :] == sep).all(dim=1)
    return done


def _forward_next(model: Any, live: _LiveRows, token: Any) -> None:
    """Feed each live row its new token and keep the logits for the next choice."""
    import torch

    live.attention_mask = torch.cat(
        [live.attention_mask, live.attention_mask.new_ones((live.attention_mask.shape[0], 1))], dim=1
    )
    with torch.no_grad():
        out = model(
            input_ids=token[:, None],
            attention_mask=live.attention_mask,
            position_ids=live.next_position[:, None],
            past_key_values=live.cache,
            use_cache=True,
        )
    live.next_position = live.next_position + 1
    live.logits = out.logits[:, -1, :].float()
