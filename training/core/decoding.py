"""Batched sampling that drops finished rows: what HF `generate()` does, minus the work on stopped rows.

`generate()` keeps computing every row until the longest one ends, padding the finished ones. Character replies
are short and uneven (a batch of 32 averages ~8 tokens while its longest runs ~20), so on a CPU most of that work
is wasted. This loop uses the same logits processors, in the same order, as `generate()` with the same settings
(tests compare the two token for token), prefills each prompt once for its n candidates, and removes rows from
the KV cache as soon as they stop.
"""

from __future__ import annotations

from collections.abc import Sequence
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
    from transformers import DynamicCache

    device = input_ids.device
    prompt_length = input_ids.shape[1]
    stops = torch.tensor(sorted(set(stop_ids)), device=device)
    sep = torch.tensor(list(sep_ids), device=device) if len(sep_ids) > 1 else None
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
    rows = torch.arange(input_ids.shape[0], device=device)  # original row of each live row
    pad_lengths = (attention_mask != 0).int().argmax(dim=1)
    next_position = position_ids[:, -1] + 1
    procs = processors(settings, pad_lengths, prompt_length, stop_ids, bad_words, device)
    generated: list[list[int]] = [[] for _ in range(input_ids.shape[0])]
    seqs = input_ids
    for step in range(settings.max_new_tokens):
        scores = procs(seqs, logits)
        if sampling(settings):
            token = torch.multinomial(torch.softmax(scores, dim=-1), num_samples=1).squeeze(1)
        else:
            token = scores.argmax(dim=-1)
        for row, tok in zip(rows.tolist(), token.tolist(), strict=True):
            generated[row].append(tok)
        seqs = torch.cat([seqs, token[:, None]], dim=1)
        done = torch.isin(token, stops)
        if sep is not None and seqs.shape[1] - prompt_length >= len(sep):
            done |= (seqs[:, -len(sep) :] == sep).all(dim=1)
        if step == settings.max_new_tokens - 1 or bool(done.all()):
            break
        if bool(done.any()):
            keep = (~done).nonzero().squeeze(1)
            cache.batch_select_indices(keep)
            rows, seqs, token = rows[keep], seqs[keep], token[keep]
            attention_mask, next_position, pad_lengths = (
                attention_mask[keep],
                next_position[keep],
                pad_lengths[keep],
            )
            procs = processors(settings, pad_lengths, prompt_length, stop_ids, bad_words, device)
        attention_mask = torch.cat(
            [attention_mask, attention_mask.new_ones((attention_mask.shape[0], 1))], dim=1
        )
        with torch.no_grad():
            out = model(
                input_ids=token[:, None],
                attention_mask=attention_mask,
                position_ids=next_position[:, None],
                past_key_values=cache,
                use_cache=True,
            )
        next_position = next_position + 1
        logits = out.logits[:, -1, :].float()
    return generated
